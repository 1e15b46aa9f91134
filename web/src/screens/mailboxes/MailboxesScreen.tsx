// Settings › Mailboxes (the mailbox connection page): admins connect an SMTP mailbox to send email
// notifications from the company's own address, and choose who may use it.
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CheckboxGroup, Label, Text } from 'react-aria-components';
import { api, ApiError, unwrap } from '../../api/client';
import { keys, useMailboxes, useUsers } from '../../api/queries';
import type { Mailbox, User } from '../../api/types';
import { ApiForm, CheckboxInput, CheckboxOption, NumberInput, TextInput } from '../../components/fields';
import { AdminOnlyNote, Button, ErrorMessage, Loading, Page } from '../../components/ui';
import { useMe } from '../../app/session';

export default function MailboxesScreen() {
  const mailboxes = useMailboxes();
  const users = useUsers();
  return (
    <Page title="Mailboxes" trail={[{ label: 'Settings' }, { label: 'Mailboxes' }]}>
      <p className="lead">
        Email notifications are sent from the gateway address, or from a mailbox an admin connected here, by the users
        who may use it.
      </p>
      <section className="panel" aria-labelledby="connected">
        <h2 id="connected">Connected mailboxes</h2>
        {mailboxes.isPending ? (
          <Loading what="mailboxes" />
        ) : mailboxes.isError ? (
          <ErrorMessage error={mailboxes.error} />
        ) : mailboxes.data.items.length === 0 ? (
          <p className="muted">No mailbox is connected yet.</p>
        ) : (
          mailboxes.data.items.map((m) => <MailboxCard key={m.id} mailbox={m} users={users.data?.items ?? []} />)
        )}
      </section>
      <ConnectMailbox />
    </Page>
  );
}

function MailboxCard(props: { mailbox: Mailbox; users: User[] }) {
  const { mailbox } = props;
  const me = useMe();
  const queryClient = useQueryClient();
  const [userIds, setUserIds] = useState<string[]>(mailbox.userIds);
  const saveAccess = useMutation({
    mutationFn: () =>
      unwrap(api.PUT('/v1/mailboxes/{id}/access', { params: { path: { id: mailbox.id } }, body: { userIds } })),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.mailboxes }),
        queryClient.invalidateQueries({ queryKey: keys.senders }),
      ]),
  });
  const headingId = `mailbox-${mailbox.id}`;
  return (
    <article className="card-row" aria-labelledby={headingId}>
      <h3 id={headingId}>{mailbox.address}</h3>
      <p className="muted small">
        SMTP {mailbox.smtpHost}:{mailbox.smtpPort} {mailbox.smtpSecure ? '(TLS)' : ''}
        {mailbox.allowInsecure ? '(without TLS allowed)' : ''} as {mailbox.smtpUser}
        {mailbox.canSend ? ' · you may send from it' : ' · you may not send from it'}
      </p>
      <CheckboxGroup
        className="field"
        value={userIds}
        onChange={setUserIds}
        isDisabled={!me.isAdmin}
        aria-describedby={me.isAdmin ? undefined : `${headingId}-note`}
      >
        <Label>Who may use it</Label>
        {props.users.map((user) => (
          <CheckboxOption key={user.id} value={user.id}>
            {user.name} <span className="muted">({user.email})</span>
          </CheckboxOption>
        ))}
        <Text slot="description" id={`${headingId}-note`}>
          {me.isAdmin
            ? 'Only these users can choose this mailbox as a notification’s sender.'
            : 'Only admins can change who may use a mailbox.'}
        </Text>
      </CheckboxGroup>
      <Button onPress={() => saveAccess.mutate()} isDisabled={!me.isAdmin || saveAccess.isPending}>
        Save access
      </Button>
      {saveAccess.isSuccess && (
        <span role="status" className="muted small">
          {' '}
          Saved.
        </span>
      )}
      <ErrorMessage error={saveAccess.error} />
    </article>
  );
}

function ConnectMailbox() {
  const queryClient = useQueryClient();
  const me = useMe();
  const [form, setForm] = useState({
    address: '',
    smtpHost: '',
    smtpPort: 587,
    smtpSecure: false,
    smtpUser: '',
    smtpPassword: '',
    allowInsecure: false,
  });
  const set =
    <K extends keyof typeof form>(key: K) =>
    (value: (typeof form)[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const connect = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/mailboxes', { body: form })),
    onSuccess: async () => {
      setForm({
        address: '',
        smtpHost: '',
        smtpPort: 587,
        smtpSecure: false,
        smtpUser: '',
        smtpPassword: '',
        allowInsecure: false,
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.mailboxes }),
        queryClient.invalidateQueries({ queryKey: keys.senders }),
      ]);
    },
  });
  const errors = connect.error instanceof ApiError ? connect.error.fieldErrors() : {};
  return (
    <section className="panel" aria-labelledby="connect">
      <h2 id="connect">Connect a mailbox</h2>
      <ApiForm
        className="grid-form"
        errors={errors}
        onSubmit={(e) => {
          e.preventDefault();
          connect.mutate();
        }}
      >
        <TextInput
          label="Email address"
          name="address"
          type="email"
          value={form.address}
          onChange={set('address')}
          isRequired
          isDisabled={!me.isAdmin}
        />
        <TextInput
          label="SMTP host"
          name="smtpHost"
          value={form.smtpHost}
          onChange={set('smtpHost')}
          isRequired
          isDisabled={!me.isAdmin}
        />
        <NumberInput
          label="SMTP port"
          name="smtpPort"
          value={form.smtpPort}
          onChange={set('smtpPort')}
          minValue={1}
          maxValue={65535}
          isDisabled={!me.isAdmin}
        />
        <CheckboxInput value={form.smtpSecure} onChange={set('smtpSecure')} name="smtpSecure" isDisabled={!me.isAdmin}>
          Use TLS from the start (port 465); otherwise the server must offer STARTTLS
        </CheckboxInput>
        <CheckboxInput
          value={form.allowInsecure}
          onChange={set('allowInsecure')}
          name="allowInsecure"
          isDisabled={!me.isAdmin}
        >
          Allow a server without TLS (the password then travels unencrypted)
        </CheckboxInput>
        <TextInput
          label="SMTP user"
          name="smtpUser"
          value={form.smtpUser}
          onChange={set('smtpUser')}
          isRequired
          autoComplete="off"
          isDisabled={!me.isAdmin}
        />
        <TextInput
          label="SMTP password"
          name="smtpPassword"
          type="password"
          value={form.smtpPassword}
          onChange={set('smtpPassword')}
          isRequired
          autoComplete="new-password"
          description="Stored encrypted; never shown again."
          isDisabled={!me.isAdmin}
        />
        <div>
          <Button type="submit" variant="primary" isDisabled={!me.isAdmin || connect.isPending}>
            Connect mailbox
          </Button>
        </div>
      </ApiForm>
      {me.isAdmin && <p className="muted small">You ({me.name}) may send from the mailboxes you connect.</p>}
      {connect.error && Object.keys(errors).length === 0 && (
        <ErrorMessage error={connect.error} title="Not connected" />
      )}
      <AdminOnlyNote isAdmin={me.isAdmin} what="connect mailboxes" />
    </section>
  );
}
