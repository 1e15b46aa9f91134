// Chats as the reminders see them: an inbound message opens a chat's messaging window, which
// only ever moves forward (a late-arriving older message must not shrink it).
import type { ChatChannel } from '../generated/prisma/client';
import type { DbClient, Prisma } from '../db/client';
import type { Logger } from '../runtime/logger';

/** Sets lastInboundAt to `at` on these chats where it is older (or unset); never moves it back. */
export async function moveLastInboundForward(tx: DbClient, chatIds: string[], at: Date): Promise<number> {
  const moved = await tx.chat.updateMany({
    where: { id: { in: chatIds }, OR: [{ lastInboundAt: null }, { lastInboundAt: { lt: at } }] },
    data: { lastInboundAt: at },
  });
  return moved.count;
}

export interface InboundChatMessage {
  channel: ChatChannel;
  /** E.164 phone (WhatsApp) or Instagram-scoped user id. */
  address: string;
  at: Date;
  text: string;
  providerMessageId?: string | undefined;
}

/**
 * An inbound message on a chat channel: opens the messaging window (lastInboundAt, only ever
 * moved forward) and stores the message. Unknown senders are ignored. Runs in the caller's
 * transaction (the webhook records the provider's message id in the same one).
 *
 * `scope` limits the chats to the companies the receiving account serves: the one company that
 * connected its own account, or every company on the shared default account. On a shared account
 * the same address can be a chat in several companies. The provider's window belongs to that
 * (sender, client) pair, so every such chat's window opens; the message text, though, is stored
 * only in the one chat it most plausibly answers — the one we wrote to last — and nowhere when
 * that is unknown, rather than showing one company a message meant for another.
 */
export async function recordInboundChatMessage(
  tx: DbClient,
  logger: Logger,
  msg: InboundChatMessage,
  scope: Prisma.ChatWhereInput = {},
): Promise<{ chats: number; storedIn?: string }> {
  const chats = await tx.chat.findMany({
    where: { ...scope, channel: msg.channel, address: msg.address },
    select: { id: true },
  });
  if (chats.length === 0) {
    logger.debug('inbound message from an unknown sender ignored', { channel: msg.channel });
    return { chats: 0 };
  }
  const ids = chats.map((c) => c.id);
  let target: string | undefined = ids.length === 1 ? ids[0] : undefined;
  if (!target) {
    const lastOutbound = await tx.chatMessage.findFirst({
      where: { chatId: { in: ids }, direction: 'outbound' },
      orderBy: { createdAt: 'desc' },
      select: { chatId: true },
    });
    target = lastOutbound?.chatId;
    if (!target)
      logger.warn('inbound message matches chats in several companies and none was written to; text not stored', {
        channel: msg.channel,
        chats: ids.length,
      });
  }
  await moveLastInboundForward(tx, ids, msg.at);
  if (!target) return { chats: ids.length };
  await tx.chatMessage.create({
    data: {
      chatId: target,
      direction: 'inbound',
      text: msg.text,
      providerMessageId: msg.providerMessageId ?? null,
      createdAt: msg.at,
    },
  });
  return { chats: ids.length, storedIn: target };
}
