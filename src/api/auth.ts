// Bearer API keys. Requests act as the key's user, inside that user's company.
import type { RequestHandler } from 'express';
import type { Db } from '../db/client';
import { hashApiKey } from '../security/api-keys';
import { HttpError } from './errors';

export interface AuthContext {
  userId: string;
  companyId: string;
  isAdmin: boolean;
}

/** `lastUsedAt` is refreshed when older than this: once a minute per key at most. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function requireApiKey(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return next(unauthorized('Send the API key as "Authorization: Bearer <key>"'));
    // Looked up on every request, so a revoked key fails from the next request on.
    const key = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(match[1]!) }, include: { user: true } });
    if (!key || key.revokedAt) return next(unauthorized('The API key is not valid'));
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      // Conditional, so concurrent requests of one key write once.
      await db.apiKey.updateMany({
        where: {
          id: key.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
        },
        data: { lastUsedAt: now },
      });
    }
    res.locals.auth = {
      userId: key.userId,
      companyId: key.user.companyId,
      isAdmin: key.user.isAdmin,
    } satisfies AuthContext;
    next();
  };
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message);
}
