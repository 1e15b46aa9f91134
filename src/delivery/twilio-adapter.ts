// SMS and WhatsApp through Twilio's Messages API, using the official `twilio` client.
// This is the only module that imports `twilio`; everything else sees SmsSender/WhatsAppSender.

import twilio from 'twilio';
import { classifyDeliveryFailure, DeliveryError, redactSecrets, type SmsSender, type WhatsAppSender } from './ports';

export interface TwilioMessagingOptions {
  accountSid: string;
  authToken: string;
  /** E.164 sender number, or a Messaging Service SID (`MG…`) to let Twilio pick the sender. */
  smsFrom: string;
  /** WhatsApp-enabled sender in E.164, with or without the `whatsapp:` prefix. */
  whatsappFrom: string;
  /**
   * Origin that replaces `https://api.twilio.com`, e.g. `http://127.0.0.1:4010` for a local Prism
   * mock of Twilio's OpenAPI spec. Unset in production.
   */
  baseUrl?: string;
  /**
   * Twilio's own HTTP layer, replaceable so callers can tune it or observe/augment requests
   * (tests use a subclass that adds Prism's `Prefer` header). Defaults to twilio's RequestClient.
   */
  httpClient?: twilio.RequestClient;
  /**
   * Per-request timeout; twilio's default is 30 s, which is long for an activity attempt.
   * Applies to twilio's default RequestClient only — a supplied httpClient brings its own.
   */
  timeoutMs?: number;
}

export type TwilioMessaging = SmsSender & WhatsAppSender;

const WHATSAPP_PREFIX = 'whatsapp:';

export function createTwilioMessaging(opts: TwilioMessagingOptions): TwilioMessaging {
  const client = twilio(opts.accountSid, opts.authToken, {
    // Retries belong to the Temporal activity's retry policy, not to a hidden loop in the SDK.
    autoRetry: false,
    timeout: opts.timeoutMs ?? 15_000,
    ...(opts.httpClient ? { httpClient: opts.httpClient } : {}),
  });
  if (opts.baseUrl) {
    // Every Messages call resolves its URL from this Domain's baseUrl at request time
    // (Domain.absoluteUrl), so swapping it redirects the real client without touching its HTTP
    // layer. Region/edge rewriting is a no-op for hosts like 127.0.0.1 or localhost.
    client.api.baseUrl = opts.baseUrl;
  }
  const secrets = [opts.authToken, `${opts.accountSid}:${opts.authToken}`];

  async function create(params: { to: string; from: string; body: string; statusCallbackUrl?: string | undefined }) {
    const sender = params.from.startsWith('MG') ? { messagingServiceSid: params.from } : { from: params.from };
    try {
      const message = await client.messages.create({
        to: params.to,
        ...sender,
        body: params.body,
        ...(params.statusCallbackUrl ? { statusCallback: params.statusCallbackUrl } : {}),
      });
      return { providerMessageId: message.sid, status: message.status };
    } catch (err) {
      throw toDeliveryError(err, secrets);
    }
  }

  return {
    sendSms: (msg) =>
      create({ to: msg.to, from: opts.smsFrom, body: msg.body, statusCallbackUrl: msg.statusCallbackUrl }),
    sendWhatsApp: (msg) =>
      create({
        to: withWhatsAppPrefix(msg.to),
        from: withWhatsAppPrefix(opts.whatsappFrom),
        body: msg.body,
        statusCallbackUrl: msg.statusCallbackUrl,
      }),
  };
}

function withWhatsAppPrefix(address: string): string {
  return address.startsWith(WHATSAPP_PREFIX) ? address : `${WHATSAPP_PREFIX}${address}`;
}

/**
 * Map whatever the twilio client threw to a DeliveryError. Exported for the classifier tests.
 *
 * The client throws RestException (legacy `{ code, message, more_info, status }` bodies) or
 * TwilioServiceException (RFC 9457 bodies) for HTTP answers — both carry numeric `status` and
 * `code` — and a raw AxiosError when no answer arrived. The AxiosError is never passed on: its
 * `config` holds the Basic auth header.
 */
export function toDeliveryError(err: unknown, secrets: ReadonlyArray<string> = []): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;

  if (e.isAxiosError === true || (typeof e.code === 'string' && e.status === undefined)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    return new DeliveryError({
      kind: classifyDeliveryFailure({ provider: 'twilio', network: true }),
      provider: 'twilio',
      message: `Twilio unreachable${code ? ` (${code})` : ''}`,
      ...(code ? { code } : {}),
    });
  }

  if (typeof e.status === 'number') {
    const status = e.status;
    const code = typeof e.code === 'number' && e.code > 0 ? e.code : undefined;
    const text = [e.message, e.detail, e.moreInfo]
      .filter((s): s is string => typeof s === 'string' && s.length > 0)
      .join(' — ');
    return new DeliveryError({
      kind: classifyDeliveryFailure({ provider: 'twilio', status, ...(code !== undefined ? { code } : {}) }),
      provider: 'twilio',
      message: redactSecrets(
        `Twilio rejected the message (HTTP ${status}${code !== undefined ? `, error ${code}` : ''})${text ? `: ${text}` : ''}`,
        secrets,
      ),
      status,
      ...(code !== undefined ? { code: String(code) } : {}),
    });
  }

  // Not a vendor answer (e.g. the client refusing a malformed call): a bug or bad config that
  // retrying will not fix. Only the message is kept, redacted.
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new DeliveryError({
    kind: 'permanent',
    provider: 'twilio',
    message: redactSecrets(`Twilio client error: ${message}`, secrets),
  });
}

/**
 * When Twilio created a message (Twilio's own clock), from its Messages API: inbound webhooks
 * carry no timestamp, and consent changes are ordered by it. One client per account, kept.
 */
export function createTwilioMessageClock(
  opts: Pick<TwilioMessagingOptions, 'baseUrl' | 'httpClient' | 'timeoutMs'> = {},
): (account: { accountSid: string; authToken: string }, messageSid: string) => Promise<Date> {
  const clients = new Map<string, { authToken: string; client: ReturnType<typeof twilio> }>();
  return async (account, messageSid) => {
    let entry = clients.get(account.accountSid);
    if (!entry || entry.authToken !== account.authToken) {
      const client = twilio(account.accountSid, account.authToken, {
        autoRetry: false,
        timeout: opts.timeoutMs ?? 5_000,
        ...(opts.httpClient ? { httpClient: opts.httpClient } : {}),
      });
      if (opts.baseUrl) client.api.baseUrl = opts.baseUrl;
      entry = { authToken: account.authToken, client };
      clients.set(account.accountSid, entry);
    }
    try {
      const message = await entry.client.messages(messageSid).fetch();
      return message.dateCreated;
    } catch (err) {
      throw toDeliveryError(err, [account.authToken, `${account.accountSid}:${account.authToken}`]);
    }
  };
}
