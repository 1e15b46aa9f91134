// A contact's profile as a form: who it is (client or employee), phone and email with their
// consent checkboxes, and the values of the contact form's fields (dates as YYYY-MM-DD or --MM-DD).
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys, useContactFields } from '../../api/queries';
import type { Contact, ContactField, ContactKind } from '../../api/types';
import { ApiForm, CheckboxInput, RadioInput, TextInput } from '../../components/fields';
import { Button, ErrorMessage } from '../../components/ui';

type FieldValue = string | number | boolean | null;

interface Profile {
  name: string;
  role: 'client' | 'employee';
  phone: string;
  email: string;
  smsConsent: boolean;
  emailConsent: boolean;
  fields: Record<string, string>;
}

function profileOf(contact: Contact | undefined): Profile {
  return {
    name: contact?.name ?? '',
    role: contact?.role ?? 'client',
    phone: contact?.phone ?? '',
    email: contact?.email ?? '',
    smsConsent: contact?.smsConsent ?? false,
    emailConsent: contact?.emailConsent ?? false,
    fields: Object.fromEntries(
      Object.entries(contact?.fields ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)]),
    ),
  };
}

/** Form values as the API takes them: blanks are null; numbers and yes/no typed. */
function fieldValues(form: ContactField[], values: Record<string, string>): Record<string, FieldValue> {
  return Object.fromEntries(
    form.map((field) => {
      const raw = (values[field.key] ?? '').trim();
      if (raw === '') return [field.key, null];
      if (field.type === 'number') return [field.key, Number(raw)];
      if (field.type === 'boolean') return [field.key, raw === 'true'];
      return [field.key, raw];
    }),
  );
}

export function ContactEditor(props: {
  kind: ContactKind;
  contact?: Contact;
  onSaved: (contact: Contact) => void;
  onCancel?: () => void;
}) {
  const { kind, contact } = props;
  const queryClient = useQueryClient();
  const allFields = useContactFields();
  const form = (allFields.data?.items ?? []).filter((f) => f.kind === kind);
  const [profile, setProfile] = useState<Profile>(() => profileOf(contact));
  const set =
    <K extends keyof Profile>(key: K) =>
    (value: Profile[K]) =>
      setProfile((p) => ({ ...p, [key]: value }));
  const save = useMutation({
    mutationFn: async () => {
      const body = {
        name: profile.name,
        role: profile.role,
        phone: profile.phone.trim() || null,
        email: profile.email.trim() || null,
        smsConsent: profile.smsConsent,
        emailConsent: profile.emailConsent,
        fields: fieldValues(form, profile.fields),
      };
      return contact
        ? unwrap(api.PATCH('/v1/contacts/{id}', { params: { path: { id: contact.id } }, body }))
        : unwrap(api.POST('/v1/contacts', { body: { ...body, kind } }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: keys.allContacts });
      queryClient.setQueryData(keys.contact(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: ['contact-reminders', saved.id] });
      props.onSaved(saved);
    },
  });
  const errors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  // Field values are reported as body.fields.<key>: shown at that field.
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors('body.fields.') : {};
  return (
    <ApiForm
      className="contact-form"
      errors={{
        ...errors,
        ...Object.fromEntries(Object.entries(fieldErrors).map(([k, v]) => [`field:${k}`, v])),
      }}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <TextInput label="Name" name="name" value={profile.name} onChange={set('name')} isRequired />
      <RadioInput
        label="Role"
        name="role"
        value={profile.role}
        onChange={(v) => set('role')(v as Profile['role'])}
        options={[
          { id: 'client', label: 'Client', description: 'receives notifications' },
          { id: 'employee', label: 'Employee', description: 'never receives notifications' },
        ]}
      />
      <div className="pair">
        <TextInput
          label="Phone"
          name="phone"
          type="tel"
          value={profile.phone}
          onChange={set('phone')}
          placeholder="+15551234567"
        />
        <CheckboxInput value={profile.smsConsent} onChange={set('smsConsent')} name="smsConsent">
          SMS
        </CheckboxInput>
      </div>
      <div className="pair">
        <TextInput label="Email" name="email" type="email" value={profile.email} onChange={set('email')} />
        <CheckboxInput value={profile.emailConsent} onChange={set('emailConsent')} name="emailConsent">
          Agree to receive Email
        </CheckboxInput>
      </div>
      {form.map((field) =>
        field.type === 'boolean' ? (
          <CheckboxInput
            key={field.id}
            value={profile.fields[field.key] === 'true'}
            onChange={(v) => setProfile((p) => ({ ...p, fields: { ...p.fields, [field.key]: v ? 'true' : '' } }))}
          >
            {field.label}
          </CheckboxInput>
        ) : (
          <TextInput
            key={field.id}
            label={field.label}
            name={`field:${field.key}`}
            value={profile.fields[field.key] ?? ''}
            onChange={(v) => setProfile((p) => ({ ...p, fields: { ...p.fields, [field.key]: v } }))}
            placeholder={field.type === 'date' ? 'YYYY-MM-DD or --MM-DD' : undefined}
            description={
              field.type === 'date' ? 'A date (YYYY-MM-DD), or --MM-DD for a yearly date without a year' : undefined
            }
          />
        ),
      )}
      {save.error && Object.keys(errors).length + Object.keys(fieldErrors).length === 0 && (
        <ErrorMessage error={save.error} title="Not saved" />
      )}
      <div className="dialog-actions">
        <span className="spacer" />
        {props.onCancel && <Button onPress={props.onCancel}>Cancel</Button>}
        <Button type="submit" variant="primary" isDisabled={save.isPending}>
          {contact ? 'Save profile' : 'Create contact'}
        </Button>
      </div>
      {save.isSuccess && contact && (
        <p role="status" className="muted small">
          Saved.
        </p>
      )}
    </ApiForm>
  );
}
