// End to end on the real stack: `npm start` (embedded Temporal dev server and embedded
// PostgreSQL) with the real twilio client talking to Prism (Twilio's OpenAPI spec) and real
// nodemailer talking to a real SMTP server. The process is killed (SIGKILL, whole process
// group) while reminders sleep and again after they were sent; nothing is lost or sent twice.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { keyRing, payloadDataConverter } from '../../src/security/payload-codec';
import { reminderWorkflowId } from '../../src/shared/ids';
import { eventuallyValue } from '../support/eventually';
import { killGroup, serviceEnv, startService, type Service } from '../support/service';
import {
  freePort,
  startSmtpStandIn,
  startTwilioPrism,
  TWILIO_TEST_ACCOUNT,
  type PrismStandIn,
  type SmtpStandIn,
} from '../support/stand-ins';

jest.setTimeout(300_000);

interface Forwarded {
  method: string;
  url: string;
  body: string;
}

/** Forwards to Prism and remembers every request, so the test can count real sends. */
async function countingProxy(target: string): Promise<{ url: string; requests: Forwarded[]; close(): Promise<void> }> {
  const requests: Forwarded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: body.toString() });
      const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let prism: PrismStandIn;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
let smtp: SmtpStandIn;
let dataDir: string;
let service: Service | undefined;

beforeAll(async () => {
  [prism, smtp] = await Promise.all([startTwilioPrism(), startSmtpStandIn()]);
  proxy = await countingProxy(prism.baseUrl);
  dataDir = mkdtempSync(path.join(tmpdir(), 'reminders-e2e-'));
});

