// API keys: list (never the key itself), create (shown once), revoke. Each user manages their
// own keys; admins manage everyone's in the company. Rotating a key is creating a new one, then
// revoking the old one once nothing uses it (`lastUsedAt` tells).
import { z } from 'zod';
import { generateApiKey } from '../../security/api-keys';
import { badRequest, forbidden, notFound } from '../errors';
import { addRoute, type AccessGuard } from '../routing';
import { idParams, uuid } from '../schemas';
import type { RouteDeps } from './deps';

const apiKeySchema = z.object({
  id: z.string(),
  /** The key's first characters (`crk_` + 6), to recognise it; the key itself is shown once. */
  prefix: z.string(),
  label: z.string().nullable(),
  userId: z.string(),
  userName: z.string(),
  createdAt: z.string(),
  /** Updated at most once a minute per key. */
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** A user acts on their own keys; admins on everyone's (checked by addRoute before the handler). */
const ownKeys: AccessGuard = {
  name: 'own-keys',
  who: 'users for their own keys',
  async check({ db, auth, params, body }) {
    const keyId = (params as { id?: string } | undefined)?.id;
    if (keyId) {
      const key = await db.apiKey.findFirst({
        where: { id: keyId, user: { companyId: auth.companyId } },
        select: { userId: true },
      });
      if (key && key.userId !== auth.userId) throw forbidden('Only admins may revoke the API keys of other users');
    }
    const forUser = (body as { userId?: string } | undefined)?.userId;
    if (forUser !== undefined && forUser !== auth.userId)
      throw forbidden('Only admins may create API keys for other users');
  },
};

type KeyRow = {
  id: string;
  prefix: string;
  label: string | null;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { name: string };
};

export function apiKeyRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/api-keys',
    tag: 'Users',
    summary: "API keys: the acting user's own, or for admins every user's (prefix, owner, created, last used)",
    query: z.object({ userId: uuid.optional(), includeRevoked: z.enum(['true', 'false']).default('false') }),
    response: z.object({ items: z.array(apiKeySchema) }),
    handler: async ({ db, auth, query }) => {
      const userId = auth.isAdmin ? query.userId : auth.userId;
      const keys = await db.apiKey.findMany({
        where: {
          user: { companyId: auth.companyId },
          ...(userId ? { userId } : {}),
          ...(query.includeRevoked === 'true' ? {} : { revokedAt: null }),
        },
        include: { user: { select: { name: true } } },
        orderBy: { createdAt: 'asc' },
      });
      return { items: keys.map(toApiKey) };
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/api-keys',
    tag: 'Users',
    status: 201,
    access: ownKeys,
    summary: 'Create an API key (for yourself, or as an admin for another user); the key is shown once',
    body: z.strictObject({
      /** Whose key; default the acting user. */
      userId: uuid.optional(),
      /** What the key is for, e.g. "CRM sync". */
      label: z.string().trim().min(1).max(100).optional(),
    }),
    response: apiKeySchema.extend({ key: z.string() }),
    handler: async ({ db, auth, body }) => {
      const userId = body.userId ?? auth.userId;
      const user = await db.user.findFirst({ where: { id: userId, companyId: auth.companyId } });
      if (!user)
        throw badRequest('Invalid request: body.userId: no such user in this company', [
          { path: 'body.userId', message: 'no such user in this company' },
        ]);
      const generated = generateApiKey();
      const key = await db.apiKey.create({
        data: { userId, keyHash: generated.hash, prefix: generated.prefix, label: body.label ?? null },
        include: { user: { select: { name: true } } },
      });
      return { ...toApiKey(key), key: generated.key };
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/api-keys/:id',
    tag: 'Users',
    status: 204,
    access: ownKeys,
    summary: 'Revoke an API key: it fails from the next request on (the row stays, for the record)',
    params: idParams,
    handler: async ({ db, auth, params }) => {
      const key = await db.apiKey.findFirst({ where: { id: params.id, user: { companyId: auth.companyId } } });
      if (!key) throw notFound('API key');
      if (!key.revokedAt) await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    },
  });
}

function toApiKey(k: KeyRow) {
  return {
    id: k.id,
    prefix: k.prefix,
    label: k.label,
    userId: k.userId,
    userName: k.user.name,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
