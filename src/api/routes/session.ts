// The web console's sign-in: an API key (sent as Bearer, like every key) exchanged for a session
// cookie; the session's CSRF token; sign out; and who the acting user is.
import type { CookieOptions, Request } from 'express';
import { z } from 'zod';
import { generateSessionToken, csrfTokenFor, SESSION_COOKIE, SESSION_LIFETIME_MS } from '../../security/session-tokens';
import type { AuthContext } from '../auth';
import { badRequest, notFound } from '../errors';
import { addRoute } from '../routing';
import type { RouteDeps } from './deps';

const meSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  isAdmin: z.boolean(),
  company: z.object({ id: z.string(), name: z.string() }),
});

const sessionSchema = z.object({
  /** Send it as X-CSRF-Token on every request that changes data. */
  csrfToken: z.string(),
  expiresAt: z.string(),
});

function cookieOptions(req: Request, expires: Date): CookieOptions {
  // Secure whenever the console is reached over HTTPS; plain HTTP stays usable on localhost.
  return { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', expires };
}

function sessionOf(auth: AuthContext): NonNullable<AuthContext['session']> {
  if (!auth.session) throw notFound('Session (this request authenticated with an API key, not a session cookie)');
  return auth.session;
}

export function sessionRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/me',
    tag: 'Session',
    summary: 'The acting user: name, email, role and company',
    response: meSchema,
    handler: async ({ db, auth }) => {
      const user = await db.user.findUniqueOrThrow({ where: { id: auth.userId }, include: { company: true } });
      return {
        id: user.id,
        name: user.name,
        email: user.email,
        isAdmin: user.isAdmin,
        company: { id: user.company.id, name: user.company.name },
      };
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/session',
    tag: 'Session',
    status: 201,
    summary:
      'Sign in to the web console: the API key sent as Bearer becomes a session cookie (HttpOnly, SameSite=Strict, 12 hours)',
    response: sessionSchema,
    handler: async ({ db, auth, req, res }) => {
      if (auth.session)
        throw badRequest('Sign in with an API key ("Authorization: Bearer <key>"), not with a session', [
          { path: 'headers.authorization', message: 'required to sign in' },
        ]);
      const { token, hash } = generateSessionToken();
      const expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
      await db.session.create({ data: { userId: auth.userId, apiKeyId: auth.apiKeyId, tokenHash: hash, expiresAt } });
      res.cookie(SESSION_COOKIE, token, cookieOptions(req, expiresAt));
      return { csrfToken: csrfTokenFor(token), expiresAt: expiresAt.toISOString() };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/session',
    tag: 'Session',
    errors: [404],
    summary: 'The console session of this request, with the CSRF token its writes must send as X-CSRF-Token',
    response: sessionSchema,
    handler: async ({ auth }) => {
      const session = sessionOf(auth);
      return { csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/session',
    tag: 'Session',
    status: 204,
    errors: [403, 404],
    summary: 'Sign out: the session ends at once and its cookie is cleared',
    handler: async ({ db, auth, req, res }) => {
      const session = sessionOf(auth);
      await db.session.update({ where: { id: session.id }, data: { revokedAt: new Date() } });
      res.clearCookie(SESSION_COOKIE, cookieOptions(req, new Date(0)));
    },
  });
}
