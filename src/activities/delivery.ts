// Delivery of one occurrence, as ONE activity (`deliverOccurrence`): fresh rows → is the occurrence
// still due now → ledger row → the decision → claim → provider call → outcome, ledger status and
// feed entries in one transaction → the outcome and the next plan. Idempotent per ledger row: a
// retry, a second run or a concurrent attempt finds the row and never sends twice (see the crash
// policy at `resumeInterrupted`). Everything that can change during a long sleep (consent,
// addresses, chats, template, sender and its access) is read here, at send time.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { classifyLateFire } from '../calendar/schedule';
import { decideRoute, readDecisionFacts, type ChannelDecision, type Decision } from '../chats/decision';
import type { Db } from '../db/client';
import { DeliveryError, type ChannelDirectory, type DeliveryPorts, type SmtpMailbox } from '../delivery/ports';
import type { NotificationRule, ContactField, Company, Contact, Mailbox } from '../generated/prisma/client';
import * as ledger from '../ledger/ledger';
import { decryptSecret } from '../security/secret-box';
import { PERMANENT_FAILURES, RETRYABLE_FAILURES } from '../shared/failures';
import { nextSendOf, planReminder, templateVariables } from '../shared/plan-inputs';
import type {
  DeliverOccurrenceInput,
  DeliverOccurrenceResult,
  DeliveryOutcome,
  HandledOccurrence,
  ReminderKey,
  ReminderPlan,
} from '../shared/reminder-contract';
import { DEFAULT_SUBJECT_TEMPLATE, renderTemplate } from '../templates/message-template';
import { withUnsubscribeFooter } from '../templates/unsubscribe-footer';

export interface DeliveryDeps {
  db: Db;
  /** Where each company's messages go out (its own connected channels, or the process-wide ones). */
  channels: ChannelDirectory;
  /** Base URL of this API as providers and mail clients reach it (unsubscribe, status callbacks). */
  publicBaseUrl?: string;
  /** 32-byte key that decrypts mailbox SMTP passwords. */
  mailboxSecretKey?: Buffer;
  /** The wall clock; tests pin it. */
  now?: () => Date;
}

/** A chat that keeps failing transiently is given up for the rule's channel after this many attempts. */
export const CHAT_ATTEMPTS_BEFORE_FALLBACK = 3;

type RuleRow = NotificationRule & { eventField: ContactField; company: Company; mailbox: Mailbox | null };

/** What one occurrence's delivery reads, fresh, before deciding anything. */
export interface OccurrenceRows {
  rule: RuleRow | null;
  company: Company | null;
  contact: Contact | null;
  /** This occurrence's ledger row, if an earlier attempt or run wrote it. */
  row: ledger.LedgerRow | null;
  /** The last occurrence before this one that the ledger has as handled (not pending). */
  handledBefore: HandledOccurrence | null;
}

/** The message of one occurrence, rendered before the claim so the claim sits right before the call. */
interface Message {
  subject: string;
  body: string;
  /** Deterministic per ledger row: a resend of the same occurrence carries the same Message-ID. */
  messageId: string;
}

/** What the provider call did. */
type SendResult =
  | { status: 'sent'; providerMessageId: string; sender?: string }
  | { status: 'failed'; reason: string; providerErrorCode?: string; sender?: string }
  | { status: 'refused'; reason: string; providerErrorCode?: string };

type Route =
  { kind: 'chat'; chatId: string; channel: 'whatsapp' | 'instagram'; address: string } | { kind: 'sms' | 'email' };

