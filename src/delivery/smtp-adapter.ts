// Email through SMTP with nodemailer: the platform's gateway by default, or a company's connected
// mailbox when the message carries its SMTP credentials. The only module that imports nodemailer.
//
// A mailbox is typed in by a CRM user, so its connection is held to rules the operator's gateway
// is not: its host is resolved once and checked (public addresses only, see public-host.ts) and
// the connection goes to that checked address, with the TLS name check still against the host
// name; and the password only ever travels over TLS — implicit TLS (`secure`, port 465) or
// STARTTLS, required — unless an admin set `allowInsecure` on that mailbox.

import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { classifyDeliveryFailure, DeliveryError, redactSecrets, type EmailSender, type SmtpMailbox } from './ports';
import { HostRefusedError, resolveAllowedHost, type HostPolicy } from './public-host';

export interface SmtpEndpoint {
  host: string;
  port: number;
  /** true = implicit TLS (465); false = plain connection upgraded with STARTTLS when offered. */
  secure: boolean;
  user?: string;
  password?: string;
}

export interface SmtpEmailSenderOptions {
  gateway: SmtpEndpoint;
  /**
   * Extra nodemailer SMTP options applied to every transport (gateway and mailboxes), e.g. `name`,
   * `tls`, or shorter timeouts in tests. Host, port and credentials always come from the endpoint.
   */
  transportDefaults?: SMTPTransport.Options;
  /** Upper bound on cached mailbox transports, so a long-lived worker doesn't grow without limit. */
  maxCachedMailboxes?: number;
  /** Which mailbox hosts may be connected to (default: public addresses only). */
  mailboxHosts?: HostPolicy;
}

export interface SmtpEmailSender extends EmailSender {
  /** Releases all transports; call on worker shutdown. */
  close(): void;
}

/** How a mailbox connection is made: who may be connected to, and extra nodemailer options. */
export interface MailboxConnectOptions {
  hosts: HostPolicy;
  transportDefaults?: SMTPTransport.Options;
}

type SmtpTransporter = Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

// nodemailer's defaults (2 min connect, 10 min socket) would outlive a typical activity timeout;
// a stuck server should surface as a transient error the activity retry can handle.
const DEFAULT_TIMEOUTS: SMTPTransport.Options = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
};

// nodemailer error codes for "no usable answer from the server"; socket-level codes are included
// in case an error escapes without nodemailer's wrapping.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function createSmtpEmailSender(opts: SmtpEmailSenderOptions): SmtpEmailSender {
  const defaults = { ...DEFAULT_TIMEOUTS, ...opts.transportDefaults };
  const maxCached = opts.maxCachedMailboxes ?? 500;
  const hosts = opts.mailboxHosts ?? { allowPrivateHosts: false };
  const gateway = makeTransport(opts.gateway, defaults);
  // Keyed by server (the checked address included) + login, not password, so a rotated password
  // replaces the entry instead of leaving the stale one behind. Transports are not pooled, so a
  // cached entry holds no socket.
  const mailboxes = new Map<string, { transport: SmtpTransporter; password: string }>();

  async function mailboxTransport(smtp: SmtpMailbox): Promise<SmtpTransporter> {
    const address = await checkedAddress(smtp, hosts);
    const key = `${smtp.host.toLowerCase()}:${address}:${smtp.port}:${smtp.secure}:${smtp.allowInsecure === true}:${smtp.user}`;
    const cached = mailboxes.get(key);
    if (cached && cached.password === smtp.password) return cached.transport;
    cached?.transport.close();
    mailboxes.delete(key);
    if (mailboxes.size >= maxCached) {
      const oldest = mailboxes.keys().next();
      if (!oldest.done) {
        mailboxes.get(oldest.value)?.transport.close();
        mailboxes.delete(oldest.value);
      }
    }
    const transport = makeMailboxTransport(smtp, address, defaults);
    mailboxes.set(key, { transport, password: smtp.password });
    return transport;
  }

  return {
    async sendEmail(msg) {
      const endpoint = msg.smtp ?? opts.gateway;
      const transport = msg.smtp ? await mailboxTransport(msg.smtp) : gateway;
      try {
        const info = await transport.sendMail({
          from: msg.from,
          to: msg.to,
          subject: msg.subject,
          text: msg.text,
          messageId: msg.messageId,
          ...(msg.headers ? { headers: msg.headers } : {}),
        });
        return { providerMessageId: info.messageId, accepted: info.accepted.length > 0 };
      } catch (err) {
        throw toDeliveryError(err, endpoint);
      }
    },
    close() {
      gateway.close();
      for (const { transport } of mailboxes.values()) transport.close();
      mailboxes.clear();
    },
  };
}

