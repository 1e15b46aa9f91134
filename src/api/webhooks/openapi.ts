// The webhook and unsubscribe routes in the OpenAPI document. They are not /v1 routes (no API key:
// providers prove themselves with signatures, the unsubscribe link with its unguessable id), so
// they are described here rather than through addRoute; webhooks/index.ts serves them.
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorBodySchema, uuid } from '../schemas';

const TAG = 'Webhooks';
const jsonError = (description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema: errorBodySchema } },
});
const text = (type: string, description: string): ResponseConfig => ({
  description,
  content: { [type]: { schema: z.string() } },
});

const twilioSignature = z.object({
  'X-Twilio-Signature': z
    .string()
    .optional()
    .describe("HMAC-SHA1 of the public URL and the sorted form parameters, keyed with the account's auth token"),
});

const twilioInbound = z
  .object({
    MessageSid: z.string().optional().describe('Applied once: a replay of the same id changes nothing'),
    AccountSid: z.string().optional(),
    From: z.string().optional().describe('The client: +E.164, or whatsapp:+E.164'),
    To: z.string().optional().describe('Our number: selects the company that connected it'),
    Body: z.string().optional(),
    OptOutType: z.string().optional().describe('STOP / START / HELP from Twilio Advanced Opt-Out'),
  })
  .catchall(z.string());

const twilioStatus = z
  .object({
    MessageSid: z.string().optional(),
    MessageStatus: z.string().optional(),
    ErrorCode: z.string().optional(),
    AccountSid: z.string().optional(),
    From: z.string().optional().describe('Our sender: selects the company that connected it'),
  })
  .catchall(z.string());

const twilioResponses = {
  200: text('text/xml', 'Accepted (empty TwiML); also for messages that change nothing'),
  400: jsonError('Malformed body'),
  403: jsonError('Missing or invalid X-Twilio-Signature'),
  404: jsonError('Neither a company connection nor the default account (TWILIO_AUTH_TOKEN) covers this number'),
  413: jsonError('Body too large'),
};

const notificationParams = z.object({
  notificationId: uuid.describe('The id in the link of one reminder email'),
});

export function registerWebhookDocs(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/webhooks/twilio/inbound',
    tags: [TAG],
    summary:
      "Twilio inbound SMS/WhatsApp: opt-out/opt-in keywords (applied in the order of Twilio's message times) and chat windows; verified with the receiving number's account token, once per MessageSid",
    security: [],
    request: {
      headers: twilioSignature,
      body: { content: { 'application/x-www-form-urlencoded': { schema: twilioInbound } } },
    },
    responses: twilioResponses,
  });
  registry.registerPath({
    method: 'post',
    path: '/webhooks/twilio/status',
    tags: [TAG],
    summary:
      "Twilio message status callbacks: the ledger moves forward only (verified with the sender's account token)",
    security: [],
    request: {
      headers: twilioSignature,
      body: { content: { 'application/x-www-form-urlencoded': { schema: twilioStatus } } },
    },
    responses: twilioResponses,
  });
  registry.registerPath({
    method: 'get',
    path: '/webhooks/instagram',
    tags: [TAG],
    summary: "Meta's subscription handshake: echoes hub.challenge for a known verify token",
    security: [],
    request: {
      query: z.object({
        'hub.mode': z.string().optional(),
        'hub.verify_token': z.string().optional(),
        'hub.challenge': z.string().optional(),
      }),
    },
    responses: {
      200: text('text/plain', 'The challenge'),
      403: jsonError('Wrong mode or verify token'),
      404: jsonError('No Instagram account is configured'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/webhooks/instagram',
    tags: [TAG],
    summary:
      "Instagram messages: open the chat's window at Meta's timestamp (never moving it back); each entry verified with its account's app secret (X-Hub-Signature-256), once per mid",
    security: [],
    request: {
      headers: z.object({ 'X-Hub-Signature-256': z.string().optional().describe('sha256=<hex HMAC>') }),
      body: {
        content: {
          'application/json': {
            schema: z.object({ object: z.string().optional(), entry: z.array(z.unknown()).optional() }),
          },
        },
      },
    },
    responses: {
      200: text('text/plain', 'Accepted'),
      400: jsonError('Not JSON or not an Instagram payload'),
      403: jsonError('Missing or invalid X-Hub-Signature-256'),
      404: jsonError('No company connection nor default app covers this account'),
      413: jsonError('Body too large'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/webhooks/unsubscribe/{notificationId}',
    tags: [TAG],
    summary:
      'The unsubscribe page of one reminder email: "only these reminders" or "all email" (changes nothing by itself: link scanners fetch it)',
    security: [],
    request: { params: notificationParams },
    responses: { 200: text('text/html', 'The page'), 404: jsonError('Unknown link') },
  });
  registry.registerPath({
    method: 'post',
    path: '/webhooks/unsubscribe/{notificationId}',
    tags: [TAG],
    summary:
      'Unsubscribe: scope=rule (only these reminders), scope=all (all email), or the RFC 8058 one-click List-Unsubscribe=One-Click (all email)',
    security: [],
    request: {
      params: notificationParams,
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({
              scope: z.enum(['rule', 'all']).optional(),
              'List-Unsubscribe': z.literal('One-Click').optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: text('text/html', 'Confirmation page'),
      400: jsonError('Neither scope nor the one-click body'),
      404: jsonError('Unknown link'),
      413: jsonError('Body too large'),
    },
  });
}
