// The delivery decision, made once per occurrence: which route a reminder takes now (the contact's
// last chat, SMS or email) or why nothing is sent. Pure; the delivery activity and the API's
// preview call it with the same facts (readDecisionFacts), so what the preview says is what the
// send does.
import type { Db, DbClient } from '../db/client';
import { isWindowOpen, type ChatChannelName, type ChatWindows } from './window';

/** Why a reminder is not sent, or why the chat was not used (wire values: ledger, feed, metrics). */
export type DecisionReason =
  | 'no-sms-consent'
  | 'no-phone'
  | 'no-email-consent'
  | 'no-email-address'
  | 'unsubscribed-from-rule'
  | 'sender-access-revoked'
  | 'sms-not-configured'
  | 'email-not-configured';

/** Why the rule asked for the last chat and did not get it. */
export type ChatNotUsedReason =
  'no-chat' | 'chat-closed' | 'chat-window-closed' | 'whatsapp-not-configured' | 'instagram-not-configured';

export interface LastChat {
  id: string;
  channel: ChatChannelName;
  /** false: the CRM closed the conversation. */
  open: boolean;
  lastInboundAt: Date | null;
}

export interface DecisionInput {
  rule: { channel: 'sms' | 'email'; tryLastChatFirst: boolean };
  contact: {
    smsConsent: boolean;
    emailConsent: boolean;
    phone: string | null;
    email: string | null;
    /** The contact asked to stop this rule's reminders ("only these reminders"). */
    unsubscribedFromRule: boolean;
  };
  /** The contact's last chat (lastChatOf), or null when the contact has none. */
  lastChat: LastChat | null;
  windows: ChatWindows;
  /** Whether the rule's owner may still send from the rule's mailbox (always true for the gateway). */
  senderAccess: boolean;
  /** Which senders this company has (a channel without credentials cannot send). */
  channels: { sms: boolean; whatsapp: boolean; instagram: boolean; email: boolean };
  now: Date;
}

/** The rule's own channel: where a reminder goes when the chat is not used or refuses it. */
export type ChannelDecision =
  | { route: 'sms' | 'email' }
  | { route: 'none'; status: 'skipped' | 'failed'; reason: DecisionReason; channel: 'sms' | 'email' };

export type Decision =
  | { route: 'chat'; chatId: string; channel: ChatChannelName; fallback: ChannelDecision }
  | (ChannelDecision & { chatNotUsed?: ChatNotUsedReason });

/**
 * The route of one occurrence. Consent of the rule's channel (the contact's "SMS" / "Agree to
 * receive Email" checkbox) is required for every route, the chat included; so is the contact not
 * having unsubscribed from this rule. Then the last chat, if the rule asks for it and its window is
 * open; otherwise (or when the chat refuses at send time: `fallback`) the rule's channel.
 */
export function decideRoute(input: DecisionInput): Decision {
  const { rule, contact } = input;
  const channel = rule.channel;
  const skip = (reason: DecisionReason): ChannelDecision => ({ route: 'none', status: 'skipped', reason, channel });
  if (channel === 'sms' && !contact.smsConsent) return skip('no-sms-consent');
  if (channel === 'email' && !contact.emailConsent) return skip('no-email-consent');
  if (contact.unsubscribedFromRule) return skip('unsubscribed-from-rule');

  const viaChannel = channelDecision(input);
  if (!rule.tryLastChatFirst) return viaChannel;
  const chat = input.lastChat;
  let chatNotUsed: ChatNotUsedReason;
  if (!chat) chatNotUsed = 'no-chat';
  else if (!chat.open) chatNotUsed = 'chat-closed';
  else if (!isWindowOpen(chat, input.windows, input.now)) chatNotUsed = 'chat-window-closed';
  else if (!input.channels[chat.channel]) chatNotUsed = `${chat.channel}-not-configured`;
  else return { route: 'chat', chatId: chat.id, channel: chat.channel, fallback: viaChannel };
  return { ...viaChannel, chatNotUsed };
}

function channelDecision(input: DecisionInput): ChannelDecision {
  const { contact, rule } = input;
  const none = (status: 'skipped' | 'failed', reason: DecisionReason): ChannelDecision => ({
    route: 'none',
    status,
    reason,
    channel: rule.channel,
  });
  if (rule.channel === 'sms') {
    if (!contact.phone) return none('skipped', 'no-phone');
    if (!input.channels.sms) return none('failed', 'sms-not-configured');
    return { route: 'sms' };
  }
  if (!contact.email) return none('skipped', 'no-email-address');
  if (!input.senderAccess) return none('skipped', 'sender-access-revoked');
  if (!input.channels.email) return none('failed', 'email-not-configured');
  return { route: 'email' };
}

/**
 * The contact's last chat: the conversation the client wrote in most recently (then the newest
 * chat, for chats the client never wrote in). Closed chats count: if the last one is closed, the
 * client's conversation is closed, and an older chat is not where the client is.
 */
export function lastChatOf<C extends { lastInboundAt: Date | null; createdAt: Date }>(chats: C[]): C | null {
  let last: C | null = null;
  for (const chat of chats) {
    if (!last) last = chat;
    else {
      const a = chat.lastInboundAt?.getTime() ?? -Infinity;
      const b = last.lastInboundAt?.getTime() ?? -Infinity;
      if (a > b || (a === b && chat.createdAt.getTime() > last.createdAt.getTime())) last = chat;
    }
  }
  return last;
}

/** The stored facts of a decision for one rule and contact (everything but the channels and now). */
export interface DecisionFacts {
  contact: DecisionInput['contact'];
  lastChat: (LastChat & { address: string }) | null;
  windows: ChatWindows;
  senderAccess: boolean;
}

/**
 * Reads the facts `decideRoute` needs from the database, fresh: the contact's consent and
 * addresses, its per-rule unsubscribe, its last chat, the company's chat windows and whether the
 * rule's owner still has access to the rule's mailbox.
 */
export async function readDecisionFacts(
  db: Db | DbClient,
  // id null: a rule not saved yet (the draft preview), which nobody can have unsubscribed from.
  rule: { id: string | null; companyId: string; mailboxId: string | null; ownerUserId: string | null },
  contact: { id: string; smsConsent: boolean; emailConsent: boolean; phone: string | null; email: string | null },
  company: ChatWindows,
): Promise<DecisionFacts> {
  const [chats, unsubscribed, access] = await Promise.all([
    db.chat.findMany({
      where: { companyId: rule.companyId, contactId: contact.id },
      select: { id: true, channel: true, address: true, open: true, lastInboundAt: true, createdAt: true },
    }),
    rule.id ? db.ruleUnsubscribe.count({ where: { ruleId: rule.id, contactId: contact.id } }) : Promise.resolve(0),
    rule.mailboxId && rule.ownerUserId
      ? db.mailboxAccess.count({ where: { mailboxId: rule.mailboxId, userId: rule.ownerUserId } })
      : Promise.resolve(1),
  ]);
  const last = lastChatOf(chats);
  return {
    contact: {
      smsConsent: contact.smsConsent,
      emailConsent: contact.emailConsent,
      phone: contact.phone,
      email: contact.email,
      unsubscribedFromRule: unsubscribed > 0,
    },
    lastChat: last && {
      id: last.id,
      channel: last.channel,
      address: last.address,
      open: last.open,
      lastInboundAt: last.lastInboundAt,
    },
    windows: { whatsappWindowHours: company.whatsappWindowHours, instagramWindowHours: company.instagramWindowHours },
    // Rules saved before owners were recorded have no owner to check: they keep sending.
    senderAccess: access > 0,
  };
}
