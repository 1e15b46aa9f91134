// Chats (WhatsApp via Twilio, Instagram), as the CRM around us keeps them.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import { moveLastInboundForward } from '../../chats/inbound';
import { isWindowOpen, windowOpenUntil, type ChatWindows } from '../../chats/window';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { idParams, isoInstant, page, pagingQuery, uuid, pageOf } from '../schemas';
import { companyContact } from './company-rows';
import type { RouteDeps } from './deps';

const chatChannel = z.enum(['whatsapp', 'instagram']);
const chatSchema = z.object({
  id: z.string(),
  contactId: z.string(),
  channel: chatChannel,
  address: z.string(),
  lastInboundAt: z.string().nullable(),
  /** Until when the channel accepts a free-form message (last inbound message + the company's
   * window for the channel); null when the client never wrote. */
  windowOpenUntil: z.string().nullable(),
  /** Whether a reminder can go to this chat now: not closed, and its window is open. */
  open: z.boolean(),
  /** The conversation was closed in the CRM (PATCH `open: false`); reminders do not use it. */
  closed: z.boolean(),
  createdAt: z.string(),
});
const messageSchema = z.object({
  id: z.string(),
  chatId: z.string(),
  direction: z.string(),
  text: z.string(),
  createdAt: z.string(),
});

const chatAddress = z.string().trim().min(1).max(100);

export function chatRoutes({ routes }: RouteDeps): void {
  const windowsOf = (db: DbClient, companyId: string): Promise<ChatWindows> =>
    db.company.findUniqueOrThrow({
      where: { id: companyId },
      select: { whatsappWindowHours: true, instagramWindowHours: true },
    });
  const chatOf = async (db: DbClient, companyId: string, id: string) => {
    const chat = await db.chat.findFirst({ where: { id, companyId } });
    if (!chat) throw notFound('Chat');
    return chat;
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/chats',
    tag: 'Chats',
    summary: 'List chats (optionally of one contact)',
    query: pagingQuery.extend({ contactId: uuid.optional() }),
    response: page(chatSchema),
    handler: async ({ db, auth, query }) => {
      const where = { companyId: auth.companyId, ...(query.contactId ? { contactId: query.contactId } : {}) };
      const windows = await windowsOf(db, auth.companyId);
      return pageOf(
        query,
        (window) => db.chat.findMany({ where, orderBy: { createdAt: 'desc' }, ...window }),
        () => db.chat.count({ where }),
        (chat) => toChat(chat, windows),
      );
    },
  });

  // errors 404: companyContact() answers 404 for a body contactId of no contact in this company; the
  // document must say so (found by scripts/fuzz-api.sh: status_code_conformance).
  addRoute(routes, {
    method: 'post',
    path: '/v1/chats',
    tag: 'Chats',
    summary: "Register a contact's chat on a channel",
    status: 201,
    errors: [404, 409],
    body: z.strictObject({
      contactId: uuid,
      channel: chatChannel,
      address: chatAddress,
      lastInboundAt: isoInstant.nullable().optional(),
      open: z.boolean().default(true),
    }),
    response: chatSchema,
    handler: async ({ db, auth, body }) => {
      await companyContact(db, auth.companyId, body.contactId);
      const chat = await db.chat.create({
        data: {
          ...body,
          companyId: auth.companyId,
          lastInboundAt: body.lastInboundAt ? new Date(body.lastInboundAt) : null,
        },
      });
      return toChat(chat, await windowsOf(db, auth.companyId));
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/chats/:id',
    tag: 'Chats',
    summary: 'One chat',
    params: idParams,
    response: chatSchema,
    handler: async ({ db, auth, params }) =>
      toChat(await chatOf(db, auth.companyId, params.id), await windowsOf(db, auth.companyId)),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/chats/:id',
    tag: 'Chats',
    summary: 'Close a chat in the CRM (`open: false`) or reopen it (reminders use only chats not closed)',
    params: idParams,
    body: z.strictObject({ open: z.boolean() }),
    response: chatSchema,
    handler: async ({ db, auth, params, body }) => {
      const chat = await chatOf(db, auth.companyId, params.id);
      const updated = await db.chat.update({ where: { id: chat.id }, data: { open: body.open } });
      return toChat(updated, await windowsOf(db, auth.companyId));
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/chats/:id',
    tag: 'Chats',
    summary: 'Delete a chat',
    status: 204,
    params: idParams,
    handler: async ({ db, auth, params }) => {
      const chat = await chatOf(db, auth.companyId, params.id);
      await db.chat.delete({ where: { id: chat.id } });
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/chats/:id/messages',
    tag: 'Chats',
    summary: 'Messages of a chat, newest first',
    params: idParams,
    query: pagingQuery,
    response: page(messageSchema),
    handler: async ({ db, auth, params, query }) => {
      const chat = await chatOf(db, auth.companyId, params.id);
      return pageOf(
        query,
        (window) =>
          db.chatMessage.findMany({
            where: { chatId: chat.id },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
            ...window,
          }),
        () => db.chatMessage.count({ where: { chatId: chat.id } }),
        toMessage,
      );
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/chats/:id/messages',
    tag: 'Chats',
    status: 201,
    params: idParams,
    summary: "Record an inbound message from the client (moves the chat's last-inbound time, which opens its window)",
    body: z.strictObject({ text: z.string().min(1).max(4096), receivedAt: isoInstant.optional() }),
    response: messageSchema,
    handler: async ({ db, auth, params, body }) => {
      const chat = await chatOf(db, auth.companyId, params.id);
      const receivedAt = body.receivedAt ? new Date(body.receivedAt) : new Date();
      await moveLastInboundForward(db, [chat.id], receivedAt);
      const message = await db.chatMessage.create({
        data: { chatId: chat.id, direction: 'inbound', text: body.text, createdAt: receivedAt },
      });
      return toMessage(message);
    },
  });
}

function toChat(
  c: {
    id: string;
    contactId: string;
    channel: 'whatsapp' | 'instagram';
    address: string;
    lastInboundAt: Date | null;
    open: boolean;
    createdAt: Date;
  },
  windows: ChatWindows,
  now = new Date(),
) {
  return {
    id: c.id,
    contactId: c.contactId,
    channel: c.channel,
    address: c.address,
    lastInboundAt: c.lastInboundAt?.toISOString() ?? null,
    windowOpenUntil: windowOpenUntil(c, windows)?.toISOString() ?? null,
    open: c.open && isWindowOpen(c, windows, now),
    closed: !c.open,
    createdAt: c.createdAt.toISOString(),
  };
}

function toMessage(m: { id: string; chatId: string; direction: string; text: string; createdAt: Date }) {
  return { id: m.id, chatId: m.chatId, direction: m.direction, text: m.text, createdAt: m.createdAt.toISOString() };
}
