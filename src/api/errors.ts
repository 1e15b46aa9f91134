// One error body shape for the whole API: { error: { code, message, details? } }.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/unavailable';
import { TemporalUnavailableError } from '../scheduling/reminder-states';
import { loggablePath } from './request-log';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, 'bad_request', message, details);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const conflict = (message: string, details?: unknown) => new HttpError(409, 'conflict', message, details);
export const unprocessable = (message: string, details?: unknown) =>
  new HttpError(422, 'unprocessable', message, details);

/** Seconds a client should wait before retrying while the database or Temporal is unreachable. */
const RETRY_AFTER_SECONDS = 5;

export function zodDetails(error: ZodError, location: string) {
  return error.issues.map((issue) => ({
    path: [location, ...issue.path].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

interface ErrorHandlerOptions {
  exposeStack: boolean;
  log: (message: string, fields: Record<string, unknown>) => void;
}

export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body } = toResponse(err);
    if (status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    if (status >= 500) {
      options.log('request failed', {
        requestId: (req as { id?: unknown }).id,
        method: req.method,
        path: loggablePath(req.path),
        error: err instanceof Error ? err.message : String(err),
      });
      if (options.exposeStack && err instanceof Error) (body.error as Record<string, unknown>).stack = err.stack;
    }
    res.status(status).json(body);
  };
}

function toResponse(err: unknown): { status: number; body: { error: Record<string, unknown> } } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: withDetails({ code: err.code, message: err.message }, err.details) } };
  }
  // An outage is not a bug: the answer tells the client to retry, not that the request was wrong.
  if (isDatabaseUnavailable(err))
    return {
      status: 503,
      body: {
        error: {
          code: 'database_unavailable',
          message: 'The database is unavailable right now; retry in a few seconds.',
        },
      },
    };
  // Reads of the reminders' state need Temporal: without it the API cannot say what is pending.
  if (err instanceof TemporalUnavailableError)
    return {
      status: 503,
      body: {
        error: {
          code: 'temporal_unavailable',
          message: "Temporal is unavailable right now, so the reminders' state cannot be read; retry in a few seconds.",
        },
      },
    };
  const prismaCode = (err as { code?: unknown; name?: string }).code;
  if (typeof prismaCode === 'string' && /^P\d{4}$/.test(prismaCode)) {
    // Unique key taken (P2002) or a referenced row in use (P2003): a conflict with existing data.
    if (prismaCode === 'P2002')
      return {
        status: 409,
        body: { error: { code: 'conflict', message: 'A record with the same unique values already exists' } },
      };
    if (prismaCode === 'P2003')
      return { status: 409, body: { error: { code: 'conflict', message: 'The record is referenced by other data' } } };
    if (prismaCode === 'P2025')
      return { status: 404, body: { error: { code: 'not_found', message: 'Record not found' } } };
  }
  // Body-parser errors: malformed JSON, payload too large, wrong charset.
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code =
      e.type === 'entity.parse.failed'
        ? 'invalid_json'
        : e.type === 'entity.too.large'
          ? 'payload_too_large'
          : 'bad_request';
    const message = e.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : (e.message ?? 'Bad request');
    return { status, body: { error: { code, message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'Internal server error' } } };
}

function withDetails(error: Record<string, unknown>, details: unknown) {
  return details === undefined ? error : { ...error, details };
}
