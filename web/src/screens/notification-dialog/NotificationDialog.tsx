// The notification dialog (create and edit): the product page's steps 2–8 — event, SMS or Email
// with the sender, last chat first with its warning, send at in the company's zone, send in
// advance, the message with its variables and a live preview for a chosen contact, then Save.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-aria-components';
import { api, ApiError, unwrap } from '../../api/client';
import { KIND_TITLES, keys, useCompany, useContacts } from '../../api/queries';
import type { Company, ContactKind, Rule, RuleDraft, RulePreview } from '../../api/types';
import {
  ApiForm,
  CheckboxInput,
  ComboBoxInput,
  FieldErrors,
  NumberInput,
  RadioInput,
  SelectInput,
  TextAreaInput,
  TextInput,
} from '../../components/fields';
import { channelName, localWallClock, reasonText, utcTime } from '../../components/format';
import { Button, ErrorMessage, Loading, ModalDialog } from '../../components/ui';

interface Draft {
  name: string;
  eventFieldId: string | null;
  recurrence: 'yearly' | 'once';
  channel: 'sms' | 'email';
  emailSender: string;
  tryLastChatFirst: boolean;
  sendTime: string;
  inAdvance: boolean;
  daysInAdvance: number;
  subjectTemplate: string;
  bodyTemplate: string;
  enabled: boolean;
}

const DEFAULT_BODY = 'Hello {{contactName}}, a reminder of your {{eventLabel}} on {{eventDate}}. — {{companyName}}';
const DEFAULT_SUBJECT = '{{eventLabel}}: {{eventDate}}';

function initialDraft(rule: Rule | undefined): Draft {
  if (!rule)
    return {
      name: '',
      eventFieldId: null,
      recurrence: 'yearly',
      channel: 'sms',
      emailSender: 'gateway',
      tryLastChatFirst: false,
      sendTime: '09:00',
      inAdvance: false,
      daysInAdvance: 1,
      subjectTemplate: DEFAULT_SUBJECT,
      bodyTemplate: DEFAULT_BODY,
      enabled: true,
    };
  return {
    name: rule.name,
    eventFieldId: rule.eventFieldId,
    recurrence: rule.recurrence,
    channel: rule.channel,
    emailSender: rule.emailSender ?? 'gateway',
    tryLastChatFirst: rule.tryLastChatFirst,
    sendTime: rule.sendTime,
    inAdvance: rule.daysInAdvance > 0,
    daysInAdvance: rule.daysInAdvance > 0 ? rule.daysInAdvance : 1,
    subjectTemplate: rule.subjectTemplate ?? DEFAULT_SUBJECT,
    bodyTemplate: rule.bodyTemplate,
    enabled: rule.enabled,
  };
}

/** The rule's fields as the API takes them (days only when sent in advance; email-only fields). */
function ruleFields(draft: Draft) {
  return {
    name: draft.name,
    eventFieldId: draft.eventFieldId ?? '',
    recurrence: draft.recurrence,
    channel: draft.channel,
    tryLastChatFirst: draft.tryLastChatFirst,
    sendTime: draft.sendTime,
    daysInAdvance: draft.inAdvance ? draft.daysInAdvance : 0,
    bodyTemplate: draft.bodyTemplate,
    enabled: draft.enabled,
  };
}

export default function NotificationDialog(props: { kind: ContactKind; rule?: Rule; onClose: () => void }) {
  const titles = KIND_TITLES[props.kind];
  return (
    <ModalDialog
      title={
        props.rule
          ? `Edit notification ${titles.section.toLowerCase()}`
          : `New notification ${titles.section.toLowerCase()}`
      }
      isOpen
      wide
      onOpenChange={(open) => !open && props.onClose()}
    >
      {(close) => <NotificationForm {...props} onClose={close} />}
    </ModalDialog>
  );
}

