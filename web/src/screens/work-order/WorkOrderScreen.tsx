// A work order and its feed (reminders sent through the client's chat appear here too).
import { useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-aria-components';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/queries';
import { Feed } from '../../components/feed';
import { Button, ErrorMessage, Loading, Page } from '../../components/ui';

export default function WorkOrderScreen() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const order = useQuery({
    queryKey: ['work-order', id],
    queryFn: () => unwrap(api.GET('/v1/work-orders/{id}', { params: { path: { id } } })),
  });
  const contactId = order.data?.contactId;
  const contact = useQuery({
    queryKey: keys.contact(contactId ?? ''),
    queryFn: () => unwrap(api.GET('/v1/contacts/{id}', { params: { path: { id: contactId! } } })),
    enabled: Boolean(contactId),
  });
  const feed = useQuery({
    queryKey: ['work-order-activity', id],
    queryFn: () => unwrap(api.GET('/v1/work-orders/{id}/activity', { params: { path: { id }, query: { limit: 50 } } })),
    refetchInterval: 10_000,
  });
  const setStatus = useMutation({
    mutationFn: (status: 'open' | 'closed') =>
      unwrap(api.PATCH('/v1/work-orders/{id}', { params: { path: { id } }, body: { status } })),
    onSuccess: (saved) => queryClient.setQueryData(['work-order', id], saved),
  });
  if (order.isPending) return <Loading what="the work order" />;
  if (order.isError) return <ErrorMessage error={order.error} />;
  const open = order.data.status === 'open';
  return (
    <Page
      title={order.data.title}
      trail={[
        { label: 'Contacts', href: '/contacts' },
        { label: contact.data?.name ?? 'Contact', href: `/contacts/${order.data.contactId}` },
        { label: order.data.title },
      ]}
      actions={
        <Button onPress={() => setStatus.mutate(open ? 'closed' : 'open')} isDisabled={setStatus.isPending}>
          {open ? 'Close work order' : 'Reopen work order'}
        </Button>
      }
    >
      <p className="lead">
        <span className="badge">{open ? 'Open' : 'Closed'}</span> for{' '}
        <Link href={`/contacts/${order.data.contactId}`}>{contact.data?.name ?? 'the contact'}</Link>. Reminders sent
        through the client’s chat appear in the feed of their open work orders.
      </p>
      <ErrorMessage error={setStatus.error} />
      <section className="panel" aria-labelledby="feed">
        <h2 id="feed">Feed</h2>
        {feed.isPending ? (
          <Loading what="the feed" />
        ) : feed.isError ? (
          <ErrorMessage error={feed.error} />
        ) : (
          <Feed entries={feed.data.items} empty="Nothing in this work order's feed yet." />
        )}
      </section>
    </Page>
  );
}