/** The steps `deliver` orchestrates; tests wrap single steps to make them fail at a chosen point. */
export interface DeliverySteps {
  now(): Date;
  /** Attempt number of the running activity (1 outside one). */
  attempt(): number;
  load(input: DeliverOccurrenceInput): Promise<OccurrenceRows>;
  openRow(input: DeliverOccurrenceInput): Promise<ledger.LedgerRow>;
  readRow(id: string): Promise<ledger.LedgerRow | null>;
  decide(rows: LoadedRows, now: Date): Promise<{ decision: Decision; lastChatAddress?: string; ports: DeliveryPorts }>;
  claim(row: ledger.LedgerRow, route: { channel: string; sender?: string }): Promise<boolean>;
  release(row: ledger.LedgerRow): Promise<void>;
  send(
    rows: LoadedRows,
    row: ledger.LedgerRow,
    route: Route,
    message: Message,
    ports: DeliveryPorts,
  ): Promise<SendResult>;
  record(rows: LoadedRows, row: ledger.LedgerRow, outcome: Recorded): Promise<DeliveryOutcome>;
}

type LoadedRows = OccurrenceRows & { rule: RuleRow; company: Company; contact: Contact };

/** An outcome to write: the ledger's final status with its details, and the feed's wording. */
interface Recorded extends ledger.Settlement {
  /** Set for a message sent in a chat: the chat transcript and the open work orders get it too. */
  chatId?: string;
  body?: string;
  /** Why the chat was not used, when the rule asked for it. */
  chatNotUsed?: string;
}

export function createDeliveryActivities(deps: DeliveryDeps) {
  const steps = deliverySteps(deps);
  return {
    /** Delivers one occurrence (or records why not) and returns the outcome and the next plan. */
    deliverOccurrence: (input: DeliverOccurrenceInput): Promise<DeliverOccurrenceResult> => deliver(steps, input),

    /** Records a delivery that gave up (retries exhausted, or a failure no retry fixes) as failed,
     * so the reminder can go on to its next occurrence. A short local activity. */
    async recordGaveUp(input: DeliverOccurrenceInput & { reason: string }): Promise<DeliverOccurrenceResult> {
      const rows = await steps.load(input);
      if (!rows.rule || !rows.contact || !rows.company) return { kind: 'replan', plan: planOf(rows, input) };
      const loaded = rows as LoadedRows;
      const row = rows.row ?? (await steps.openRow(input));
      const existing = ledger.outcomeOf(row);
      const outcome =
        existing ??
        (await steps.record(loaded, row, { status: 'failed', reason: input.reason, channel: row.channel ?? null }));
      log.warn('reminder delivery gave up', { notificationId: row.id, reason: input.reason });
      return { kind: 'handled', outcome, nextPlan: nextPlanOf(loaded, input) };
    },

    /** The plan of one reminder from fresh rows and the ledger (what the workflow sleeps on). */
    async loadReminderPlan(key: ReminderKey & { lastHandled?: HandledOccurrence }): Promise<ReminderPlan> {
      return loadPlan(deps.db, key);
    },
  };
}

/** Reads the plan of one reminder: rule, company, contact and the last handled occurrence. */
export async function loadPlan(db: Db, key: ReminderKey): Promise<ReminderPlan> {
  const [rule, contact, handled] = await Promise.all([
    db.notificationRule.findFirst({
      where: { id: key.ruleId, companyId: key.companyId },
      include: { eventField: true, company: true },
    }),
    db.contact.findFirst({ where: { id: key.contactId, companyId: key.companyId } }),
    lastHandled(db, key, undefined),
  ]);
  if (!rule) return { active: false, reason: 'rule-deleted' };
  return planReminder({ rule, company: rule.company, contact, handled });
}

/** The latest occurrence of (rule, contact) the ledger has as handled: any status but pending. */
async function lastHandled(db: Db, key: ReminderKey, except: string | undefined): Promise<HandledOccurrence | null> {
  const row = await db.notification.findFirst({
    where: {
      ruleId: key.ruleId,
      contactId: key.contactId,
      status: { not: 'pending' },
      ...(except ? { occurrenceDate: { not: except } } : {}),
    },
    orderBy: { occurrenceDate: 'desc' },
    select: { occurrenceDate: true, scheduledFor: true },
  });
  return row && { occurrenceDate: row.occurrenceDate, sendAt: row.scheduledFor.toISOString() };
}

