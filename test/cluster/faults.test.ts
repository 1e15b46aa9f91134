// Fault tests on the production topology (`npm run cluster`'s Cluster: PostgreSQL, the real
// Temporal server on it, the API and two workers, each a process of its own). One cluster serves
// every scenario; each scenario has its own date field and its own clients, so a rule reaches only
// its own group, and prints its figures (sends, duplicates, lag):
//
// 1. a worker `kill -9`ed in the middle of a storm of N reminders due in the same minute
//    → every occurrence delivered exactly once (ledger `sent` = distinct messages received = N);
// 2. the Temporal server restarted while reminders sleep → they fire on time, none lost;
// 3. PostgreSQL restarted → the API answers 503 with a clear error meanwhile, a write retried
//    after recovery lands once, the sleeping reminders still fire;
// 4. the API killed during the fan-out of a new rule over M clients → after its restart the
//    fan-out completes: one sleeping reminder with NextSendAt per client, no duplicate.
//
// Mail goes through the company gateway (the real nodemailer adapter) to a real SMTP server in
// this process that records every message with its Message-ID and arrival time. Sizes:
// FAULT_STORM_SIZE (default 1000), FAULT_SLEEPERS (reminders of scenarios 2 and 3, default 20),
// FAULT_FANOUT_SIZE (default 500); CI sets smaller ones (.ci/run).
import type { Client } from '@temporalio/client';
import { sleepingQuery, startedQuery, countOf } from '../../bench/visibility';
import { emailRule } from '../../bench/seed';
import { dueMinute } from '../../bench/storm';
import { reminderWorkflowId } from '../../src/shared/ids';
import { startCluster, type ClusterHandle } from '../support/cluster';
import { clusterApi, seedContacts, type ClusterApi, type SeededContact } from '../support/cluster-api';
import { eventuallyValue } from '../support/eventually';
import { startSmtpStandIn, type SmtpStandIn } from '../support/stand-ins';

jest.setTimeout(900_000);

function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const STORM_SIZE = sizeFromEnv('FAULT_STORM_SIZE', 1_000);
const SLEEPERS = sizeFromEnv('FAULT_SLEEPERS', 20);
const FANOUT_SIZE = sizeFromEnv('FAULT_FANOUT_SIZE', 500);
/** The company's late-send grace: a reminder firing later than this is skipped as stale. */
const GRACE_MINUTES = 10;
const DAY_MS = 86_400_000;

let handle: ClusterHandle;
let smtp: SmtpStandIn;
let api: ClusterApi;
let client: Client;
let companyId: string;

