// Database rows for delivery tests (a company with one contact and one rule, plus chats, work
// orders and a connected mailbox on demand), and the real delivery activity run as a worker would
// run it (Temporal's MockActivityEnvironment). The occurrence is the one the rule really schedules:
// the delivery checks it against the fresh rows.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createReminderActivities, type DeliveryPorts, type ReminderActivities } from '../../src/activities';
import { sharedChannels, type ChannelDirectory } from '../../src/delivery/ports';
import { nextSend } from '../../src/calendar/schedule';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import type { Db } from '../../src/db/client';
import type { DeliveryOutcome, OccurrenceRef } from '../../src/shared/reminder-contract';
import { encryptSecret } from '../../src/security/secret-box';

/** The birthday's occurrence, and its send 3 days ahead at 10:00 Europe/Berlin (the defaults). */
export const OCCURRENCE_DATE = '2030-05-20';
export const SCHEDULED_FOR = '2030-05-17T08:00:00.000Z';
export const DEFAULT_BODY =
  'Hi {{contactName}}, your {{eventLabel}} is on {{eventDate}} (in {{daysUntil}} days). {{companyName}}';
export const DEFAULT_SUBJECT = '{{eventLabel}} reminder from {{companyName}}';

export interface DeliveryFixtureOptions {
  company?: { name?: string; gatewayEmail?: string; whatsappWindowHours?: number; instagramWindowHours?: number };
  contact?: {
    name?: string;
    phone?: string | null;
    email?: string | null;
    smsConsent?: boolean;
    emailConsent?: boolean;
  };
  rule: {
    channel: 'sms' | 'email';
    tryLastChatFirst?: boolean;
    daysInAdvance?: number;
    subjectTemplate?: string | null;
    bodyTemplate?: string;
    /** Send as this connected mailbox; the password is stored sealed with `key`. */
    mailbox?: { address: string; host: string; port: number; user: string; password: string; key: Buffer };
  };
}

export interface DeliveryFixture {
  companyId: string;
  companyName: string;
  ruleId: string;
  contactId: string;
  /** The admin who saved the rule (its owner). */
  userId: string;
  mailboxId?: string;
  ref: OccurrenceRef;
}

/** Defaults: a person client "Ada Lovelace" with phone, email and both consents; the Birthday rule. */
export async function createDeliveryFixture(db: Db, options: DeliveryFixtureOptions): Promise<DeliveryFixture> {
  const companyName = options.company?.name ?? `Acme ${randomUUID().slice(0, 8)}`;
  const { company, user } = await createCompanyWithAdmin(db, { name: companyName, timeZone: 'Europe/Berlin' });
  const { name: _name, ...companySettings } = options.company ?? {};
  if (Object.keys(companySettings).length > 0)
    await db.company.update({ where: { id: company.id }, data: companySettings });
  const field = await db.contactField.findFirstOrThrow({
    where: { companyId: company.id, kind: 'person', key: 'birthday' },
  });
  const c = options.contact ?? {};
  const contact = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      name: c.name ?? 'Ada Lovelace',
      phone: c.phone === undefined ? '+15551234567' : c.phone,
      email: c.email === undefined ? 'ada@example.com' : c.email,
      smsConsent: c.smsConsent ?? true,
      emailConsent: c.emailConsent ?? true,
      fields: { birthday: '1815-05-20' },
    },
  });
  const m = options.rule.mailbox;
  const mailbox = m
    ? await db.mailbox.create({
        data: {
          companyId: company.id,
          address: m.address,
          smtpHost: m.host,
          smtpPort: m.port,
          smtpSecure: false,
          // The stand-in speaks plain SMTP on loopback (the adapter's TLS and host rules have
          // their own tests).
          allowInsecure: true,
          smtpUser: m.user,
          smtpPasswordEncrypted: encryptSecret(m.password, m.key),
        },
      })
    : undefined;
  if (mailbox) await db.mailboxAccess.create({ data: { mailboxId: mailbox.id, userId: user.id } });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthday reminder',
      kind: 'person',
      eventFieldId: field.id,
      channel: options.rule.channel,
      mailboxId: mailbox?.id ?? null,
      // Saved by the admin, who may send from the mailbox (as the API requires).
      ownerUserId: user.id,
      tryLastChatFirst: options.rule.tryLastChatFirst ?? false,
      sendTime: '10:00',
      daysInAdvance: options.rule.daysInAdvance ?? 3,
      subjectTemplate:
        options.rule.subjectTemplate === undefined
          ? options.rule.channel === 'email'
            ? DEFAULT_SUBJECT
            : null
          : options.rule.subjectTemplate,
      bodyTemplate: options.rule.bodyTemplate ?? DEFAULT_BODY,
    },
  });
  return {
    companyId: company.id,
    companyName,
    ruleId: rule.id,
    contactId: contact.id,
    userId: user.id,
    ...(mailbox ? { mailboxId: mailbox.id } : {}),
    ref: {
      companyId: company.id,
      ruleId: rule.id,
      contactId: contact.id,
      occurrenceDate: OCCURRENCE_DATE,
      scheduledFor: sendOf(options.rule.daysInAdvance ?? 3),
    },
  };
}

