// Activity feeds (contact and work order) and the delivery ledger, newest first.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import type { Notification } from '../../generated/prisma/client';
import { LEDGER_STATUSES, type LedgerStatus as LedgerStatusName } from '../../ledger/ledger';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { companyWhere, idParams, page, pagingQuery, uuid, pageOf } from '../schemas';
import type { RouteDeps } from './deps';

const activitySchema = z.object({
  id: z.string(),
  kind: z.string(),
  text: z.string(),
  channel: z.string().nullable(),
  sender: z.string().nullable(),
  chatId: z.string().nullable(),
  chatLink: z.string().nullable(),
  notificationId: z.string().nullable(),
  createdAt: z.string(),
});

const ledgerStatus = z.enum(LEDGER_STATUSES as [LedgerStatusName, ...LedgerStatusName[]]);

const notificationSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  contactId: z.string(),
  occurrenceDate: z.string(),
  scheduledFor: z.string(),
  status: ledgerStatus,
  /** The provider's own progress of a sent message (Twilio: queued, sending, sent, delivered, …). */
  providerStatus: z.string().nullable(),
  channel: z.string().nullable(),
  sender: z.string().nullable(),
  reason: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  providerErrorCode: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function activityRoutes({ routes }: RouteDeps): void {
  const feed = async (
    db: DbClient,
    where: { contactId: string } | { workOrderId: string },
    query: { limit: number; offset: number },
  ) => {
    return pageOf(
      query,
      (window) => db.activityEntry.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...window }),
      () => db.activityEntry.count({ where }),
      toActivity,
    );
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/contacts/:id/activity',
    tag: 'Activity',
    summary: "The contact's activity feed, newest first",
    params: idParams,
    query: pagingQuery,
    response: page(activitySchema),
    handler: async ({ db, auth, params, query }) => {
      if (!(await db.contact.count({ where: { id: params.id, companyId: auth.companyId } }))) throw notFound('Contact');
      return feed(db, { contactId: params.id }, query);
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/work-orders/:id/activity',
    tag: 'Activity',
    summary: "The work order's activity feed, newest first",
    params: idParams,
    query: pagingQuery,
    response: page(activitySchema),
    handler: async ({ db, auth, params, query }) => {
      if (!(await db.workOrder.count({ where: { id: params.id, companyId: auth.companyId } })))
        throw notFound('Work order');
      return feed(db, { workOrderId: params.id }, query);
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notifications',
    tag: 'Activity',
    summary: 'The delivery ledger (filter by rule, contact, status)',
    query: pagingQuery.extend({
      ruleId: uuid.optional(),
      contactId: uuid.optional(),
      status: ledgerStatus.optional(),
    }),
    response: page(notificationSchema),
    handler: async ({ db, auth, query }) => {
      const where = companyWhere(auth.companyId, {
        ruleId: query.ruleId,
        contactId: query.contactId,
        status: query.status,
      });
      return pageOf(
        query,
        (window) => db.notification.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...window }),
        () => db.notification.count({ where }),
        toNotification,
      );
    },
  });
}

function toNotification(n: Notification) {
  return {
    id: n.id,
    ruleId: n.ruleId,
    contactId: n.contactId,
    occurrenceDate: n.occurrenceDate,
    scheduledFor: n.scheduledFor.toISOString(),
    status: n.status,
    providerStatus: n.providerStatus,
    channel: n.channel,
    sender: n.sender,
    reason: n.reason,
    providerMessageId: n.providerMessageId,
    providerErrorCode: n.providerErrorCode,
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
  };
}

function toActivity(a: {
  id: string;
  kind: string;
  text: string;
  channel: string | null;
  sender: string | null;
  chatId: string | null;
  notificationId: string | null;
  createdAt: Date;
}) {
  return {
    id: a.id,
    kind: a.kind,
    text: a.text,
    channel: a.channel,
    sender: a.sender,
    chatId: a.chatId,
    // The channel name in the feed links to the chat.
    chatLink: a.chatId ? `/v1/chats/${a.chatId}` : null,
    notificationId: a.notificationId,
    createdAt: a.createdAt.toISOString(),
  };
}
