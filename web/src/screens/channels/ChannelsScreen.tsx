// Settings › Channels: the company's own messaging accounts — its Twilio account with the SMS and
// WhatsApp senders, its Instagram business account — and which account each channel sends from now
// (its own, or the service's default). Admins connect, change and remove them; secrets are
// write-only (never shown; left empty, the saved one is kept for the same account).
import { useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys } from '../../api/queries';
import type { ChannelConnection, ChannelConnections } from '../../api/types';
import { useMe } from '../../app/session';
import { ApiForm, TextInput } from '../../components/fields';
import { dateTime } from '../../components/format';
import { AdminOnlyNote, Button, ErrorMessage, Loading, ModalDialog, Page } from '../../components/ui';

type Provider = ChannelConnection['provider'];
const PROVIDER_NAMES: Record<Provider, string> = { twilio: 'Twilio', instagram: 'Instagram' };

export default function ChannelsScreen() {
  const connections = useQuery({
    queryKey: keys.channels,
    queryFn: () => unwrap(api.GET('/v1/channel-connections')),
  });
  return (
    <Page title="Channels" trail={[{ label: 'Settings' }, { label: 'Channels' }]}>
      <p className="lead">
        SMS and WhatsApp reminders go out from a Twilio account, Instagram chat messages from an Instagram business
        account. Connect your company’s own accounts here: replies and opt-outs to their numbers then reach your company
        only. Without one, the service’s default account is used, if it has one.
      </p>
      {connections.isPending ? (
        <Loading what="channels" />
      ) : connections.isError ? (
        <ErrorMessage error={connections.error} />
      ) : (
        <>
          <SendingNow data={connections.data} />
          <TwilioConnection
            key={`twilio-${connections.data.items.find((c) => c.provider === 'twilio')?.updatedAt ?? 'none'}`}
            connection={connections.data.items.find((c) => c.provider === 'twilio')}
          />
          <InstagramConnection
            key={`instagram-${connections.data.items.find((c) => c.provider === 'instagram')?.updatedAt ?? 'none'}`}
            connection={connections.data.items.find((c) => c.provider === 'instagram')}
          />
        </>
      )}
    </Page>
  );
}

const SOURCE_TEXT: Record<ChannelConnections['senders']['sms'], (provider: string) => string> = {
  own: (provider) => `Your company’s own ${provider} account`,
  default: () => 'The service’s default account',
  none: () => 'Not configured: nothing is sent through it',
};

function SendingNow(props: { data: ChannelConnections }) {
  const { senders, items } = props.data;
  const rows: Array<{ channel: string; source: keyof typeof SOURCE_TEXT; provider: Provider; from?: string | null }> = [
    {
      channel: 'SMS',
      source: senders.sms,
      provider: 'twilio',
      from: items.find((c) => c.provider === 'twilio')?.smsFrom,
    },
    {
      channel: 'WhatsApp',
      source: senders.whatsapp,
      provider: 'twilio',
      from: items.find((c) => c.provider === 'twilio')?.whatsappFrom,
    },
    {
      channel: 'Instagram',
      source: senders.instagram,
      provider: 'instagram',
      from: items.find((c) => c.provider === 'instagram')?.accountId,
    },
  ];
  return (
    <section className="panel" aria-labelledby="sending-now">
      <h2 id="sending-now">Sending now from</h2>
      <table>
        <caption className="visually-hidden">Which account each channel sends from now</caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Account</th>
            <th scope="col">Sender</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.channel}>
              <th scope="row">{row.channel}</th>
              <td>
                <span className={`badge source-${row.source}`}>
                  {SOURCE_TEXT[row.source](PROVIDER_NAMES[row.provider])}
                </span>
              </td>
              <td>{row.source === 'own' && row.from ? row.from : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One provider's panel: what is connected, the form (admins only), save and remove. */
function ConnectionPanel(props: {
  provider: Provider;
  connection: ChannelConnection | undefined;
  summary: ReactNode;
  children: ReactNode;
  errors: Record<string, string>;
  save: { mutate: () => void; isPending: boolean; error: unknown; isSuccess: boolean };
}) {
  const me = useMe();
  const [removing, setRemoving] = useState(false);
  const name = PROVIDER_NAMES[props.provider];
  const id = `${props.provider}-connection`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{name}</h2>
      {props.connection ? (
        <p className="muted small">
          Connected: {props.summary} · updated {dateTime(props.connection.updatedAt)}
        </p>
      ) : (
        <p className="muted small">Not connected.</p>
      )}
      <ApiForm
        className="grid-form"
        errors={props.errors}
        onSubmit={(e) => {
          e.preventDefault();
          props.save.mutate();
        }}
      >
        {props.children}
        <div className="dialog-actions">
          <Button type="submit" variant="primary" isDisabled={!me.isAdmin || props.save.isPending}>
            {props.connection ? `Save ${name} connection` : `Connect ${name}`}
          </Button>
          {props.connection && (
            <Button variant="danger" onPress={() => setRemoving(true)} isDisabled={!me.isAdmin}>
              Remove {name} connection
            </Button>
          )}
          {props.save.isSuccess && (
            <span role="status" className="muted small">
              Saved.
            </span>
          )}
        </div>
      </ApiForm>
      {props.save.error !== null && Object.keys(props.errors).length === 0 && (
        <ErrorMessage error={props.save.error} title="Not saved" />
      )}
      <AdminOnlyNote isAdmin={me.isAdmin} what={`connect or change the ${name} account`} />
      {removing && <RemoveDialog provider={props.provider} onClose={() => setRemoving(false)} />}
    </section>
  );
}

function useSaveConnection<B>(save: (body: B) => Promise<unknown>, body: () => B) {
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: () => save(body()),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.channels }),
  });
  const errors = mutation.error instanceof ApiError ? mutation.error.fieldErrors() : {};
  return { mutation, errors };
}

