// The outbox relay on a real database, with a scheduler port that records (and can fail or stall)
// calls: which port method each change becomes, coalescing, deletion of applied rows, per-row
// backoff, Temporal outages (no attempt charged), leases of dead relays, several relays sharing
// the table, the nudge and a clean stop. The Temporal side is covered by the fan-out and fault tests.
import { ServiceError } from '@temporalio/client';
import { createDb, type Db } from '../../src/db/client';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { silentLogger } from '../../src/runtime/logger';
import { recordReminderChange } from '../../src/scheduling/outbox';
import { createOutboxRelay, isTemporalUnreachable, type OutboxRelay } from '../../src/scheduling/outbox-relay';
import type { ReminderScheduler } from '../../src/scheduling/scheduler';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';

let testDb: TestDatabase;
let companyId: string;
let ruleFieldId: string;
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const { company } = await createCompanyWithAdmin(testDb.db, { name: 'Relay Co' });
  companyId = company.id;
  ruleFieldId = (await testDb.db.contactField.findFirstOrThrow({ where: { companyId, key: 'birthday' } })).id;
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await testDb.db.reminderChange.deleteMany({});
});
afterAll(() => testDb?.close());

type Call = { op: string; id: string; kind?: string };

/** A port that records calls; `behaviour` decides per call whether it fails or how long it takes. */
function fakeScheduler(behaviour: (call: Call) => Promise<void> | void = () => undefined) {
  const calls: Call[] = [];
  const inFlight = new Map<string, number>();
  let maxInFlightPerSubject = 0;
  const record = async (call: Call) => {
    const n = (inFlight.get(call.id) ?? 0) + 1;
    inFlight.set(call.id, n);
    maxInFlightPerSubject = Math.max(maxInFlightPerSubject, n);
    try {
      await behaviour(call);
      calls.push(call);
    } finally {
      inFlight.set(call.id, inFlight.get(call.id)! - 1);
    }
  };
  const scheduler: ReminderScheduler = {
    contactChanged: (_c, contactId) => record({ op: 'contactChanged', id: contactId }),
    ruleChanged: (rule) => record({ op: 'ruleChanged', id: rule.id }),
    ruleDeleted: (rule) => record({ op: 'ruleDeleted', id: rule.id, kind: rule.kind }),
    companyChanged: (id) => record({ op: 'companyChanged', id }),
  };
  return { scheduler, calls, maxInFlight: () => maxInFlightPerSubject };
}

function startRelay(scheduler: ReminderScheduler, db: Db = testDb.db, options = {}) {
  const relay = createOutboxRelay({
    db,
    scheduler,
    logger: silentLogger,
    options: { pollIntervalMs: 50, ...options },
  });
  relays.push(relay);
  relay.start();
  return relay;
}

/** Relay tests poll often: the relay is nudged or polls every 50 ms. */
const soon = (check: () => Promise<boolean> | boolean, what = 'the condition', timeoutMs = 10_000) =>
  eventually(check, what, { timeoutMs, intervalMs: 25 });

const remaining = () => testDb.db.reminderChange.count();

const unavailable = () =>
  new ServiceError('Failed to start Workflow', {
    cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14, // gRPC UNAVAILABLE
      details: 'No connection established',
      metadata: { getMap: () => ({}) },
    }),
  });

async function makeRule(name: string) {
  return testDb.db.notificationRule.create({
    data: {
      companyId,
      name,
      kind: 'person',
      eventFieldId: ruleFieldId,
      channel: 'sms',
      sendTime: '09:00',
      bodyTemplate: 'Hi',
    },
  });
}

test('each kind of change becomes its port call; a deleted rule becomes ruleDeleted with its kind; applied rows are deleted', async () => {
  const rule = await makeRule('Kept');
  const gone = await makeRule('Gone');
  await testDb.db.notificationRule.delete({ where: { id: gone.id } });
  const { db } = testDb;
  await recordReminderChange(db, { kind: 'contact', companyId, contactId: 'contact-1' });
  await recordReminderChange(db, { kind: 'rule', companyId, ruleId: rule.id, ruleKind: 'person' });
  await recordReminderChange(db, { kind: 'rule', companyId, ruleId: gone.id, ruleKind: 'person' });
  await recordReminderChange(db, { kind: 'company', companyId });

  const fake = fakeScheduler();
  startRelay(fake.scheduler);
  await soon(async () => (await remaining()) === 0, 'the outbox to empty');
  expect(fake.calls).toEqual(
    expect.arrayContaining([
      { op: 'contactChanged', id: 'contact-1' },
      { op: 'ruleChanged', id: rule.id },
      { op: 'ruleDeleted', id: gone.id, kind: 'person' },
      { op: 'companyChanged', id: companyId },
    ]),
  );
  expect(fake.calls).toHaveLength(4);
});

test('rows of the same subject in one batch are coalesced into one application', async () => {
  const { db } = testDb;
  for (let i = 0; i < 5; i++) await recordReminderChange(db, { kind: 'contact', companyId, contactId: 'same' });
  await recordReminderChange(db, { kind: 'contact', companyId, contactId: 'other' });
  const fake = fakeScheduler();
  startRelay(fake.scheduler);
  await soon(async () => (await remaining()) === 0);
  expect(fake.calls.filter((c) => c.id === 'same')).toHaveLength(1);
  expect(fake.calls.filter((c) => c.id === 'other')).toHaveLength(1);
});

