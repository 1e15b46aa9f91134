// Web console sessions: the cookie carries a random token, the database only its SHA-256 (like
// API keys: 256 random bits need no salt or slow hash). The CSRF token is derived from the session
// token, so the server keeps no second secret and nothing that lacks the cookie can produce it.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Wire name of the session cookie. */
export const SESSION_COOKIE = 'crk_session';
/** Header that state-changing requests made with a session must carry (wire name). */
export const CSRF_HEADER = 'x-csrf-token';
/** A session ends this long after sign-in (sign out or revoking its API key end it sooner). */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export function generateSessionToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSessionToken(token) };
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('csrf').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
