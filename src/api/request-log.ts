// Request ids and one access-log line per request (pino-http). A sane incoming `X-Request-Id`
// (from a proxy or the caller) is kept, otherwise one is generated; either way it is echoed in
// the response, bound to `req.log` and to the access line, and logged by the error handler.
// Access lines carry the method, the path without its query string (search terms are personal
// data), the route template and the status — never headers or bodies.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import type { Logger, ServiceLogger } from '../runtime/logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template that matched (`/v1/contacts/:id`), or undefined when none did. */
export function routeTemplate(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : undefined;
}

/** The request's path for logs: no query string, and no codec token (`/codec/<token>/decode`). */
export function loggablePath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.replace(/^\/codec\/[^/]+\/(encode|decode)$/, '/codec/[token]/$1');
}

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

const QUIET_WHEN_OK = new Set(['/health', '/metrics']);

export function requestLogging(logger: Logger): RequestHandler {
  const base = 'pino' in logger ? (logger as ServiceLogger).pino : pino({ enabled: false });
  const middleware = pinoHttp({
    logger: base,
    genReqId: requestId,
    customAttributeKeys: { reqId: 'requestId' },
    // Lines logged through `req.log` carry the request id; the access line also method and path.
    quietReqLogger: true,
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ method: req.method, path: loggablePath(req.originalUrl ?? req.url) }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      // Probes and scrapes every few seconds would drown everything else.
      return QUIET_WHEN_OK.has(loggablePath(req.url ?? '')) ? 'silent' : 'info';
    },
    customSuccessObject: (req, _res, fields) => ({ ...fields, route: routeTemplate(req as Request) }),
    // The error itself is logged once by the error handler (with this request id); pino-http's
    // stand-in ("failed with status code 500") would only add a meaningless stack.
    customErrorObject: (req, _res, _err, { err: _omitted, ...fields }) => ({
      ...fields,
      route: routeTemplate(req as Request),
    }),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
  });
  return middleware as unknown as RequestHandler;
}
