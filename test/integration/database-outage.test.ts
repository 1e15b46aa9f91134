// The API while its database is unreachable: a 503 with a clear body (and Retry-After), quickly,
// never a 500 or a hang. The error comes from the real Prisma client over the `pg` adapter,
// pointed at a port nothing listens on. (The cluster fault test does the same with PostgreSQL
// really stopping under a running API.)
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createDb } from '../../src/db/client';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { silentLogger } from '../../src/runtime/logger';
import { freePort } from '../support/stand-ins';

test('every API request answers 503 database_unavailable with Retry-After while the database cannot be reached', async () => {
  const db = createDb(`postgresql://nobody:secret@127.0.0.1:${await freePort()}/nothing`, 2);
  try {
    const app = createApp({
      db,
      logger: silentLogger,
      health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal: async () => undefined },
    });
    const auth = { Authorization: 'Bearer crk_not-checked-the-database-is-down' };
    for (const send of [
      () => request(app).get('/v1/contacts').set(auth),
      () => request(app).post('/v1/contacts').set(auth).send({ kind: 'person', name: 'Ada' }),
    ]) {
      const started = Date.now();
      const res = await send();
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({ error: { code: 'database_unavailable', message: expect.stringMatching(/database/) } });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    const health = await request(app).get('/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.database.ok).toBe(false);
  } finally {
    await db.$disconnect();
  }
});

test('the outage is told apart from other database errors in each shape Prisma and pg report it', () => {
  const adapterError = (cause: object) => Object.assign(new Error('driver adapter error'), { cause });
  // Unreachable, connection lost, pool timeout (Prisma's codes); the server shutting down (57P01)
  // or starting (57P03) as the adapter reports them; pg's own error for a connection lost mid-query.
  for (const outage of [
    Object.assign(new Error("Can't reach database server"), { code: 'P1001' }),
    Object.assign(new Error('Server has closed the connection.'), { code: 'P1017' }),
    Object.assign(new Error('Timed out fetching a new connection from the connection pool'), { code: 'P2024' }),
    adapterError({ kind: 'postgres', code: '57P01', message: 'terminating connection due to administrator command' }),
    adapterError({ kind: 'postgres', code: '57P03', message: 'the database system is starting up' }),
    adapterError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5433 }),
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }),
  ])
    expect([outage.message, isDatabaseUnavailable(outage)]).toEqual([outage.message, true]);
  for (const other of [
    Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }),
    adapterError({ kind: 'postgres', code: '23505', message: 'duplicate key value' }),
    adapterError({ kind: 'postgres', code: '40001', message: 'could not serialize access' }),
    new Error('Cannot read properties of undefined'),
    undefined,
    'a string',
  ])
    expect(isDatabaseUnavailable(other)).toBe(false);
});
