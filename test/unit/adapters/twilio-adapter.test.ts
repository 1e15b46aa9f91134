// The Twilio adapter against Prism serving Twilio's own OpenAPI document with --errors, so every
// request the real `twilio` client sends is validated against the spec (auth, AccountSid pattern,
// required form fields) before Prism answers with the spec's example.
//
// What Prism can and cannot produce: the spec defines only a 201 for `POST …/Messages.json`, so
// `Prefer: code=400|429|500` cannot be forced — Prism answers 404 "Requested status code … is not
// defined in the document" instead (asserted below, which also proves the header got through).
// Twilio's error codes (21211, 21610, 63016 …) therefore go through the real client with a stub
// RequestClient that returns Twilio-shaped error bodies, plus direct classifier tests.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import util from 'node:util';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import Response from 'twilio/lib/http/response';
import { createTwilioMessaging, toDeliveryError } from '../../../src/delivery/twilio-adapter';
import { classifyDeliveryFailure, DeliveryError, redactSecrets } from '../../../src/delivery/ports';
import { failureOf } from '../../support/eventually';
import { canConnect, freePort } from '../../support/stand-ins';

const repoRoot = path.resolve(__dirname, '../../..');
const SPEC = '../shared/specs/twilio/twilio_api_v2010.json'; // relative to repoRoot; not copied into the project
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
const BASIC = Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');

/** Twilio's HTTP layer with two test hooks: a `Prefer` header for Prism, and a record of each exchange. */
class RecordingRequestClient extends twilio.RequestClient {
  prefer: string | undefined;
  readonly exchanges: Array<{ uri: string; data: unknown; headers: Record<string, unknown>; statusCode: number }> = [];

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const headers = { ...opts.headers, ...(this.prefer ? { Prefer: this.prefer } : {}) };
    const res = await super.request({ ...opts, headers });
    this.exchanges.push({ uri: opts.uri, data: opts.data, headers, statusCode: res.statusCode });
    return res;
  }
}

/** Answers every request with a canned Twilio response, without touching the network. */
class CannedRequestClient extends twilio.RequestClient {
  constructor(private readonly answer: { statusCode: number; body: unknown }) {
    super({ keepAlive: false });
  }
  override async request<TData>(): Promise<Response<TData>> {
    return new Response(this.answer.statusCode, this.answer.body as TData, {});
  }
}

function expectNoSecrets(err: unknown): void {
  for (const rendered of [String(err), JSON.stringify(err), util.inspect(err, { depth: 10 })]) {
    expect(rendered).not.toContain(AUTH_TOKEN);
    expect(rendered).not.toContain(BASIC);
  }
}

