// The signed-in user: read once from the session cookie (GET /v1/session, GET /v1/me); a 401 from
// any later request means the session ended and the sign-in screen comes back.
import { createContext, useContext } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken, unwrap } from '../api/client';
import type { Me } from '../api/types';

export interface SignedIn {
  me: Me;
  expiresAt: string;
}

export const SESSION_KEY = ['session'] as const;

async function readSession(): Promise<SignedIn | null> {
  try {
    // Both at once: the first page waits for one round trip, not two.
    const [session, me] = await Promise.all([unwrap(api.GET('/v1/session')), unwrap(api.GET('/v1/me'))]);
    setCsrfToken(session.csrfToken);
    return { me, expiresAt: session.expiresAt };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(undefined);
      return null;
    }
    throw error;
  }
}

export function useSessionQuery() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: readSession, staleTime: Infinity, retry: false });
}

const SessionContext = createContext<SignedIn | null>(null);
export const SessionProvider = SessionContext.Provider;

/** The signed-in user (screens render only inside a session). */
export function useMe(): Me {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useMe() outside a session');
  return session.me;
}
