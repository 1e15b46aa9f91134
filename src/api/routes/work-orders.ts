// Work orders, as the CRM around us keeps them (chat sends of reminders appear in their feeds).
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { companyWhere, idParams, page, pagingQuery, uuid, pageOf } from '../schemas';
import { companyContact } from './company-rows';
import type { RouteDeps } from './deps';

const workOrderSchema = z.object({
  id: z.string(),
  contactId: z.string(),
  title: z.string(),
  status: z.enum(['open', 'closed']),
  createdAt: z.string(),
});

export function workOrderRoutes({ routes }: RouteDeps): void {
  const workOrderOf = async (db: DbClient, companyId: string, id: string) => {
    const order = await db.workOrder.findFirst({ where: { id, companyId } });
    if (!order) throw notFound('Work order');
    return order;
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/work-orders',
    tag: 'Work orders',
    summary: 'List work orders (optionally of one contact)',
    query: pagingQuery.extend({ contactId: uuid.optional(), status: z.enum(['open', 'closed']).optional() }),
    response: page(workOrderSchema),
    handler: async ({ db, auth, query }) => {
      const where = companyWhere(auth.companyId, { contactId: query.contactId, status: query.status });
      return pageOf(
        query,
        (window) => db.workOrder.findMany({ where, orderBy: { createdAt: 'desc' }, ...window }),
        () => db.workOrder.count({ where }),
        toWorkOrder,
      );
    },
  });

  // errors 404: as for POST /v1/chats, an unknown body contactId is a documented 404.
  addRoute(routes, {
    method: 'post',
    path: '/v1/work-orders',
    tag: 'Work orders',
    summary: 'Create a work order for a contact',
    status: 201,
    errors: [404],
    body: z.strictObject({
      contactId: uuid,
      title: z.string().trim().min(1).max(200),
      status: z.enum(['open', 'closed']).default('open'),
    }),
    response: workOrderSchema,
    handler: async ({ db, auth, body }) => {
      await companyContact(db, auth.companyId, body.contactId);
      return toWorkOrder(await db.workOrder.create({ data: { ...body, companyId: auth.companyId } }));
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/work-orders/:id',
    tag: 'Work orders',
    summary: 'One work order',
    params: idParams,
    response: workOrderSchema,
    handler: async ({ db, auth, params }) => toWorkOrder(await workOrderOf(db, auth.companyId, params.id)),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/work-orders/:id',
    tag: 'Work orders',
    summary: 'Edit a work order',
    params: idParams,
    body: z.strictObject({
      title: z.string().trim().min(1).max(200).optional(),
      status: z.enum(['open', 'closed']).optional(),
    }),
    response: workOrderSchema,
    handler: async ({ db, auth, params, body }) => {
      const order = await workOrderOf(db, auth.companyId, params.id);
      return toWorkOrder(await db.workOrder.update({ where: { id: order.id }, data: body }));
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/work-orders/:id',
    tag: 'Work orders',
    summary: 'Delete a work order',
    status: 204,
    params: idParams,
    handler: async ({ db, auth, params }) => {
      const order = await workOrderOf(db, auth.companyId, params.id);
      await db.workOrder.delete({ where: { id: order.id } });
    },
  });
}

function toWorkOrder(w: { id: string; contactId: string; title: string; status: 'open' | 'closed'; createdAt: Date }) {
  return { id: w.id, contactId: w.contactId, title: w.title, status: w.status, createdAt: w.createdAt.toISOString() };
}