export function deliverySteps(deps: DeliveryDeps): DeliverySteps {
  const { db } = deps;
  return {
    now: deps.now ?? (() => new Date()),
    attempt: () => {
      try {
        return Context.current().info.attempt;
      } catch {
        return 1; // called outside an activity (a test driving the orchestration directly)
      }
    },
    readRow: (id) => db.notification.findUnique({ where: { id } }),

    async load(input) {
      const [rule, contact, row, handledBefore] = await Promise.all([
        db.notificationRule.findFirst({
          where: { id: input.ruleId, companyId: input.companyId },
          include: { eventField: true, company: true, mailbox: true },
        }),
        db.contact.findFirst({ where: { id: input.contactId, companyId: input.companyId } }),
        db.notification.findUnique({
          where: {
            ruleId_contactId_occurrenceDate: {
              ruleId: input.ruleId,
              contactId: input.contactId,
              occurrenceDate: input.occurrenceDate,
            },
          },
        }),
        lastHandled(db, input, input.occurrenceDate),
      ]);
      return { rule, company: rule?.company ?? null, contact, row, handledBefore };
    },

    openRow: (input) => ledger.openRow(db, input),

    async decide(rows, now) {
      const ports = await deps.channels.portsFor(rows.company.id);
      const facts = await readDecisionFacts(db, rows.rule, rows.contact, rows.company);
      const decision = decideRoute({
        rule: rows.rule,
        contact: facts.contact,
        lastChat: facts.lastChat,
        windows: facts.windows,
        senderAccess: facts.senderAccess,
        channels: { sms: !!ports.sms, whatsapp: !!ports.whatsapp, instagram: !!ports.instagram, email: !!ports.email },
        now,
      });
      return { decision, ports, ...(facts.lastChat ? { lastChatAddress: facts.lastChat.address } : {}) };
    },

    claim: (row, route) => ledger.claim(db, row.id, route),
    release: (row) => ledger.release(db, row.id),

    async send(rows, row, route, message, ports) {
      if (route.kind === 'chat') return sendViaChat(deps, row, route, message, ports);
      if (route.kind === 'sms') return sendSms(deps, rows, row, message, ports);
      return sendEmail(deps, rows, row, message, ports);
    },

    async record(rows, row, outcome) {
      return db.$transaction(async (tx) => {
        const settled = await ledger.settle(tx, row.id, outcome);
        const current = await tx.notification.findUnique({ where: { id: row.id } });
        if (!current) throw gone(row.id);
        const recorded = ledger.outcomeOf(current);
        if (!recorded) throw new Error(`ledger row ${row.id} is still ${current.status} after settling it`);
        // Only the attempt that settled the row writes the feed: the entries come exactly once.
        if (!settled) return recorded;
        // A chat deleted while its message was on the way: the message went out, the link cannot.
        const chatId =
          outcome.status === 'sent' && outcome.chatId && (await tx.chat.count({ where: { id: outcome.chatId } })) > 0
            ? outcome.chatId
            : null;
        const entry = {
          companyId: rows.company.id,
          kind: `notification.${outcome.status}`,
          text: feedText(row.occurrenceDate, outcome),
          channel: outcome.channel ?? current.channel,
          sender: outcome.sender ?? current.sender,
          chatId,
          notificationId: row.id,
        };
        await tx.activityEntry.create({ data: { ...entry, contactId: rows.contact.id } });
        if (outcome.status === 'sent' && outcome.chatId) {
          if (chatId) {
            await tx.chatMessage.create({
              data: {
                chatId,
                direction: 'outbound',
                text: outcome.body ?? '',
                providerMessageId: outcome.providerMessageId ?? null,
              },
            });
          }
          const orders = await tx.workOrder.findMany({
            where: { contactId: rows.contact.id, status: 'open' },
            select: { id: true },
          });
          for (const order of orders) await tx.activityEntry.create({ data: { ...entry, workOrderId: order.id } });
        }
        return recorded;
      });
    },
  };
}