/** The rule's send for the birthday occurrence, `daysInAdvance` ahead (SCHEDULED_FOR for 3). */
function sendOf(daysInAdvance: number): string {
  const next = nextSend({
    eventValue: OCCURRENCE_DATE.replace(/^\d{4}/, '-'),
    recurrence: 'yearly',
    daysInAdvance,
    sendTime: '10:00',
    timeZone: 'Europe/Berlin',
    leapDayPolicy: 'feb28',
    now: Date.parse('2030-01-01T00:00:00Z'),
  });
  if (!next.ok || next.occurrenceDate !== OCCURRENCE_DATE) throw new Error('fixture calendar mismatch');
  return next.sendAt.toISOString();
}

/** DEFAULT_BODY as rendered for the fixture's defaults. */
export function defaultBodyFor(fx: DeliveryFixture, contactName = 'Ada Lovelace', daysInAdvance = 3): string {
  return `Hi ${contactName}, your Birthday is on ${OCCURRENCE_DATE} (in ${daysInAdvance} days). ${fx.companyName}`;
}

export async function addChat(
  db: Db,
  fx: DeliveryFixture,
  chat: { channel: 'whatsapp' | 'instagram'; address: string; lastInboundAt: Date | null; open?: boolean },
) {
  return db.chat.create({
    data: {
      companyId: fx.companyId,
      contactId: fx.contactId,
      channel: chat.channel,
      address: chat.address,
      lastInboundAt: chat.lastInboundAt,
      open: chat.open ?? true,
    },
  });
}

export async function addWorkOrder(db: Db, fx: DeliveryFixture, order: { title: string; status?: 'open' | 'closed' }) {
  return db.workOrder.create({
    data: { companyId: fx.companyId, contactId: fx.contactId, title: order.title, status: order.status ?? 'open' },
  });
}

// Failed attempts are what several tests expect; they reach the test as the thrown error, so the
// environment's "activity failed" warnings would only be noise.
const activityLogger = new DefaultLogger('ERROR');

/** Runs one activity the way a worker would, in a fresh MockActivityEnvironment. */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: activityLogger }).run(fn, ...args);
}

/** runActivity as attempt number `attempt` (a retry). */
export function runAttempt<A extends unknown[], R>(
  attempt: number,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return new MockActivityEnvironment({ attempt }, { logger: activityLogger }).run(fn, ...args);
}

/** The real activities on the test database, with these senders for every company and the clock
 * pinned at the fixture's send instant (`now`), as the workflow's timer would fire. */
const dbOf = new WeakMap<object, Db>();

export function activitiesFor(
  db: Db,
  ports: DeliveryPorts,
  options: { publicBaseUrl?: string; mailboxSecretKey?: Buffer; now?: Date; channels?: ChannelDirectory } = {},
): ReminderActivities {
  const now = options.now ?? new Date(SCHEDULED_FOR);
  const activities = createReminderActivities({
    db,
    // `ports` for every company, unless a directory says per company.
    channels: options.channels ?? sharedChannels(ports),
    now: () => now,
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
    ...(options.mailboxSecretKey ? { mailboxSecretKey: options.mailboxSecretKey } : {}),
  });
  dbOf.set(activities, db);
  return activities;
}

export interface Delivered {
  outcome: DeliveryOutcome;
  notificationId: string;
}

/** The real delivery activity (`deliverOccurrence`) for the fixture's occurrence, as the workflow
 * calls it; the occurrence must be handled (not re-planned). */
export async function deliver(activities: ReminderActivities, ref: OccurrenceRef): Promise<Delivered> {
  const result = await runActivity(activities.deliverOccurrence, ref);
  if (result.kind !== 'handled') throw new Error(`expected the occurrence to be handled, got a re-plan`);
  return { outcome: result.outcome, notificationId: await notificationIdOf(activities, ref) };
}

async function notificationIdOf(activities: ReminderActivities, ref: OccurrenceRef): Promise<string> {
  const db = dbOf.get(activities);
  if (!db) throw new Error('activities not made by activitiesFor');
  const row = await db.notification.findUniqueOrThrow({
    where: {
      ruleId_contactId_occurrenceDate: {
        ruleId: ref.ruleId,
        contactId: ref.contactId,
        occurrenceDate: ref.occurrenceDate,
      },
    },
  });
  return row.id;
}

/** The contact's feed, oldest first, in a shape convenient to compare. */
export async function contactFeed(db: Db, contactId: string) {
  const entries = await db.activityEntry.findMany({ where: { contactId }, orderBy: { createdAt: 'asc' } });
  return entries.map((e) => ({
    kind: e.kind,
    text: e.text,
    channel: e.channel,
    sender: e.sender,
    chatId: e.chatId,
    notificationId: e.notificationId,
  }));
}
