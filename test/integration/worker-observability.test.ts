// One real send through the worker as the service builds it (src/worker: codec, send-metrics
// interceptor, the runtime installed by installTemporalRuntime) on Temporal's dev server, in real
// time: an email rule due at the next whole minute, real nodemailer to a real SMTP server. Then:
// - the worker's Prometheus endpoint counts the send (channel, outcome, reason) and its lag, next
//   to the SDK's own series, and the Temporal runtime logged through our pino logger;
// - the history, the summary and the current details hold no contact name, phone or email in
//   clear (read with a client without the codec), and decode with it;
// - every series the Grafana dashboard queries is one the API or the worker exports.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, type Worker } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { loadConfig } from '../../src/config';
import { buildDeliveryPorts } from '../../src/delivery/from-config';
import { sharedChannels } from '../../src/delivery/ports';
import { createLogger } from '../../src/runtime/logger';
import { createTemporalScheduler } from '../../src/scheduling/temporal-scheduler';
import { keyRing, payloadDataConverter } from '../../src/security/payload-codec';
import { reminderWorkflowId } from '../../src/shared/ids';
import { installTemporalRuntime } from '../../src/worker/temporal-runtime';
import { createReminderWorker } from '../../src/worker/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, REPO_ROOT, startSmtpStandIn, type SmtpStandIn } from '../support/stand-ins';
import { bundleWorkflows, createDevServerEnv } from '../support/temporal';

jest.setTimeout(180_000);

const CONTACT = { name: 'Grace Hopper', phone: '+12125550123', email: 'grace.hopper@example.com' };
const TASK_QUEUE = `observability-${randomUUID()}`;
const ring = keyRing([{ id: 'test-2026', key: Buffer.alloc(32, 9) }]);

let env: TestWorkflowEnvironment;
let testDb: TestDatabase;
let smtp: SmtpStandIn;
let codecClient: Client;
let worker: Worker;
let running: Promise<void>;
let metricsUrl: string;
const logLines: Array<Record<string, unknown>> = [];
let workflowId: string;
let sendAt: Date;
let sentRunId: string;
let before: string;
let after: string;

const scrape = async () => (await fetch(metricsUrl)).text();

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger('info', { service: 'worker', destination });
  // Before anything creates the runtime (the dev server environment does).
  const port = await freePort();
  const installed = installTemporalRuntime(loadConfig({ WORKER_METRICS_ADDRESS: `127.0.0.1:${port}` }), logger);
  metricsUrl = installed.metricsUrl!;
  const [e, t, s, bundle] = await Promise.all([
    createDevServerEnv(),
    createTestDatabase(),
    startSmtpStandIn(),
    bundleWorkflows(),
  ]);
  [env, testDb, smtp] = [e, t, s];
  codecClient = new Client({
    connection: env.connection,
    namespace: 'default',
    dataConverter: payloadDataConverter(ring),
  });
  const config = loadConfig({ SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) });
  worker = await createReminderWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    payloadKeys: ring,
    logger,
    workflowBundle: bundle,
    deps: {
      db: testDb.db,
      channels: sharedChannels(buildDeliveryPorts(config)),
      temporal: { client: codecClient, taskQueue: TASK_QUEUE },
    },
  });
  running = worker.run();

  // An email rule due at the next whole minute at least 15 s away (UTC company, today's birthday).
  const { db } = testDb;
  sendAt = new Date(Math.ceil((Date.now() + 15_000) / 60_000) * 60_000);
  const { company } = await createCompanyWithAdmin(db, { name: 'Observed Co', timeZone: 'UTC' });
  const birthday = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  const contact = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      ...CONTACT,
      emailConsent: true,
      fields: { birthday: `--${sendAt.toISOString().slice(5, 10)}` },
    },
  });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthday mail',
      kind: 'person',
      eventFieldId: birthday.id,
      channel: 'email',
      sendTime: sendAt.toISOString().slice(11, 16),
      daysInAdvance: 0,
      subjectTemplate: 'Happy birthday, {{contactName}}',
      bodyTemplate: 'Happy birthday, {{contactName}}!',
    },
  });
  workflowId = reminderWorkflowId(rule.id, contact.id);
  before = await scrape();
  // Started the way the service starts reminders: through the scheduling port, with the codec.
  await createTemporalScheduler({ db, client: codecClient, taskQueue: TASK_QUEUE }).contactChanged(
    company.id,
    contact.id,
  );
  const firstRunId = (await codecClient.workflow.getHandle(workflowId).describe()).runId;

  const deadline = sendAt.getTime() + 60_000;
  while (smtp.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  // The send ends its run; the next occurrence runs as a new one.
  while (Date.now() < deadline) {
    const described = await codecClient.workflow.getHandle(workflowId).describe();
    if (described.runId !== firstRunId) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  sentRunId = firstRunId;
  after = await scrape();
});

