// Local stand-ins for the messaging vendors, for tests that run the REAL adapters end to end:
//
// - Twilio: Prism serving Twilio's own OpenAPI document (`../shared/specs/twilio/twilio_api_v2010.json`
//   relative to the repo root) with --errors, so every request the real `twilio` client sends is
//   validated against the spec before Prism answers with the spec's example (a `SM…` sid).
//   Prism cannot produce Twilio error codes (the spec defines only a 201 for Messages), so
//   `cannedTwilioMessaging` runs the real client over a RequestClient that returns canned
//   Twilio-shaped answers instead.
// - SMTP: a real `smtp-server` that parses what it receives with `mailparser`, optionally
//   requiring AUTH, and refusing chosen recipients with chosen reply codes.
// - Instagram: an HTTP stand-in for the Graph API's `POST /{ig-user-id}/messages` that checks the
//   path, bearer token and JSON shape and answers like Graph does, errors included.
//
// Each `start…` returns an object with `close()`; call it in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import Response from 'twilio/lib/http/response';
import { createTwilioMessaging, type TwilioMessaging } from '../../src/delivery/twilio-adapter';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Relative to REPO_ROOT; the spec is shared between projects, not copied into this one. */
export const TWILIO_SPEC = '../shared/specs/twilio/twilio_api_v2010.json';

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A request's body parsed as JSON; `undefined` when it is not JSON. */
export async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Twilio (Prism)

/** Test credentials that satisfy the spec's patterns (AccountSid ^AC[0-9a-fA-F]{32}$). */
export const TWILIO_TEST_ACCOUNT = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'test-auth-token-0123456789abcdef',
  smsFrom: '+15557654321',
  whatsappFrom: '+15550001111',
} as const;

