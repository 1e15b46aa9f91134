// Instagram Messaging webhooks (Meta Graph API): the subscription handshake and message events.
//
// Meta signs each POST with X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw request
// body, keyed with the app secret. The HMAC must be computed over the exact bytes received, so
// this route reads the body itself with express.raw — the router has to be mounted before any
// app-wide express.json(), which would otherwise consume the body first.
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { silentLogger, type Logger } from '../../runtime/logger';
import { badRequest, forbidden } from '../errors';
import { recordInboundChatMessage } from '../../chats/inbound';

export interface InstagramWebhooksDeps {
  db: Db;
  /** INSTAGRAM_APP_SECRET: the Meta app secret that signs webhook payloads. */
  appSecret: string;
  /** INSTAGRAM_VERIFY_TOKEN: the token entered in the app's webhook settings for the handshake. */
  verifyToken: string;
  logger?: Logger;
}

const SIGNATURE_PREFIX = 'sha256=';

const messagingEvent = z.object({
  sender: z.object({ id: z.string().min(1) }),
  recipient: z.object({ id: z.string() }).optional(),
  timestamp: z.number().optional(),
  message: z
    .object({
      mid: z.string().optional(),
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      is_deleted: z.boolean().optional(),
    })
    .optional(),
});
const payloadSchema = z.object({
  object: z.string().optional(),
  entry: z.array(z.object({ messaging: z.array(z.unknown()).optional() })).default([]),
});

export function instagramWebhooksRouter(deps: InstagramWebhooksDeps): Router {
  const { db, appSecret, verifyToken } = deps;
  const logger = deps.logger ?? silentLogger;
  const router = Router();

  // Subscription handshake: Meta calls with hub.mode=subscribe, our verify token and a challenge
  // to echo back.
  router.get('/webhooks/instagram', (req, res) => {
    const mode = queryString(req, 'hub.mode');
    const token = queryString(req, 'hub.verify_token');
    const challenge = queryString(req, 'hub.challenge');
    if (mode !== 'subscribe' || token === undefined || challenge === undefined || !sameSecret(token, verifyToken)) {
      throw forbidden('Webhook verification failed: wrong hub.mode or hub.verify_token');
    }
    res.set('X-Content-Type-Options', 'nosniff').type('text/plain').send(challenge);
  });

  router.post('/webhooks/instagram', express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
    if (req.body !== undefined && !Buffer.isBuffer(req.body)) {
      // Another body parser ran first: the exact bytes are gone, so no signature can be checked.
      throw new Error('Instagram webhook body was already parsed: mount the webhooks router before express.json()');
    }
    const raw: Buffer = req.body ?? Buffer.alloc(0);
    if (!validSignature(raw, req.get('X-Hub-Signature-256'), appSecret)) {
      throw forbidden('Invalid or missing X-Hub-Signature-256');
    }

    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('Request body is not valid JSON');
    }
    const payload = payloadSchema.safeParse(json);
    if (!payload.success) throw badRequest('Not an Instagram webhook payload');

    const now = Date.now();
    for (const entry of payload.data.entry) {
      for (const item of entry.messaging ?? []) {
        // Other event kinds (reactions, postbacks, reads) share the array; only messages count.
        const event = messagingEvent.safeParse(item);
        if (!event.success) continue;
        const { sender, timestamp, message } = event.data;
        // Echoes are our own outbound messages reflected back; they open no window.
        if (!message || message.is_echo || message.is_deleted) continue;
        // Meta's timestamp is in milliseconds. A clock ahead of ours must not stretch the window.
        const at = new Date(timestamp !== undefined && timestamp > 0 ? Math.min(timestamp, now) : now);
        await recordInboundChatMessage(db, logger, {
          channel: 'instagram',
          address: sender.id,
          at,
          text: message.text ?? '[attachment]',
          providerMessageId: message.mid,
        });
      }
    }
    res.sendStatus(200);
  });

  return router;
}

function queryString(req: Request, key: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** Constant-time check of `sha256=<hex>` against the HMAC of the raw body. */
export function validSignature(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const hex = header.slice(SIGNATURE_PREFIX.length);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
