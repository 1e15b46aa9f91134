// Connected mailboxes (email integration): SMTP settings with the password encrypted at rest,
// and which users may send from each. Secrets are never returned.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import { encryptSecret } from '../../security/secret-box';
import { badRequest, forbidden, HttpError, notFound } from '../errors';
import { addRoute } from '../routing';
import { email, idParams, uuid } from '../schemas';
import type { RouteDeps } from './deps';

export const mailboxSchema = z.object({
  id: z.string(),
  address: z.string(),
  smtpHost: z.string(),
  smtpPort: z.number().int(),
  smtpSecure: z.boolean(),
  smtpUser: z.string(),
  userIds: z.array(z.string()),
  canSend: z.boolean(),
});

const smtpHost = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name');

export async function mailboxUsableBy(db: DbClient, mailboxId: string, userId: string): Promise<boolean> {
  return (await db.mailboxAccess.count({ where: { mailboxId, userId } })) > 0;
}

export function mailboxRoutes({ routes, mailboxSecretKey }: RouteDeps): void {
  const mailboxOf = async (db: DbClient, companyId: string, id: string) => {
    const mailbox = await db.mailbox.findFirst({ where: { id, companyId }, include: { access: true } });
    if (!mailbox) throw notFound('Mailbox');
    return mailbox;
  };
  const seal = (password: string) => {
    if (!mailboxSecretKey)
      throw new HttpError(503, 'not_configured', 'Mailboxes need MAILBOX_SECRET_KEY to be configured on the server');
    return encryptSecret(password, mailboxSecretKey);
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/mailboxes',
    tag: 'Mailboxes',
    summary: 'Connected mailboxes (no secrets)',
    response: z.object({ items: z.array(mailboxSchema) }),
    handler: async ({ db, auth }) => ({
      items: (
        await db.mailbox.findMany({
          where: { companyId: auth.companyId },
          include: { access: true },
          orderBy: { createdAt: 'asc' },
        })
      ).map((m) => toMailbox(m, auth.userId)),
    }),
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/mailboxes',
    tag: 'Mailboxes',
    status: 201,
    errors: [409],
    summary: 'Connect a mailbox (the connecting user may send from it)',
    body: z.strictObject({
      address: email,
      smtpHost,
      smtpPort: z.number().int().min(1).max(65535),
      smtpSecure: z.boolean().default(false),
      smtpUser: z.string().min(1).max(200),
      smtpPassword: z.string().min(1).max(500),
      userIds: z.array(uuid).max(500).default([]),
    }),
    response: mailboxSchema,
    handler: async ({ db, auth, body }) => {
      const { smtpPassword, userIds, ...settings } = body;
      await assertUsersOfCompany(db, auth.companyId, userIds);
      const mailbox = await db.mailbox.create({
        data: {
          ...settings,
          companyId: auth.companyId,
          smtpPasswordEncrypted: seal(smtpPassword),
          access: { create: [...new Set([auth.userId, ...userIds])].map((userId) => ({ userId })) },
        },
        include: { access: true },
      });
      return toMailbox(mailbox, auth.userId);
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/mailboxes/:id',
    tag: 'Mailboxes',
    summary: 'One mailbox (no secrets)',
    params: idParams,
    response: mailboxSchema,
    handler: async ({ db, auth, params }) => toMailbox(await mailboxOf(db, auth.companyId, params.id), auth.userId),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/mailboxes/:id',
    tag: 'Mailboxes',
    summary: 'Edit SMTP settings (users with access or admins)',
    params: idParams,
    errors: [403],
    body: z.strictObject({
      smtpHost: smtpHost.optional(),
      smtpPort: z.number().int().min(1).max(65535).optional(),
      smtpSecure: z.boolean().optional(),
      smtpUser: z.string().min(1).max(200).optional(),
      smtpPassword: z.string().min(1).max(500).optional(),
    }),
    response: mailboxSchema,
    handler: async ({ db, auth, params, body }) => {
      const mailbox = await mailboxOf(db, auth.companyId, params.id);
      if (!auth.isAdmin && !mailbox.access.some((a) => a.userId === auth.userId))
        throw forbidden('You do not have access to this mailbox');
      const { smtpPassword, ...settings } = body;
      const updated = await db.mailbox.update({
        where: { id: mailbox.id },
        data: { ...settings, ...(smtpPassword ? { smtpPasswordEncrypted: seal(smtpPassword) } : {}) },
        include: { access: true },
      });
      return toMailbox(updated, auth.userId);
    },
  });

  addRoute(routes, {
    method: 'put',
    path: '/v1/mailboxes/:id/access',
    tag: 'Mailboxes',
    summary: 'Set which users may send from the mailbox (admins only)',
    params: idParams,
    errors: [403],
    body: z.strictObject({ userIds: z.array(uuid).max(500) }),
    response: mailboxSchema,
    handler: async ({ db, auth, params, body }) => {
      if (!auth.isAdmin) throw forbidden('Only admins can change mailbox access');
      const mailbox = await mailboxOf(db, auth.companyId, params.id);
      await assertUsersOfCompany(db, auth.companyId, body.userIds);
      await db.mailboxAccess.deleteMany({ where: { mailboxId: mailbox.id } });
      await db.mailboxAccess.createMany({
        data: [...new Set(body.userIds)].map((userId) => ({ mailboxId: mailbox.id, userId })),
      });
      return toMailbox(await mailboxOf(db, auth.companyId, mailbox.id), auth.userId);
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/mailboxes/:id',
    tag: 'Mailboxes',
    summary: 'Disconnect a mailbox (refused while rules send from it)',
    status: 204,
    params: idParams,
    errors: [409],
    handler: async ({ db, auth, params }) => {
      const mailbox = await mailboxOf(db, auth.companyId, params.id);
      const rules = await db.notificationRule.findMany({
        where: { mailboxId: mailbox.id },
        select: { id: true, name: true },
      });
      if (rules.length > 0)
        throw new HttpError(
          409,
          'conflict',
          `${rules.length} notification rule(s) send from this mailbox; change them first`,
          { rules },
        );
      await db.mailbox.delete({ where: { id: mailbox.id } });
    },
  });
}

async function assertUsersOfCompany(db: DbClient, companyId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const found = await db.user.count({ where: { companyId, id: { in: userIds } } });
  if (found !== new Set(userIds).size)
    throw badRequest('body.userIds: some users do not exist in this company', [
      { path: 'body.userIds', message: 'unknown user' },
    ]);
}

function toMailbox(
  m: {
    id: string;
    address: string;
    smtpHost: string;
    smtpPort: number;
    smtpSecure: boolean;
    smtpUser: string;
    access: Array<{ userId: string }>;
  },
  actingUserId: string,
) {
  const userIds = m.access.map((a) => a.userId);
  return {
    id: m.id,
    address: m.address,
    smtpHost: m.smtpHost,
    smtpPort: m.smtpPort,
    smtpSecure: m.smtpSecure,
    smtpUser: m.smtpUser,
    userIds,
    canSend: userIds.includes(actingUserId),
  };
}