/** The optional text fields of a request: left out when empty. */
function filled<T extends Record<string, string>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== '')) as Partial<T>;
}

const KEEP_SECRET = 'Stored encrypted, never shown. Leave empty to keep the saved one (same account only).';
const NEW_SECRET = 'Stored encrypted, never shown.';

function TwilioConnection(props: { connection: ChannelConnection | undefined }) {
  const me = useMe();
  const c = props.connection;
  const [form, setForm] = useState({
    accountSid: c?.accountId ?? '',
    authToken: '',
    smsFrom: c?.smsFrom ?? '',
    whatsappFrom: c?.whatsappFrom ?? '',
  });
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const { mutation, errors } = useSaveConnection(
    (body: { accountSid: string; authToken?: string; smsFrom?: string; whatsappFrom?: string }) =>
      unwrap(api.PUT('/v1/channel-connections/twilio', { body })),
    () => ({
      accountSid: form.accountSid.trim(),
      ...filled({ authToken: form.authToken, smsFrom: form.smsFrom.trim(), whatsappFrom: form.whatsappFrom.trim() }),
    }),
  );
  return (
    <ConnectionPanel
      provider="twilio"
      connection={c}
      errors={errors}
      save={mutation}
      summary={
        <>
          account {c?.accountId}
          {c?.smsFrom ? `, SMS from ${c.smsFrom}` : ''}
          {c?.whatsappFrom ? `, WhatsApp from ${c.whatsappFrom}` : ''}
        </>
      }
    >
      <TextInput
        label="Account SID"
        name="accountSid"
        value={form.accountSid}
        onChange={set('accountSid')}
        placeholder="AC…"
        autoComplete="off"
        isRequired
        isDisabled={!me.isAdmin}
      />
      <TextInput
        label="Auth token"
        name="authToken"
        type="password"
        value={form.authToken}
        onChange={set('authToken')}
        autoComplete="new-password"
        isRequired={!c}
        description={c ? KEEP_SECRET : NEW_SECRET}
        isDisabled={!me.isAdmin}
      />
      <TextInput
        label="SMS sender"
        name="smsFrom"
        value={form.smsFrom}
        onChange={set('smsFrom')}
        description="A number like +15551234567, or a Messaging Service SID (MG…)."
        autoComplete="off"
        isDisabled={!me.isAdmin}
      />
      <TextInput
        label="WhatsApp sender"
        name="whatsappFrom"
        type="tel"
        value={form.whatsappFrom}
        onChange={set('whatsappFrom')}
        description="The WhatsApp-enabled number, like +15551234567. Give the SMS sender, this, or both."
        autoComplete="off"
        isDisabled={!me.isAdmin}
      />
    </ConnectionPanel>
  );
}

function InstagramConnection(props: { connection: ChannelConnection | undefined }) {
  const me = useMe();
  const c = props.connection;
  const [form, setForm] = useState({ accountId: c?.accountId ?? '', pageAccessToken: '', appSecret: '' });
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const { mutation, errors } = useSaveConnection(
    (body: { accountId: string; pageAccessToken?: string; appSecret?: string }) =>
      unwrap(api.PUT('/v1/channel-connections/instagram', { body })),
    () => ({
      accountId: form.accountId.trim(),
      ...filled({ pageAccessToken: form.pageAccessToken, appSecret: form.appSecret }),
    }),
  );
  return (
    <ConnectionPanel
      provider="instagram"
      connection={c}
      errors={errors}
      save={mutation}
      summary={
        <>
          business account {c?.accountId}
          {c?.verifyToken ? (
            <>
              {' '}
              · webhook verify token for your Meta app: <code>{c.verifyToken}</code>
            </>
          ) : null}
        </>
      }
    >
      <TextInput
        label="Instagram business account id"
        name="accountId"
        value={form.accountId}
        onChange={set('accountId')}
        autoComplete="off"
        isRequired
        isDisabled={!me.isAdmin}
      />
      <TextInput
        label="Page access token"
        name="pageAccessToken"
        type="password"
        value={form.pageAccessToken}
        onChange={set('pageAccessToken')}
        autoComplete="new-password"
        isRequired={!c}
        description={c ? KEEP_SECRET : NEW_SECRET}
        isDisabled={!me.isAdmin}
      />
      <TextInput
        label="App secret"
        name="appSecret"
        type="password"
        value={form.appSecret}
        onChange={set('appSecret')}
        autoComplete="new-password"
        isRequired={!c}
        description={`${c ? KEEP_SECRET : NEW_SECRET} Webhooks from Instagram are verified with it.`}
        isDisabled={!me.isAdmin}
      />
    </ConnectionPanel>
  );
}

function RemoveDialog(props: { provider: Provider; onClose: () => void }) {
  const queryClient = useQueryClient();
  const name = PROVIDER_NAMES[props.provider];
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        props.provider === 'twilio'
          ? api.DELETE('/v1/channel-connections/twilio')
          : api.DELETE('/v1/channel-connections/instagram'),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.channels });
      props.onClose();
    },
  });
  return (
    <ModalDialog title={`Remove the ${name} connection?`} isOpen onOpenChange={(open) => !open && props.onClose()}>
      {(close) => (
        <>
          <p>
            Reminders then go out from the service’s default {name} account, if it has one, and replies to your numbers
            no longer reach your company. The saved credentials are deleted.
          </p>
          <ErrorMessage error={remove.error} title="Not removed" />
          <div className="dialog-actions">
            <span className="spacer" />
            <Button onPress={close}>Cancel</Button>
            <Button variant="danger" onPress={() => remove.mutate()} isDisabled={remove.isPending}>
              Remove
            </Button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}
