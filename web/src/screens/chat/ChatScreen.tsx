// A chat: the conversation with the client, reminder sends included, oldest first.
import { useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-aria-components';
import { api, unwrap } from '../../api/client';
import { keys, useCompany } from '../../api/queries';
import { channelName, dateTime } from '../../components/format';
import { ErrorMessage, Loading, Page } from '../../components/ui';

export default function ChatScreen() {
  const { id = '' } = useParams();
  const company = useCompany();
  const chat = useQuery({
    queryKey: ['chat', id],
    queryFn: () => unwrap(api.GET('/v1/chats/{id}', { params: { path: { id } } })),
  });
  const contactId = chat.data?.contactId;
  const contact = useQuery({
    queryKey: keys.contact(contactId ?? ''),
    queryFn: () => unwrap(api.GET('/v1/contacts/{id}', { params: { path: { id: contactId! } } })),
    enabled: Boolean(contactId),
  });
  const messages = useQuery({
    queryKey: ['chat-messages', id],
    queryFn: () => unwrap(api.GET('/v1/chats/{id}/messages', { params: { path: { id }, query: { limit: 100 } } })),
    refetchInterval: 10_000,
  });
  if (chat.isPending) return <Loading what="the chat" />;
  if (chat.isError) return <ErrorMessage error={chat.error} />;
  const title = `${channelName(chat.data.channel)} chat ${chat.data.address}`;
  const windowHours =
    chat.data.channel === 'whatsapp' ? company.data?.whatsappWindowHours : company.data?.instagramWindowHours;
  const openUntil =
    chat.data.lastInboundAt && windowHours
      ? new Date(new Date(chat.data.lastInboundAt).getTime() + windowHours * 3_600_000)
      : null;
  return (
    <Page
      title={title}
      trail={[
        { label: 'Contacts', href: '/contacts' },
        { label: contact.data?.name ?? 'Contact', href: `/contacts/${chat.data.contactId}` },
        { label: title },
      ]}
    >
      <p className="lead">
        With <Link href={`/contacts/${chat.data.contactId}`}>{contact.data?.name ?? 'the contact'}</Link>.{' '}
        {openUntil
          ? openUntil.getTime() > chat.dataUpdatedAt
            ? `Open for free-form messages until ${dateTime(openUntil.toISOString())}.`
            : `Closed since ${dateTime(openUntil.toISOString())} (no message from the client since).`
          : 'The client has not written yet, so reminders do not go here.'}
      </p>
      <section className="panel" aria-labelledby="messages">
        <h2 id="messages">Messages</h2>
        {messages.isPending ? (
          <Loading what="messages" />
        ) : messages.isError ? (
          <ErrorMessage error={messages.error} />
        ) : messages.data.items.length === 0 ? (
          <p className="muted">No messages.</p>
        ) : (
          <ol className="conversation">
            {[...messages.data.items].reverse().map((m) => (
              <li key={m.id} className={m.direction === 'outbound' ? 'outbound' : 'inbound'}>
                <span className="visually-hidden">
                  {m.direction === 'outbound' ? 'Sent by us' : 'From the client'}:{' '}
                </span>
                <p>{m.text}</p>
                <time dateTime={m.createdAt}>{dateTime(m.createdAt)}</time>
              </li>
            ))}
          </ol>
        )}
      </section>
    </Page>
  );
}