function report(scenario: string, figures: Record<string, unknown>): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  process.stdout.write(`[faults] ${scenario}: ${line}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The same calendar date in year 2000: a yearly date whose occurrence this year is `iso`'s day. */
function yearlyDate(iso: string): string {
  return `2000-${iso.slice(5, 10)}`;
}

/** A new organization date field (the event the scenario's rule reminds of); its id. */
async function dateField(key: string): Promise<string> {
  const field = await api.request('POST', '/v1/contact-fields', {
    kind: 'organization',
    key,
    label: key,
    type: 'date',
  });
  return field.id as string;
}

interface Armed {
  ruleId: string;
  contacts: SeededContact[];
  /** The minute every reminder of the rule is due (ms since epoch). */
  due: number;
  /** POST of the rule → every reminder asleep with NextSendAt (ms); undefined if not before the due minute. */
  armedMs?: number;
}

/**
 * `count` clients whose date `fieldKey` falls on the due minute's day, and an email rule sending
 * at that minute (company time zone UTC) — the first whole minute at least `leadMs` away — then
 * waits until all reminders sleep with their plan (or the due minute comes).
 */
async function armReminders(
  tag: string,
  fieldKey: string,
  fieldId: string,
  count: number,
  leadMs: number,
): Promise<Armed> {
  const due = dueMinute(Date.now(), leadMs);
  const dueIso = new Date(due).toISOString();
  const contacts = await seedContacts(handle.env.DATABASE_URL, {
    companyId,
    tag,
    count,
    fieldKey,
    date: yearlyDate(dueIso),
  });
  const posted = Date.now();
  const rule = await api.request(
    'POST',
    '/v1/notification-rules',
    emailRule({ name: `Faults ${tag}`, kind: 'organization', eventFieldId: fieldId, sendTime: dueIso.slice(11, 16) }),
  );
  const ruleId = rule.id as string;
  let armedMs: number | undefined;
  while (Date.now() < due - 1_000) {
    if ((await countOf(client, sleepingQuery({ ruleId }))) >= count) {
      armedMs = Date.now() - posted;
      break;
    }
    await sleep(500);
  }
  report(tag, {
    armed: armedMs === undefined ? 'NOT before the due minute' : `${count} in ${armedMs} ms`,
    due: dueIso,
    secondsToDue: Math.round((due - Date.now()) / 1000),
  });
  return { ruleId, contacts, due, armedMs };
}

/** Ledger rows of a rule: all of them, and those with status `sent`. */
async function ledger(ruleId: string): Promise<{ total: number; sent: number }> {
  const [all, sent] = await Promise.all([
    api.request('GET', `/v1/notifications?ruleId=${ruleId}&limit=1`),
    api.request('GET', `/v1/notifications?ruleId=${ruleId}&status=sent&limit=1`),
  ]);
  return { total: all.total as number, sent: sent.total as number };
}

interface Receipts {
  /** Messages the SMTP server accepted for the group (a resend after a crash counts again). */
  transmissions: number;
  /** Distinct Message-IDs received: what the recipients' mailboxes show. */
  distinct: number;
  /** Recipients that received more than one distinct message (true duplicates). */
  duplicates: number;
  /** Recipients that received nothing. */
  missing: number;
  /** First arrival per recipient − due minute (ms), sorted. */
  lags: number[];
}

function receipts(contacts: SeededContact[], due: number): Receipts {
  const wanted = new Set(contacts.map((c) => c.email));
  const byRecipient = new Map<string, { ids: Set<string>; first: number }>();
  let transmissions = 0;
  for (const mail of smtp.received) {
    for (const rcpt of mail.rcptTo) {
      if (!wanted.has(rcpt)) continue;
      transmissions++;
      const entry = byRecipient.get(rcpt) ?? { ids: new Set<string>(), first: mail.receivedAt };
      entry.ids.add(mail.parsed.messageId ?? `(no Message-ID #${transmissions})`);
      entry.first = Math.min(entry.first, mail.receivedAt);
      byRecipient.set(rcpt, entry);
    }
  }
  const entries = [...byRecipient.values()];
  return {
    transmissions,
    distinct: entries.reduce((n, e) => n + e.ids.size, 0),
    duplicates: entries.filter((e) => e.ids.size > 1).length,
    missing: wanted.size - byRecipient.size,
    lags: entries.map((e) => e.first - due).sort((a, b) => a - b),
  };
}

function lagFigures(lags: number[]): Record<string, string> {
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? NaN;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return { lagP50: s(at(0.5)), lagP95: s(at(0.95)), lagMax: s(lags[lags.length - 1] ?? NaN) };
}

/** Waits until the rule's ledger has `count` rows sent and the SMTP server `count` distinct messages. */
async function allDelivered(armed: Armed, timeoutMs: number): Promise<{ ledger: { total: number; sent: number } }> {
  const count = armed.contacts.length;
  const last = await eventuallyValue(
    `${count} reminders of rule ${armed.ruleId} sent and received`,
    async () => {
      if (receipts(armed.contacts, armed.due).distinct < count) return undefined;
      const rows = await ledger(armed.ruleId);
      return rows.sent >= count ? rows : undefined;
    },
    { timeoutMs, intervalMs: 1_000 },
  ).catch(async (error: unknown) => {
    const rows = await ledger(armed.ruleId).catch(() => undefined);
    throw new Error(
      `${String(error)}; ledger ${JSON.stringify(rows)}, receipts ${JSON.stringify({ ...receipts(armed.contacts, armed.due), lags: undefined })}\n` +
        `--- worker-1.log\n${handle.logTail('worker-1', 20)}\n--- worker-2.log\n${handle.logTail('worker-2', 20)}`,
    );
  });
  // Stragglers: a resend or duplicate that would arrive just after the last expected message.
  await sleep(3_000);
  return { ledger: await ledger(armed.ruleId).catch(() => last) };
}

