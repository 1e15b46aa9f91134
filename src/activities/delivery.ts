// Delivery activities: the ledger row written before any provider call, the chat-window check,
// the dispatch through one route, and the feed entries for the outcome. Everything that can
// change during a long sleep (consent, addresses, template, sender) is read here, at send time.
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/client';
import { DeliveryError, type DeliveryPorts, type SmtpMailbox } from '../delivery/ports';
import { isWindowOpen } from '../chats/window';
import { decryptSecret } from '../security/secret-box';
import { DEFAULT_SUBJECT_TEMPLATE, renderTemplate } from '../templates/message-template';
import { templateVariables } from '../shared/plan-inputs';
import type { DeliveryOutcome, OccurrenceRef, ReminderKey } from '../shared/reminder-contract';

export interface DeliveryDeps {
  db: Db;
  ports: DeliveryPorts;
  /** Base URL of this API as providers and mail clients reach it (unsubscribe, status callbacks). */
  publicBaseUrl?: string;
  /** 32-byte key that decrypts mailbox SMTP passwords. */
  mailboxSecretKey?: Buffer;
}

export type DispatchRoute = { kind: 'chat'; chatId: string } | { kind: 'rule-channel' };

export interface DispatchResult {
  status: 'sent' | 'skipped' | 'failed' | 'fallback';
  channel?: string;
  sender?: string;
  reason?: string;
  providerMessageId?: string;
  providerErrorCode?: string;
  chatId?: string;
  /**
   * The message body. No longer set by `dispatch`: this result lands in the workflow history,
   * which carries no message bodies (see reminders/types.ts); `recordOutcome` renders the body
   * itself. Still read when present, for histories written before that change.
   */
  text?: string;
}

const FINAL = new Set(['sent', 'delivered', 'undelivered', 'failed', 'skipped']);
/** Ledger states of a message the provider accepted (Twilio's callbacks move 'sent' on). */
const SENT_STATES = new Set(['sent', 'delivered', 'undelivered']);

