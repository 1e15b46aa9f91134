// Instagram direct messages through Meta's Instagram Messaging API (Graph API), over plain fetch:
// the API is one JSON POST, which doesn't justify an SDK dependency.

import { classifyDeliveryFailure, DeliveryError, redactSecrets, type InstagramSender } from './ports';

export interface InstagramMessagingOptions {
  /** The business account's Instagram user id; messages are posted to `/{igUserId}/messages`. */
  igUserId: string;
  pageAccessToken: string;
  /** Versioned Graph root; tests point it at a local stand-in. */
  graphBaseUrl?: string;
  timeoutMs?: number;
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com/v21.0';

interface GraphErrorBody {
  error?: {
    message?: unknown;
    type?: unknown;
    code?: unknown;
    error_subcode?: unknown;
    fbtrace_id?: unknown;
    is_transient?: unknown;
  };
}

export function createInstagramMessaging(opts: InstagramMessagingOptions): InstagramSender {
  const base = (opts.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/${encodeURIComponent(opts.igUserId)}/messages`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const secrets = [opts.pageAccessToken];

  return {
    async sendInstagram(msg) {
      let res: Response;
      let raw: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            // Bearer header rather than `?access_token=`: query strings end up in proxy/access logs.
            Authorization: `Bearer ${opts.pageAccessToken}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ recipient: { id: msg.recipientId }, message: { text: msg.text } }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        raw = await res.text();
      } catch (err) {
        // Only reached when no complete HTTP answer arrived (DNS, refused, reset, timeout).
        const code = causeCode(err);
        const reason = errorName(err) === 'TimeoutError' ? 'timeout' : (code ?? errorMessage(err));
        throw new DeliveryError({
          kind: classifyDeliveryFailure({ provider: 'instagram', network: true }),
          provider: 'instagram',
          message: redactSecrets(`Instagram Graph API unreachable: ${reason}`, secrets),
          ...(code ? { code } : {}),
        });
      }

      const body = parseJson(raw);
      if (res.ok) {
        const messageId = (body as { message_id?: unknown } | undefined)?.message_id;
        if (typeof messageId === 'string' && messageId) return { providerMessageId: messageId };
        // Accepted but unidentifiable: report it as permanent rather than transient, because a
        // retry could deliver the same message twice.
        throw new DeliveryError({
          kind: 'permanent',
          provider: 'instagram',
          message: `Instagram Graph API answered HTTP ${res.status} without a message_id`,
          status: res.status,
        });
      }
      throw graphError(res.status, body as GraphErrorBody | undefined, secrets);
    },
  };
}

function graphError(status: number, body: GraphErrorBody | undefined, secrets: string[]): DeliveryError {
  const e = body?.error;
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const subcode = typeof e?.error_subcode === 'number' ? e.error_subcode : undefined;
  const text = typeof e?.message === 'string' ? e.message : 'no Graph error body';
  const trace = typeof e?.fbtrace_id === 'string' ? ` [fbtrace_id ${e.fbtrace_id}]` : ''; // what Meta support asks for
  const codeText = code === undefined ? undefined : subcode === undefined ? String(code) : `${code}/${subcode}`;
  return new DeliveryError({
    kind: classifyDeliveryFailure({
      provider: 'instagram',
      status,
      ...(code !== undefined ? { code } : {}),
      ...(subcode !== undefined ? { subcode } : {}),
      isTransient: e?.is_transient === true,
    }),
    provider: 'instagram',
    message: redactSecrets(
      `Instagram Graph API error (HTTP ${status}${codeText ? `, code ${codeText}` : ''}): ${text}${trace}`,
      secrets,
    ),
    status,
    ...(codeText ? { code: codeText } : {}),
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // e.g. an HTML error page from a proxy; the status still classifies it
  }
}

// Duck-typed rather than `instanceof Error`: fetch's errors (TypeError, DOMException) come from
// Node's own realm, which is not the realm of a vm-sandboxed caller such as Jest.
function errorName(err: unknown): string | undefined {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function errorMessage(err: unknown): string {
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(err);
}

/** undici wraps socket errors: `TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })`. */
function causeCode(err: unknown): string | undefined {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
