// Instagram Messaging webhooks (Meta Graph API): the subscription handshake and message events.
//
// Meta signs each POST with X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw request
// body, keyed with the app secret. The HMAC must be computed over the exact bytes received, so
// this route reads the body itself with express.raw — the router has to be mounted before any
// app-wide express.json(), which would otherwise consume the body first.
//
// Each company may connect its own Instagram account (with its own Meta app): an entry names the
// business account it is for (`entry.id`), and is applied only if the body's signature verifies
// with THAT account's app secret, and only to that company's chats. Accounts nobody connected
// fall to the process-wide default (INSTAGRAM_*), which serves the companies without their own.
// Each message is applied once per `mid` (a redelivery or replay changes nothing).
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { silentLogger, type Logger } from '../../runtime/logger';
import { badRequest, forbidden, HttpError } from '../errors';
import { recordInboundChatMessage } from '../../chats/inbound';
import { firstDelivery } from '../../channels/consent';
import {
  inScope,
  resolveInstagramAccount,
  VERIFY_TOKEN,
  withoutNul,
  type ResolvedInstagramAccount,
} from '../../channels/connections';

export interface InstagramWebhooksDeps {
  db: Db;
  /** INSTAGRAM_APP_SECRET: the default account's Meta app secret that signs webhook payloads. */
  appSecret?: string | undefined;
  /** INSTAGRAM_VERIFY_TOKEN: the token entered in the default app's webhook settings. */
  verifyToken?: string | undefined;
  /** Unseals the app secrets of the companies' own connections (MAILBOX_SECRET_KEY). */
  secretKey?: Buffer | undefined;
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
  entry: z
    .array(z.object({ id: z.union([z.string(), z.number()]).optional(), messaging: z.array(z.unknown()).optional() }))
    .default([]),
});

export function instagramWebhooksRouter(deps: InstagramWebhooksDeps): Router {
  const { db } = deps;
  const logger = deps.logger ?? silentLogger;
  const router = Router();
  const notConfigured = () => {
    const missing = [!deps.appSecret && 'INSTAGRAM_APP_SECRET', !deps.verifyToken && 'INSTAGRAM_VERIFY_TOKEN'].filter(
      (v): v is string => !!v,
    );
    return new HttpError(
      404,
      'not_found',
      `Instagram webhooks are not configured: no company connected this account; set ${missing.join(' and ')} for the default account`,
    );
  };
  const hasDefault = Boolean(deps.appSecret && deps.verifyToken);

  // Subscription handshake: Meta calls with hub.mode=subscribe, the verify token of the default
  // app or of a company's connection, and a challenge to echo back.
  router.get('/webhooks/instagram', async (req, res) => {
    const mode = queryString(req, 'hub.mode');
    const token = queryString(req, 'hub.verify_token');
    const challenge = queryString(req, 'hub.challenge');
    const known =
      token !== undefined &&
      ((deps.verifyToken !== undefined && sameSecret(token, deps.verifyToken)) ||
        (VERIFY_TOKEN.test(token) &&
          (await db.channelConnection.count({ where: { provider: 'instagram', verifyToken: token } })) > 0));
    if (!known && !hasDefault && (await db.channelConnection.count({ where: { provider: 'instagram' } })) === 0)
      throw notConfigured();
    if (mode !== 'subscribe' || challenge === undefined || !known) {
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
    const header = req.get('X-Hub-Signature-256');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      // No account to look up: only the default app's signature can vouch for this body.
      if (!hasDefault) throw notConfigured();
      if (!validSignature(raw, header, deps.appSecret!)) throw forbidden('Invalid or missing X-Hub-Signature-256');
      throw badRequest('Request body is not valid JSON');
    }
    const payload = payloadSchema.safeParse(json);

    // Which account each entry is for, and whether the body is signed with its app secret.
    const accounts = new Map<string, ResolvedInstagramAccount | undefined>();
    const accountOf = async (id: string | undefined) => {
      const key = id ?? '';
      if (!accounts.has(key)) accounts.set(key, await resolveInstagramAccount(db, id, deps.secretKey, deps.appSecret));
      return accounts.get(key);
    };
    const entries = payload.success ? payload.data.entry : [];
    const verified: Array<{ account: ResolvedInstagramAccount; messaging: unknown[] }> = [];
    let anyAccount = false;
    for (const entry of entries) {
      const account = await accountOf(entry.id === undefined ? undefined : String(entry.id));
      if (account) anyAccount = true;
      if (account && validSignature(raw, header, account.appSecret))
        verified.push({ account, messaging: entry.messaging ?? [] });
    }
    if (entries.length === 0) {
      // Nothing to apply; still, only a signed request gets a 2xx.
      if (!hasDefault) throw notConfigured();
      if (!validSignature(raw, header, deps.appSecret!)) throw forbidden('Invalid or missing X-Hub-Signature-256');
      if (!payload.success) throw badRequest('Not an Instagram webhook payload');
      return void res.sendStatus(200);
    }
    if (!anyAccount) throw notConfigured();
    if (verified.length === 0) throw forbidden('Invalid or missing X-Hub-Signature-256');
    if (verified.length < entries.length)
      logger.warn('instagram webhook: entries of accounts whose signature did not verify were ignored', {
        ignored: entries.length - verified.length,
      });

    const now = Date.now();
    for (const { account, messaging } of verified) {
      for (const item of messaging) {
        // Other event kinds (reactions, postbacks, reads) share the array; only messages count.
        const event = messagingEvent.safeParse(item);
        if (!event.success) continue;
        const { sender, timestamp, message } = event.data;
        // Echoes are our own outbound messages reflected back; they open no window.
        if (!message || message.is_echo || message.is_deleted) continue;
        // Meta's timestamp is in milliseconds. A clock ahead of ours must not stretch the window.
        const at = new Date(timestamp !== undefined && timestamp > 0 ? Math.min(timestamp, now) : now);
        await db.$transaction(async (tx) => {
          const mid = message.mid === undefined ? undefined : withoutNul(message.mid);
          if (mid && !(await firstDelivery(tx, 'instagram', mid))) return;
          await recordInboundChatMessage(
            tx,
            logger,
            {
              channel: 'instagram',
              address: withoutNul(sender.id),
              at,
              text: withoutNul(message.text ?? '[attachment]'),
              providerMessageId: mid,
            },
            inScope(account.scope),
          );
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
