// Temporal's remote codec protocol, so operators read encrypted payloads decoded in the Temporal
// UI and the CLI (`--codec-endpoint`): POST `/codec/decode` and `/codec/encode` with
// `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`, answered in the same shape.
// Authentication: the codec token (CODEC_AUTH_TOKEN), as `Authorization: Bearer <token>` (CLI,
// scripts, a proxy in front of the UI) or as a path segment, `/codec/<token>/decode`, for a UI
// that cannot add headers (the dev server's `--ui-codec-endpoint`). CORS only for the configured
// UI origins.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import cors from 'cors';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../runtime/logger';
import { HttpError } from './errors';
import { validate } from './validate';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  token: string;
  /** Origins of the Temporal UI allowed to call from a browser. */
  corsOrigins: string[];
  logger: Logger;
}

const base64 = z.base64('must be base64');
// Proto3 JSON omits empty fields: the CLI sends `{}` for an empty list.
const payloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000)
    .default([]),
});
type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function requireCodecToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const given = typeof req.params.token === 'string' ? req.params.token : bearer;
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    next(
      new HttpError(
        401,
        'unauthorized',
        'Send the codec token as "Authorization: Bearer <token>" or in the path, /codec/<token>/decode',
      ),
    );
  };
}

export function codecRouter(options: CodecEndpointOptions): Router {
  const router = Router();
  const allowUi = cors({
    origin: options.corsOrigins,
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    // The UI's "include cross-origin credentials" setting sends cookies; harmless with fixed origins.
    credentials: true,
    maxAge: 600,
  });
  // Histories can be long: the UI decodes a whole page of events in one call.
  const json = express.json({ limit: '8mb' });
  const check = requireCodecToken(options.token);
  const body = validate({ body: payloadsBody });

  for (const op of ['encode', 'decode'] as const) {
    for (const path of [`/codec/${op}`, `/codec/:token/${op}`]) {
      router.options(path, allowUi);
      router.post(path, allowUi, check, json, body, async (_req, res) => {
        const payloads = (res.locals.input as { body: z.infer<typeof payloadsBody> }).body.payloads.map(fromJson);
        const result = op === 'encode' ? await options.codec.encode(payloads) : await decodeEach(payloads);
        res.json({ payloads: result.map(toJson) });
      });
    }
  }

  /** One payload that does not decrypt (a retired key) is returned as it is, still encrypted;
   * the others of the page are still shown decoded. */
  async function decodeEach(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        try {
          return (await options.codec.decode([payload]))[0]!;
        } catch (error) {
          options.logger.warn('codec endpoint: a payload did not decode; returned as is', {
            error: error instanceof Error ? error.message : String(error),
          });
          return payload;
        }
      }),
    );
  }

  return router;
}
