// Dates and times as the console shows them: in the company's zone (named), and in UTC.

const UTC = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  dateStyle: 'medium',
  timeStyle: 'short',
});

/** "4 Dec 2026, 09:00 UTC". */
export function utcTime(iso: string): string {
  return `${UTC.format(new Date(iso))} UTC`;
}

/** "4 Dec 2026, 10:00 (Europe/Berlin)". */
export function zonedTime(iso: string, timeZone: string): string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
  return `${format.format(new Date(iso))} (${timeZone})`;
}

/** A local wall-clock ISO string (`2026-12-04T10:00:00.000+01:00`) as "2026-12-04 10:00 +01:00". */
export function localWallClock(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?([+-]\d{2}:\d{2}|Z)$/.exec(iso);
  return match ? `${match[1]} ${match[2]} ${match[3] === 'Z' ? 'UTC' : match[3]}` : iso;
}

export function dateTime(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export const CHANNEL_NAMES: Record<string, string> = {
  whatsapp: 'WhatsApp',
  instagram: 'Instagram',
  sms: 'SMS',
  email: 'Email',
};

export function channelName(channel: string | null | undefined): string {
  return channel ? (CHANNEL_NAMES[channel] ?? channel) : '—';
}

/** The feed's and ledger's reason codes, in words. */
const REASONS: Record<string, string> = {
  'no-sms-consent': 'the client has not agreed to SMS',
  'no-phone': 'the contact has no phone number',
  'no-email-consent': 'the client has not agreed to receive email',
  'no-email-address': 'the contact has no email address',
  'no-event-date': 'the contact has no date for this event',
  'no-upcoming-date': 'the event has no upcoming date',
  'contact-not-client': 'the contact is an employee (notifications go to clients only)',
  'contact-kind-mismatch': 'the contact is of the other kind',
  'rule-disabled': 'the notification is disabled',
  stale: 'it fell due too long ago (beyond the late-send grace)',
  'unsubscribed-from-rule': 'the client unsubscribed from these reminders',
  'sender-access-revoked': 'you may not send from this mailbox',
  'sms-not-configured': 'SMS is not configured',
  'email-not-configured': 'email is not configured',
  'no-chat': 'the client has no chat',
  'chat-closed': 'the last chat is closed',
  'chat-window-closed': 'the last chat’s reply window is closed',
  'whatsapp-not-configured': 'WhatsApp is not configured',
  'instagram-not-configured': 'Instagram is not configured',
};

export function reasonText(reason: string | null | undefined): string {
  return reason ? (REASONS[reason] ?? reason) : '';
}