export function createDeliveryActivities(deps: DeliveryDeps) {
  const { db } = deps;

  return {
    /** Writes (or finds) the ledger row of this occurrence before anything is sent. */
    async beginDelivery(
      ref: OccurrenceRef,
    ): Promise<{ notificationId: string; tryLastChatFirst: boolean; existingOutcome?: DeliveryOutcome }> {
      const rule = await db.notificationRule.findFirst({ where: { id: ref.ruleId, companyId: ref.companyId } });
      const row = await db.notification.upsert({
        where: {
          ruleId_contactId_occurrenceDate: {
            ruleId: ref.ruleId,
            contactId: ref.contactId,
            occurrenceDate: ref.occurrenceDate,
          },
        },
        create: {
          companyId: ref.companyId,
          ruleId: ref.ruleId,
          contactId: ref.contactId,
          occurrenceDate: ref.occurrenceDate,
          scheduledFor: new Date(ref.scheduledFor),
          status: 'pending',
        },
        update: {},
      });
      const existingOutcome = FINAL.has(row.status) ? toOutcome(row) : undefined;
      return { notificationId: row.id, tryLastChatFirst: rule?.tryLastChatFirst ?? false, existingOutcome };
    },

    /** The contact's most recent chat whose last inbound message is inside its channel's window. */
    async checkChatWindow(input: ReminderKey & { at: string }): Promise<{ chatId: string; channel: string } | null> {
      const company = await db.company.findUniqueOrThrow({ where: { id: input.companyId } });
      const chats = await db.chat.findMany({
        where: { companyId: input.companyId, contactId: input.contactId, open: true, lastInboundAt: { not: null } },
        orderBy: { lastInboundAt: 'desc' },
      });
      // Only the last chat counts: an older chat is not the conversation the client is in.
      const last = chats[0];
      return last && isWindowOpen(last, company, new Date(input.at))
        ? { chatId: last.id, channel: last.channel }
        : null;
    },

    /** Sends through one route. Claims the ledger row first so a retry never sends twice. */
    async dispatch(input: OccurrenceRef & { notificationId: string; route: DispatchRoute }): Promise<DispatchResult> {
      const claimableFrom = input.route.kind === 'chat' ? ['pending'] : ['pending', 'fell-back'];
      const claimedAs = `dispatching:${input.route.kind}`;
      const before = await db.notification.findUniqueOrThrow({ where: { id: input.notificationId } });
      const claim = claimableFrom.includes(before.status)
        ? await db.notification.updateMany({
            where: { id: input.notificationId, status: before.status },
            data: { status: claimedAs },
          })
        : { count: 0 };
      if (claim.count === 0) return alreadyDispatched(db, input);

      let result: DispatchResult;
      try {
        // Composed inside the try: a failure here (database hiccup) happens before any provider
        // call, so it must release the claim too — otherwise the retry finds the row claimed and
        // records "interrupted-during-dispatch" for a message that was never attempted.
        const message = await composeMessage(db, input);
        result =
          input.route.kind === 'chat'
            ? await sendViaChat(deps, input.route.chatId, message)
            : await sendViaRuleChannel(deps, message, input.notificationId);
      } catch (error) {
        // Nothing was sent: release the claim so Temporal's retry can try again. Conditional on
        // our own claim, so an attempt that outlived its timeout cannot undo what a later attempt
        // recorded.
        await db.notification.updateMany({
          where: { id: input.notificationId, status: claimedAs },
          data: { status: before.status },
        });
        if (error instanceof DeliveryError) throw ApplicationFailure.retryable(error.message, 'TransientDeliveryError');
        throw error;
      }
      await db.notification.update({
        where: { id: input.notificationId },
        data: {
          status: result.status === 'fallback' ? 'fell-back' : result.status,
          channel: result.channel ?? null,
          sender: result.sender ?? null,
          reason: result.reason ?? null,
          providerMessageId: result.providerMessageId ?? null,
          providerErrorCode: result.providerErrorCode ?? null,
        },
      });
      return result;
    },

    /** Writes the outcome into the contact's feed (and, for chat sends, the chat and the open
     * work orders' feeds). Idempotent per notification. */
    async recordOutcome(
      input: OccurrenceRef & { notificationId: string; result: DispatchResult; fallbackReason?: string },
    ): Promise<DeliveryOutcome> {
      const { result } = input;
      // Outcomes decided without a successful dispatch (a stale occurrence, a dispatch that gave
      // up) are written here; dispatched ones were written by `dispatch` right after the provider answered.
      await db.notification.updateMany({
        where: { id: input.notificationId, status: { in: ['pending', 'fell-back'] } },
        data: { status: result.status, reason: result.reason ?? null },
      });
      const notification = await db.notification.findUniqueOrThrow({ where: { id: input.notificationId } });
      // Only our own outcome entries count: webhook entries (delivery failures) may come first.
      const already = await db.activityEntry.count({
        where: { notificationId: input.notificationId, kind: { startsWith: 'notification.' } },
      });
      if (already === 0) {
        // The body is rendered here rather than carried in `result` (see DispatchResult.text).
        const body = result.status === 'sent' ? (result.text ?? (await composeMessage(db, input)).body) : '';
        const base = {
          companyId: input.companyId,
          kind: `notification.${result.status}`,
          text: feedText(input.occurrenceDate, { ...result, text: body }, input.fallbackReason),
          channel: result.channel ?? null,
          sender: result.sender ?? null,
          chatId: result.chatId ?? null,
          notificationId: input.notificationId,
        };
        await db.$transaction(async (tx) => {
          await tx.activityEntry.create({ data: { ...base, contactId: input.contactId } });
          if (result.status === 'sent' && result.chatId) {
            await tx.chatMessage.create({
              data: {
                chatId: result.chatId,
                direction: 'outbound',
                text: body,
                providerMessageId: result.providerMessageId ?? null,
              },
            });
            const orders = await tx.workOrder.findMany({ where: { contactId: input.contactId, status: 'open' } });
            for (const order of orders) await tx.activityEntry.create({ data: { ...base, workOrderId: order.id } });
          }
        });
      }
      return toOutcome(notification);
    },
  };
}

/** The result an earlier attempt recorded on the ledger row, for a dispatch that finds the row
 * already claimed or settled (a retry, or the same call made twice). */