function expectExactlyOnce(armed: Armed, rows: { total: number; sent: number }, got: Receipts): void {
  const count = armed.contacts.length;
  expect(rows).toEqual({ total: count, sent: count });
  expect(got.distinct).toBe(count);
  expect(got.duplicates).toBe(0);
  expect(got.missing).toBe(0);
}

beforeAll(async () => {
  smtp = await startSmtpStandIn();
  handle = await startCluster({
    workers: 2,
    env: {
      // The company gateway's relay is the SMTP server above.
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      // The storm measures the engine under faults, not the configured send throttle.
      RATE_LIMIT_EMAIL_PER_MINUTE: '1000000',
    },
  });
  api = clusterApi(handle.apiUrl, await handle.createCompany('Faults company'));
  client = await handle.client();
  const company = await api.request('PATCH', '/v1/company', { lateGraceMinutes: GRACE_MINUTES });
  companyId = company.id as string;
  expect(company.timeZone).toBe('UTC');
}, 600_000);

afterAll(async () => {
  await handle?.stop();
  await smtp?.close();
});

test(`a worker killed with -9 in the middle of a storm of ${STORM_SIZE} reminders: each delivered exactly once`, async () => {
  const fieldId = await dateField('storm_date');
  const storm = await armReminders('storm', 'storm_date', fieldId, STORM_SIZE, 20_000 + 40 * STORM_SIZE);
  expect(storm.armedMs).toBeDefined();

  // Mid-storm: once a quarter of the messages arrived, the second worker dies.
  const killAfter = Math.max(1, Math.floor(STORM_SIZE / 4));
  await eventuallyValue(
    `${killAfter} storm messages received`,
    async () => (receipts(storm.contacts, storm.due).distinct >= killAfter ? true : undefined),
    { timeoutMs: storm.due - Date.now() + 180_000, intervalMs: 20 },
  );
  const receivedAtKill = receipts(storm.contacts, storm.due).distinct;
  await handle.killWorker(1);
  const killedAt = Date.now();

  const { ledger: rows } = await allDelivered(storm, 600_000);
  const got = receipts(storm.contacts, storm.due);
  report('storm', {
    reminders: STORM_SIZE,
    killedWorker2AfterMs: killedAt - storm.due,
    receivedAtKill,
    ledgerSent: rows.sent,
    ledgerRows: rows.total,
    received: got.distinct,
    duplicates: got.duplicates,
    resentSameMessageId: got.transmissions - got.distinct,
    drain: `${((got.lags[got.lags.length - 1] ?? NaN) / 1000).toFixed(1)}s`,
    ...lagFigures(got.lags),
  });
  expectExactlyOnce(storm, rows, got);

  // The dead machine comes back and polls again.
  await handle.startWorker(1);
  const pollers = await handle.cluster.pollers();
  expect(pollers.pollers.filter((p) => p.live).map((p) => p.identity)).toContain(handle.cluster.workers[1]!.identity);
});

/** Scenario 3's sleeping reminders: armed beside scenario 2's to fall due a minute after them,
 * so the two scenarios share their wait for a due minute (CI time). */
let postgresGroup: Promise<Armed> | undefined;
function armPostgresGroup(leadMs: number): Promise<Armed> {
  postgresGroup ??= dateField('postgres_restart_date').then((fieldId) =>
    armReminders('postgres-restart', 'postgres_restart_date', fieldId, SLEEPERS, leadMs),
  );
  return postgresGroup;
}

