// Contacts (people and organizations, clients and employees) with their form values.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import type { Contact } from '../../generated/prisma/client';
import { recordReminderChange } from '../../scheduling/outbox';
import { checkFieldValues, mergeFieldValues } from '../contact-values';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { contactKind, contactRole, e164, email, idParams, page, pagingQuery, pageOf } from '../schemas';
import type { RouteDeps } from './deps';

export const contactSchema = z.object({
  id: z.string(),
  kind: contactKind,
  role: contactRole,
  name: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  smsConsent: z.boolean(),
  emailConsent: z.boolean(),
  fields: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const fieldValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

const contactCreate = z.strictObject({
  kind: contactKind,
  role: contactRole.default('client'),
  name: z.string().trim().min(1).max(200),
  phone: e164.nullable().optional(),
  email: email.nullable().optional(),
  smsConsent: z.boolean().default(false),
  emailConsent: z.boolean().default(false),
  fields: fieldValues.default({}),
});

const contactPatch = z.strictObject({
  kind: contactKind.optional(),
  role: contactRole.optional(),
  name: z.string().trim().min(1).max(200).optional(),
  phone: e164.nullable().optional(),
  email: email.nullable().optional(),
  smsConsent: z.boolean().optional(),
  emailConsent: z.boolean().optional(),
  /** Values to set; `null` removes a value. Fields not mentioned keep their values. */
  fields: fieldValues.optional(),
});

export function contactRoutes({ routes }: RouteDeps): void {
  const form = (db: DbClient, companyId: string, kind: 'person' | 'organization') =>
    db.contactField.findMany({ where: { companyId, kind } });
  const findContact = async (db: DbClient, companyId: string, id: string) => {
    const contact = await db.contact.findFirst({ where: { id, companyId } });
    if (!contact) throw notFound('Contact');
    return contact;
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/contacts',
    tag: 'Contacts',
    summary: 'List contacts (filter by kind and role; paged)',
    query: pagingQuery.extend({
      kind: contactKind.optional(),
      role: contactRole.optional(),
      q: z.string().max(200).optional(),
    }),
    response: page(contactSchema),
    handler: async ({ db, auth, query }) => {
      const where = {
        companyId: auth.companyId,
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.role ? { role: query.role } : {}),
        ...(query.q ? { name: { contains: query.q, mode: 'insensitive' as const } } : {}),
      };
      return pageOf(
        query,
        (window) => db.contact.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], ...window }),
        () => db.contact.count({ where }),
        toContact,
      );
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/contacts',
    tag: 'Contacts',
    summary: 'Create a contact (its reminders start)',
    status: 201,
    body: contactCreate,
    response: contactSchema,
    handler: async ({ db, auth, body }) => {
      const fields = checkFieldValues(await form(db, auth.companyId, body.kind), body.fields);
      const contact = await db.contact.create({
        data: {
          ...body,
          ...consentChangedAt(undefined, body),
          fields: mergeFieldValues({}, fields),
          companyId: auth.companyId,
        },
      });
      await recordReminderChange(db, { kind: 'contact', companyId: auth.companyId, contactId: contact.id });
      return toContact(contact);
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'One contact',
    params: idParams,
    response: contactSchema,
    handler: async ({ db, auth, params }) => toContact(await findContact(db, auth.companyId, params.id)),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'Edit a contact (its reminders re-plan, start or end)',
    params: idParams,
    body: contactPatch,
    response: contactSchema,
    handler: async ({ db, auth, params, body }) => {
      const existing = await findContact(db, auth.companyId, params.id);
      const kind = body.kind ?? existing.kind;
      const newForm = await form(db, auth.companyId, kind);
      const fields = body.fields ? checkFieldValues(newForm, body.fields) : {};
      // A contact that changes kind moves to the other form: values of the old form's fields go.
      const keys = new Set(newForm.map((f) => f.key));
      const kept = Object.fromEntries(
        Object.entries(mergeFieldValues(existing.fields, fields)).filter(([key]) => keys.has(key)),
      );
      const contact = await db.contact.update({
        where: { id: existing.id },
        data: { ...body, ...consentChangedAt(existing, body), fields: kept },
      });
      await recordReminderChange(db, { kind: 'contact', companyId: auth.companyId, contactId: contact.id });
      return toContact(contact);
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'Delete a contact (its reminders end)',
    status: 204,
    params: idParams,
    handler: async ({ db, auth, params }) => {
      const contact = await findContact(db, auth.companyId, params.id);
      await db.contact.delete({ where: { id: contact.id } });
      await recordReminderChange(db, { kind: 'contact', companyId: auth.companyId, contactId: contact.id });
    },
  });
}

export function toContact(c: Contact) {
  return {
    id: c.id,
    kind: c.kind,
    role: c.role,
    name: c.name,
    phone: c.phone,
    email: c.email,
    smsConsent: c.smsConsent,
    emailConsent: c.emailConsent,
    fields: (c.fields ?? {}) as Record<string, unknown>,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/**
 * When a user changes a consent here, the change is stamped with the current time, so that an
 * opt-out or opt-in message the client wrote earlier (a late or replayed webhook) cannot undo it.
 * Re-saving the same value is no change: a STOP that arrives later still applies.
 */
function consentChangedAt(
  existing: { smsConsent: boolean; emailConsent: boolean } | undefined,
  body: { smsConsent?: boolean | undefined; emailConsent?: boolean | undefined },
): { smsConsentChangedAt?: Date; emailConsentChangedAt?: Date } {
  const now = new Date();
  return {
    ...(body.smsConsent !== undefined && body.smsConsent !== existing?.smsConsent ? { smsConsentChangedAt: now } : {}),
    ...(body.emailConsent !== undefined && body.emailConsent !== existing?.emailConsent
      ? { emailConsentChangedAt: now }
      : {}),
  };
}