test('a failing application keeps its row with attempts, lastError and a later availableAt, and succeeds on a retry', async () => {
  let failuresLeft = 2;
  const fake = fakeScheduler(() => {
    if (failuresLeft-- > 0) throw new Error('database said no');
  });
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'flaky' });
  startRelay(fake.scheduler);
  await soon(async () => (await testDb.db.reminderChange.findFirst())?.attempts === 1, 'a first failure', 5000);
  const failed = await testDb.db.reminderChange.findFirstOrThrow();
  expect(failed.lastError).toBe('Error: database said no');
  expect(failed.leasedBy).toBeNull();
  expect(failed.availableAt.getTime()).toBeGreaterThan(Date.now() - 200);
  // Backoff 1 s, then 2 s: applied about 3 s after the first try.
  await soon(async () => (await remaining()) === 0, 'the retries to succeed');
  expect(fake.calls).toEqual([{ op: 'contactChanged', id: 'flaky' }]);
});

test('when Temporal is unreachable no attempt is charged, the relay says so, and everything is applied once it answers', async () => {
  let down = true;
  const fake = fakeScheduler(async () => {
    if (down) {
      await new Promise((r) => setTimeout(r, 100));
      throw unavailable();
    }
  });
  for (let i = 0; i < 20; i++)
    await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: `c${i}` });
  const relay = startRelay(fake.scheduler);
  await soon(() => relay.temporalUnreachable, 'the relay to notice the outage', 5000);
  await new Promise((r) => setTimeout(r, 1500));
  const rows = await testDb.db.reminderChange.findMany();
  expect(rows).toHaveLength(20);
  expect(rows.every((r) => r.attempts === 0)).toBe(true);
  expect(rows.some((r) => r.lastError?.includes('UNAVAILABLE'))).toBe(true);

  down = false;
  const back = Date.now();
  await soon(async () => (await remaining()) === 0, 'the backlog to drain');
  expect(Date.now() - back).toBeLessThan(5000);
  expect(relay.temporalUnreachable).toBe(false);
  expect(new Set(fake.calls.map((c) => c.id)).size).toBe(20);
});

test('a row leased by a relay that died is applied once its lease expires', async () => {
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'orphaned' });
  await testDb.db.reminderChange.updateMany({
    data: { leasedBy: 'dead-relay', leasedUntil: new Date(Date.now() - 1000) },
  });
  const fake = fakeScheduler();
  startRelay(fake.scheduler);
  await soon(async () => (await remaining()) === 0);
  expect(fake.calls).toEqual([{ op: 'contactChanged', id: 'orphaned' }]);
});

test('a subject leased by another (live) relay is left alone until that lease ends', async () => {
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'held' });
  await testDb.db.reminderChange.updateMany({
    data: { leasedBy: 'other-relay', leasedUntil: new Date(Date.now() + 60_000) },
  });
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'held' });
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'free' });
  const fake = fakeScheduler();
  startRelay(fake.scheduler);
  await soon(() => fake.calls.length === 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(fake.calls).toEqual([{ op: 'contactChanged', id: 'free' }]);
  expect(await remaining()).toBe(2);
});

test('two relays share the table: every row applied, no subject applied by both at once, nothing left', async () => {
  // On a PostgreSQL server each relay gets its own connection pool (two processes); the embedded
  // database serves one connection per process, so there both relays share it.
  const second = testDb.kind === 'postgresql-server' ? createDb(testDb.url) : testDb.db;
  try {
    const fake = fakeScheduler(() => new Promise((r) => setTimeout(r, 5 + Math.random() * 20)));
    const rows = Array.from({ length: 300 }, (_, i) => ({
      companyId,
      kind: 'contact' as const,
      subjectId: `s${i % 30}`,
    }));
    await testDb.db.reminderChange.createMany({ data: rows });
    startRelay(fake.scheduler, testDb.db, { batchSize: 20, concurrency: 4 });
    startRelay(fake.scheduler, second, { batchSize: 20, concurrency: 4 });
    await soon(async () => (await remaining()) === 0, 'the outbox to empty', 30_000);
    expect(fake.maxInFlight()).toBe(1);
    expect(new Set(fake.calls.map((c) => c.id)).size).toBe(30);
    // Coalesced: far fewer applications than rows.
    expect(fake.calls.length).toBeLessThan(rows.length);
  } finally {
    if (second !== testDb.db) await second.$disconnect();
  }
});

test('a nudge applies a new row at once, without waiting for the poll', async () => {
  const fake = fakeScheduler();
  const relay = startRelay(fake.scheduler, testDb.db, { pollIntervalMs: 60_000 });
  await new Promise((r) => setTimeout(r, 300)); // the first (empty) pass is done; it now sleeps
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'nudged' });
  const started = Date.now();
  relay.nudge();
  await soon(() => fake.calls.length === 1, 'the nudged application', 5000);
  expect(Date.now() - started).toBeLessThan(1000);
});

test('stop() returns while an application hangs and releases the rows it held', async () => {
  const fake = fakeScheduler(() => new Promise(() => {}));
  await recordReminderChange(testDb.db, { kind: 'contact', companyId, contactId: 'stuck' });
  const relay = startRelay(fake.scheduler);
  await soon(async () => (await testDb.db.reminderChange.findFirst())?.leasedBy !== null);
  const started = Date.now();
  await relay.stop();
  expect(Date.now() - started).toBeLessThan(7000);
  expect(await testDb.db.reminderChange.findFirstOrThrow()).toMatchObject({ leasedBy: null, attempts: 0 });
});

test('isTemporalUnreachable: gRPC UNAVAILABLE / DEADLINE_EXCEEDED in the cause chain only', () => {
  expect(isTemporalUnreachable(unavailable())).toBe(true);
  expect(isTemporalUnreachable(new Error('14 UNAVAILABLE'))).toBe(false);
  expect(isTemporalUnreachable(new ServiceError('bad request', { cause: new Error('3 INVALID_ARGUMENT') }))).toBe(
    false,
  );
});