test(`the Temporal server restarted while ${SLEEPERS} reminders sleep: they fire on time, none lost`, async () => {
  const fieldId = await dateField('temporal_restart_date');
  const [armed] = await Promise.all([
    armReminders('temporal-restart', 'temporal_restart_date', fieldId, SLEEPERS, 30_000),
    armPostgresGroup(90_000),
  ]);
  expect(armed.armedMs).toBeDefined();

  const restarting = Date.now();
  await handle.restartTemporal();
  const restartMs = Date.now() - restarting;
  // The restart happened while they slept: none had fallen due yet.
  expect(Date.now()).toBeLessThan(armed.due);
  expect(receipts(armed.contacts, armed.due).transmissions).toBe(0);
  // The API and both workers reconnect on their own (watched while the reminders fall due).
  const reconnected = eventuallyValue(
    'the API seeing Temporal and both workers polling again',
    async () => {
      const health = (await (await fetch(`${handle.apiUrl}/health`)).json()) as {
        checks: { temporal: { ok: boolean }; workers?: { pollers: Array<{ identity: string; live: boolean }> } };
      };
      const live = new Set((health.checks.workers?.pollers ?? []).filter((p) => p.live).map((p) => p.identity));
      return health.checks.temporal.ok && handle.cluster.workers.every((w) => live.has(w.identity!))
        ? Date.now() - restarting
        : undefined;
    },
    { timeoutMs: 180_000 },
  );

  const { ledger: rows } = await allDelivered(armed, 300_000);
  const got = receipts(armed.contacts, armed.due);
  report('temporal-restart', {
    reminders: SLEEPERS,
    serverRestartMs: restartMs,
    restartedSecondsBeforeDue: Math.round((armed.due - restarting - restartMs) / 1000),
    apiAndWorkersReconnectedMs: await reconnected,
    ledgerSent: rows.sent,
    received: got.distinct,
    duplicates: got.duplicates,
    ...lagFigures(got.lags),
    graceMinutes: GRACE_MINUTES,
  });
  expectExactlyOnce(armed, rows, got);
  // On time: within the company's grace (beyond it they would have been skipped as stale).
  expect(got.lags[0]!).toBeGreaterThanOrEqual(0);
  expect(got.lags[got.lags.length - 1]!).toBeLessThanOrEqual(GRACE_MINUTES * 60_000);
});

test(`PostgreSQL restarted: the API answers 503 with a clear error meanwhile, a retried write lands once, ${SLEEPERS} sleeping reminders fire`, async () => {
  let armed = await armPostgresGroup(35_000);
  // They must still sleep when the outage comes: if scenario 2 ran late, a fresh group is armed.
  if (armed.due - Date.now() < 20_000) {
    const fieldId = await dateField('postgres_restart_date_2');
    armed = await armReminders('postgres-restart-2', 'postgres_restart_date_2', fieldId, SLEEPERS, 30_000);
  }
  expect(armed.armedMs).toBeDefined();
  expect(armed.due - Date.now()).toBeGreaterThan(10_000);

  const contact = {
    kind: 'organization',
    name: 'Written during the database outage',
    email: 'outage@faults.example',
    emailConsent: true,
  };
  const idempotencyKey = `faults-outage-${Date.now()}`;
  const write = () =>
    api.call('POST', '/v1/contacts', {
      body: contact,
      headers: { 'idempotency-key': idempotencyKey },
      timeoutMs: 20_000,
    });

  await handle.stopPostgres();
  const stoppedAt = Date.now();
  const during = {
    read: await api.call('GET', '/v1/contacts?limit=1', { timeoutMs: 20_000 }),
    write: await write(),
    health: await api.call('GET', '/health', { timeoutMs: 20_000 }),
  };
  await handle.startPostgres();
  const downMs = Date.now() - stoppedAt;

  // Retried by the client until it lands; only "service unavailable" may be answered meanwhile.
  let retries = 0;
  const landed = await eventuallyValue(
    'the write retried after PostgreSQL came back',
    async () => {
      const answer = await write();
      retries++;
      if (answer.status === 503) return undefined;
      return answer;
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  const recoveredMs = Date.now() - stoppedAt - downMs;

  const { ledger: rows } = await allDelivered(armed, 300_000);
  const got = receipts(armed.contacts, armed.due);
  const listed = await api.request('GET', `/v1/contacts?kind=organization&q=${encodeURIComponent(contact.name)}`);
  report('postgres-restart', {
    downMs,
    readDuringOutage: `${during.read.status} in ${during.read.ms} ms`,
    writeDuringOutage: `${during.write.status} in ${during.write.ms} ms`,
    healthDuringOutage: during.health.status,
    error: during.write.body?.error,
    writeLanded: `${landed.status} after ${retries} tries, ${recoveredMs} ms after the restart`,
    contactsWithThatName: listed.total,
    reminders: SLEEPERS,
    ledgerSent: rows.sent,
    received: got.distinct,
    duplicates: got.duplicates,
    ...lagFigures(got.lags),
  });
  for (const answer of [during.read, during.write]) {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: { code: 'database_unavailable', message: expect.any(String) } });
    expect(answer.ms).toBeLessThan(15_000);
  }
  expect(during.write.body.error.message).toMatch(/database/i);
  expect(during.health.status).toBe(503);
  expect(during.health.body.checks.database.ok).toBe(false);
  expect(landed.status).toBe(201);
  expect(listed.total).toBe(1);
  expectExactlyOnce(armed, rows, got);
  expect(got.lags[got.lags.length - 1]!).toBeLessThanOrEqual(GRACE_MINUTES * 60_000);
});