/**
 * The orchestration of one occurrence's delivery over its steps. Each step re-reads or
 * conditionally writes, so running this again after a failure at any point is safe.
 */
export async function deliver(steps: DeliverySteps, input: DeliverOccurrenceInput): Promise<DeliverOccurrenceResult> {
  const firedAt = input.firedAt ? Date.parse(input.firedAt) : 0;
  const now = new Date(Math.max(steps.now().getTime(), firedAt));
  const rows = await steps.load(input);
  const existing = rows.row && ledger.outcomeOf(rows.row);
  // Handled already (a retry after the outcome was written, a second run, a reset workflow).
  if (existing && rows.rule && rows.company) {
    return { kind: 'handled', outcome: existing, nextPlan: nextPlanOf(rows as LoadedRows, input) };
  }
  const plan = planOf(rows, input);
  const due = stillDue(plan, input);
  if (!due || !rows.rule || !rows.contact || !rows.company) {
    // The fresh rows no longer schedule this occurrence now (rule disabled or edited, contact
    // changed or deleted, time zone moved): sleep on the fresh plan instead. A claim left by a
    // crash is settled first, so no row stays `sending`.
    if (rows.row?.status === 'sending' && rows.rule && rows.contact && rows.company) {
      const outcome = await interrupted(steps, rows as LoadedRows, rows.row);
      return { kind: 'handled', outcome, nextPlan: nextPlanOf(rows as LoadedRows, input) };
    }
    log.info('reminder occurrence no longer due; re-planning', { occurrenceDate: input.occurrenceDate });
    return { kind: 'replan', plan };
  }
  const loaded = rows as LoadedRows;
  const handled = async (outcome: DeliveryOutcome): Promise<DeliverOccurrenceResult> => {
    log.info('reminder occurrence handled', {
      occurrenceDate: input.occurrenceDate,
      status: outcome.status,
      channel: outcome.channel ?? 'none',
      reason: outcome.reason ?? 'none',
    });
    return { kind: 'handled', outcome, nextPlan: nextPlanOf(loaded, input) };
  };

  const row = rows.row ?? (await steps.openRow(input));
  const final = ledger.outcomeOf(row);
  if (final) return handled(final);
  if (
    row.status === 'pending' &&
    classifyLateFire(Date.parse(input.scheduledFor), now, plan.active ? plan.graceMs : 0) === 'stale'
  ) {
    return handled(await steps.record(loaded, row, { status: 'skipped', reason: 'stale' }));
  }
  if (row.status === 'sending' && row.channel !== 'email') return handled(await interrupted(steps, loaded, row));

  const { decision, ports, lastChatAddress } = await steps.decide(loaded, now);
  const message = compose(loaded, row);
  // An email left `sending` by a crash is sent again: same Message-ID, which mailbox providers
  // de-duplicate. Texts are never resent (above).
  const resumingEmail = row.status === 'sending';

  if (decision.route === 'chat') {
    const route: Route = {
      kind: 'chat',
      chatId: decision.chatId,
      channel: decision.channel,
      address: lastChatAddress!,
    };
    if (!(await claimOrBusy(steps, row, { channel: decision.channel, sender: decision.channel }, resumingEmail))) {
      return handled(await settledByOther(steps, row));
    }
    let result: SendResult;
    try {
      result = await steps.send(loaded, row, route, message, ports);
    } catch (error) {
      await steps.release(row);
      // A chat that keeps failing transiently does not hold the reminder back for hours.
      if (!(error instanceof DeliveryError) || steps.attempt() < CHAT_ATTEMPTS_BEFORE_FALLBACK) throw asFailure(error);
      result = { status: 'refused', reason: providerReason(decision.channel, error), providerErrorCode: error.code };
    }
    if (result.status === 'sent') {
      return handled(
        await steps.record(loaded, row, {
          status: 'sent',
          channel: decision.channel,
          sender: decision.channel,
          providerMessageId: result.providerMessageId,
          chatId: decision.chatId,
          body: message.body,
        }),
      );
    }
    // The chat refused (window closed at the provider, a permanent error): the rule's channel.
    await steps.release(row);
    return handled(await viaChannel(steps, loaded, row, decision.fallback, message, ports, result.reason, false));
  }
  return handled(await viaChannel(steps, loaded, row, decision, message, ports, decision.chatNotUsed, resumingEmail));
}