async function alreadyDispatched(
  db: Db,
  input: { notificationId: string; route: DispatchRoute },
): Promise<DispatchResult> {
  const row = await db.notification.findUniqueOrThrow({ where: { id: input.notificationId } });
  const recorded = {
    ...(row.channel ? { channel: row.channel } : {}),
    ...(row.sender ? { sender: row.sender } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.providerErrorCode ? { providerErrorCode: row.providerErrorCode } : {}),
  };
  if (row.status.startsWith('dispatching:')) {
    // A previous attempt claimed the row and died before recording the answer: the provider may
    // or may not have the message. Never risk a duplicate; record the uncertainty instead — on
    // the row too, so the ledger does not show a dispatch in progress forever (conditional: an
    // attempt that outlived its timeout and then heard back from the provider wins).
    await db.notification.updateMany({
      where: { id: row.id, status: row.status },
      data: { status: 'failed', reason: 'interrupted-during-dispatch' },
    });
    return { ...recorded, status: 'failed', reason: 'interrupted-during-dispatch' };
  }
  if (row.status === 'fell-back') return { ...recorded, status: 'fallback' };
  if (row.providerMessageId || SENT_STATES.has(row.status)) {
    // The provider accepted it. Twilio's status callbacks may since have moved the row on
    // (delivered / undelivered / failed), but what this dispatch did was send: report 'sent',
    // not a status outside DispatchResult's (which the feed would render as "failed").
    // The chat is the route's: the ledger row does not keep it, and without it the outcome
    // would miss the chat transcript and the work orders' feeds.
    const chatId =
      input.route.kind === 'chat' && (row.channel === 'whatsapp' || row.channel === 'instagram')
        ? input.route.chatId
        : undefined;
    return {
      ...recorded,
      status: 'sent',
      ...(row.providerMessageId ? { providerMessageId: row.providerMessageId } : {}),
      ...(chatId ? { chatId } : {}),
    };
  }
  if (row.status === 'skipped' || row.status === 'failed') return { ...recorded, status: row.status };
  if (row.status === 'pending') {
    // Another attempt released its claim between our read and our claim: nothing was sent and
    // nothing is held; a retryable failure lets Temporal try the claim again.
    throw ApplicationFailure.retryable(
      `ledger row ${row.id} changed while claiming it; retry the claim`,
      'LedgerRowBusy',
    );
  }
  return { ...recorded, status: 'failed', reason: `unexpected-ledger-status-${row.status}` };
}

interface ComposedMessage {
  contact: {
    id: string;
    name: string;
    phone: string | null;
    email: string | null;
    smsConsent: boolean;
    emailConsent: boolean;
  };
  rule: { channel: 'sms' | 'email'; mailboxId: string | null };
  gatewayEmail: string;
  subject: string;
  body: string;
  messageId: string;
  companyId: string;
}

async function composeMessage(db: Db, ref: OccurrenceRef & { notificationId: string }): Promise<ComposedMessage> {
  const rule = await db.notificationRule.findFirstOrThrow({
    where: { id: ref.ruleId, companyId: ref.companyId },
    include: { eventField: true, company: true },
  });
  const contact = await db.contact.findFirstOrThrow({ where: { id: ref.contactId, companyId: ref.companyId } });
  const variables = templateVariables(rule, rule.company, contact, ref.occurrenceDate);
  return {
    contact,
    rule: { channel: rule.channel, mailboxId: rule.mailboxId },
    gatewayEmail: rule.company.gatewayEmail,
    subject: renderTemplate(rule.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE, variables),
    body: renderTemplate(rule.bodyTemplate, variables),
    // Deterministic per ledger row: a resend of the same occurrence is recognisable downstream.
    messageId: `<notification-${ref.notificationId}@reminders.local>`,
    companyId: ref.companyId,
  };
}

async function sendViaChat(deps: DeliveryDeps, chatId: string, message: ComposedMessage): Promise<DispatchResult> {
  const chat = await deps.db.chat.findFirst({
    where: { id: chatId, companyId: message.companyId, contactId: message.contact.id },
  });
  // Deleted since checkChatWindow looked (or not this contact's): the rule's channel still can.
  if (!chat) return { status: 'fallback', reason: 'chat-not-found' };
  const base = { channel: chat.channel, chatId: chat.id, sender: chat.channel };
  try {
    if (chat.channel === 'whatsapp') {
      if (!deps.ports.whatsapp) return { ...base, status: 'fallback', reason: 'whatsapp-not-configured' };
      const sent = await deps.ports.whatsapp.sendWhatsApp({
        to: chat.address,
        body: message.body,
        statusCallbackUrl: callbackUrl(deps, 'twilio/status'),
      });
      return { ...base, status: 'sent', providerMessageId: sent.providerMessageId };
    }
    if (!deps.ports.instagram) return { ...base, status: 'fallback', reason: 'instagram-not-configured' };
    const sent = await deps.ports.instagram.sendInstagram({ recipientId: chat.address, text: message.body });
    return { ...base, status: 'sent', providerMessageId: sent.providerMessageId };
  } catch (error) {
    if (error instanceof DeliveryError && error.kind !== 'transient') {
      // Any chat failure that a retry cannot fix falls back to the rule's channel.
      return {
        ...base,
        status: 'fallback',
        reason: `${chat.channel}-${error.kind}${error.code ? ` (${error.code})` : ''}`,
        providerErrorCode: error.code,
      };
    }
    throw error;
  }
}

