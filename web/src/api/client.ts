// The console's one way to the API: openapi-fetch typed by schema.d.ts (generated from our own
// OpenAPI document), same origin, with the session's CSRF token on every request that changes data.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

let csrfToken: string | undefined;

/** Set at sign-in and when the session is read; cleared at sign out. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD'].includes(request.method)) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An answer of the API's error shape `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Messages per field, for a form whose field names are the request body's keys (`body.sendTime` → `sendTime`). */
  fieldErrors(prefix = 'body.'): Record<string, string> {
    const errors: Record<string, string> = {};
    for (const detail of this.details) {
      if (!detail.path.startsWith(prefix)) continue;
      const field = detail.path.slice(prefix.length).split('.')[0]!;
      errors[field] = errors[field] ? `${errors[field]}; ${detail.message}` : detail.message;
    }
    return errors;
  }
}

type Result = { data?: unknown; error?: unknown; response: Response };

/** The answer's data, or an ApiError carrying the API's code, message and field details. */
export async function unwrap<R extends Result>(request: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  const { data, error, response } = await request;
  if (response.ok) return data as Exclude<R['data'], undefined>;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; details?: unknown } };
  const details = Array.isArray(body.error?.details)
    ? (body.error.details as Array<Record<string, unknown>>)
        .filter((d) => typeof d.path === 'string' && typeof d.message === 'string')
        .map((d) => ({ path: d.path as string, message: d.message as string }))
    : [];
  throw new ApiError(
    response.status,
    body.error?.code ?? 'http_error',
    body.error?.message ?? `The server answered ${response.status}`,
    details,
  );
}
