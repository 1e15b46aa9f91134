import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { HealthChecks } from '../../src/api/health';
import type { PollerReport } from '../../src/runtime/task-queue-pollers';
import { silentLogger } from '../../src/runtime/logger';
import { readBacklog } from '../../src/scheduling/outbox-relay';
import { createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb.close());

function appWith(temporal: () => Promise<void>, workers?: HealthChecks['workers']) {
  const { db } = testDb;
  return createApp({
    db,
    logger: silentLogger,
    health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal, workers },
  });
}

test('GET /health is 200 when the database and Temporal answer', async () => {
  const res = await request(appWith(async () => {})).get('/health');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok', checks: { database: { ok: true }, temporal: { ok: true } } });
});

test('GET /health stays 200 but says degraded and names Temporal when only Temporal is unreachable (writes still work)', async () => {
  const res = await request(appWith(async () => Promise.reject(new Error('connection refused')))).get('/health');
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('degraded');
  expect(res.body.checks.temporal).toEqual({ ok: false, error: 'connection refused' });
  expect(res.body.checks.database.ok).toBe(true);
});

test('GET /health is 503 when the database does not answer', async () => {
  const app = createApp({
    db: testDb.db,
    logger: silentLogger,
    health: { database: async () => Promise.reject(new Error('connection refused')), temporal: async () => {} },
  });
  const res = await request(app).get('/health');
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({
    status: 'unavailable',
    checks: { database: { ok: false, error: 'connection refused' } },
  });
});

test('GET /health reports the outbox backlog: waiting rows, failing rows and the age of the oldest', async () => {
  const { db } = testDb;
  await db.reminderChange.createMany({
    data: [
      { companyId: 'c1', kind: 'contact', subjectId: 'x', createdAt: new Date(Date.now() - 90_000) },
      { companyId: 'c1', kind: 'rule', subjectId: 'r', ruleKind: 'person', attempts: 2, lastError: 'boom' },
    ],
  });
  try {
    const app = createApp({
      db,
      logger: silentLogger,
      health: {
        database: async () => undefined,
        temporal: async () => undefined,
        outbox: () => readBacklog(db),
      },
    });
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.checks.outbox).toMatchObject({ ok: true, rows: 2, failing: 1 });
    expect(res.body.checks.outbox.oldestAgeSeconds).toBeGreaterThanOrEqual(89);
    expect(res.body.checks.outbox.oldestAgeSeconds).toBeLessThan(300);
  } finally {
    await db.reminderChange.deleteMany({});
  }
});

test('GET /health lists the task queue pollers; no live worker is reported but does not make the API unhealthy', async () => {
  const pollers: PollerReport[] = [
    {
      identity: '42@worker-a',
      lastAccessTime: '2026-12-04T10:00:00.000Z',
      live: true,
      taskQueueTypes: ['workflow', 'activity'],
    },
  ];
  const up = await request(
    appWith(
      async () => {},
      async () => ({ ok: true, pollers }),
    ),
  ).get('/health');
  expect(up.status).toBe(200);
  expect(up.body.checks.workers).toEqual({ ok: true, pollers });

  const none = await request(
    appWith(
      async () => {},
      async () => ({ ok: false, pollers: [] }),
    ),
  ).get('/health');
  expect(none.status).toBe(200);
  expect(none.body).toMatchObject({ status: 'ok', checks: { workers: { ok: false, pollers: [] } } });
});

test('GET /health answers within the check timeout when describing the task queue hangs', async () => {
  const started = Date.now();
  const res = await request(
    appWith(
      async () => {},
      () => new Promise(() => {}),
    ),
  ).get('/health');
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(res.status).toBe(200);
  expect(res.body.checks.workers).toEqual({ ok: false, error: 'no answer within 3000 ms' });
});

test('unknown routes get the JSON error shape, not an HTML page', async () => {
  const res = await request(appWith(async () => {})).get('/nope');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
});
