// Connected mailboxes (email integration): SMTP settings with the password encrypted at rest,
// and which users may send from each. Secrets are never returned. Managing mailboxes is for
// admins; users pick, as a rule's sender, the mailboxes an admin gave them access to.
//
// A mailbox's host is checked like the SMTP adapter checks it when it connects (public
// addresses only, unless the operator allows private hosts), and its password goes only where it
// was entered: changing the server, port, security or login requires the password again.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import { DeliveryError } from '../../delivery/ports';
import { HostRefusedError, resolveAllowedHost } from '../../delivery/public-host';
import { verifyMailboxConnection } from '../../delivery/smtp-adapter';
import { decryptSecret, encryptSecret } from '../../security/secret-box';
import { badRequest, HttpError, notFound } from '../errors';
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
  allowInsecure: z.boolean(),
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

const smtpPort = z.number().int().min(1).max(65535);
const smtpPassword = z.string().min(1).max(500);

/** The settings that decide where the stored password is sent and how. */
const CONNECTION_KEYS = ['smtpHost', 'smtpPort', 'smtpSecure', 'smtpUser', 'allowInsecure'] as const;

export function mailboxRoutes({ routes, mailboxSecretKey, mailboxConnect }: RouteDeps): void {
  const mailboxOf = async (db: DbClient, companyId: string, id: string) => {
    const mailbox = await db.mailbox.findFirst({ where: { id, companyId }, include: { access: true } });
    if (!mailbox) throw notFound('Mailbox');
    return mailbox;
  };
  const secretKey = () => {
    if (!mailboxSecretKey)
      throw new HttpError(503, 'not_configured', 'Mailboxes need MAILBOX_SECRET_KEY to be configured on the server');
    return mailboxSecretKey;
  };
  const seal = (password: string) => encryptSecret(password, secretKey());
  /** 400 naming body.smtpHost when the host is internal (a host that does not resolve yet passes:
   * the send and the connection test check again). */
  const assertHostAllowed = async (host: string) => {
    try {
      await resolveAllowedHost(host, mailboxConnect.hosts);
    } catch (error) {
      if (error instanceof HostRefusedError && error.reason === 'not-public')
        throw badRequest(`Invalid request: body.smtpHost: ${error.message}`, [
          { path: 'body.smtpHost', message: error.message },
        ]);
      if (!(error instanceof HostRefusedError)) throw error;
    }
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
    access: 'admin',
    summary: 'Connect a mailbox (the connecting admin may send from it)',
    body: z
      .strictObject({
        address: email,
        smtpHost,
        smtpPort,
        /** Implicit TLS; default true on port 465, otherwise STARTTLS (required unless allowInsecure). */
        smtpSecure: z.boolean().optional(),
        smtpUser: z.string().min(1).max(200),
        smtpPassword,
        /** Allow clear text when the server offers no TLS (the password then travels unencrypted). */
        allowInsecure: z.boolean().default(false),
        userIds: z.array(uuid).max(500).default([]),
      })
      .superRefine(checkTlsSettings),
    response: mailboxSchema,
    handler: async ({ db, auth, body }) => {
      const { smtpPassword, userIds, smtpSecure, ...settings } = body;
      await assertUsersOfCompany(db, auth.companyId, userIds);
      await assertHostAllowed(settings.smtpHost);
      const mailbox = await db.mailbox.create({
        data: {
          ...settings,
          smtpSecure: smtpSecure ?? settings.smtpPort === 465,
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
    access: 'admin',
    summary: 'Edit SMTP settings (changing server, port, security or login requires smtpPassword again)',
    params: idParams,
    body: z.strictObject({
      smtpHost: smtpHost.optional(),
      smtpPort: smtpPort.optional(),
      smtpSecure: z.boolean().optional(),
      smtpUser: z.string().min(1).max(200).optional(),
      smtpPassword: smtpPassword.optional(),
      allowInsecure: z.boolean().optional(),
    }),
    response: mailboxSchema,
    handler: async ({ db, auth, params, body }) => {
      const mailbox = await mailboxOf(db, auth.companyId, params.id);
      const { smtpPassword, ...settings } = body;
      const changed = CONNECTION_KEYS.filter((key) => settings[key] !== undefined && settings[key] !== mailbox[key]);
      // The stored password was entered for the old server: it must not follow a new one.
      if (changed.length > 0 && smtpPassword === undefined)
        throw badRequest(`Invalid request: body.smtpPassword: required when ${changed.join(', ')} change(s)`, [
          { path: 'body.smtpPassword', message: `required when ${changed.join(', ')} change(s)` },
        ]);
      const merged = {
        smtpPort: settings.smtpPort ?? mailbox.smtpPort,
        smtpSecure: settings.smtpSecure ?? mailbox.smtpSecure,
      };
      const tlsProblems: Array<{ path: string; message: string }> = [];
      checkTlsSettings(merged, {
        addIssue: (issue: { path: string[]; message: string }) =>
          void tlsProblems.push({ path: `body.${issue.path.join('.')}`, message: issue.message }),
      });
      if (tlsProblems.length > 0)
        throw badRequest(
          `Invalid request: ${tlsProblems.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
          tlsProblems,
        );
      if (settings.smtpHost !== undefined) await assertHostAllowed(settings.smtpHost);
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
    access: 'admin',
    summary: 'Set which users may send from the mailbox',
    params: idParams,
    body: z.strictObject({ userIds: z.array(uuid).max(500) }),
    response: mailboxSchema,
    handler: async ({ db, auth, params, body }) => {
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
    access: 'admin',
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

  addRoute(routes, {
    method: 'post',
    path: '/v1/mailboxes/:id/test',
    tag: 'Mailboxes',
    summary:
      'Test the connection: log in to the SMTP server as a send would (host check, TLS, AUTH) and hang up; nothing is sent',
    access: 'admin',
    // Waits on the network: no transaction held open meanwhile.
    transaction: false,
    params: idParams,
    response: z.object({
      ok: z.boolean(),
      /** What happened, e.g. the server's answer to AUTH. */
      message: z.string(),
      /** When not ok: the SMTP reply code or error code, and whether trying again later may help. */
      code: z.string().optional(),
      retryable: z.boolean().optional(),
    }),
    handler: async ({ db, auth, params }) => {
      const mailbox = await mailboxOf(db, auth.companyId, params.id);
      let password: string;
      try {
        password = decryptSecret(mailbox.smtpPasswordEncrypted, secretKey());
      } catch (error) {
        if (error instanceof HttpError) throw error;
        return {
          ok: false,
          message:
            "The stored password cannot be read with this server's MAILBOX_SECRET_KEY; enter it again with PATCH",
          retryable: false,
        };
      }
      const smtp = {
        host: mailbox.smtpHost,
        port: mailbox.smtpPort,
        secure: mailbox.smtpSecure,
        user: mailbox.smtpUser,
        password,
        allowInsecure: mailbox.allowInsecure,
      };
      try {
        await verifyMailboxConnection(smtp, mailboxConnect);
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        return {
          ok: false,
          message: error.message,
          ...(error.code ? { code: error.code } : {}),
          retryable: error.retryable,
        };
      }
      return {
        ok: true,
        message: `Logged in to ${mailbox.smtpHost}:${mailbox.smtpPort} as ${mailbox.smtpUser}${mailbox.smtpSecure ? ' over TLS' : mailbox.allowInsecure ? '' : ' after STARTTLS'}`,
      };
    },
  });
}

/**
 * Port 465 is implicit TLS: a client that waits for STARTTLS there never gets a greeting. Every
 * other port without `smtpSecure` upgrades with STARTTLS (required unless allowInsecure).
 */
function checkTlsSettings(
  value: { smtpPort: number; smtpSecure?: boolean | undefined },
  ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void },
): void {
  if (value.smtpPort === 465 && value.smtpSecure === false)
    ctx.addIssue({
      code: 'custom',
      path: ['smtpSecure'],
      message: 'port 465 is implicit TLS: set smtpSecure true (or use port 587 with STARTTLS)',
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
    allowInsecure: boolean;
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
    allowInsecure: m.allowInsecure,
    userIds,
    canSend: userIds.includes(actingUserId),
  };
}
