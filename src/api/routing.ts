// Declares a route once: the same zod schemas validate the request and describe it in the
// OpenAPI document, so the docs cannot drift from what the API accepts. Also the one place where
// a route's access rule is enforced, where a write becomes one database transaction, and where
// POST creates take an Idempotency-Key.
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z, type ZodObject, type ZodType } from 'zod';
import type { Db, DbClient } from '../db/client';
import { errorBodySchema } from './schemas';
import type { AuthContext } from './auth';
import { forbidden } from './errors';
import {
  IDEMPOTENCY_HEADER,
  idempotencyHeaders,
  idempotencyKeyOf,
  IdempotencyRace,
  idempotentRequest,
  refuseIdempotencyKey,
  replay,
  REPLAYED_HEADER,
  storeAnswer,
  storedAnswer,
  type IdempotentRequest,
  type StoredAnswer,
} from './idempotency';
import { validate } from './validate';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route. The README's role table lists every write route with its access and a
 * test holds the two together (it reads `x-access` from the OpenAPI document):
 * - `any`: every user of the company;
 * - `admin`: the company's admins only — answered 403 before the request is even validated;
 * - a guard: any user, subject to a check on the resource the request touches (e.g. "the rule
 *   sends from a mailbox the user may use"); admins always pass.
 */
export type RouteAccess = 'any' | 'admin' | AccessGuard;

export interface AccessGuard {
  /** Its name in the role table and in the operation's `x-access`. */
  name: string;
  /** One line for the OpenAPI summary, e.g. "users who may send from the rule's mailbox". */
  who: string;
  /** Throws a 403 when the (non-admin) user may not; runs in the request's transaction, after
   * validation and before the handler. A resource that does not exist is the handler's 404. */
  check(ctx: { db: DbClient; auth: AuthContext; params: unknown; body: unknown }): Promise<void>;
}

/** The access name of a route, as the role table and `x-access` write it. */
export function accessName(access: RouteAccess): string {
  return typeof access === 'string' ? access : access.name;
}

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
  /**
   * POST creates (201) accept an Idempotency-Key (idempotency.ts). `{ refused: why }` for a create
   * whose answer carries a secret shown once (it would be stored to be replayed): the header is
   * then a 400 naming it, rather than a retry guarantee silently not kept.
   */
  idempotency?: { refused: string };
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
  401: 'Missing or invalid API key or session',
  403: 'Not allowed for the acting user',
  404: 'Not found (or belongs to another company)',
  409: 'Conflicts with existing data',
  415: 'The body is not JSON',
  422: 'Well-formed but impossible',
  429: 'Too many requests (Retry-After says when to try again)',
  502: 'A provider refused or could not be reached',
  503: 'Unavailable right now: the database or Temporal unreachable (retry after Retry-After seconds), or a feature not configured on the server',
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
  const isCreate = spec.method === 'post' && status === 201;
  // The stored answer is written in the create's own transaction, so creates need one.
  const takesIdempotencyKey = isCreate && inTransaction && spec.idempotency === undefined;
  const errorStatuses = [
    ...new Set([
      400,
      401,
      ...(access !== 'any' ? [403] : []),
      ...(spec.params ? [404] : []),
      ...(spec.body ? [415] : []),
      ...(takesIdempotencyKey ? [422] : []),
      ...(spec.errors ?? []),
    ]),
  ].sort();
  const replayedHeader = {
    [REPLAYED_HEADER]: {
      description: `\`true\` when this is the stored answer to an earlier request with the same ${IDEMPOTENCY_HEADER}`,
      schema: { type: 'string' as const, enum: ['true'] },
    },
  };
  const responses: RouteConfig['responses'] = {
    [status]: {
      ...(spec.response
        ? { description: 'Success', content: { 'application/json': { schema: spec.response } } }
        : { description: 'Success, no content' }),
      ...(takesIdempotencyKey ? { headers: replayedHeader } : {}),
    },
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
    summary:
      access === 'any'
        ? spec.summary
        : `${spec.summary} (${access === 'admin' ? 'admins only' : `admins, or ${access.who}`})`,
    'x-access': accessName(access),
    tags: [spec.tag],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(takesIdempotencyKey ? { headers: idempotencyHeaders } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
    },
    responses,
  });

  router[spec.method](
    spec.path,
    // Admin-only routes refuse other users before validation: they learn nothing about the body.
    (_req, res, next) => {
      const auth = res.locals.auth as AuthContext;
      if (access === 'admin' && !auth.isAdmin)
        return next(forbidden(`Only admins may call ${spec.method.toUpperCase()} ${spec.path}`));
      next();
    },
    validate({ params: spec.params, query: spec.query, body: spec.body }),
    async (req, res) => {
      const input = res.locals.input as { params: never; query: never; body: never };
      const auth = res.locals.auth as AuthContext;
      if (spec.idempotency) refuseIdempotencyKey(req, spec.idempotency.refused);
      const key = takesIdempotencyKey ? idempotencyKeyOf(req) : undefined;
      const idempotent = key === undefined ? undefined : idempotentRequest(req, auth.companyId, key);
      const run = async (client: DbClient): Promise<{ replayed: StoredAnswer } | { result: unknown }> => {
        if (idempotent) {
          const stored = await storedAnswer(client, idempotent);
          if (stored) return { replayed: stored };
        }
        if (typeof access === 'object' && !auth.isAdmin)
          await access.check({ db: client, auth, params: input.params, body: input.body });
        const result = await spec.handler({ ...input, db: client, auth, req, res });
        if (idempotent) await storeAnswer(client, idempotent, { status, body: result });
        return { result };
      };
      let outcome;
      try {
        outcome = inTransaction ? await db.$transaction(run, TRANSACTION_OPTIONS) : await run(db);
      } catch (error) {
        if (!(error instanceof IdempotencyRace)) throw error;
        // A concurrent request with the same key won: this one's work was rolled back; answer as
        // a retry would be answered.
        const stored = await storedAnswer(db, idempotent as IdempotentRequest);
        if (!stored) throw error;
        outcome = { replayed: stored };
      }
      if (inTransaction) deps.onCommit?.();
      if ('replayed' in outcome) replay(res, outcome.replayed);
      else if (status === 204) res.status(204).end();
      else res.status(status).json(outcome.result);
    },
  );
}
