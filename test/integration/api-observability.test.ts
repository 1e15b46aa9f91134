// The API's observability on a real database: request ids (accepted, generated, echoed, in error
// logs), access logs without secrets or query strings, Prometheus metrics by route template, the
// engine's metrics port, and the remote codec endpoint (auth, CORS, encode/decode).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { defaultPayloadConverter } from '@temporalio/common';
import { Router } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createApiMetrics, type ApiMetrics } from '../../src/api/metrics';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { recordReconcileRun, repairTotals } from '../../src/db/reconcile-runs';
import { createLogger } from '../../src/runtime/logger';
import { AesGcmPayloadCodec, keyRing } from '../../src/security/payload-codec';
import { createTestDatabase, type TestDatabase } from '../support/database';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const CODEC_TOKEN = 'codec-token-0123456789abcdef0123456789';
const codec = new AesGcmPayloadCodec(keyRing([{ id: 'test-1', key: randomBytes(32) }]));

let testDb: TestDatabase;
let metrics: ApiMetrics;
let app: ReturnType<typeof createApp>;
let apiKey: string;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  metrics = createApiMetrics({ processMetrics: false, repairTotals: () => repairTotals(testDb.db) });
  const boom = Router();
  boom.get('/boom', () => {
    throw new Error('database exploded');
  });
  app = createApp({
    db: testDb.db,
    logger: createLogger('info', { service: 'api', destination }),
    health: { database: async () => undefined, temporal: async () => undefined },
    publicRouters: [boom],
    metrics,
    codec: { codec, token: CODEC_TOKEN, corsOrigins: [UI_ORIGIN] },
  });
  ({ apiKey } = await createCompanyWithAdmin(testDb.db, { name: 'Observed', timeZone: 'UTC' }));
});
afterAll(() => testDb?.close());
beforeEach(() => void lines.splice(0));

/** Access lines are written when the server finishes the response, which can be just after the
 * client has read it: wait for them. */
