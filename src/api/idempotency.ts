// Idempotency-Key on POST creates: the first successful answer is stored in the same transaction
// as what it created (per company and key, with a hash of method, path and body), and a retry
// with the same key gets that answer again instead of a second resource. addRoute applies it to
// every `post` route answering 201.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Db, DbClient } from '../db/client';
import type { Prisma } from '../generated/prisma/client';
import { HttpError } from './errors';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set to `true` on an answer replayed from an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key is remembered. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const KEY_RULE = '1-255 visible ASCII characters (a UUID is a good key)';

/** The header as the OpenAPI document describes it. */
export const idempotencyHeaders = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(KEY_PATTERN)
    .optional()
    .meta({
      description:
        `Makes the create safe to retry: a retry with the same key (${KEY_RULE}) within 24 h gets the first ` +
        `answer again (with \`${REPLAYED_HEADER}: true\`) instead of creating a second resource; the same key ` +
        'with another method, path or body is a 422.',
    }),
});

/** The key of the request, or undefined; a malformed key is a 400 naming the header. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw new HttpError(400, 'validation_failed', `Invalid request: header ${IDEMPOTENCY_HEADER} must be ${KEY_RULE}`, [
      { path: `headers.${IDEMPOTENCY_HEADER}`, message: `must be ${KEY_RULE}`, code: 'invalid_format' },
    ]);
  }
  return key;
}

/** For routes that do not take the header (their answer carries a secret that must not be stored). */
export function refuseIdempotencyKey(req: Request, why: string): void {
  if (req.get(IDEMPOTENCY_HEADER) === undefined) return;
  throw new HttpError(400, 'validation_failed', `Invalid request: this route does not accept ${IDEMPOTENCY_HEADER}`, [
    { path: `headers.${IDEMPOTENCY_HEADER}`, message: `not accepted here: ${why}`, code: 'unrecognized_keys' },
  ]);
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export interface IdempotentRequest {
  companyId: string;
  key: string;
  hash: string;
}

export function idempotentRequest(req: Request, companyId: string, key: string): IdempotentRequest {
  const hash = createHash('sha256')
    .update(`${req.method}\n${req.originalUrl}\n${canonicalJson(req.body ?? null)}`)
    .digest('hex');
  return { companyId, key, hash };
}

/** Thrown inside the transaction when a concurrent request with the same key committed first. */
export class IdempotencyRace extends Error {
  constructor() {
    super('a concurrent request with the same Idempotency-Key committed first');
  }
}

/** The answer stored for this key (if any and not expired); 422 if it belongs to another request. */
export async function storedAnswer(db: DbClient | Db, request: IdempotentRequest): Promise<StoredAnswer | undefined> {
  const row = await db.idempotentRequest.findUnique({
    where: { companyId_key: { companyId: request.companyId, key: request.key } },
  });
  if (!row) return undefined;
  if (Date.now() - row.createdAt.getTime() > IDEMPOTENCY_KEY_TTL_MS) {
    await db.idempotentRequest.deleteMany({ where: { companyId: request.companyId, key: request.key } });
    return undefined;
  }
  if (row.requestHash !== request.hash) {
    throw new HttpError(
      422,
      'idempotency_key_reused',
      `${IDEMPOTENCY_HEADER} "${request.key}" was already used for another request (method, path or body differ); send a new key for a new request`,
      [{ path: `headers.${IDEMPOTENCY_HEADER}`, message: 'already used for another request', code: 'reused' }],
    );
  }
  return { status: row.status, body: row.body };
}

/** Stores the first answer in the request's transaction; throws IdempotencyRace if another
 * request with the key committed first (the caller then replays that one's answer). */
export async function storeAnswer(db: DbClient, request: IdempotentRequest, answer: StoredAnswer): Promise<void> {
  const { count } = await db.idempotentRequest.createMany({
    data: [
      {
        companyId: request.companyId,
        key: request.key,
        requestHash: request.hash,
        status: answer.status,
        // What res.json would send, exactly (dates as strings, no undefined).
        body: JSON.parse(JSON.stringify(answer.body ?? null)) as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
  if (count === 0) throw new IdempotencyRace();
}

export function replay(res: Response, answer: StoredAnswer): void {
  res.set(REPLAYED_HEADER, 'true');
  res.status(answer.status).json(answer.body);
}

/** Deletes keys older than the TTL (run now and then; lookups ignore expired keys anyway). */
export async function deleteExpiredIdempotencyKeys(db: Db): Promise<number> {
  const { count } = await db.idempotentRequest.deleteMany({
    where: { createdAt: { lt: new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS) } },
  });
  return count;
}

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