async function sendViaRuleChannel(
  deps: DeliveryDeps,
  message: ComposedMessage,
  notificationId: string,
): Promise<DispatchResult> {
  const { contact } = message;
  if (message.rule.channel === 'sms') {
    const base = { channel: 'sms' };
    if (!contact.smsConsent) return { ...base, status: 'skipped', reason: 'no-sms-consent' };
    if (!contact.phone) return { ...base, status: 'skipped', reason: 'no-phone' };
    if (!deps.ports.sms) return { ...base, status: 'failed', reason: 'sms-not-configured' };
    try {
      const sent = await deps.ports.sms.sendSms({
        to: contact.phone,
        body: message.body,
        statusCallbackUrl: callbackUrl(deps, 'twilio/status'),
      });
      return { ...base, status: 'sent', providerMessageId: sent.providerMessageId };
    } catch (error) {
      if (error instanceof DeliveryError && error.kind === 'opted-out') {
        await deps.db.contact.update({ where: { id: contact.id }, data: { smsConsent: false } });
      }
      return permanentFailure(base, error);
    }
  }

  const base = { channel: 'email' };
  if (!contact.emailConsent) return { ...base, status: 'skipped', reason: 'no-email-consent' };
  if (!contact.email) return { ...base, status: 'skipped', reason: 'no-email-address' };
  if (!deps.ports.email) return { ...base, status: 'failed', reason: 'email-not-configured' };
  const mailbox = message.rule.mailboxId
    ? await deps.db.mailbox.findUnique({ where: { id: message.rule.mailboxId } })
    : null;
  const from = mailbox?.address ?? message.gatewayEmail;
  let smtp: SmtpMailbox | undefined;
  if (mailbox) {
    // Recorded as a failed send, like an unconfigured channel, rather than thrown: a thrown
    // failure ends the reminder workflow, and neither a missing key nor a password sealed with
    // another key gets better on retry.
    if (!deps.mailboxSecretKey)
      return { ...base, sender: from, status: 'failed', reason: 'mailbox-key-not-configured' };
    let password: string;
    try {
      password = decryptSecret(mailbox.smtpPasswordEncrypted, deps.mailboxSecretKey);
    } catch {
      return { ...base, sender: from, status: 'failed', reason: 'mailbox-password-unreadable' };
    }
    smtp = {
      host: mailbox.smtpHost,
      port: mailbox.smtpPort,
      secure: mailbox.smtpSecure,
      user: mailbox.smtpUser,
      password,
    };
  }
  // One-click unsubscribe on every reminder email, mailbox mail included: the link withdraws the
  // contact's emailConsent, which gates the mailbox sends exactly as it gates the gateway's. Left
  // off mailbox mail, a client who only hears from a mailbox could withdraw consent only by
  // asking a person to untick it.
  const unsubscribe = callbackUrl(deps, `unsubscribe/${notificationId}`);
  try {
    const sent = await deps.ports.email.sendEmail({
      from,
      to: contact.email,
      subject: message.subject,
      text: message.body,
      messageId: message.messageId,
      headers: unsubscribe
        ? { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : undefined,
      smtp,
    });
    return { ...base, sender: from, status: 'sent', providerMessageId: sent.providerMessageId };
  } catch (error) {
    return permanentFailure({ ...base, sender: from }, error);
  }
}

function permanentFailure(base: Partial<DispatchResult>, error: unknown): DispatchResult {
  if (error instanceof DeliveryError && error.kind !== 'transient') {
    return { ...base, status: 'failed', reason: `${error.provider}-${error.kind}`, providerErrorCode: error.code };
  }
  throw error;
}

function callbackUrl(deps: DeliveryDeps, path: string): string | undefined {
  return deps.publicBaseUrl ? `${deps.publicBaseUrl.replace(/\/$/, '')}/webhooks/${path}` : undefined;
}

function feedText(occurrenceDate: string, result: DispatchResult, fallbackReason?: string): string {
  const via = result.channel ? ` via ${result.channel}` : '';
  const fellBack = fallbackReason ? ` (chat not used: ${fallbackReason})` : '';
  switch (result.status) {
    case 'sent':
      return `Reminder for ${occurrenceDate} sent${via}${fellBack}: ${result.text ?? ''}`;
    case 'skipped':
      return `Reminder for ${occurrenceDate} skipped${via}: ${result.reason ?? 'unknown reason'}${fellBack}`;
    default:
      return `Reminder for ${occurrenceDate} failed${via}: ${result.reason ?? 'unknown reason'}${result.providerErrorCode ? ` [code ${result.providerErrorCode}]` : ''}${fellBack}`;
  }
}

function toOutcome(row: {
  status: string;
  channel: string | null;
  reason: string | null;
  providerMessageId: string | null;
  occurrenceDate: string;
}): DeliveryOutcome {
  const status =
    row.status === 'skipped' ? 'skipped' : row.status === 'failed' || row.status === 'undelivered' ? 'failed' : 'sent';
  return {
    status,
    occurrenceDate: row.occurrenceDate,
    ...(row.channel ? { channel: row.channel } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.providerMessageId ? { providerMessageId: row.providerMessageId } : {}),
  };
}
