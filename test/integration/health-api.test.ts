import request from 'supertest';
import { createApp } from '../../src/api/app';
import { silentLogger } from '../../src/runtime/logger';
import { recordingScheduler } from '../support/recording-scheduler';
import { createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb.close());

function appWith(temporal: () => Promise<void>) {
  const { db } = testDb;
  return createApp({
    db,
    logger: silentLogger,
    scheduler: recordingScheduler(),
    health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal },
  });
}

test('GET /health is 200 when the database and Temporal answer', async () => {
  const res = await request(appWith(async () => {})).get('/health');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok', checks: { database: { ok: true }, temporal: { ok: true } } });
});

test('GET /health is 503 and names Temporal when Temporal is unreachable', async () => {
  const res = await request(appWith(async () => Promise.reject(new Error('connection refused')))).get('/health');
  expect(res.status).toBe(503);
  expect(res.body.checks.temporal).toEqual({ ok: false, error: 'connection refused' });
  expect(res.body.checks.database.ok).toBe(true);
});

test('unknown routes get the JSON error shape, not an HTML page', async () => {
  const res = await request(appWith(async () => {})).get('/nope');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
});