/** The rule's own channel (or why nothing is sent), as decided. */
async function viaChannel(
  steps: DeliverySteps,
  rows: LoadedRows,
  row: ledger.LedgerRow,
  decision: ChannelDecision,
  message: Message,
  ports: DeliveryPorts,
  chatNotUsed: string | undefined,
  resumingEmail: boolean,
): Promise<DeliveryOutcome> {
  const why = chatNotUsed ? { chatNotUsed } : {};
  if (decision.route === 'none') {
    return steps.record(rows, row, {
      status: decision.status,
      reason: decision.reason,
      channel: decision.channel,
      ...why,
    });
  }
  const channel = decision.route;
  const sender = channel === 'email' ? (rows.rule.mailbox?.address ?? rows.company.gatewayEmail) : undefined;
  if (!(await claimOrBusy(steps, row, { channel, ...(sender ? { sender } : {}) }, resumingEmail))) {
    return settledByOther(steps, row);
  }
  let result: SendResult;
  try {
    result = await steps.send(rows, row, { kind: channel }, message, ports);
  } catch (error) {
    // Nothing reached the provider (or it said "try later"): release the claim so the retry can
    // claim again. Conditional on our claim, so a slow attempt cannot undo a later one's outcome.
    await steps.release(row);
    throw asFailure(error);
  }
  if (result.status === 'sent') {
    return steps.record(rows, row, {
      status: 'sent',
      channel,
      sender: result.sender ?? sender ?? null,
      providerMessageId: result.providerMessageId,
      body: message.body,
      ...why,
    });
  }
  return steps.record(rows, row, {
    status: 'failed',
    channel,
    sender: ('sender' in result ? result.sender : undefined) ?? sender ?? null,
    reason: result.reason,
    providerErrorCode: result.providerErrorCode ?? null,
    ...why,
  });
}

/** Claims the row; an email being resent after a crash already holds its claim. */
async function claimOrBusy(
  steps: DeliverySteps,
  row: ledger.LedgerRow,
  route: { channel: string; sender?: string },
  alreadyClaimed: boolean,
): Promise<boolean> {
  if (alreadyClaimed) return true;
  return steps.claim(row, route);
}

/** Another attempt claimed or settled the row between our read and our claim. */
async function settledByOther(steps: DeliverySteps, row: ledger.LedgerRow): Promise<DeliveryOutcome> {
  const fresh = await steps.readRow(row.id);
  if (!fresh) throw gone(row.id);
  const outcome = ledger.outcomeOf(fresh);
  if (outcome) return outcome;
  throw ApplicationFailure.retryable(
    `ledger row ${row.id} is ${fresh.status} by another attempt; retry the claim`,
    RETRYABLE_FAILURES.ledgerRowBusy,
  );
}

/** A text whose provider call a crash cut off: recorded as failed rather than risking a duplicate.
 * A later provider status callback carrying the row's id settles it as sent (ledger module). */
async function interrupted(steps: DeliverySteps, rows: LoadedRows, row: ledger.LedgerRow): Promise<DeliveryOutcome> {
  log.warn('a send was interrupted mid-dispatch; recorded instead of risking a duplicate', {
    notificationId: row.id,
    channel: row.channel ?? 'unknown',
  });
  return steps.record(rows, row, { status: 'failed', reason: ledger.INTERRUPTED, channel: row.channel });
}

