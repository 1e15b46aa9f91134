// Settings › Contact form: the fields of the person and organization forms. Every Date field is an
// event notifications can use; Birthday is a system field and cannot be deleted. Only admins change
// the forms; other users see them with the controls disabled.
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { KIND_TITLES, keys, useContactFields } from '../../api/queries';
import type { ContactField, ContactKind } from '../../api/types';
import { ApiForm, SelectInput, TextInput } from '../../components/fields';
import { AdminOnlyNote, Button, ErrorMessage, Loading, ModalDialog, Page } from '../../components/ui';
import { useMe } from '../../app/session';

const TYPES = [
  { id: 'date', label: 'Date' },
  { id: 'text', label: 'Text' },
  { id: 'number', label: 'Number' },
  { id: 'boolean', label: 'Yes / no' },
  { id: 'email', label: 'Email' },
  { id: 'phone', label: 'Phone' },
];

/** A field key from its label: "Contract end" → "contractEnd". */
function keyFrom(label: string): string {
  const words = label
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9 ]/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const key = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
  return /^[a-z]/.test(key) ? key.slice(0, 63) : `field${key}`.slice(0, 63);
}

export default function ContactFormScreen() {
  const fields = useContactFields();
  return (
    <Page title="Contact form" trail={[{ label: 'Settings' }, { label: 'Contact form' }]}>
      <p className="lead">
        Fields of the contact form. Every <strong>Date</strong> field is an event that external notifications can use.
      </p>
      {fields.isPending ? (
        <Loading what="the contact form" />
      ) : fields.isError ? (
        <ErrorMessage error={fields.error} />
      ) : (
        (['person', 'organization'] as const).map((kind) => (
          <FormSection key={kind} kind={kind} fields={fields.data.items.filter((f) => f.kind === kind)} />
        ))
      )}
    </Page>
  );
}

function FormSection(props: { kind: ContactKind; fields: ContactField[] }) {
  const queryClient = useQueryClient();
  const me = useMe();
  const [renaming, setRenaming] = useState<ContactField | null>(null);
  const [deleting, setDeleting] = useState<ContactField | null>(null);
  const headingId = `form-${props.kind}`;
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.fields }),
      queryClient.invalidateQueries({ queryKey: keys.events(props.kind) }),
    ]);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{KIND_TITLES[props.kind].plural}</h2>
      <table>
        <caption className="visually-hidden">Fields of the {KIND_TITLES[props.kind].singular} form</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Key</th>
            <th scope="col">Type</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.fields.map((field) => (
            <tr key={field.id}>
              <th scope="row">
                {field.label} {field.system && <span className="badge">System field</span>}
              </th>
              <td>
                <code>{field.key}</code>
              </td>
              <td>{TYPES.find((t) => t.id === field.type)?.label ?? field.type}</td>
              <td className="row-actions">
                <Button
                  variant="quiet"
                  onPress={() => setRenaming(field)}
                  isDisabled={!me.isAdmin}
                  aria-label={`Rename ${field.label}`}
                >
                  Rename
                </Button>
                <Button
                  variant="quiet"
                  onPress={() => setDeleting(field)}
                  isDisabled={field.system || !me.isAdmin}
                  aria-label={`Delete ${field.label}`}
                  aria-description={field.system ? 'System fields cannot be deleted' : undefined}
                >
                  Delete
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <AddField kind={props.kind} onAdded={refresh} isDisabled={!me.isAdmin} />
      <AdminOnlyNote isAdmin={me.isAdmin} what="change the contact form" />
      {renaming && <RenameDialog field={renaming} onClose={() => setRenaming(null)} onDone={refresh} />}
      {deleting && <DeleteDialog field={deleting} onClose={() => setDeleting(null)} onDone={refresh} />}
    </section>
  );
}

function AddField(props: { kind: ContactKind; onAdded: () => Promise<unknown>; isDisabled: boolean }) {
  const [label, setLabel] = useState('');
  const [type, setType] = useState('date');
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/contact-fields', {
          body: { kind: props.kind, label, key: keyFrom(label), type: type as ContactField['type'] },
        }),
      ),
    onSuccess: async () => {
      setLabel('');
      await props.onAdded();
    },
  });
  const errors = add.error instanceof ApiError ? add.error.fieldErrors() : {};
  if (errors.key) errors.label = `${errors.label ? `${errors.label}; ` : ''}key "${keyFrom(label)}": ${errors.key}`;
  const singular = KIND_TITLES[props.kind].singular;
  return (
    <ApiForm
      className="inline-form"
      aria-label={`Add a field to the ${singular} form`}
      errors={errors}
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <TextInput
        label={`New ${singular} field`}
        name="label"
        value={label}
        onChange={setLabel}
        isRequired
        isDisabled={props.isDisabled}
      />
      <SelectInput
        label="Type"
        name="type"
        value={type}
        onChange={setType}
        options={TYPES}
        isDisabled={props.isDisabled}
      />
      <Button type="submit" variant="secondary" isDisabled={props.isDisabled || !label.trim() || add.isPending}>
        Add field
      </Button>
      {add.error instanceof ApiError && add.error.status === 409 && <ErrorMessage error={add.error} />}
    </ApiForm>
  );
}

function RenameDialog(props: { field: ContactField; onClose: () => void; onDone: () => Promise<unknown> }) {
  const [label, setLabel] = useState(props.field.label);
  const rename = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH('/v1/contact-fields/{id}', { params: { path: { id: props.field.id } }, body: { label } })),
    onSuccess: async () => {
      await props.onDone();
      props.onClose();
    },
  });
  return (
    <ModalDialog title={`Rename ${props.field.label}`} isOpen onOpenChange={(open) => !open && props.onClose()}>
      {(close) => (
        <ApiForm
          errors={rename.error instanceof ApiError ? rename.error.fieldErrors() : {}}
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate();
          }}
        >
          <TextInput label="Label" name="label" value={label} onChange={setLabel} isRequired autoFocus />
          <div className="dialog-actions">
            <span className="spacer" />
            <Button onPress={close}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={rename.isPending}>
              Save
            </Button>
          </div>
        </ApiForm>
      )}
    </ModalDialog>
  );
}

function DeleteDialog(props: { field: ContactField; onClose: () => void; onDone: () => Promise<unknown> }) {
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/contact-fields/{id}', { params: { path: { id: props.field.id } } })),
    onSuccess: async () => {
      await props.onDone();
      props.onClose();
    },
  });
  return (
    <ModalDialog title={`Delete ${props.field.label}?`} isOpen onOpenChange={(open) => !open && props.onClose()}>
      {(close) => (
        <>
          <p>The field and its values on every contact go. Notifications that use it must be changed first.</p>
          <ErrorMessage error={remove.error} title="Not deleted" />
          <div className="dialog-actions">
            <span className="spacer" />
            <Button onPress={close}>Cancel</Button>
            <Button variant="danger" onPress={() => remove.mutate()} isDisabled={remove.isPending}>
              Delete
            </Button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}