afterAll(async () => {
  await codecClient?.workflow
    .getHandle(workflowId)
    .terminate('test done')
    .catch(() => undefined);
  if (worker) {
    worker.shutdown();
    await running;
  }
  await Promise.all([env?.teardown(), testDb?.close(), smtp?.close()]);
  await Runtime.instance()
    .shutdown()
    .catch(() => undefined);
});

test('the reminder sent one email', () => {
  expect(smtp.received).toHaveLength(1);
  expect(smtp.received[0]!.parsed.subject).toBe(`Happy birthday, ${CONTACT.name}`);
});

describe('worker metrics', () => {
  const sends = /^reminders_sends_total\{([^}]*)\} (\d+)$/gm;
  const labelsOf = (text: string) => [...text.matchAll(sends)].map((m) => [m[1], Number(m[2])]);

  test('the send incremented reminders_sends_total for channel email, outcome sent, reason none', () => {
    expect(labelsOf(before)).toEqual([]);
    const counted = labelsOf(after);
    expect(counted).toHaveLength(1);
    const [labels, value] = counted[0]!;
    expect(value).toBe(1);
    expect(labels).toContain('channel="email"');
    expect(labels).toContain('outcome="sent"');
    expect(labels).toContain('reason="none"');
  });

  test('the send lag (actual send − planned instant) was recorded once, within seconds', () => {
    const count = /^reminders_send_lag_seconds_count\{[^}]*channel="email"[^}]*\} (\d+)$/m.exec(after);
    const sum = /^reminders_send_lag_seconds_sum\{[^}]*channel="email"[^}]*\} ([\d.e+-]+)$/m.exec(after);
    expect(Number(count?.[1])).toBe(1);
    expect(Number(sum?.[1])).toBeGreaterThanOrEqual(0);
    expect(Number(sum?.[1])).toBeLessThan(20);
    // The configured buckets (send-metrics.ts), not the SDK's default ones.
    expect(after).toMatch(/reminders_send_lag_seconds_bucket\{[^}]*le="3600"[^}]*\} 1/);
  });

  test("the same endpoint serves the SDK's own series", () => {
    expect(after).toMatch(/^temporal_activity_execution_latency_count\{/m);
    expect(after).toMatch(/^temporal_workflow_task_execution_latency_count\{/m);
  });

  test("the Temporal runtime logs through our logger (JSON lines with the SDK's metadata)", () => {
    expect(logLines).toContainEqual(
      expect.objectContaining({
        service: 'worker',
        component: 'temporal',
        sdkComponent: 'worker',
        taskQueue: TASK_QUEUE,
      }),
    );
  });
});