export interface PrismStandIn {
  /** Origin to give the adapter as `baseUrl`, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** Prism's own log so far, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** Starts Prism on a free port with Twilio's spec and waits until it listens (a few seconds). */
export async function startTwilioPrism(options: { startTimeoutMs?: number } = {}): Promise<PrismStandIn> {
  const port = await freePort();
  let output = '';
  const prism: ChildProcess = spawn(
    path.join(REPO_ROOT, 'node_modules/.bin/prism'),
    ['mock', '-h', '127.0.0.1', '-p', String(port), '--errors', TWILIO_SPEC],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  prism.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  prism.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => prism.once('exit', () => resolve()));

  const close = async () => {
    if (prism.exitCode !== null || prism.signalCode !== null) return;
    prism.kill('SIGTERM');
    const timer = setTimeout(() => prism.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await canConnect(port))) {
    if (prism.exitCode !== null) throw new Error(`prism exited early (${prism.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prism did not listen in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { baseUrl: `http://127.0.0.1:${port}`, output: () => output, close };
}

export interface TwilioExchange {
  uri: string;
  data: Record<string, unknown> | undefined;
  headers: Record<string, unknown>;
  statusCode: number;
}

/** Twilio's HTTP layer recording each exchange (what the real client sent and the status it got). */
export class RecordingTwilioClient extends twilio.RequestClient {
  readonly exchanges: TwilioExchange[] = [];

  constructor() {
    super({ keepAlive: false });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const res = await super.request(opts);
    this.exchanges.push({
      uri: opts.uri,
      data: opts.data as Record<string, unknown> | undefined,
      headers: { ...opts.headers },
      statusCode: res.statusCode,
    });
    return res;
  }
}

/** The real Twilio adapter pointed at Prism, with its exchanges recorded. */
export function prismTwilioMessaging(prism: PrismStandIn): { messaging: TwilioMessaging; exchanges: TwilioExchange[] } {
  const httpClient = new RecordingTwilioClient();
  const messaging = createTwilioMessaging({ ...TWILIO_TEST_ACCOUNT, baseUrl: prism.baseUrl, httpClient });
  return { messaging, exchanges: httpClient.exchanges };
}

/** Answers every request with one canned Twilio response, without touching the network. */
export class CannedTwilioClient extends twilio.RequestClient {
  readonly requests: Array<Record<string, unknown> | undefined> = [];

  constructor(private readonly answer: { statusCode: number; body: unknown }) {
    super({ keepAlive: false });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    this.requests.push(opts.data as Record<string, unknown> | undefined);
    return new Response(this.answer.statusCode, this.answer.body as TData, {});
  }
}

/** A Twilio error body in the legacy shape the Messages API returns. */
export function twilioErrorBody(status: number, code: number, message = `Twilio error ${code}`) {
  return { status, code, message, more_info: `https://www.twilio.com/docs/errors/${code}` };
}

/** The real Twilio adapter whose every request is answered with the given Twilio error. */
export function cannedTwilioMessaging(
  status: number,
  code: number,
  message?: string,
): { messaging: TwilioMessaging; requests: CannedTwilioClient['requests'] } {
  const httpClient = new CannedTwilioClient({ statusCode: status, body: twilioErrorBody(status, code, message) });
  return { messaging: createTwilioMessaging({ ...TWILIO_TEST_ACCOUNT, httpClient }), requests: httpClient.requests };
}

// ---------------------------------------------------------------------------------------------
// SMTP (smtp-server + mailparser)

export interface ReceivedMail {
  mailFrom: string | undefined;
  rcptTo: string[];
  /** Who authenticated on the session (the username), or undefined without AUTH. */
  user: unknown;
  parsed: ParsedMail;
  /** When the server accepted the message (ms since epoch, this machine's clock). */
  receivedAt: number;
  /** Raw header lines by lower-case name, unfolded (long headers arrive folded, RFC 5322 §2.2.3). */
  headers: Record<string, string>;
}

export interface SmtpRefusal {
  code: number;
  message: string;
}

export interface SmtpStandIn {
  host: string;
  port: number;
  /** Accepted messages, in order. */
  received: ReceivedMail[];
  /** Every RCPT TO the server saw, accepted or refused. */
  rcptAttempts: string[];
  /** AUTH attempts (username and password as the server received them). */
  logins: Array<{ username: string | undefined; password: string | undefined }>;
  /**
   * Recipients refused at RCPT TO, by address; mutable (delete an entry and the next attempt is
   * accepted). Also refused without an entry: local part `bounce` (550) and `greylist` (451).
   */
  refuse: Map<string, SmtpRefusal>;
  /** Connection-level errors the server saw (e.g. ECONNRESET from a sender that died). */
  connectionErrors: string[];
  clear(): void;
  close(): Promise<void>;
}

const DEFAULT_REFUSALS: Record<string, SmtpRefusal> = {
  bounce: { code: 550, message: '5.1.1 Mailbox does not exist' },
  greylist: { code: 451, message: '4.7.1 Greylisted, try again later' },
};

/**
 * A real SMTP server on 127.0.0.1 (plain TCP, STARTTLS disabled so the adapter needs no test-only
 * TLS switch). With `auth`, AUTH is required and only those credentials are accepted (535
 * otherwise); without it, unauthenticated submissions are accepted like a relay's.
 */
export async function startSmtpStandIn(
  options: { auth?: { user: string; password: string } } = {},
): Promise<SmtpStandIn> {
  const received: ReceivedMail[] = [];
  const rcptAttempts: string[] = [];
  const logins: SmtpStandIn['logins'] = [];
  const refuse = new Map<string, SmtpRefusal>();
  const connectionErrors: string[] = [];
  const { auth } = options;

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    // A reminder storm opens many connections at once; the default limits are for the internet.
    maxClients: 10_000,
    authOptional: !auth,
    onAuth(credentials, _session, callback) {
      logins.push({ username: credentials.username, password: credentials.password ?? undefined });
      if (auth && credentials.username === auth.user && credentials.password === auth.password)
        callback(null, { user: credentials.username });
      else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      rcptAttempts.push(address.address);
      const refusal = refuse.get(address.address) ?? DEFAULT_REFUSALS[address.address.split('@')[0] ?? ''];
      callback(refusal ? Object.assign(new Error(refusal.message), { responseCode: refusal.code }) : null);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            user: session.user,
            parsed,
            receivedAt: Date.now(),
            headers: Object.fromEntries(parsed.headerLines.map((h) => [h.key, h.line.replace(/\r?\n(?=[ \t])/g, '')])),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  // A sender dying mid-session (a worker killed with -9) resets its connection; smtp-server
  // reports that as an 'error' event, which without a listener would crash the test process.
  server.on('error', (error) => connectionErrors.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    received,
    rcptAttempts,
    logins,
    refuse,
    connectionErrors,
    clear() {
      received.length = 0;
      rcptAttempts.length = 0;
      logins.length = 0;
      refuse.clear();
      connectionErrors.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Instagram Graph API

export interface GraphRequest {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export interface GraphAnswer {
  status: number;
  body: unknown;
}

export interface GraphStandIn {
  /** Versioned Graph root for the adapter's `graphBaseUrl`. */
  graphBaseUrl: string;
  igUserId: string;
  pageAccessToken: string;
  /** Every request, well-formed or not. */
  requests: GraphRequest[];
  /**
   * How to answer a recipient id; mutable. A recipient without an entry gets a 200 with a fresh
   * `message_id` (`mid.stand-in.<n>`, n counting successful sends since start or `clear()`).
   */
  answers: Map<string, GraphAnswer>;
  clear(): void;
  close(): Promise<void>;
}

/** A Graph error answer, shaped like Meta's (`error.code`, `error_subcode`, `fbtrace_id`). */
export function graphError(
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): GraphAnswer {
  return { status, body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEfGh123', ...extra } } };
}

/** Graph's answer to a message outside the messaging window (code 10, subcode 2018278). */
export const GRAPH_OUTSIDE_WINDOW = graphError(400, 10, '(#10) This message is sent outside of allowed window.', {
  error_subcode: 2018278,
});

export async function startGraphStandIn(
  options: { igUserId?: string; pageAccessToken?: string } = {},
): Promise<GraphStandIn> {
  const igUserId = options.igUserId ?? '17841400000000001';
  const pageAccessToken = options.pageAccessToken ?? 'EAAGtestPageAccessToken0123456789';
  const requests: GraphRequest[] = [];
  const answers = new Map<string, GraphAnswer>();
  let sent = 0;

  const server = http.createServer((req, res) => {
    void readJsonBody(req).then((body) => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      const message = body as { recipient?: { id?: unknown }; message?: { text?: unknown } } | undefined;
      const recipientId = message?.recipient?.id;
      const wellFormed =
        req.method === 'POST' &&
        req.url === `/v21.0/${igUserId}/messages` &&
        req.headers.authorization === `Bearer ${pageAccessToken}` &&
        typeof recipientId === 'string' &&
        typeof message?.message?.text === 'string';
      const answer: GraphAnswer = !wellFormed
        ? graphError(400, 100, 'stand-in: malformed request')
        : (answers.get(recipientId) ?? {
            status: 200,
            body: { recipient_id: recipientId, message_id: `mid.stand-in.${++sent}` },
          });
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    graphBaseUrl: `http://127.0.0.1:${port}/v21.0`,
    igUserId,
    pageAccessToken,
    requests,
    answers,
    clear() {
      requests.length = 0;
      answers.clear();
      sent = 0;
    },
    async close() {
      server.closeAllConnections(); // fetch keeps idle keep-alive sockets open
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
