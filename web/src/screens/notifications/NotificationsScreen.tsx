// Settings › External notifications › Contacts: the notifications for people and for
// organizations, each with "+ Notification" (the product page's step 1).
import { lazy, Suspense, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Switch } from 'react-aria-components';
import { api, unwrap } from '../../api/client';
import { KIND_TITLES, keys, useCompany, useMailboxes } from '../../api/queries';
import type { Company, ContactKind, Mailbox, Rule } from '../../api/types';
import { channelName } from '../../components/format';
import { Button, ErrorMessage, Loading, Page } from '../../components/ui';

const NotificationDialog = lazy(() => import('../notification-dialog/NotificationDialog'));

type Editing = { kind: ContactKind; rule?: Rule } | null;

export default function NotificationsScreen() {
  const [editing, setEditing] = useState<Editing>(null);
  const company = useCompany();
  const mailboxes = useMailboxes();
  return (
    <Page title="Contacts" trail={[{ label: 'Settings' }, { label: 'External notifications' }, { label: 'Contacts' }]}>
      <p className="lead">
        Automatic messages to clients about important dates on their contact record. Notifications are sent to clients
        only, not to employees.
      </p>
      {(['person', 'organization'] as const).map((kind) => (
        <RulesSection
          key={kind}
          kind={kind}
          company={company.data}
          mailboxes={mailboxes.data?.items ?? []}
          onCreate={() => setEditing({ kind })}
          onEdit={(rule) => setEditing({ kind, rule })}
        />
      ))}
      {editing && (
        <Suspense fallback={<Loading what="the notification form" />}>
          <NotificationDialog kind={editing.kind} rule={editing.rule} onClose={() => setEditing(null)} />
        </Suspense>
      )}
    </Page>
  );
}

function RulesSection(props: {
  kind: ContactKind;
  company: Company | undefined;
  mailboxes: Mailbox[];
  onCreate: () => void;
  onEdit: (rule: Rule) => void;
}) {
  const { kind } = props;
  const queryClient = useQueryClient();
  const rules = useQuery({
    queryKey: keys.rules(kind),
    queryFn: () => unwrap(api.GET('/v1/notification-rules', { params: { query: { kind, limit: 200 } } })),
    // While a rule's reminders are being started (its fan-out runs), show the count moving.
    refetchInterval: (query) =>
      query.state.data?.items.some((r) => r.enabled && r.reminders.started < r.reminders.total) ? 1500 : false,
  });
  const toggle = useMutation({
    mutationFn: (input: { id: string; enabled: boolean }) =>
      unwrap(
        api.PATCH('/v1/notification-rules/{id}', {
          params: { path: { id: input.id } },
          body: { enabled: input.enabled },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.rules(kind) }),
  });
  const titles = KIND_TITLES[kind];
  const headingId = `rules-${kind}`;
  const sender = (rule: Rule) =>
    rule.channel !== 'email'
      ? '—'
      : rule.emailSender === 'gateway' || rule.emailSender === null
        ? (props.company?.gatewayEmail ?? 'Gateway address')
        : (props.mailboxes.find((m) => m.id === rule.emailSender)?.address ?? 'Connected mailbox');
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>{titles.section}</h2>
        <Button
          variant="primary"
          onPress={props.onCreate}
          aria-label={`+ Notification ${titles.section.toLowerCase()}`}
        >
          + Notification
        </Button>
      </div>
      {rules.isPending ? (
        <Loading what="notifications" />
      ) : rules.isError ? (
        <ErrorMessage error={rules.error} />
      ) : rules.data.items.length === 0 ? (
        <p className="muted">No notifications for {titles.plural.toLowerCase()} yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Notifications {titles.section.toLowerCase()}</caption>
            <thead>
              <tr>
                <th scope="col">Notification</th>
                <th scope="col">Event</th>
                <th scope="col">Channel</th>
                <th scope="col">Sender</th>
                <th scope="col">Send at</th>
                <th scope="col">In advance</th>
                <th scope="col">Last chat first</th>
                <th scope="col">Reminders</th>
                <th scope="col">Enabled</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((rule) => (
                <tr key={rule.id}>
                  <th scope="row">{rule.name}</th>
                  <td>
                    {rule.eventLabel}
                    {rule.recurrence === 'once' ? ' (once)' : ''}
                  </td>
                  <td>{channelName(rule.channel)}</td>
                  <td>{sender(rule)}</td>
                  <td>
                    {rule.sendTime} <span className="muted">{props.company?.timeZone}</span>
                  </td>
                  <td>{rule.daysInAdvance === 0 ? 'On the day' : `${rule.daysInAdvance} days`}</td>
                  <td>{rule.tryLastChatFirst ? 'Yes' : 'No'}</td>
                  <td>
                    <Reminders rule={rule} />
                  </td>
                  <td>
                    <Switch
                      className="switch"
                      isSelected={rule.enabled}
                      onChange={(enabled) => toggle.mutate({ id: rule.id, enabled })}
                      aria-label={`Enabled: ${rule.name}`}
                    >
                      <span className="track" aria-hidden="true">
                        <span className="thumb" />
                      </span>
                    </Switch>
                  </td>
                  <td>
                    <Button variant="quiet" onPress={() => props.onEdit(rule)} aria-label={`Edit ${rule.name}`}>
                      Edit
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorMessage error={toggle.error} />
    </section>
  );
}

function Reminders(props: { rule: Rule }) {
  const { started, total } = props.rule.reminders;
  if (!props.rule.enabled) return <span className="muted">Off</span>;
  if (started < total)
    return (
      <span role="status">
        {started} / {total} armed
      </span>
    );
  return <span>{total} armed</span>;
}