describe('twilio adapter against Prism (Twilio OpenAPI spec, --errors)', () => {
  let prism: ChildProcess;
  let baseUrl: string;
  let prismOutput = '';

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    prism = spawn(
      path.join(repoRoot, 'node_modules/.bin/prism'),
      ['mock', '-h', '127.0.0.1', '-p', String(port), '--errors', SPEC],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    prism.stdout?.on('data', (chunk: Buffer) => {
      prismOutput += chunk.toString();
    });
    prism.stderr?.on('data', (chunk: Buffer) => {
      prismOutput += chunk.toString();
    });

    const deadline = Date.now() + 60_000;
    while (!(await canConnect(port))) {
      if (prism.exitCode !== null) throw new Error(`prism exited early (${prism.exitCode}):\n${prismOutput}`);
      if (Date.now() > deadline) throw new Error(`prism did not listen within 60 s:\n${prismOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 65_000);

  afterAll(async () => {
    if (!prism || prism.exitCode !== null) return;
    const exited = new Promise((resolve) => prism.once('exit', resolve));
    prism.kill('SIGTERM');
    const timer = setTimeout(() => prism.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  });

  function adapter(overrides: { accountSid?: string; prefer?: string } = {}) {
    const httpClient = new RecordingRequestClient({ keepAlive: false });
    httpClient.prefer = overrides.prefer;
    const messaging = createTwilioMessaging({
      accountSid: overrides.accountSid ?? ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      smsFrom: '+15557654321',
      whatsappFrom: '+15550001111',
      baseUrl,
      httpClient,
    });
    return { messaging, httpClient };
  }

  it('sends an SMS: Prism accepts the real request and answers 201 with a sid', async () => {
    const { messaging, httpClient } = adapter();
    const sent = await messaging.sendSms({
      to: '+15551234567',
      body: 'Your appointment is tomorrow',
      statusCallbackUrl: 'https://example.com/twilio/status',
    });

    expect(sent.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/i);
    expect(sent.status).toBe('queued');
    expect(httpClient.exchanges).toHaveLength(1);
    const [exchange] = httpClient.exchanges;
    expect(exchange?.statusCode).toBe(201);
    expect(exchange?.uri).toBe(`${baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(exchange?.headers.Authorization).toBe(`Basic ${BASIC}`);
    expect(exchange?.data).toEqual({
      To: '+15551234567',
      From: '+15557654321',
      Body: 'Your appointment is tomorrow',
      StatusCallback: 'https://example.com/twilio/status',
    });
  });

  it('sends WhatsApp with whatsapp:+E164 addresses on both ends', async () => {
    const { messaging, httpClient } = adapter();
    const sent = await messaging.sendWhatsApp({ to: '+15551234567', body: 'Hi there' });

    expect(sent.providerMessageId).toMatch(/^SM/);
    expect(httpClient.exchanges[0]?.statusCode).toBe(201);
    expect(httpClient.exchanges[0]?.data).toEqual({
      To: 'whatsapp:+15551234567',
      From: 'whatsapp:+15550001111',
      Body: 'Hi there',
    });
  });

  it('Prism rejects a request that breaks the spec (AccountSid pattern) → 422 → permanent', async () => {
    // Passes the client's own "starts with AC" check but not the spec's ^AC[0-9a-fA-F]{32}$.
    const { messaging } = adapter({ accountSid: 'ACnot-a-valid-account-sid' });
    const err = await failureOf(messaging.sendSms({ to: '+15551234567', body: 'x' }), DeliveryError);

    expect(err).toMatchObject({ provider: 'twilio', kind: 'permanent', status: 422 });
    expectNoSecrets(err);
  });

  it('passes Prefer through the client: code=400 is not in the spec, so Prism answers 404 → permanent', async () => {
    const { messaging, httpClient } = adapter({ prefer: 'code=400' });
    const err = await failureOf(messaging.sendSms({ to: '+15551234567', body: 'x' }), DeliveryError);

    expect(httpClient.exchanges[0]?.headers.Prefer).toBe('code=400');
    expect(err).toMatchObject({ provider: 'twilio', kind: 'permanent', status: 404 });
  });

  it('an unreachable API is transient and the error carries no credentials', async () => {
    const closedPort = await freePort();
    const messaging = createTwilioMessaging({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      smsFrom: '+15557654321',
      whatsappFrom: '+15550001111',
      baseUrl: `http://127.0.0.1:${closedPort}`,
      httpClient: new twilio.RequestClient({ keepAlive: false }),
    });
    const err = await failureOf(messaging.sendSms({ to: '+15551234567', body: 'x' }), DeliveryError);

    expect(err).toMatchObject({ provider: 'twilio', kind: 'transient', code: 'ECONNREFUSED' });
    expect(err.status).toBeUndefined();
    expectNoSecrets(err);
  });
});

describe('twilio error codes through the real client (canned Twilio error bodies)', () => {
  function adapterAnswering(statusCode: number, body: unknown) {
    return createTwilioMessaging({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      smsFrom: 'MG0123456789abcdef0123456789abcdef',
      whatsappFrom: 'whatsapp:+15550001111',
      httpClient: new CannedRequestClient({ statusCode, body }),
    });
  }
  const legacy = (status: number, code: number, message: string) => ({
    status,
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
  });

  it.each([
    [400, 21211, 'permanent'],
    [400, 21610, 'opted-out'],
    [400, 21408, 'permanent'],
    [400, 21612, 'permanent'],
    [400, 63016, 'window-closed'],
    [400, 63033, 'window-closed'],
    [401, 20003, 'permanent'],
    [404, 20404, 'permanent'],
    [429, 20429, 'transient'],
    [500, 20500, 'transient'],
    [503, 20503, 'transient'],
  ] as const)('HTTP %i / Twilio %i → %s', async (status, code, kind) => {
    const err = await failureOf(
      adapterAnswering(status, legacy(status, code, `Twilio says ${code}`)).sendWhatsApp({
        to: '+15551234567',
        body: 'x',
      }),
      DeliveryError,
    );
    expect(err).toMatchObject({ provider: 'twilio', kind, status, code: String(code) });
    expect(err.message).toContain(`Twilio says ${code}`);
  });

  it('maps RFC 9457 bodies (TwilioServiceException) the same way', async () => {
    const body = {
      type: 'https://www.twilio.com/docs/errors/21211',
      title: 'Invalid To number',
      status: 400,
      code: 21211,
      detail: 'The To number is not valid',
    };
    const err = await failureOf(adapterAnswering(400, body).sendSms({ to: '+1', body: 'x' }), DeliveryError);
    expect(err).toMatchObject({ kind: 'permanent', status: 400, code: '21211' });
  });

  it('a 502 with a non-JSON body is transient', async () => {
    const err = await failureOf(
      adapterAnswering(502, '<html>Bad gateway</html>').sendSms({ to: '+15551234567', body: 'x' }),
      DeliveryError,
    );
    expect(err).toMatchObject({ kind: 'transient', status: 502 });
    expect(err.code).toBeUndefined();
  });
});

describe('twilio classification and redaction', () => {
  it.each([
    [{ network: true }, 'transient'],
    [{ status: 429 }, 'transient'],
    [{ status: 500 }, 'transient'],
    [{ status: 400, code: 21211 }, 'permanent'],
    [{ status: 400, code: 21610 }, 'opted-out'],
    [{ status: 400, code: 21408 }, 'permanent'],
    [{ status: 400, code: 21612 }, 'permanent'],
    [{ status: 400, code: 63016 }, 'window-closed'],
    [{ status: 400, code: 63033 }, 'window-closed'],
    [{ status: 403 }, 'permanent'],
  ] as const)('%j → %s', (facts, kind) => {
    expect(classifyDeliveryFailure({ provider: 'twilio', ...facts })).toBe(kind);
  });

  it('maps RestException-shaped objects without a client', () => {
    const restException = new twilio.RestException({
      statusCode: 400,
      body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 },
    });
    expect(toDeliveryError(restException)).toMatchObject({ kind: 'opted-out', status: 400, code: '21610' });
  });

  it('redacts secrets and their base64 forms', () => {
    const text = `token ${AUTH_TOKEN} basic ${BASIC}`;
    const out = redactSecrets(text, [AUTH_TOKEN, `${ACCOUNT_SID}:${AUTH_TOKEN}`]);
    expect(out).not.toContain(AUTH_TOKEN);
    expect(out).not.toContain(BASIC);
  });
});