async function logged(count: number, filter: (line: Record<string, unknown>) => boolean = () => true) {
  const deadline = Date.now() + 5_000;
  while (lines.filter(filter).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return lines.filter(filter);
}

const authed = (path: string) => request(app).get(path).set('Authorization', `Bearer ${apiKey}`);

describe('request ids', () => {
  test('a sane incoming X-Request-Id is kept and echoed', async () => {
    const res = await authed('/v1/company').set('X-Request-Id', 'edge-7f3a:42');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('edge-7f3a:42');
  });

  test.each([
    ['absent', undefined],
    ['too long', 'x'.repeat(200)],
    ['with spaces or quotes', 'a b"c'],
  ])('an X-Request-Id that is %s is replaced by a generated UUID', async (_name, incoming) => {
    const req = authed('/v1/company');
    const res = await (incoming === undefined ? req : req.set('X-Request-Id', incoming));
    expect(res.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test('a 500 is logged once by the error handler with the request id, and the access line has it too', async () => {
    const res = await request(app).get('/boom').set('X-Request-Id', 'req-500');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'Internal server error' } });
    const failed = await logged(2, (l) => l.msg === 'request failed');
    expect(failed).toEqual([
      expect.objectContaining({ level: 'error', error: 'database exploded', requestId: 'req-500' }),
      expect.objectContaining({ level: 'error', requestId: 'req-500', res: { statusCode: 500 } }),
    ]);
  });
});

describe('access logs', () => {
  test('one line per request: request id, method, path without the query, route template, status, duration', async () => {
    const res = await authed('/v1/contacts?kind=person&q=Grace%20Hopper').set('X-Request-Id', 'list-1');
    expect(res.status).toBe(200);
    const access = await logged(1, (l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'api',
        requestId: 'list-1',
        req: { method: 'GET', path: '/v1/contacts' },
        route: '/v1/contacts',
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  test('no line holds the API key, the codec token or a search term', async () => {
    await authed('/v1/contacts?q=Grace');
    await request(app).get('/v1/company').set('Authorization', 'Bearer crk_wrong-key-value');
    await request(app).post(`/codec/${CODEC_TOKEN}/decode`).send({ payloads: [] });
    const text = JSON.stringify(await logged(3));
    for (const secret of [apiKey, 'crk_wrong-key-value', CODEC_TOKEN, 'Grace']) expect(text).not.toContain(secret);
    expect(text).toContain('/codec/[token]/decode');
  });

  test('4xx are warnings; successful health probes and scrapes are not logged', async () => {
    await request(app).get('/v1/company');
    await request(app).get('/health');
    await request(app).get('/metrics');
    // A last logged request: once its line is there, any line of the probes would be too.
    await authed('/v1/no-such-route');
    await logged(2);
    expect(
      lines.map((l) => [l.level, (l.req as { path: string }).path, (l.res as { statusCode: number }).statusCode]),
    ).toEqual([
      ['warn', '/v1/company', 401],
      ['warn', '/v1/no-such-route', 404],
    ]);
  });
});

describe('/metrics', () => {
  test('request durations are labelled by route template and status, never by raw path', async () => {
    const count = (text: string, route: string, status: number) =>
      Number(
        new RegExp(
          `^http_request_duration_seconds_count\\{method="GET",route="${route.replace(/[()]/g, '\\$&')}",status_code="${status}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    const before = (await request(app).get('/metrics')).text;
    const ids = [randomBytes(8).toString('hex'), randomBytes(8).toString('hex')];
    for (const id of ids) expect((await authed(`/v1/contacts/${id}`)).status).toBe(400);
    expect((await authed('/v1/no/such/route')).status).toBe(404);
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(count(res.text, '/v1/contacts/:id', 400) - count(before, '/v1/contacts/:id', 400)).toBe(2);
    expect(count(res.text, '(unmatched)', 404) - count(before, '(unmatched)', 404)).toBe(1);
    for (const id of ids) expect(res.text).not.toContain(id);
  });

  test("the outbox relay's port feeds the backlog gauges", async () => {
    metrics.engine.outboxBacklog.set(7);
    metrics.engine.outboxOldestAgeSeconds.set(42.5);
    const series = (await request(app).get('/metrics')).text;
    expect(series).toContain('reminders_outbox_backlog 7');
    expect(series).toContain('reminders_outbox_oldest_age_seconds 42.5');
  });

  test('the reconciler repairs counter sums the runs recorded in the database, each run once', async () => {
    const repairsOf = (text: string) =>
      Object.fromEntries(
        [...text.matchAll(/^reminders_reconciler_repairs_total\{kind="([^"]+)"\} (\d+)$/gm)].map((m) => [
          m[1],
          Number(m[2]),
        ]),
      );
    const before = repairsOf((await request(app).get('/metrics')).text);
    expect(Object.keys(before).sort()).toEqual(['ended', 'orphan-ended', 'replanned', 'started']);
    const run = { armed: 10, repairs: { started: 3, replanned: 0, ended: 0, 'orphan-ended': 1 } };
    await recordReconcileRun(testDb.db, { workflowRunId: 'run-a', ...run });
    // A retried report of the same run is not counted again.
    await recordReconcileRun(testDb.db, { workflowRunId: 'run-a', ...run });
    await recordReconcileRun(testDb.db, { workflowRunId: 'run-b', ...run, repairs: { ...run.repairs, replanned: 2 } });
    const after = repairsOf((await request(app).get('/metrics')).text);
    expect({
      started: after.started - before.started,
      replanned: after.replanned - before.replanned,
      ended: after.ended - before.ended,
      'orphan-ended': after['orphan-ended'] - before['orphan-ended'],
    }).toEqual({ started: 6, replanned: 2, ended: 0, 'orphan-ended': 2 });
  });
});

describe('codec endpoint', () => {
  const personal = { description: 'Birthday of Grace Hopper', email: 'grace@example.com' };
  const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  test('decode with the token as Bearer returns what the workers encoded; encode round-trips', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(personal)]);
    const decoded = await request(app)
      .post('/codec/decode')
      .set('Authorization', `Bearer ${CODEC_TOKEN}`)
      .set('X-Namespace', 'default')
      .send({ payloads: [toJson(encrypted!)] });
    expect(decoded.status).toBe(200);
    const payload = decoded.body.payloads[0];
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payload.data, 'base64').toString())).toEqual(personal);

    const encoded = await request(app)
      .post('/codec/encode')
      .set('Authorization', `Bearer ${CODEC_TOKEN}`)
      .send({ payloads: [payload] });
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('Grace');
  });

  test('the token also works as a path segment (for a UI that cannot send headers); `{}` is an empty list', async () => {
    const res = await request(app).post(`/codec/${CODEC_TOKEN}/decode`).send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ payloads: [] });
  });

  test.each([
    ['no token', '/codec/decode', undefined],
    ['a wrong Bearer token', '/codec/decode', 'Bearer not-the-token'],
    ['a wrong path token', '/codec/not-the-token/decode', undefined],
    ['the API key instead of the codec token', '/codec/decode', 'API_KEY'],
  ])('%s is a 401 and decodes nothing', async (_name, path, authorization) => {
    const req = request(app).post(path);
    if (authorization) req.set('Authorization', authorization === 'API_KEY' ? `Bearer ${apiKey}` : authorization);
    const res = await req.send({ payloads: [] });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test('CORS: the configured UI origin may call from a browser (preflight included); others get no CORS headers', async () => {
    const preflight = await request(app)
      .options(`/codec/${CODEC_TOKEN}/decode`)
      .set('Origin', UI_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-namespace');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Namespace/i);
    const call = await request(app).post(`/codec/${CODEC_TOKEN}/decode`).set('Origin', UI_ORIGIN).send({});
    expect(call.headers['access-control-allow-origin']).toBe(UI_ORIGIN);

    const other = await request(app)
      .options('/codec/decode')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('a body that is not a list of base64 payloads is a 400 naming the field', async () => {
    const res = await request(app)
      .post('/codec/decode')
      .set('Authorization', `Bearer ${CODEC_TOKEN}`)
      .send({ payloads: [{ data: 'not base64!' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.payloads.0.data' })]);
  });

  test('a payload encrypted with a key this process does not have comes back unchanged; the others decode', async () => {
    const foreign = new AesGcmPayloadCodec(keyRing([{ id: 'retired', key: randomBytes(32) }]));
    const [lost] = await foreign.encode([defaultPayloadConverter.toPayload('old')]);
    const [ours] = await codec.encode([defaultPayloadConverter.toPayload('new')]);
    const res = await request(app)
      .post('/codec/decode')
      .set('Authorization', `Bearer ${CODEC_TOKEN}`)
      .send({ payloads: [toJson(lost!), toJson(ours!)] });
    expect(res.status).toBe(200);
    expect(res.body.payloads[0]).toEqual(toJson(lost!));
    expect(Buffer.from(res.body.payloads[1].data, 'base64').toString()).toBe('"new"');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/did not decode/),
        error: expect.stringMatching(/"retired"/),
      }),
    );
  });
});