/**
 * Connects to the mailbox's server the way a send would (checked address, TLS, AUTH) and hangs up:
 * the "test the connection" button of the mailbox page. Throws a DeliveryError saying what failed.
 */
export async function verifyMailboxConnection(smtp: SmtpMailbox, options: MailboxConnectOptions): Promise<void> {
  const address = await checkedAddress(smtp, options.hosts);
  const transport = makeMailboxTransport(smtp, address, { ...DEFAULT_TIMEOUTS, ...options.transportDefaults });
  try {
    await transport.verify();
  } catch (err) {
    throw toDeliveryError(err, smtp);
  } finally {
    transport.close();
  }
}

/** The mailbox host's address after the host policy; a refusal is a DeliveryError. */
async function checkedAddress(smtp: SmtpMailbox, hosts: HostPolicy): Promise<string> {
  try {
    return await resolveAllowedHost(smtp.host, hosts);
  } catch (error) {
    if (!(error instanceof HostRefusedError)) throw error;
    // An internal host stays internal: permanent. A name that does not resolve may yet.
    return Promise.reject(
      new DeliveryError({
        kind: error.reason === 'not-public' ? 'permanent' : 'transient',
        provider: 'smtp',
        code: error.reason === 'not-public' ? 'host-not-public' : 'EDNS',
        message: `SMTP ${smtp.host}:${smtp.port}: ${error.message}`,
      }),
    );
  }
}

function makeMailboxTransport(smtp: SmtpMailbox, address: string, defaults: SMTPTransport.Options): SmtpTransporter {
  return nodemailer.createTransport({
    ...defaults,
    // The checked address, never the name again (a second lookup could answer differently);
    // certificates are still checked against the name.
    host: address,
    port: smtp.port,
    secure: smtp.secure,
    tls: { ...defaults.tls, ...(isIP(smtp.host) ? {} : { servername: smtp.host }) },
    // Without implicit TLS, STARTTLS is mandatory: the login never goes out in clear text.
    requireTLS: !smtp.secure && smtp.allowInsecure !== true,
    auth: { user: smtp.user, pass: smtp.password },
  });
}

function makeTransport(endpoint: SmtpEndpoint, defaults: SMTPTransport.Options): SmtpTransporter {
  return nodemailer.createTransport({
    ...defaults,
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    ...(endpoint.user ? { auth: { user: endpoint.user, pass: endpoint.password ?? '' } } : {}),
  });
}

/** nodemailer errors carry `code` (EENVELOPE, EAUTH, ESOCKET…), `responseCode` and `response`. */
function toDeliveryError(err: unknown, endpoint: SmtpEndpoint): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const errCode = typeof e.code === 'string' ? e.code : undefined;
  const network = responseCode === undefined && errCode !== undefined && CONNECTION_ERROR_CODES.has(errCode);
  // Duck-typed: socket errors may come from another realm than this module's `Error`.
  const detail = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : String(err);
  const secrets =
    endpoint.user && endpoint.password
      ? [endpoint.password, `\u0000${endpoint.user}\u0000${endpoint.password}`] // raw, and AUTH PLAIN's token (base64 added by redactSecrets)
      : [endpoint.password];
  return new DeliveryError({
    kind: classifyDeliveryFailure({
      provider: 'smtp',
      network,
      ...(responseCode !== undefined ? { responseCode } : {}),
    }),
    provider: 'smtp',
    message: redactSecrets(`SMTP ${endpoint.host}:${endpoint.port}${errCode ? ` ${errCode}` : ''}: ${detail}`, secrets),
    ...(responseCode !== undefined ? { code: String(responseCode) } : errCode ? { code: errCode } : {}),
  });
}
