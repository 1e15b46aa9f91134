// Who is calling: a Bearer API key, or the web console's session cookie (made from a key at sign
// in). Requests act as that user, inside that user's company.
//
// CSRF: the session cookie is SameSite=Strict, so other sites' pages never send it. Pages of other
// origins on the same site (another port of this host, e.g. the Temporal UI) would, so a request
// that changes data with a session must also carry X-CSRF-Token, which only our own pages can read
// (from the sign-in answer or GET /v1/session; no CORS), and an Origin header, when the browser
// sends one, must name this host.
import type { Request, RequestHandler } from 'express';
import { parse as parseCookies } from 'cookie';
import type { Db } from '../db/client';
import { hashApiKey } from '../security/api-keys';
import {
  CSRF_HEADER,
  csrfTokenFor,
  csrfTokenMatches,
  hashSessionToken,
  SESSION_COOKIE,
} from '../security/session-tokens';
import { HttpError } from './errors';

export interface AuthContext {
  userId: string;
  companyId: string;
  isAdmin: boolean;
  /** The API key the request acts with (directly, or the one its session was made from). */
  apiKeyId: string;
  /** Set when the request came with the console's session cookie rather than a Bearer key. */
  session?: { id: string; csrfToken: string; expiresAt: Date };
}

/** `lastUsedAt` is refreshed when older than this: once a minute per key at most. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling (authentication only). What the caller may do is decided per route by its
 * `access` (any, admin or a resource guard) in routing.ts, from the `isAdmin` set here.
 */
export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) return next(unauthorized('Send the API key as "Authorization: Bearer <key>"'));
      // Looked up on every request, so a revoked key fails from the next request on.
      const key = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(match[1]!) }, include: { user: true } });
      if (!key || key.revokedAt) return next(unauthorized('The API key is not valid'));
      await touchApiKey(db, key);
      res.locals.auth = {
        userId: key.userId,
        companyId: key.user.companyId,
        isAdmin: key.user.isAdmin,
        apiKeyId: key.id,
      } satisfies AuthContext;
      return next();
    }
    const token = sessionToken(req);
    if (!token)
      return next(unauthorized('Send the API key as "Authorization: Bearer <key>", or sign in to the web console'));
    const session = await db.session.findUnique({
      where: { tokenHash: hashSessionToken(token) },
      include: { user: true, apiKey: true },
    });
    if (!session || session.revokedAt || session.apiKey.revokedAt || session.expiresAt.getTime() <= Date.now())
      return next(unauthorized('The session has ended; sign in again'));
    if (!SAFE_METHODS.has(req.method) && !(csrfTokenMatches(token, req.get(CSRF_HEADER)) && sameOrigin(req)))
      return next(
        new HttpError(
          403,
          'csrf_failed',
          'A request that changes data with a session needs the X-CSRF-Token header (from GET /v1/session) and must come from this origin',
        ),
      );
    // A session acts with the key it was made from, so that key shows as used too.
    await touchApiKey(db, session.apiKey);
    res.locals.auth = {
      userId: session.userId,
      companyId: session.user.companyId,
      isAdmin: session.user.isAdmin,
      apiKeyId: session.apiKeyId,
      session: { id: session.id, csrfToken: csrfTokenFor(token), expiresAt: session.expiresAt },
    } satisfies AuthContext;
    next();
  };
}

async function touchApiKey(db: Db, key: { id: string; lastUsedAt: Date | null }): Promise<void> {
  const now = new Date();
  if (key.lastUsedAt && now.getTime() - key.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  // Conditional, so concurrent requests of one key write once.
  await db.apiKey.updateMany({
    where: {
      id: key.id,
      OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
    },
    data: { lastUsedAt: now },
  });
}

function sessionToken(req: Request): string | undefined {
  const cookies = req.get('cookie');
  return cookies ? parseCookies(cookies)[SESSION_COOKIE] || undefined : undefined;
}

/** No Origin header (not every browser sends one on same-origin requests) or one naming this host. */
function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message);
}