function NotificationForm(props: { kind: ContactKind; rule?: Rule; onClose: () => void }) {
  const { kind, rule } = props;
  const queryClient = useQueryClient();
  const company = useCompany();
  const [edited, setDraft] = useState<Draft>(() => initialDraft(rule));
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const events = useQuery({
    queryKey: keys.events(kind),
    queryFn: () => unwrap(api.GET('/v1/notification-events', { params: { query: { kind } } })),
  });
  const senders = useQuery({
    queryKey: keys.senders,
    queryFn: () => unwrap(api.GET('/v1/notification-rules/email-senders')),
  });
  const variables = useQuery({
    queryKey: ['template-variables'],
    queryFn: () => unwrap(api.GET('/v1/notification-rules/template-variables')),
    staleTime: Infinity,
  });
  // A new notification starts on the form's first event (Birthday for people).
  const draft = { ...edited, eventFieldId: edited.eventFieldId ?? events.data?.items[0]?.fieldId ?? null };

  const save = useMutation({
    mutationFn: async () => {
      const fields = ruleFields(draft);
      const email =
        draft.channel === 'email'
          ? { emailSender: draft.emailSender, subjectTemplate: draft.subjectTemplate }
          : { emailSender: null, subjectTemplate: null };
      if (rule)
        return unwrap(
          api.PATCH('/v1/notification-rules/{id}', {
            params: { path: { id: rule.id } },
            body: { ...fields, ...email },
          }),
        );
      return unwrap(
        api.POST('/v1/notification-rules', {
          body: {
            ...fields,
            kind,
            ...(draft.channel === 'email'
              ? { emailSender: draft.emailSender, subjectTemplate: draft.subjectTemplate }
              : {}),
          },
        }),
      );
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.allRules });
      props.onClose();
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/notification-rules/{id}', { params: { path: { id: rule!.id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.allRules });
      props.onClose();
    },
  });
  const [confirmDelete, setConfirmDelete] = useState(false);

  const errors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  if (save.error instanceof ApiError && save.error.status === 403 && draft.channel === 'email')
    errors.emailSender = save.error.message;
  const unplaced = save.error && Object.keys(errors).length === 0 ? save.error : null;

  // "Insert a variable" puts it at the message's caret (kept by the textarea while the button has focus).
  const message = useRef<HTMLTextAreaElement>(null);
  const insert = (name: string) => {
    const text = draft.bodyTemplate;
    const [from, to] = message.current
      ? [message.current.selectionStart, message.current.selectionEnd]
      : [text.length, text.length];
    setDraft((d) => ({ ...d, bodyTemplate: text.slice(0, from) + `{{${name}}}` + text.slice(to) }));
  };

  const warningId = useId();
  const windows = company.data ? chatWindows(company.data) : '';
  const selectedEvent = events.data?.items.find((e) => e.fieldId === draft.eventFieldId);

  return (
    <ApiForm
      className="notification-form"
      errors={errors}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className="dialog-columns">
        <div className="dialog-main">
          <TextInput label="Name" name="name" value={draft.name} onChange={set('name')} isRequired />
          {events.isPending ? (
            <Loading what="events" />
          ) : (
            <SelectInput
              label="Event"
              name="eventFieldId"
              value={draft.eventFieldId}
              onChange={set('eventFieldId')}
              options={(events.data?.items ?? []).map((e) => ({
                id: e.fieldId,
                label: e.label,
                description: e.system ? 'System field' : undefined,
              }))}
              description={
                <>
                  Every Date field of the {titles(kind)} contact form.{' '}
                  <Link href="/settings/contact-form">Edit the contact form</Link>
                </>
              }
              isRequired
            />
          )}
          <SelectInput
            label="Repeats"
            name="recurrence"
            value={draft.recurrence}
            onChange={(v) => set('recurrence')(v as Draft['recurrence'])}
            options={[
              { id: 'yearly', label: 'Every year' },
              { id: 'once', label: 'Once (dates with a year only)' },
            ]}
          />
          <RadioInput
            label="Send via"
            name="channel"
            value={draft.channel}
            onChange={(v) => set('channel')(v as Draft['channel'])}
            options={[
              { id: 'sms', label: 'SMS', description: 'Sent only if “SMS” is checked in the client profile.' },
              {
                id: 'email',
                label: 'Email',
                description: 'Sent only if “Agree to receive Email” is checked in the client profile.',
              },
            ]}
          />
          {draft.channel === 'email' && (
            <div className="subfield">
              <SelectInput
                label="Send from"
                name="emailSender"
                value={draft.emailSender}
                onChange={set('emailSender')}
                options={(senders.data?.items ?? []).map((s) => ({
                  id: s.emailSender,
                  label: s.address,
                  description: s.kind === 'gateway' ? 'Gateway address' : 'Connected mailbox',
                }))}
              />
              {senders.data?.connectMailbox && (
                <p className="note">
                  {senders.data.connectMailbox.message} <Link href="/settings/mailboxes">Connect a mailbox</Link>
                </p>
              )}
            </div>
          )}
          <div className="last-chat">
            <CheckboxInput
              value={draft.tryLastChatFirst}
              onChange={set('tryLastChatFirst')}
              name="tryLastChatFirst"
              aria-describedby={warningId}
            >
              Try sending via the contact’s last chat first
            </CheckboxInput>
            <p className="muted small">
              The notification goes to the last open chat with the client; if there is none, it is sent by{' '}
              {channelName(draft.channel)}. {windows}
            </p>
            <p className="warning" id={warningId}>
              <strong>Important:</strong> Use this feature only for important notifications. An excessive number of
              messages may result in the blocking of the phone number or account associated with the chat channel.
            </p>
          </div>
          <TextInput
            label="Send at"
            name="sendTime"
            type="time"
            value={draft.sendTime}
            onChange={set('sendTime')}
            isRequired
            description={company.data ? `In your company’s time zone: ${company.data.timeZone}` : undefined}
          />
          <CheckboxInput value={draft.inAdvance} onChange={set('inAdvance')}>
            Send in advance
          </CheckboxInput>
          {draft.inAdvance && (
            <NumberInput
              label="Days before the event"
              name="daysInAdvance"
              value={draft.daysInAdvance}
              onChange={set('daysInAdvance')}
              minValue={1}
              maxValue={365}
            />
          )}
          {draft.channel === 'email' && (
            <TextInput
              label="Subject"
              name="subjectTemplate"
              value={draft.subjectTemplate}
              onChange={set('subjectTemplate')}
            />
          )}
          <TextAreaInput
            label="Message"
            name="bodyTemplate"
            value={draft.bodyTemplate}
            onChange={set('bodyTemplate')}
            textAreaRef={message}
            isRequired
          />
          <div className="variables" role="group" aria-label="Insert a variable">
            <span className="muted small">Insert into the message:</span>
            {(variables.data?.items ?? []).map((v) => (
              <Button
                key={v.name}
                variant="quiet"
                className="chip"
                onPress={() => insert(v.name)}
                aria-label={`Insert {{${v.name}}}: ${v.description}`}
              >
                {`{{${v.name}}}`}
              </Button>
            ))}
          </div>
          <CheckboxInput value={draft.enabled} onChange={set('enabled')} name="enabled">
            Enabled
          </CheckboxInput>
        </div>
        <Preview kind={kind} draft={draft} eventLabel={selectedEvent?.label} company={company.data} />
      </div>
      {unplaced && <ErrorMessage error={unplaced} title="Not saved" />}
      {Object.keys(errors).length > 0 && (
        <p className="error-text" role="alert">
          Not saved: check the highlighted fields.
        </p>
      )}
      <div className="dialog-actions">
        {rule &&
          (confirmDelete ? (
            <Button variant="danger" onPress={() => remove.mutate()} isDisabled={remove.isPending}>
              Confirm delete
            </Button>
          ) : (
            <Button variant="quiet" onPress={() => setConfirmDelete(true)}>
              Delete notification
            </Button>
          ))}
        <span className="spacer" />
        <Button variant="secondary" onPress={props.onClose}>
          Cancel
        </Button>
        <Button variant="primary" type="submit" isDisabled={save.isPending}>
          Save
        </Button>
      </div>
      <ErrorMessage error={remove.error} />
    </ApiForm>
  );
}

