// Chats as the reminders see them: an inbound message opens a chat's messaging window, which
// only ever moves forward (a late-arriving older message must not shrink it).
import type { ChatChannel } from '../generated/prisma/client';
import type { Db, DbClient } from '../db/client';
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
 * moved forward) and stores the message. Unknown senders are ignored.
 *
 * One sender account serves every company, so the same address can be a chat in several
 * companies. The provider's window belongs to that (sender, client) pair, so every such chat's
 * window opens; the message text, though, is stored only in the one chat it most plausibly
 * answers — the one we wrote to last — and nowhere when that is unknown, rather than showing one
 * company a message meant for another. Redelivered webhooks are recognised by the provider's id.
 */
export async function recordInboundChatMessage(
  db: Db,
  logger: Logger,
  msg: InboundChatMessage,
): Promise<{ chats: number; storedIn?: string }> {
  const chats = await db.chat.findMany({ where: { channel: msg.channel, address: msg.address }, select: { id: true } });
  if (chats.length === 0) {
    logger.debug('inbound message from an unknown sender ignored', { channel: msg.channel });
    return { chats: 0 };
  }
  const ids = chats.map((c) => c.id);
  let target: string | undefined = ids.length === 1 ? ids[0] : undefined;
  if (!target) {
    const lastOutbound = await db.chatMessage.findFirst({
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
  return db.$transaction(async (tx) => {
    await moveLastInboundForward(tx, ids, msg.at);
    if (!target) return { chats: ids.length };
    if (msg.providerMessageId) {
      const seen = await tx.chatMessage.count({
        where: { chatId: target, direction: 'inbound', providerMessageId: msg.providerMessageId },
      });
      if (seen > 0) return { chats: ids.length, storedIn: target };
    }
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
  });
}