/** The plan from fresh rows, with the handled occurrence before this one (never this one). */
function planOf(rows: OccurrenceRows, input: DeliverOccurrenceInput): ReminderPlan {
  if (!rows.rule || !rows.company) return { active: false, reason: 'rule-deleted' };
  const handled = laterOf(rows.handledBefore ?? undefined, input.lastHandled);
  return planReminder({ rule: rows.rule, company: rows.company, contact: rows.contact, handled });
}

/** The plan of the next occurrence: this one counts as handled. */
function nextPlanOf(rows: LoadedRows, input: DeliverOccurrenceInput): ReminderPlan {
  const thisOne = { occurrenceDate: input.occurrenceDate, sendAt: input.scheduledFor };
  return planReminder({
    rule: rows.rule,
    company: rows.company,
    contact: rows.contact,
    handled: laterOf(laterOf(rows.handledBefore ?? undefined, input.lastHandled), thisOne),
  });
}

function laterOf(a: HandledOccurrence | undefined, b: HandledOccurrence | undefined): HandledOccurrence | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.occurrenceDate > a.occurrenceDate ? b : a;
}

/** Whether the fresh plan still sends this occurrence at the instant the workflow slept toward. */
function stillDue(plan: ReminderPlan, input: DeliverOccurrenceInput): boolean {
  if (!plan.active) return false;
  const next = nextSendOf(plan, { now: Date.parse(input.scheduledFor) });
  return next.ok && next.occurrenceDate === input.occurrenceDate && next.sendAt.toISOString() === input.scheduledFor;
}

function compose(rows: LoadedRows, row: ledger.LedgerRow): Message {
  const variables = templateVariables(rows.rule, rows.company, rows.contact, row.occurrenceDate);
  return {
    subject: renderTemplate(rows.rule.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE, variables),
    body: renderTemplate(rows.rule.bodyTemplate, variables),
    messageId: `<notification-${row.id}@reminders.local>`,
  };
}

async function sendViaChat(
  deps: DeliveryDeps,
  row: ledger.LedgerRow,
  route: Extract<Route, { kind: 'chat' }>,
  message: Message,
  ports: DeliveryPorts,
): Promise<SendResult> {
  try {
    if (route.channel === 'whatsapp') {
      const sent = await ports.whatsapp!.sendWhatsApp({
        to: route.address,
        body: message.body,
        statusCallbackUrl: callbackUrl(deps, `twilio/status?notificationId=${row.id}`),
      });
      return { status: 'sent', providerMessageId: sent.providerMessageId };
    }
    const sent = await ports.instagram!.sendInstagram({ recipientId: route.address, text: message.body });
    return { status: 'sent', providerMessageId: sent.providerMessageId };
  } catch (error) {
    // Any chat failure that a retry cannot fix falls back to the rule's channel.
    if (error instanceof DeliveryError && error.kind !== 'transient') {
      return { status: 'refused', reason: providerReason(route.channel, error), providerErrorCode: error.code };
    }
    throw error;
  }
}

async function sendSms(
  deps: DeliveryDeps,
  rows: LoadedRows,
  row: ledger.LedgerRow,
  message: Message,
  ports: DeliveryPorts,
): Promise<SendResult> {
  try {
    const sent = await ports.sms!.sendSms({
      to: rows.contact.phone!,
      body: message.body,
      statusCallbackUrl: callbackUrl(deps, `twilio/status?notificationId=${row.id}`),
    });
    return { status: 'sent', providerMessageId: sent.providerMessageId };
  } catch (error) {
    if (error instanceof DeliveryError && error.kind === 'opted-out') {
      await deps.db.contact.update({ where: { id: rows.contact.id }, data: { smsConsent: false } });
    }
    return permanentFailure(error);
  }
}

