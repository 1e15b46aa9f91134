// The company's own messaging accounts: its Twilio account with its SMS and WhatsApp senders, and
// its Instagram business account. Secrets are sealed like mailbox passwords and never returned;
// saving a connection always takes its secrets (they go only where they were entered). Without
// a connection the company uses the process-wide account of a single-company install.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import type { ChannelConnection, ChannelProvider } from '../../generated/prisma/client';
import { encryptSecret } from '../../security/secret-box';
import { badRequest, HttpError, notFound } from '../errors';
import { addRoute } from '../routing';
import { e164 } from '../schemas';
import type { RouteDeps } from './deps';

const connectionSchema = z.object({
  provider: z.enum(['twilio', 'instagram']),
  /** Twilio account SID, or the Instagram business account id. */
  accountId: z.string(),
  smsFrom: z.string().nullable(),
  whatsappFrom: z.string().nullable(),
  /** Instagram: the verify token to enter in the Meta app's webhook settings. */
  verifyToken: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const messagingServiceOrNumber = z
  .string()
  .regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID (MG…)');

/** Which account a channel's messages go out from now: the company's own connection, the
 * service's default (process-wide) account, or none (the channel is not configured). */
const senderSource = z
  .enum(['own', 'default', 'none'])
  .describe("own: the company's connection; default: the service's account; none: not configured");

export function channelConnectionRoutes({ routes, mailboxSecretKey, channels }: RouteDeps): void {
  const seal = (secret: string) => {
    if (!mailboxSecretKey)
      throw new HttpError(
        503,
        'not_configured',
        'Channel connections need MAILBOX_SECRET_KEY to be configured on the server',
      );
    return encryptSecret(secret, mailboxSecretKey);
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/channel-connections',
    tag: 'Channel connections',
    summary:
      "The company's own Twilio and Instagram accounts (no secrets), and which account each channel sends from now",
    response: z.object({
      items: z.array(connectionSchema),
      senders: z
        .object({ sms: senderSource, whatsapp: senderSource, instagram: senderSource })
        .describe('Which account each channel sends from now, as the worker resolves it at send time'),
    }),
    handler: async ({ db, auth }) => {
      const rows = await db.channelConnection.findMany({
        where: { companyId: auth.companyId },
        orderBy: { provider: 'asc' },
      });
      const ports = await channels.portsFor(auth.companyId);
      const own = (provider: 'twilio' | 'instagram') => rows.some((r) => r.provider === provider);
      const source = (present: boolean, provider: 'twilio' | 'instagram') =>
        !present ? ('none' as const) : own(provider) ? ('own' as const) : ('default' as const);
      return {
        items: rows.map(toConnection),
        senders: {
          sms: source(Boolean(ports.sms), 'twilio'),
          whatsapp: source(Boolean(ports.whatsapp), 'twilio'),
          instagram: source(Boolean(ports.instagram), 'instagram'),
        },
      };
    },
  });

  addRoute(routes, {
    method: 'put',
    path: '/v1/channel-connections/twilio',
    tag: 'Channel connections',
    access: 'admin',
    errors: [409],
    summary:
      "Connect (or replace) the company's Twilio account and senders; inbound messages to these numbers are this company's",
    body: z
      .strictObject({
        accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID (AC + 32 hex)'),
        authToken: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('Left out: the saved token is kept if the account SID is the same (required otherwise)'),
        smsFrom: messagingServiceOrNumber.optional(),
        whatsappFrom: e164.optional(),
      })
      .refine((b) => b.smsFrom !== undefined || b.whatsappFrom !== undefined, {
        message: 'give smsFrom, whatsappFrom or both',
        path: ['smsFrom'],
      }),
    response: connectionSchema,
    handler: async ({ db, auth, body }) => {
      const saved = await savedConnection(db, auth.companyId, 'twilio', body.accountSid);
      const data = {
        accountId: body.accountSid,
        secretEncrypted: body.authToken ? seal(body.authToken) : keep(saved?.secretEncrypted, 'authToken'),
        smsFrom: body.smsFrom ?? null,
        whatsappFrom: body.whatsappFrom ?? null,
      };
      return toConnection(
        await db.channelConnection.upsert({
          where: { companyId_provider: { companyId: auth.companyId, provider: 'twilio' } },
          create: { ...data, companyId: auth.companyId, provider: 'twilio' },
          update: data,
        }),
      );
    },
  });

  addRoute(routes, {
    method: 'put',
    path: '/v1/channel-connections/instagram',
    tag: 'Channel connections',
    access: 'admin',
    errors: [409],
    summary: "Connect (or replace) the company's Instagram business account; its verify token is generated",
    body: z.strictObject({
      accountId: z.string().regex(/^\d{1,32}$/, 'must be the numeric Instagram business account id'),
      pageAccessToken: z
        .string()
        .min(1)
        .max(1000)
        .optional()
        .describe('Left out: the saved token is kept if the account id is the same (required otherwise)'),
      appSecret: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('Left out: the saved secret is kept if the account id is the same (required otherwise)'),
    }),
    response: connectionSchema,
    handler: async ({ db, auth, body }) => {
      const saved = await savedConnection(db, auth.companyId, 'instagram', body.accountId);
      const data = {
        accountId: body.accountId,
        secretEncrypted: body.pageAccessToken
          ? seal(body.pageAccessToken)
          : keep(saved?.secretEncrypted, 'pageAccessToken'),
        appSecretEncrypted: body.appSecret ? seal(body.appSecret) : keep(saved?.appSecretEncrypted, 'appSecret'),
      };
      return toConnection(
        await db.channelConnection.upsert({
          where: { companyId_provider: { companyId: auth.companyId, provider: 'instagram' } },
          create: {
            ...data,
            companyId: auth.companyId,
            provider: 'instagram',
            verifyToken: randomBytes(24).toString('base64url'),
          },
          update: data,
        }),
      );
    },
  });

  for (const provider of ['twilio', 'instagram'] as const) {
    addRoute(routes, {
      method: 'delete',
      path: `/v1/channel-connections/${provider}`,
      tag: 'Channel connections',
      access: 'admin',
      status: 204,
      errors: [404],
      summary: `Disconnect the company's ${provider === 'twilio' ? 'Twilio' : 'Instagram'} account (the process-wide default applies again, if any)`,
      handler: async ({ db, auth }) => {
        const removed = await db.channelConnection.deleteMany({ where: { companyId: auth.companyId, provider } });
        if (removed.count === 0) throw notFound('Channel connection');
      },
    });
  }
}

/** The company's saved connection of this provider, when it is for the same account. */
async function savedConnection(db: DbClient, companyId: string, provider: ChannelProvider, accountId: string) {
  const row = await db.channelConnection.findUnique({ where: { companyId_provider: { companyId, provider } } });
  return row?.accountId === accountId ? row : undefined;
}

/** A saved sealed secret kept as it is, or a 400 naming the field that must be entered. */
function keep(sealed: string | null | undefined, field: string): string {
  if (sealed) return sealed;
  throw badRequest(`Invalid request: body.${field}: required (a secret is kept only for the same account)`, [
    { path: `body.${field}`, message: 'required (a secret is kept only for the same account)' },
  ]);
}

function toConnection(c: ChannelConnection) {
  return {
    provider: c.provider,
    accountId: c.accountId,
    smsFrom: c.smsFrom,
    whatsappFrom: c.whatsappFrom,
    verifyToken: c.verifyToken,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
