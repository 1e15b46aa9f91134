// The contact form: field definitions per kind, and the events (date fields) rules may use.
import { z } from 'zod';
import { conflict, notFound, unprocessable } from '../errors';
import { addRoute } from '../routing';
import { contactKind, fieldType, idParams } from '../schemas';
import type { RouteDeps } from './deps';

const fieldSchema = z.object({
  id: z.string(),
  kind: contactKind,
  key: z.string(),
  label: z.string(),
  type: fieldType,
  system: z.boolean(),
});

const fieldCreate = z.strictObject({
  kind: contactKind,
  key: z
    .string()
    .regex(/^[a-z][a-zA-Z0-9_]{0,62}$/, 'must start with a lowercase letter and use letters, digits or _ (max 63)'),
  label: z.string().trim().min(1).max(100),
  type: fieldType,
});

const eventSchema = z.object({ fieldId: z.string(), key: z.string(), label: z.string(), system: z.boolean() });

export function contactFieldRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/contact-fields',
    tag: 'Contact form',
    summary: 'Fields of the contact form',
    query: z.object({ kind: contactKind.optional() }),
    response: z.object({ items: z.array(fieldSchema) }),
    handler: async ({ db, auth, query }) => ({
      items: (
        await db.contactField.findMany({
          where: { companyId: auth.companyId, ...(query.kind ? { kind: query.kind } : {}) },
          orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }],
        })
      ).map(toField),
    }),
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/contact-fields',
    tag: 'Contact form',
    summary: 'Add a field to the contact form',
    access: 'admin',
    status: 201,
    body: fieldCreate,
    response: fieldSchema,
    errors: [409],
    handler: async ({ db, auth, body }) =>
      toField(await db.contactField.create({ data: { ...body, companyId: auth.companyId } })),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/contact-fields/:id',
    tag: 'Contact form',
    summary: 'Rename a field',
    access: 'admin',
    params: idParams,
    body: z.strictObject({ label: z.string().trim().min(1).max(100) }),
    response: fieldSchema,
    handler: async ({ db, auth, params, body }) => {
      const field = await db.contactField.findFirst({ where: { id: params.id, companyId: auth.companyId } });
      if (!field) throw notFound('Contact field');
      return toField(await db.contactField.update({ where: { id: field.id }, data: { label: body.label } }));
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/contact-fields/:id',
    tag: 'Contact form',
    status: 204,
    errors: [409, 422],
    summary: 'Delete a field (refused for system fields and for date fields that rules use)',
    access: 'admin',
    params: idParams,
    handler: async ({ db, auth, params }) => {
      const field = await db.contactField.findFirst({ where: { id: params.id, companyId: auth.companyId } });
      if (!field) throw notFound('Contact field');
      if (field.system) throw unprocessable(`"${field.label}" is a system field and cannot be deleted`);
      // Refusing (rather than silently disabling rules) keeps the admin in control of the rules.
      const rules = await db.notificationRule.findMany({
        where: { eventFieldId: field.id },
        select: { id: true, name: true },
      });
      if (rules.length > 0) {
        throw conflict(
          `"${field.label}" is the event of ${rules.length} notification rule(s); delete or change them first`,
          { rules },
        );
      }
      await db.contactField.delete({ where: { id: field.id } });
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-events',
    tag: 'Notification rules',
    summary: "Events a rule may use: every date field of that kind's contact form (Birthday included)",
    query: z.object({ kind: contactKind }),
    response: z.object({ items: z.array(eventSchema) }),
    handler: async ({ db, auth, query }) => {
      const fields = await db.contactField.findMany({
        where: { companyId: auth.companyId, kind: query.kind, type: 'date' },
        orderBy: [{ system: 'desc' }, { createdAt: 'asc' }],
      });
      return { items: fields.map((f) => ({ fieldId: f.id, key: f.key, label: f.label, system: f.system })) };
    },
  });
}

function toField(f: z.infer<typeof fieldSchema>) {
  return fieldSchema.parse(f);
}