function titles(kind: ContactKind): string {
  return KIND_TITLES[kind].singular;
}

function chatWindows(company: Company): string {
  const days = (hours: number) => (hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hours`);
  return `A WhatsApp chat stays open for ${company.whatsappWindowHours} hours after the client’s last message; an Instagram chat for ${days(company.instagramWindowHours)} (company settings).`;
}

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

/** The form as the API's draft rule, once it has what a draft needs (event, message, a time). */
function ruleDraftOf(kind: ContactKind, draft: Draft): RuleDraft | null {
  return draft.eventFieldId && draft.bodyTemplate.trim() && /^\d{2}:\d{2}$/.test(draft.sendTime)
    ? {
        kind,
        eventFieldId: draft.eventFieldId,
        recurrence: draft.recurrence,
        channel: draft.channel,
        tryLastChatFirst: draft.tryLastChatFirst,
        sendTime: draft.sendTime,
        daysInAdvance: draft.inAdvance ? draft.daysInAdvance : 0,
        bodyTemplate: draft.bodyTemplate,
        ...(draft.channel === 'email'
          ? {
              emailSender: draft.emailSender,
              ...(draft.subjectTemplate ? { subjectTemplate: draft.subjectTemplate } : {}),
            }
          : {}),
      }
    : null;
}

/** The message one contact would get, when, and by which way — for the form as it is now. */
function Preview(props: {
  kind: ContactKind;
  draft: Draft;
  eventLabel: string | undefined;
  company: Company | undefined;
}) {
  const [search, setSearch] = useState('');
  const [contactId, setContactId] = useState<string | null>(null);
  const contacts = useContacts(props.kind, search);
  const options = useMemo(
    () => (contacts.data?.items ?? []).map((c) => ({ id: c.id, label: c.name })),
    [contacts.data],
  );
  const rule = ruleDraftOf(props.kind, useDebounced(props.draft, 300));
  const preview = useQuery({
    queryKey: ['rule-preview', contactId, rule],
    queryFn: () =>
      unwrap(api.POST('/v1/notification-rules/preview', { body: { contactId: contactId!, rule: rule!, count: 3 } })),
    enabled: Boolean(contactId && rule),
    placeholderData: (previous) => previous,
    staleTime: 0,
  });
  const zone = props.company?.timeZone ?? '';
  return (
    <aside className="preview" aria-labelledby="preview-title">
      <h3 id="preview-title">Preview</h3>
      <ComboBoxInput
        label="Preview for contact"
        value={contactId}
        onChange={setContactId}
        inputValue={search}
        onInputChange={setSearch}
        options={options}
        placeholder={`Search ${KIND_TITLES[props.kind].plural.toLowerCase()}`}
      />
      {!contactId ? (
        <p className="muted small">Choose a contact to see the message, the next three sends and the route.</p>
      ) : preview.isError ? (
        <ErrorMessage error={preview.error} title="No preview" />
      ) : !preview.data ? (
        <Loading what="the preview" />
      ) : (
        <div aria-live="polite">
          {preview.data.subject !== null && (
            <p>
              <span className="label">Subject</span> {preview.data.subject}
            </p>
          )}
          <p className="message-preview">{preview.data.body}</p>
          <h4>Route</h4>
          <Route route={preview.data.route} />
          <h4>Next sends</h4>
          {preview.data.sends.length === 0 ? (
            <p className="muted">None: {reasonText(preview.data.reason)}.</p>
          ) : (
            <ol className="sends">
              {preview.data.sends.map((s) => (
                <li key={s.sendAt}>
                  {localWallClock(s.sendAtLocal)} <span className="muted">({zone})</span> ={' '}
                  <span>{utcTime(s.sendAt)}</span>
                  <span className="muted small">
                    {' '}
                    · {props.eventLabel ?? 'event'} {s.occurrenceDate}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
      <SendTest rule={ruleDraftOf(props.kind, props.draft)} contactId={contactId} />
    </aside>
  );
}

/** "Send test": the draft as it is now, rendered (for the preview's contact, if one is chosen) and
 * sent once to a phone or address the user types. The API keeps no record of it besides the answer. */
function SendTest(props: { rule: RuleDraft | null; contactId: string | null }) {
  const { rule } = props;
  const sms = rule?.channel !== 'email';
  const [to, setTo] = useState('');
  const send = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/notification-rules/test-send', {
          body: { rule: rule!, to, ...(props.contactId ? { contactId: props.contactId } : {}) },
        }),
      ),
  });
  const errors = send.error instanceof ApiError ? send.error.fieldErrors() : {};
  const unplaced = send.error && !errors.to ? send.error : null;
  return (
    <div className="test-send">
      <h4>Send test</h4>
      <FieldErrors errors={errors}>
        <TextInput
          label={sms ? 'Test phone number' : 'Test email address'}
          name="to"
          type={sms ? 'tel' : 'email'}
          value={to}
          onChange={setTo}
          placeholder={sms ? '+15551234567' : 'you@example.com'}
          description="Sent once, now, as a test: not recorded in the client’s feed or the delivery log."
        />
      </FieldErrors>
      <Button onPress={() => send.mutate()} isDisabled={!rule || !to.trim() || send.isPending}>
        {send.isPending ? 'Sending…' : 'Send test'}
      </Button>
      {send.isSuccess && (
        <p className="note" role="status">
          Test sent to {send.data.to}
          {send.data.from ? ` from ${send.data.from}` : ''} (provider id {send.data.providerMessageId}).
        </p>
      )}
      <ErrorMessage error={unplaced} title="Not sent" />
    </div>
  );
}

function Route(props: { route: RulePreview['route'] }) {
  const { route } = props;
  return (
    <>
      {route.via === null ? (
        <p>Would not be sent: {reasonText(route.reason)}.</p>
      ) : route.chatId ? (
        <p>
          Via the last chat: {channelName(route.via)} {route.to} (
          <Link href={`/chats/${route.chatId}`}>open the chat</Link>)
        </p>
      ) : route.via === 'email' ? (
        <p>
          By email to {route.to}, from {route.from}
        </p>
      ) : (
        <p>By SMS to {route.to}</p>
      )}
      {route.chatSkipped && <p className="muted small">Last chat not used: {reasonText(route.chatSkipped)}.</p>}
    </>
  );
}