test(`the API killed during the fan-out of a new rule over ${FANOUT_SIZE} clients: the fan-out completes after its restart, no duplicate`, async () => {
  const fieldId = await dateField('fanout_date');
  // Never due during the run: the reminders only sleep.
  const date = yearlyDate(new Date(Date.now() + 120 * DAY_MS).toISOString());
  const contacts = await seedContacts(handle.env.DATABASE_URL, {
    companyId,
    tag: 'fanout',
    count: FANOUT_SIZE,
    fieldKey: 'fanout_date',
    date,
  });
  const posted = Date.now();
  const rule = await api.request(
    'POST',
    '/v1/notification-rules',
    emailRule({ name: 'Faults fan-out', kind: 'organization', eventFieldId: fieldId, sendTime: '09:00' }),
  );
  const ruleId = rule.id as string;

  // Killed as soon as the fan-out shows (or after 5 s regardless: the change then waits in the database).
  const startedAtKill = await eventuallyValue(
    'the first reminders of the fan-out started',
    async () => {
      const started = await countOf(client, startedQuery(ruleId));
      return started > 0 || Date.now() - posted > 5_000 ? started : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await handle.killApi();
  const killedAt = Date.now();
  await handle.startApi();
  const apiBackMs = Date.now() - killedAt;

  const sleepingAfterMs =
    (await eventuallyValue(
      `${FANOUT_SIZE} reminders sleeping with NextSendAt`,
      async () => ((await countOf(client, sleepingQuery({ ruleId }))) >= FANOUT_SIZE ? Date.now() : undefined),
      { timeoutMs: 600_000, intervalMs: 1_000 },
    )) - posted;

  const running: string[] = [];
  for await (const w of client.workflow.list({ query: `RuleId = "${ruleId}" AND ExecutionStatus = "Running"` }))
    running.push(w.workflowId);
  const expected = contacts.map((c) => reminderWorkflowId(ruleId, c.id)).sort();
  const executions = await countOf(client, startedQuery(ruleId));
  const fresh = await api.request('GET', `/v1/notification-rules/${ruleId}`);
  // The restarted API's /metrics carries the engine's series (its relay's backlog, the repairs).
  const metrics = await (await fetch(`${handle.apiUrl}/metrics`)).text();
  const backlog = /^reminders_outbox_backlog (\d+)$/m.exec(metrics)?.[1];
  report('api-kill-fanout', {
    contacts: FANOUT_SIZE,
    startedAtKill,
    killedAfterMs: killedAt - posted,
    apiBackMs,
    sleepingWithPlanAfterMs: sleepingAfterMs,
    running: running.length,
    distinctRunning: new Set(running).size,
    executions,
    progress: fresh.reminders,
    outboxBacklog: backlog,
  });
  expect(running.length).toBe(FANOUT_SIZE);
  expect([...running].sort()).toEqual(expected);
  expect(fresh.reminders).toEqual(expect.objectContaining({ started: FANOUT_SIZE, total: FANOUT_SIZE }));
  expect(backlog).toBeDefined();
  expect(metrics).toMatch(/^reminders_reconciler_repairs_total\{kind="started"\} \d+$/m);
});
