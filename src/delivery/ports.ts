// Narrow ports between the delivery step and the messaging vendors.
//
// The delivery activities depend only on these interfaces and on DeliveryError, so they can be
// exercised with in-memory fakes and the vendor SDKs stay confined to one adapter file each
// (twilio-adapter, smtp-adapter, instagram-adapter). Nothing here imports a vendor package.

export interface SmsSender {
  sendSms(msg: {
    to: string;
    body: string;
    statusCallbackUrl?: string;
  }): Promise<{ providerMessageId: string; status: string }>;
}

export interface WhatsAppSender {
  /** `to` is a plain E.164 number; the adapter adds whatever channel prefix the vendor needs. */
  sendWhatsApp(msg: {
    to: string;
    body: string;
    statusCallbackUrl?: string;
  }): Promise<{ providerMessageId: string; status: string }>;
}

export interface InstagramSender {
  /** `recipientId` is the Instagram-scoped user id (IGSID) the Messaging API gave us in a webhook. */
  sendInstagram(msg: { recipientId: string; text: string }): Promise<{ providerMessageId: string }>;
}

/** Credentials of a connected mailbox; when present the message is sent as that mailbox. */
export interface SmtpMailbox {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  /** Allow a connection without TLS (a per-mailbox choice only admins make); otherwise port 465
   * is implicit TLS and any other port must upgrade with STARTTLS before logging in. */
  allowInsecure?: boolean;
}

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** RFC 5322 Message-ID chosen by the caller, so replies/bounces can be matched back to the send. */
  messageId: string;
  /** Extra headers, e.g. List-Unsubscribe / List-Unsubscribe-Post. */
  headers?: Record<string, string>;
  /** Send through this connected mailbox instead of the platform gateway. */
  smtp?: SmtpMailbox;
}

export interface EmailSender {
  sendEmail(msg: EmailMessage): Promise<{ providerMessageId: string; accepted: boolean }>;
}

/** Where one company's messages go out: its own connected channels (Twilio account and senders,
 * Instagram account), or the process-wide ones of a single-company install. */
export interface ChannelDirectory {
  portsFor(companyId: string): Promise<DeliveryPorts>;
}

/** The senders a worker has; a channel without credentials has none ("…-not-configured"). */
export interface DeliveryPorts {
  sms?: SmsSender;
  whatsapp?: WhatsAppSender;
  instagram?: InstagramSender;
  email?: EmailSender;
}

/** The process-wide senders for every company: a single-company install, and the default of the
 * per-company directory for companies that connected no channel of their own. */
export function sharedChannels(ports: DeliveryPorts): ChannelDirectory {
  return { portsFor: async () => ports };
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * What the caller should do about a failed send:
 * - transient: retry later (network, throttling, provider outage, SMTP 4xx);
 * - permanent: retrying the same send will not help (bad address, rejected content, auth/config);
 * - window-closed: the channel refuses free-form messages right now (WhatsApp 24 h window,
 *   Instagram messaging window) — fall back to another channel;
 * - opted-out: the recipient unsubscribed at the provider — clear the consent flag, don't retry.
 */
export type DeliveryErrorKind = 'transient' | 'permanent' | 'window-closed' | 'opted-out';
export type DeliveryProvider = 'twilio' | 'smtp' | 'instagram';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly kind: DeliveryErrorKind;
  readonly provider: DeliveryProvider;
  // `declare`: optional fields exist only when set, so logs don't show `code: undefined`.
  /** Provider error code as text: Twilio error code, SMTP reply code, Graph `code[/subcode]`, or a socket error code. */
  declare readonly code?: string;
  /** HTTP status of the provider's answer, when there was one. */
  declare readonly status?: number;

  // No `cause` on purpose: vendor errors (axios configs, SMTP transcripts) can carry credentials,
  // and anything attached here may end up serialised into Temporal history or logs.
  constructor(args: {
    kind: DeliveryErrorKind;
    provider: DeliveryProvider;
    message: string;
    code?: string;
    status?: number;
  }) {
    super(args.message);
    this.kind = args.kind;
    this.provider = args.provider;
    if (args.code !== undefined) this.code = args.code;
    if (args.status !== undefined) this.status = args.status;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/**
 * Facts an adapter extracts from a vendor failure. `network` means no answer was received at all
 * (connection refused/reset, DNS, timeout).
 */
export type FailureFacts =
  | { provider: 'twilio'; network?: boolean; status?: number; code?: number }
  | { provider: 'smtp'; network?: boolean; responseCode?: number }
  | {
      provider: 'instagram';
      network?: boolean;
      status?: number;
      code?: number;
      subcode?: number;
      isTransient?: boolean;
    };

// https://www.twilio.com/docs/api/errors
const TWILIO_OPTED_OUT = new Set([21610]); // recipient replied STOP
const TWILIO_WINDOW_CLOSED = new Set([
  63016, // WhatsApp: free-form message outside the 24 h customer-service window
  63033, // WhatsApp: recipient opted out of marketing messages — a template/other channel may still work
]);
const TWILIO_PERMANENT = new Set([21211, 21408, 21612]); // invalid number, region not enabled, cannot route

// https://developers.facebook.com/docs/graph-api/guides/error-handling
const GRAPH_OUTSIDE_WINDOW_SUBCODE = 2018278;
const GRAPH_THROTTLING = new Set([4, 613, 80006]); // app / call-rate / messaging rate limits

function classifyHttpStatus(status: number | undefined): DeliveryErrorKind {
  if (status === undefined) return 'transient'; // no answer at all
  if (status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

export function classifyDeliveryFailure(facts: FailureFacts): DeliveryErrorKind {
  if (facts.network) return 'transient';
  switch (facts.provider) {
    case 'twilio': {
      // Twilio's error code is more specific than the HTTP status (21610 comes with a 400).
      const code = facts.code;
      if (code !== undefined) {
        if (TWILIO_OPTED_OUT.has(code)) return 'opted-out';
        if (TWILIO_WINDOW_CLOSED.has(code)) return 'window-closed';
        if (TWILIO_PERMANENT.has(code)) return 'permanent';
      }
      return classifyHttpStatus(facts.status);
    }
    case 'smtp': {
      const rc = facts.responseCode;
      if (rc === undefined) return 'permanent'; // a local failure (bad config/message) that a retry won't fix
      if (rc >= 500) return 'permanent';
      if (rc >= 400) return 'transient';
      return 'permanent'; // a 2xx/3xx reply at the wrong step is a protocol mismatch, not a hiccup
    }
    case 'instagram': {
      if (facts.subcode === GRAPH_OUTSIDE_WINDOW_SUBCODE) return 'window-closed';
      if (facts.code !== undefined && GRAPH_THROTTLING.has(facts.code)) return 'transient';
      // Graph marks some errors (e.g. code 2 "service temporarily unavailable") as transient itself.
      if (facts.isTransient) return 'transient';
      if (facts.status !== undefined && (facts.status === 429 || facts.status >= 500)) return 'transient';
      return 'permanent';
    }
  }
}

/**
 * Replace every occurrence of the given secrets (and their base64 forms, as used in Basic auth
 * and SMTP AUTH) with a placeholder. Adapters run vendor-supplied text through this before it
 * becomes a DeliveryError message, because servers and SDKs sometimes echo what they were sent.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue; // too short to redact without mangling the text
    for (const form of [secret, Buffer.from(secret).toString('base64')]) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}