async function sendEmail(
  deps: DeliveryDeps,
  rows: LoadedRows,
  row: ledger.LedgerRow,
  message: Message,
  ports: DeliveryPorts,
): Promise<SendResult> {
  const mailbox = rows.rule.mailbox;
  const from = mailbox?.address ?? rows.company.gatewayEmail;
  let smtp: SmtpMailbox | undefined;
  if (mailbox) {
    // Recorded as failed rather than thrown: neither a missing key nor a password sealed with
    // another key gets better on retry.
    if (!deps.mailboxSecretKey) return { status: 'failed', reason: 'mailbox-key-not-configured', sender: from };
    let password: string;
    try {
      password = decryptSecret(mailbox.smtpPasswordEncrypted, deps.mailboxSecretKey);
    } catch {
      return { status: 'failed', reason: 'mailbox-password-unreadable', sender: from };
    }
    smtp = {
      host: mailbox.smtpHost,
      port: mailbox.smtpPort,
      secure: mailbox.smtpSecure,
      user: mailbox.smtpUser,
      password,
      allowInsecure: mailbox.allowInsecure,
    };
  }
  // One-click unsubscribe on every reminder email, mailbox mail included: the link withdraws the
  // contact's email consent, which gates mailbox sends exactly as it gates the gateway's.
  const unsubscribe = callbackUrl(deps, `unsubscribe/${row.id}`);
  try {
    const sent = await ports.email!.sendEmail({
      from,
      to: rows.contact.email!,
      subject: message.subject,
      text: unsubscribe ? withUnsubscribeFooter(message.body, unsubscribe) : message.body,
      messageId: message.messageId,
      headers: unsubscribe
        ? { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : undefined,
      smtp,
    });
    return { status: 'sent', providerMessageId: sent.providerMessageId, sender: from };
  } catch (error) {
    return { ...permanentFailure(error), sender: from };
  }
}

function providerReason(channel: string, error: DeliveryError): string {
  return `${channel}-${error.kind}${error.code ? ` (${error.code})` : ''}`;
}

/** A provider failure no retry fixes becomes a failed outcome; anything else is thrown. */
function permanentFailure(error: unknown): Extract<SendResult, { status: 'failed' }> {
  if (error instanceof DeliveryError && error.kind !== 'transient') {
    return {
      status: 'failed',
      reason: `${error.provider}-${error.kind}`,
      ...(error.code ? { providerErrorCode: error.code } : {}),
    };
  }
  throw error;
}

/** Provider "try later" becomes a typed retryable failure; anything else is rethrown as it is. */
function asFailure(error: unknown): unknown {
  if (error instanceof DeliveryError)
    return ApplicationFailure.retryable(error.message, RETRYABLE_FAILURES.transientDelivery);
  return error;
}

function gone(what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `ledger row ${what} is gone: its rule or contact was deleted mid-delivery`,
    PERMANENT_FAILURES.ledgerRowGone,
  );
}

function callbackUrl(deps: DeliveryDeps, path: string): string | undefined {
  return deps.publicBaseUrl ? `${deps.publicBaseUrl.replace(/\/$/, '')}/webhooks/${path}` : undefined;
}

function feedText(occurrenceDate: string, outcome: Recorded): string {
  const via = outcome.channel ? ` via ${outcome.channel}` : '';
  const chat = outcome.chatNotUsed ? ` (chat not used: ${outcome.chatNotUsed})` : '';
  switch (outcome.status) {
    case 'sent':
      return `Reminder for ${occurrenceDate} sent${via}${chat}: ${outcome.body ?? ''}`;
    case 'skipped':
      return `Reminder for ${occurrenceDate} skipped${via}: ${outcome.reason ?? 'unknown reason'}${chat}`;
    case 'failed':
      return `Reminder for ${occurrenceDate} failed${via}: ${outcome.reason ?? 'unknown reason'}${outcome.providerErrorCode ? ` [code ${outcome.providerErrorCode}]` : ''}${chat}`;
  }
}
