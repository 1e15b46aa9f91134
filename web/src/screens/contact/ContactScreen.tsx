// A contact: profile (consents, phone, email, dates), its event feed, its reminders (in the
// company's zone and in UTC), its chats and its work orders.
import { useState } from 'react';
import { useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-aria-components';
import { api, ApiError, unwrap } from '../../api/client';
import { KIND_TITLES, keys, useCompany } from '../../api/queries';
import type { Contact, ContactReminder } from '../../api/types';
import { Feed } from '../../components/feed';
import { ApiForm, SelectInput, TextInput } from '../../components/fields';
import { channelName, dateTime, localWallClock, utcTime } from '../../components/format';
import { Button, ErrorMessage, Loading, Page } from '../../components/ui';
import { ContactEditor } from './ContactEditor';

export default function ContactScreen() {
  const { id = '' } = useParams();
  const contact = useQuery({
    queryKey: keys.contact(id),
    queryFn: () => unwrap(api.GET('/v1/contacts/{id}', { params: { path: { id } } })),
  });
  if (contact.isPending) return <Loading what="the contact" />;
  if (contact.isError) return <ErrorMessage error={contact.error} />;
  const c = contact.data;
  const plural = KIND_TITLES[c.kind].plural;
  return (
    <Page
      title={c.name}
      trail={[{ label: 'Contacts', href: `/contacts?kind=${c.kind}` }, { label: plural }, { label: c.name }]}
    >
      <div className="columns">
        <section className="panel" aria-labelledby="profile">
          <h2 id="profile">Profile</h2>
          <ContactEditor key={c.updatedAt} kind={c.kind} contact={c} onSaved={() => undefined} />
        </section>
        <div>
          <Reminders contact={c} />
          <Chats contact={c} />
          <WorkOrders contact={c} />
        </div>
      </div>
      <ActivityFeed contact={c} />
    </Page>
  );
}

function ActivityFeed(props: { contact: Contact }) {
  const feed = useQuery({
    queryKey: ['contact-activity', props.contact.id],
    queryFn: () =>
      unwrap(
        api.GET('/v1/contacts/{id}/activity', { params: { path: { id: props.contact.id }, query: { limit: 50 } } }),
      ),
    // Reminders land while the page is open.
    refetchInterval: 10_000,
  });
  return (
    <section className="panel" aria-labelledby="feed">
      <h2 id="feed">Event feed</h2>
      {feed.isPending ? (
        <Loading what="the feed" />
      ) : feed.isError ? (
        <ErrorMessage error={feed.error} />
      ) : (
        <Feed entries={feed.data.items} empty="Nothing has happened yet: sends, skips and failures appear here." />
      )}
    </section>
  );
}

/** Why a rule has nothing scheduled for this contact, in the words of the contact page. */
const NOT_SCHEDULED: Record<string, string> = {
  'reminder-missing': 'no reminder is running yet (it starts shortly, or the reconciler restores it)',
  'no-event-date': 'the contact has no date for this event',
  'contact-not-client': 'employees get no notifications',
  'once-rule-in-past': 'the date has passed',
};

function ReminderStatus(props: { reminder: ContactReminder }) {
  const r = props.reminder;
  if (r.status === 'pending') return <>{r.replanPending ? 'Pending (re-planning after a change)' : 'Pending'}</>;
  return <>Not scheduled: {NOT_SCHEDULED[r.reason ?? ''] ?? r.reason}</>;
}

function LastOutcome(props: { outcome: ContactReminder['lastOutcome'] }) {
  const o = props.outcome;
  if (!o) return <span className="muted">none yet</span>;
  const what = { sent: 'Sent', skipped: 'Skipped', failed: 'Failed', 'in-progress': 'Sending' }[o.status];
  return (
    <>
      {what}
      {o.reason ? ` (${o.reason})` : ''} for {o.occurrenceDate}
    </>
  );
}

function Reminders(props: { contact: Contact }) {
  const company = useCompany();
  const reminders = useQuery({
    queryKey: ['contact-reminders', props.contact.id],
    queryFn: () => unwrap(api.GET('/v1/contacts/{id}/reminders', { params: { path: { id: props.contact.id } } })),
    // Polled with the feed, so a send that lands in the feed also moves its reminder on.
    refetchInterval: 10_000,
  });
  return (
    <section className="panel" aria-labelledby="reminders">
      <h2 id="reminders">Reminders</h2>
      {reminders.isPending ? (
        <Loading what="reminders" />
      ) : reminders.isError ? (
        <ErrorMessage error={reminders.error} />
      ) : reminders.data.items.length === 0 ? (
        <p className="muted">No notification applies to this contact.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Reminders</caption>
          <thead>
            <tr>
              <th scope="col">Notification</th>
              <th scope="col">Status</th>
              <th scope="col">Event date</th>
              <th scope="col">Sends at ({company.data?.timeZone ?? 'company time'})</th>
              <th scope="col">UTC</th>
              <th scope="col">Last outcome</th>
            </tr>
          </thead>
          <tbody>
            {reminders.data.items.map((r) => (
              <tr key={r.workflowId}>
                <th scope="row">
                  <Link href="/settings/notifications/contacts">{r.ruleName}</Link>
                </th>
                <td>
                  <ReminderStatus reminder={r} />
                </td>
                <td>{r.occurrenceDate ?? '—'}</td>
                <td>{r.sendAtLocal ? localWallClock(r.sendAtLocal) : '—'}</td>
                <td>{r.sendAt ? utcTime(r.sendAt) : '—'}</td>
                <td>
                  <LastOutcome outcome={r.lastOutcome} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Chats(props: { contact: Contact }) {
  const queryClient = useQueryClient();
  const chats = useQuery({
    queryKey: ['contact-chats', props.contact.id],
    queryFn: () => unwrap(api.GET('/v1/chats', { params: { query: { contactId: props.contact.id } } })),
  });
  const [channel, setChannel] = useState('whatsapp');
  const [address, setAddress] = useState(props.contact.phone ?? '');
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/chats', {
          body: { contactId: props.contact.id, channel: channel as 'whatsapp' | 'instagram', address },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['contact-chats', props.contact.id] }),
  });
  return (
    <section className="panel" aria-labelledby="chats">
      <h2 id="chats">Chats</h2>
      {chats.isPending ? (
        <Loading what="chats" />
      ) : chats.isError ? (
        <ErrorMessage error={chats.error} />
      ) : chats.data.items.length === 0 ? (
        <p className="muted">No chats.</p>
      ) : (
        <ul className="plain-list">
          {chats.data.items.map((chat) => (
            <li key={chat.id}>
              <Link href={`/chats/${chat.id}`}>
                {channelName(chat.channel)} {chat.address}
              </Link>{' '}
              <span className="muted small">
                {chat.lastInboundAt
                  ? `last message from the client ${dateTime(chat.lastInboundAt)}`
                  : 'the client has not written'}
                {chat.open ? '' : ' · closed'}
              </span>
            </li>
          ))}
        </ul>
      )}
      <ApiForm
        className="inline-form"
        aria-label="Register a chat"
        errors={add.error instanceof ApiError ? add.error.fieldErrors() : {}}
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <SelectInput
          label="Channel"
          name="channel"
          value={channel}
          onChange={setChannel}
          options={[
            { id: 'whatsapp', label: 'WhatsApp' },
            { id: 'instagram', label: 'Instagram' },
          ]}
        />
        <TextInput label="Chat address" name="address" value={address} onChange={setAddress} isRequired />
        <Button type="submit" isDisabled={!address.trim() || add.isPending}>
          Register chat
        </Button>
      </ApiForm>
      {add.error instanceof ApiError && add.error.details.length === 0 && <ErrorMessage error={add.error} />}
    </section>
  );
}

function WorkOrders(props: { contact: Contact }) {
  const queryClient = useQueryClient();
  const orders = useQuery({
    queryKey: ['contact-work-orders', props.contact.id],
    queryFn: () => unwrap(api.GET('/v1/work-orders', { params: { query: { contactId: props.contact.id } } })),
  });
  const [title, setTitle] = useState('');
  const add = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/work-orders', { body: { contactId: props.contact.id, title } })),
    onSuccess: async () => {
      setTitle('');
      await queryClient.invalidateQueries({ queryKey: ['contact-work-orders', props.contact.id] });
    },
  });
  return (
    <section className="panel" aria-labelledby="work-orders">
      <h2 id="work-orders">Work orders</h2>
      {orders.isPending ? (
        <Loading what="work orders" />
      ) : orders.isError ? (
        <ErrorMessage error={orders.error} />
      ) : orders.data.items.length === 0 ? (
        <p className="muted">No work orders.</p>
      ) : (
        <ul className="plain-list">
          {orders.data.items.map((order) => (
            <li key={order.id}>
              <Link href={`/work-orders/${order.id}`}>{order.title}</Link>{' '}
              <span className="badge">{order.status === 'open' ? 'Open' : 'Closed'}</span>
            </li>
          ))}
        </ul>
      )}
      <ApiForm
        className="inline-form"
        aria-label="New work order"
        errors={add.error instanceof ApiError ? add.error.fieldErrors() : {}}
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <TextInput label="New work order" name="title" value={title} onChange={setTitle} isRequired />
        <Button type="submit" isDisabled={!title.trim() || add.isPending}>
          Add work order
        </Button>
      </ApiForm>
    </section>
  );
}
