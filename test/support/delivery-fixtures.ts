// Database rows for delivery-step tests (a company with one contact and one rule, plus chats,
// work orders and a connected mailbox on demand), and `deliverStep`, which calls the delivery
// activities in Temporal's MockActivityEnvironment in the order the reminder workflow does.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { DispatchResult, ReminderActivities } from '../../src/activities';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import type { Db } from '../../src/db/client';
import type { DeliveryOutcome, OccurrenceRef } from '../../src/shared/reminder-contract';
import { encryptSecret } from '../../src/security/secret-box';

export const OCCURRENCE_DATE = '2030-05-17';
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
  mailboxId?: string;
  ref: OccurrenceRef;
}

/** Defaults: a person client "Ada Lovelace" with phone, email and both consents; the Birthday rule. */
export async function createDeliveryFixture(db: Db, options: DeliveryFixtureOptions): Promise<DeliveryFixture> {
  const companyName = options.company?.name ?? `Acme ${randomUUID().slice(0, 8)}`;
  const { company } = await createCompanyWithAdmin(db, { name: companyName, timeZone: 'Europe/Berlin' });
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
      fields: { birthday: '1815-12-10' },
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
          smtpUser: m.user,
          smtpPasswordEncrypted: encryptSecret(m.password, m.key),
        },
      })
    : undefined;
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthday reminder',
      kind: 'person',
      eventFieldId: field.id,
      channel: options.rule.channel,
      mailboxId: mailbox?.id ?? null,
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
    ...(mailbox ? { mailboxId: mailbox.id } : {}),
    ref: {
      companyId: company.id,
      ruleId: rule.id,
      contactId: contact.id,
      occurrenceDate: OCCURRENCE_DATE,
      scheduledFor: SCHEDULED_FOR,
    },
  };
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

export interface DeliveryStep {
  outcome: DeliveryOutcome;
  notificationId: string;
  /** The results of each dispatch call, in order (chat first when it was tried). */
  dispatches: Array<{ route: 'chat' | 'rule-channel'; result: DispatchResult }>;
  fallbackReason?: string;
}

/**
 * The delivery step as `deliver` in src/workflows/reminder.ts orders it (not stale): ledger row,
 * then — when the rule asks — the chat-window check and a dispatch through the chat, then the
 * rule's channel unless the chat took it, then the feed. Each activity runs in
 * MockActivityEnvironment; the workflow itself is covered by the workflow tests.
 */
export async function deliverStep(
  activities: ReminderActivities,
  ref: OccurrenceRef,
  at: Date = new Date(),
): Promise<DeliveryStep> {
  const ledger = await runActivity(activities.beginDelivery, ref);
  const dispatches: DeliveryStep['dispatches'] = [];
  if (ledger.existingOutcome)
    return { outcome: ledger.existingOutcome, notificationId: ledger.notificationId, dispatches };
  const base = { ...ref, notificationId: ledger.notificationId };

  let fallbackReason: string | undefined;
  if (ledger.tryLastChatFirst) {
    const chat = await runActivity(activities.checkChatWindow, {
      companyId: ref.companyId,
      ruleId: ref.ruleId,
      contactId: ref.contactId,
      at: at.toISOString(),
    });
    if (chat) {
      const viaChat = await runActivity(activities.dispatch, { ...base, route: { kind: 'chat', chatId: chat.chatId } });
      dispatches.push({ route: 'chat', result: viaChat });
      if (viaChat.status !== 'fallback') {
        const outcome = await runActivity(activities.recordOutcome, { ...base, result: viaChat });
        return { outcome, notificationId: ledger.notificationId, dispatches };
      }
      fallbackReason = viaChat.reason;
    } else {
      fallbackReason = 'no-open-chat';
    }
  }
  const result = await runActivity(activities.dispatch, { ...base, route: { kind: 'rule-channel' } });
  dispatches.push({ route: 'rule-channel', result });
  const outcome = await runActivity(activities.recordOutcome, {
    ...base,
    result,
    ...(fallbackReason ? { fallbackReason } : {}),
  });
  return { outcome, notificationId: ledger.notificationId, dispatches, ...(fallbackReason ? { fallbackReason } : {}) };
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

/** What a failed activity attempt threw, for asserting ApplicationFailure details. */
export async function failureOf(p: Promise<unknown>): Promise<Error & { type?: string; nonRetryable?: boolean }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { type?: string; nonRetryable?: boolean };
  }
  throw new Error('expected the activity to fail');
}
