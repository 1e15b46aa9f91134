// Declares a route once: the same zod schemas validate the request and describe it in the
// OpenAPI document, so the docs cannot drift from what the API accepts. Also the one place where
// a route's access rule is enforced and where a write becomes one database transaction.
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z, type ZodObject, type ZodType } from 'zod';
import type { Db, DbClient } from '../db/client';
import { errorBodySchema } from './schemas';
import type { AuthContext } from './auth';
import { forbidden } from './errors';
import { validate } from './validate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: any user of the company, or its admins only. */
export type RouteAccess = 'any' | 'admin';

export interface RouteSpec<
  P extends ZodObject | undefined,
  Q extends ZodObject | undefined,
  B extends ZodType | undefined,
> {
  method: Method;
  /** Express-style path (`/v1/contacts/:id`); converted to `{id}` for OpenAPI. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of the success body; omitted for 204. */
  response?: ZodType;
  status?: 200 | 201 | 202 | 204;
  /** Extra documented error statuses besides 400/401/404. */
  errors?: number[];
  /** Default `any`. Admin-only routes answer 403 to other users before the handler runs. */
  access?: RouteAccess;
  /**
   * Writes (post/put/patch/delete) run in one database transaction by default, so everything a
   * request changes commits together or not at all. `false` for a write that must not hold a
   * transaction open (e.g. one that waits on the network).
   */
  transaction?: boolean;
  handler: (ctx: {
    /** The database, or for a write the transaction it runs in: use only this one (the embedded
     * database has a single connection, which the transaction holds). Changes that affect
     * reminders are recorded in the outbox through it (scheduling/outbox.ts). */
    db: DbClient;
    params: P extends ZodObject ? z.infer<P> : undefined;
    query: Q extends ZodObject ? z.infer<Q> : undefined;
    body: B extends ZodType ? z.infer<B> : undefined;
    auth: AuthContext;
    req: Request;
    res: Response;
  }) => Promise<unknown>;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (details name each bad field)',
  401: 'Missing or invalid API key',
  403: 'Not allowed for the acting user',
  404: 'Not found (or belongs to another company)',
  409: 'Conflicts with existing data',
  415: 'The body is not JSON',
  422: 'Well-formed but impossible',
};

/** Where routes are added: the v1 router, the OpenAPI registry and the database. */
export interface RouteTarget {
  router: Router;
  registry: OpenAPIRegistry;
  db: Db;
  /** Called after every write transaction commits (the outbox relay's nudge). */
  onCommit?: () => void;
}

// The embedded database has one connection, so a transaction may wait its turn behind others.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

export function addRoute<
  P extends ZodObject | undefined,
  Q extends ZodObject | undefined,
  B extends ZodType | undefined,
>(deps: RouteTarget, spec: RouteSpec<P, Q, B>): void {
  const { router, registry, db } = deps;
  const status = spec.status ?? 200;
  const access = spec.access ?? 'any';
  const inTransaction = spec.transaction ?? spec.method !== 'get';
  const errorStatuses = [
    ...new Set([
      400,
      401,
      ...(access === 'admin' ? [403] : []),
      ...(spec.params ? [404] : []),
      ...(spec.body ? [415] : []),
      ...(spec.errors ?? []),
    ]),
  ].sort();
  const responses: RouteConfig['responses'] = {
    [status]: spec.response
      ? { description: 'Success', content: { 'application/json': { schema: spec.response } } }
      : { description: 'Success, no content' },
  };
  for (const code of errorStatuses) {
    responses[code] = {
      description: ERROR_DESCRIPTIONS[code] ?? 'Error',
      content: { 'application/json': { schema: errorBodySchema } },
    };
  }
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z]+)/g, '{$1}'),
    summary: access === 'admin' ? `${spec.summary} (admins only)` : spec.summary,
    tags: [spec.tag],
    security: [{ bearerAuth: [] }],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
    },
    responses,
  });

  router[spec.method](
    spec.path,
    validate({ params: spec.params, query: spec.query, body: spec.body }),
    async (req, res) => {
      const input = res.locals.input as { params: never; query: never; body: never };
      const auth = res.locals.auth as AuthContext;
      if (access === 'admin' && !auth.isAdmin)
        throw forbidden(`Only admins may call ${spec.method.toUpperCase()} ${spec.path}`);
      const result = inTransaction
        ? await db.$transaction((tx) => spec.handler({ ...input, db: tx, auth, req, res }), TRANSACTION_OPTIONS)
        : await spec.handler({ ...input, db, auth, req, res });
      if (inTransaction) deps.onCommit?.();
      if (status === 204) res.status(204).end();
      else res.status(status).json(result);
    },
  );
}