afterAll(async () => {
  if (service) await killGroup(service, 'SIGKILL');
  await Promise.all([proxy?.close(), prism?.close(), smtp?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

test('a rule due in two minutes: WhatsApp through the open chat, email by fallback, both feeds and the work order feed; a crash mid-sleep and a restart after sending lose nothing and send nothing twice', async () => {
  const env = await serviceEnv(dataDir, {
    TWILIO_ACCOUNT_SID: TWILIO_TEST_ACCOUNT.accountSid,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_ACCOUNT.authToken,
    TWILIO_SMS_FROM: TWILIO_TEST_ACCOUNT.smsFrom,
    TWILIO_WHATSAPP_FROM: TWILIO_TEST_ACCOUNT.whatsappFrom,
    TWILIO_API_BASE_URL: proxy.url,
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
  });
  const apiPort = env.API_PORT;
  const devPort = env.TEMPORAL_DEV_PORT;
  const uiPort = env.TEMPORAL_UI_PORT!;
  const workerMetricsPort = env.WORKER_METRICS_ADDRESS!.split(':')[1]!;
  service = await startService(env);
  const key = service.apiKey;
  expect(key).toMatch(/^crk_/);
  const api = async (method: string, p: string, body?: object) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = res.status === 204 ? undefined : await res.json();
    if (res.status >= 400) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json)}`);
    return json as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  // Due two whole minutes from now (UTC company), so both reminders are asleep before the crash.
  const sendAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 60_000);
  const hhmm = sendAt.toISOString().slice(11, 16);
  const monthDay = `--${sendAt.toISOString().slice(5, 10)}`;

  const birthday = (await api('GET', '/v1/contact-fields?kind=person')).items.find(
    (f: { key: string }) => f.key === 'birthday',
  );
  const rule = await api('POST', '/v1/notification-rules', {
    name: 'Birthday greetings',
    kind: 'person',
    eventFieldId: birthday.id,
    channel: 'email',
    emailSender: 'gateway',
    tryLastChatFirst: true,
    sendTime: hhmm,
    daysInAdvance: 0,
    subjectTemplate: 'Happy birthday, {{contactName}}',
    bodyTemplate: 'Happy birthday, {{contactName}}! — {{companyName}}',
  });
  const ada = await api('POST', '/v1/contacts', {
    kind: 'person',
    name: 'Ada Chat',
    phone: '+15550102030',
    // The rule's channel (email) needs consent on every route, the chat included; no address is needed there.
    emailConsent: true,
    fields: { birthday: monthDay },
  });
  const chat = await api('POST', '/v1/chats', { contactId: ada.id, channel: 'whatsapp', address: '+15550102030' });
  await api('POST', `/v1/chats/${chat.id}/messages`, { text: 'Hi! Is my phone ready?' });
  const order = await api('POST', '/v1/work-orders', { contactId: ada.id, title: 'Phone repair' });
  const bob = await api('POST', '/v1/contacts', {
    kind: 'person',
    name: 'Bob Mail',
    email: 'bob@example.com',
    emailConsent: true,
    fields: { birthday: monthDay },
  });

  // Pending once the outbox relay has started the reminder (read from the workflow, not the plan).
  const reminders = await eventuallyValue("Ada's reminder pending", async () => {
    const body = await api('GET', `/v1/contacts/${ada.id}/reminders`);
    return body.items?.[0]?.status === 'pending' ? body : undefined;
  });
  expect(reminders.items).toEqual([
    expect.objectContaining({ ruleId: rule.id, status: 'pending', sendAt: sendAt.toISOString(), replanPending: false }),
  ]);

  // Crash while both reminders sleep, then start again on the same data folder.
  await new Promise((r) => setTimeout(r, 5_000));
  await killGroup(service, 'SIGKILL');
  service = await startService(env);

  const whatsappSends = () => proxy.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/Messages.json'));
  const deadline = sendAt.getTime() + 90_000;
  while ((whatsappSends().length < 1 || smtp.received.length < 1) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 500));
  expect(whatsappSends()).toHaveLength(1);
  const form = new URLSearchParams(whatsappSends()[0]!.body);
  expect(form.get('To')).toBe('whatsapp:+15550102030');
  expect(form.get('Body')).toBe('Happy birthday, Ada Chat! — My company');
  expect(smtp.received).toHaveLength(1);
  expect(smtp.received[0]!.parsed.from?.text).toContain('gateway@roapp.email');
  expect(smtp.received[0]!.parsed.subject).toBe('Happy birthday, Bob Mail');

  // Feeds: the chat send on the contact (linking the chat) and on the open work order; the email on Bob.
  const adaFeed = await waitForFeed(api, `/v1/contacts/${ada.id}/activity`);
  expect(adaFeed[0]).toMatchObject({
    kind: 'notification.sent',
    channel: 'whatsapp',
    chatLink: `/v1/chats/${chat.id}`,
  });
  const orderFeed = await waitForFeed(api, `/v1/work-orders/${order.id}/activity`);
  expect(orderFeed[0]).toMatchObject({ kind: 'notification.sent', channel: 'whatsapp', chatId: chat.id });
  const bobFeed = await waitForFeed(api, `/v1/contacts/${bob.id}/activity`);
  expect(bobFeed[0]).toMatchObject({ kind: 'notification.sent', channel: 'email', sender: 'gateway@roapp.email' });
  expect((await api('GET', `/v1/chats/${chat.id}/messages`)).items[0]).toMatchObject({
    direction: 'outbound',
    text: 'Happy birthday, Ada Chat! — My company',
  });

  await checkObservability({
    api: `http://127.0.0.1:${apiPort}`,
    workerMetrics: `http://127.0.0.1:${workerMetricsPort}/metrics`,
    ui: `http://127.0.0.1:${uiPort}`,
    temporalAddress: `127.0.0.1:${devPort}`,
    workflowIds: [reminderWorkflowId(rule.id, ada.id), reminderWorkflowId(rule.id, bob.id)],
    personal: ['Ada Chat', '+15550102030', 'Bob Mail', 'bob@example.com'],
  });

  // Crash again after sending: the restarted service must not send anything again.
  await killGroup(service, 'SIGKILL');
  service = await startService(env);
  await new Promise((r) => setTimeout(r, 15_000));
  expect(whatsappSends()).toHaveLength(1);
  expect(smtp.received).toHaveLength(1);
  const ledger = await api('GET', `/v1/notifications?ruleId=${rule.id}`);
  expect(ledger.items.map((n: { status: string }) => n.status)).toEqual(['sent', 'sent']);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function waitForFeed(api: (m: string, p: string) => Promise<Record<string, any>>, p: string) {
  for (let i = 0; i < 60; i++) {
    const feed = (await api('GET', p)).items as Array<Record<string, unknown>>;
    if (feed.length > 0) return feed;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`feed ${p} stayed empty`);
}

/** Metrics of both endpoints after the two sends, and payload encryption as `npm start` sets it
 * up: histories hold no personal data in clear; the generated keys and the codec endpoint (the one
 * the embedded UI is pointed at) decode them. */
async function checkObservability(at: {
  api: string;
  workerMetrics: string;
  ui: string;
  temporalAddress: string;
  workflowIds: string[];
  personal: string[];
}) {
  const apiMetrics = await (await fetch(`${at.api}/metrics`)).text();
  // This process (the one after the first crash) served the feed reads.
  expect(apiMetrics).toMatch(
    /^http_request_duration_seconds_count\{method="GET",route="\/v1\/contacts\/:id\/activity",status_code="200"\} [1-9]\d*$/m,
  );
  const workerMetrics = await (await fetch(at.workerMetrics)).text();
  for (const channel of ['whatsapp', 'email']) {
    expect(workerMetrics).toMatch(
      new RegExp(`^reminders_sends_total\\{channel="${channel}",outcome="sent",reason="none"\\} 1$`, 'm'),
    );
    expect(workerMetrics).toMatch(new RegExp(`^reminders_send_lag_seconds_count\\{channel="${channel}"\\} 1$`, 'm'));
  }
  expect(workerMetrics).toMatch(/^temporal_activity_execution_latency_count\{/m);

  const connection = await Connection.connect({ address: at.temporalAddress });
  try {
    const raw = new Client({ connection });
    const keys = readFileSync(path.join(dataDir, 'payload-keys'), 'utf8').trim().split(':');
    const decoding = new Client({
      connection,
      dataConverter: payloadDataConverter(keyRing([{ id: keys[0]!, key: Buffer.from(keys[1]!, 'hex') }])),
    });
    const summaries: string[] = [];
    let rawSummary: temporal.api.common.v1.IPayload | undefined;
    for (const workflowId of at.workflowIds) {
      for await (const run of raw.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
        const history = await raw.workflow.getHandle(workflowId, run.runId).fetchHistory();
        const clear = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
        for (const value of at.personal) expect(clear).not.toContain(value);
        const described = await connection.workflowService.describeWorkflowExecution({
          namespace: 'default',
          execution: { workflowId, runId: run.runId },
        });
        rawSummary ??= described.executionConfig?.userMetadata?.summary ?? undefined;
        const summary = await (await decoding.workflow.getHandle(workflowId, run.runId).describe()).staticSummary();
        if (summary) summaries.push(summary);
      }
    }
    expect(summaries.join(' ')).toContain('Ada Chat');

    // The embedded UI calls our codec endpoint, token in the path; it decodes the raw summary.
    const settings = (await (await fetch(`${at.ui}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    const token = readFileSync(path.join(dataDir, 'codec-token'), 'utf8').trim();
    expect(settings.Codec.Endpoint).toBe(`${at.api}/codec/${token}`);
    expect(Buffer.from(rawSummary!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const decoded = await fetch(`${settings.Codec.Endpoint}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: at.ui },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(rawSummary!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(rawSummary!.data!).toString('base64'),
          },
        ],
      }),
    });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(at.ui);
    const body = (await decoded.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toContain('Ada Chat');
  } finally {
    await connection.close();
  }
}
