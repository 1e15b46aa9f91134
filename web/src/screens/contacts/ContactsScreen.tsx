// Contacts: people or organizations, searched by name, and "+ Contact".
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Link, SearchField, Input, Label, Button as AriaButton } from 'react-aria-components';
import { KIND_TITLES, useContacts } from '../../api/queries';
import type { ContactKind } from '../../api/types';
import { Button, ErrorMessage, Loading, ModalDialog, Page } from '../../components/ui';
import { ContactEditor } from '../contact/ContactEditor';

export default function ContactsScreen() {
  const [params, setParams] = useSearchParams();
  const kind: ContactKind = params.get('kind') === 'organization' ? 'organization' : 'person';
  const q = params.get('q') ?? '';
  const contacts = useContacts(kind, q);
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const titles = KIND_TITLES[kind];
  return (
    <Page
      title="Contacts"
      actions={
        <Button variant="primary" onPress={() => setCreating(true)}>
          + Contact
        </Button>
      }
    >
      <nav className="tabs" aria-label="Kind of contact">
        {(['person', 'organization'] as const).map((k) => (
          <Link key={k} href={`/contacts?kind=${k}`} aria-current={k === kind ? 'page' : undefined} className="tab">
            {KIND_TITLES[k].plural}
          </Link>
        ))}
      </nav>
      <SearchField
        className="field search"
        value={q}
        onChange={(value) => setParams(value ? { kind, q: value } : { kind }, { replace: true })}
      >
        <Label>Search {titles.plural.toLowerCase()}</Label>
        <div className="combobox-group">
          <Input placeholder="Name" />
          <AriaButton aria-label="Clear search">✕</AriaButton>
        </div>
      </SearchField>
      {contacts.isPending ? (
        <Loading what="contacts" />
      ) : contacts.isError ? (
        <ErrorMessage error={contacts.error} />
      ) : contacts.data.items.length === 0 ? (
        <p className="muted">
          {q ? `No ${titles.plural.toLowerCase()} match “${q}”.` : `No ${titles.plural.toLowerCase()} yet.`}
        </p>
      ) : (
        <table>
          <caption className="visually-hidden">{titles.plural}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Phone</th>
              <th scope="col">Email</th>
            </tr>
          </thead>
          <tbody>
            {contacts.data.items.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <Link href={`/contacts/${c.id}`}>{c.name}</Link>
                </th>
                <td>{c.role === 'client' ? 'Client' : 'Employee'}</td>
                <td>
                  {c.phone ?? '—'} {c.phone && (c.smsConsent ? '' : <span className="muted">(no SMS consent)</span>)}
                </td>
                <td>
                  {c.email ?? '—'}{' '}
                  {c.email && (c.emailConsent ? '' : <span className="muted">(no email consent)</span>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {contacts.data && contacts.data.total > contacts.data.items.length && (
        <p className="muted small">
          Showing {contacts.data.items.length} of {contacts.data.total}; search to narrow down.
        </p>
      )}
      {creating && (
        <ModalDialog title={`New ${titles.singular}`} isOpen onOpenChange={setCreating}>
          {(close) => (
            <ContactEditor
              kind={kind}
              onCancel={close}
              onSaved={(contact) => void navigate(`/contacts/${contact.id}`)}
            />
          )}
        </ModalDialog>
      )}
    </Page>
  );
}