describe('encrypted payloads', () => {
  const inClear = (bytes: Uint8Array) => {
    const text = Buffer.from(bytes).toString('latin1');
    return [CONTACT.name, 'Grace', CONTACT.phone, CONTACT.email].filter((value) => text.includes(value));
  };

  test('the history of the run that sent holds no contact name, phone or email in clear, only encrypted payloads', async () => {
    const raw = await env.client.workflow.getHandle(workflowId, sentRunId).fetchHistory();
    const bytes = temporal.api.history.v1.History.encode(raw).finish();
    expect(raw.events!.length).toBeGreaterThan(10);
    expect(inClear(bytes)).toEqual([]);
    // Every payload but the search attributes (ids only, indexed in clear by design) and the SDK's
    // own marker bookkeeping (a patch's id, a local activity's sequence, attempt and type) is
    // encrypted; a local activity's result beside it is.
    const encodings = new Set<string>();
    const walk = (value: unknown, key: string, path: string): void => {
      if (!value || typeof value !== 'object' || value instanceof Uint8Array || key === 'searchAttributes') return;
      const payload = value as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
      if (payload.metadata?.encoding && payload.data) {
        const encoding = Buffer.from(payload.metadata.encoding).toString();
        const markerBookkeeping = /markerRecordedEventAttributes\.details\.(data|patch-data)\./.test(path);
        encodings.add(markerBookkeeping && encoding === 'json/plain' ? 'marker bookkeeping' : `${encoding} at ${path}`);
        if (encoding !== 'binary/encrypted') return;
      }
      for (const [k, child] of Object.entries(value)) walk(child, k, `${path}.${k}`);
    };
    walk(raw.events, 'events', 'events');
    const plain = [...encodings].filter((e) => e !== 'marker bookkeeping' && !e.startsWith('binary/encrypted '));
    expect(plain).toEqual([]);
    expect([...encodings].some((e) => e.startsWith('binary/encrypted '))).toBe(true);
  });

  test('the summary and the current details are encrypted for a client without the codec, readable with it', async () => {
    const service = env.client.workflowService;
    // The run the service started carries the summary (continue-as-new does not copy it).
    const described = await service.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId, runId: sentRunId },
    });
    const summary = described.executionConfig!.userMetadata!.summary!;
    expect(Buffer.from(summary.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(inClear(summary.data!)).toEqual([]);
    const queried = await service.queryWorkflow({
      namespace: 'default',
      execution: { workflowId },
      query: { queryType: '__temporal_workflow_metadata' },
    });
    const details = queried.queryResult!.payloads![0]!;
    expect(Buffer.from(details.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(inClear(details.data!)).toEqual([]);

    const handle = codecClient.workflow.getHandle(workflowId);
    expect(await (await codecClient.workflow.getHandle(workflowId, sentRunId).describe()).staticSummary()).toContain(
      CONTACT.name,
    );
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(CONTACT.name);
  });
});

test('every series the Grafana dashboard queries is exported by the API or the worker', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(REPO_ROOT, 'ops/grafana/reminders.json'), 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
  expect(exprs.length).toBeGreaterThan(5);
  const metrics = createApiMetrics();
  const api = createApp({
    db: testDb.db,
    logger: createLogger('error'),
    health: { database: async () => undefined, temporal: async () => undefined },
    metrics,
  });
  await request(api).get('/health');
  const exported = new Set<string>();
  for (const text of [(await request(api).get('/metrics')).text, after]) {
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(m[1]!);
      if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${m[1]}${suffix}`);
    }
  }
  const missing: string[] = [];
  for (const { panel, expr } of exprs) {
    // Series names: identifiers outside label matchers, ranges and `by (…)`, not followed by `(`
    // (functions); every series of ours has an underscore, PromQL's keywords do not.
    const outsideBraces = expr
      .replace(/\{[^}]*\}/g, '{}')
      .replace(/"[^"]*"/g, '""')
      .replace(/\[[^\]]*\]/g, '[]')
      .replace(/\b(by|without)\s*\([^)]*\)/g, '');
    const names = [...outsideBraces.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)]
      .map((m) => m[0])
      .filter((name) => /_/.test(name));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) if (!exported.has(name)) missing.push(`${panel}: ${name}`);
  }
  expect(missing).toEqual([]);
});
