// The web console's API side: API key → session cookie, CSRF for writes with a session, sign out,
// expiry and key revocation; GET /v1/me; the draft preview; and the console served at `/`
// without swallowing the service's own paths.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { silentLogger } from '../../src/runtime/logger';
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(() => f.close());

/** Signs in with company A's admin key; the session cookie and CSRF token it got. */
async function signIn(key = f.a.apiKey): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await request(f.app).post('/v1/session').set('Authorization', `Bearer ${key}`);
  expect(res.status).toBe(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
  return { cookie: setCookie.split(';')[0]!, csrf: res.body.csrfToken, setCookie };
}

describe('session', () => {
  test('signing in sets an HttpOnly, SameSite=Strict cookie holding a random token; only its hash is stored', async () => {
    const { cookie, setCookie, csrf } = await signIn();
    expect(setCookie).toMatch(/^crk_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.+; HttpOnly; SameSite=Strict$/);
    const token = cookie.split('=')[1]!;
    expect(token).not.toContain(f.a.apiKey);
    const rows = await f.db.session.findMany({ where: { userId: f.a.user.id } });
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('a bad key cannot sign in; a session cannot make another session', async () => {
    expect((await request(f.app).post('/v1/session').set('Authorization', 'Bearer crk_nope')).status).toBe(401);
    const { cookie, csrf } = await signIn();
    const again = await request(f.app).post('/v1/session').set('Cookie', cookie).set('X-CSRF-Token', csrf);
    expect(again.status).toBe(400);
    expect(again.body.error.details[0].path).toBe('headers.authorization');
  });

  test('the cookie alone reads; GET /v1/session hands out the CSRF token; GET /v1/me names the user and role', async () => {
    const { cookie, csrf } = await signIn();
    const session = await request(f.app).get('/v1/session').set('Cookie', cookie);
    expect(session.status).toBe(200);
    expect(session.body.csrfToken).toBe(csrf);
    const me = await request(f.app).get('/v1/me').set('Cookie', cookie);
    expect(me.body).toEqual({
      id: f.a.user.id,
      name: f.a.user.name,
      email: f.a.user.email,
      isAdmin: true,
      company: { id: f.a.company.id, name: 'Company A' },
    });
    expect((await f.a.api.get('/v1/session')).status).toBe(404);
  });

  test('a write with the session needs the X-CSRF-Token header of that session and, when sent, a matching Origin', async () => {
    const { cookie, csrf } = await signIn();
    const other = await signIn();
    const post = () => request(f.app).post('/v1/contacts').set('Cookie', cookie).send({ kind: 'person', name: 'Eve' });
    expect((await post()).status).toBe(403);
    expect((await post()).body.error.code).toBe('csrf_failed');
    expect((await post().set('X-CSRF-Token', other.csrf)).status).toBe(403);
    expect((await post().set('X-CSRF-Token', csrf).set('Origin', 'http://127.0.0.1:8233')).status).toBe(403);
    const ok = await post().set('X-CSRF-Token', csrf).set('Host', 'crm.example').set('Origin', 'http://crm.example');
    expect(ok.status).toBe(201);
    expect((await post().set('X-CSRF-Token', csrf)).status).toBe(201);
  });

  test('sign out ends the session at once and clears the cookie', async () => {
    const { cookie, csrf } = await signIn();
    const out = await request(f.app).delete('/v1/session').set('Cookie', cookie).set('X-CSRF-Token', csrf);
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^crk_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect((await request(f.app).get('/v1/me').set('Cookie', cookie)).status).toBe(401);
  });

  test('an expired session and a session whose API key was revoked are refused', async () => {
    const expired = await signIn();
    await f.db.session.updateMany({
      where: { tokenHash: { not: '' }, expiresAt: { gt: new Date() } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await request(f.app).get('/v1/me').set('Cookie', expired.cookie)).status).toBe(401);

    const live = await signIn(f.b.apiKey);
    expect((await request(f.app).get('/v1/me').set('Cookie', live.cookie)).status).toBe(200);
    await f.db.apiKey.updateMany({ where: { user: { companyId: f.b.company.id } }, data: { revokedAt: new Date() } });
    expect((await request(f.app).get('/v1/me').set('Cookie', live.cookie)).status).toBe(401);
  });
});

describe('draft preview', () => {
  test("renders a rule that is not saved yet for one contact: message, next three sends in the company's zone, the route", async () => {
    const fields = await f.a.api.get('/v1/contact-fields?kind=person');
    const birthday = fields.body.items.find((x: { key: string }) => x.key === 'birthday').id;
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Grace',
      phone: '+12125550123',
      smsConsent: true,
      fields: { birthday: '1906-12-09' },
    });
    const rule = {
      kind: 'person',
      eventFieldId: birthday,
      channel: 'sms',
      sendTime: '09:00',
      daysInAdvance: 2,
      bodyTemplate: 'Hi {{contactName}}, {{eventLabel}} in {{daysUntil}} days',
    };
    const res = await f.a.api.post('/v1/notification-rules/preview', { contactId: contact.body.id, rule });
    expect(res.status).toBe(200);
    expect(res.body.body).toBe('Hi Grace, Birthday in 2 days');
    expect(res.body.sends).toHaveLength(3);
    expect(res.body.sends[0].sendAtLocal).toMatch(/-12-07T09:00:00\.000\+01:00$/); // Europe/Berlin, 2 days early
    expect(res.body.route).toEqual({
      via: 'sms',
      to: '+12125550123',
      from: null,
      chatId: null,
      reason: null,
      chatSkipped: null,
    });

    const chat = await f.a.api.post('/v1/chats', {
      contactId: contact.body.id,
      channel: 'whatsapp',
      address: '+12125550123',
      lastInboundAt: new Date().toISOString(),
    });
    expect(chat.status).toBe(201);
    const viaChat = await f.a.api.post('/v1/notification-rules/preview', {
      contactId: contact.body.id,
      rule: { ...rule, tryLastChatFirst: true },
    });
    // The delivery's decision, now: she wrote a minute ago, so the WhatsApp window (24 h) is open.
    expect(viaChat.body.route).toEqual({
      via: 'whatsapp',
      to: '+12125550123',
      from: null,
      chatId: chat.body.id,
      reason: null,
      chatSkipped: null,
    });
    expect((await f.a.api.patch(`/v1/chats/${chat.body.id}`, { open: false })).status).toBe(200);
    const chatClosed = await f.a.api.post('/v1/notification-rules/preview', {
      contactId: contact.body.id,
      rule: { ...rule, tryLastChatFirst: true },
    });
    expect(chatClosed.body.route).toMatchObject({ via: 'sms', to: '+12125550123', chatSkipped: 'chat-closed' });

    const bad = await f.a.api.post('/v1/notification-rules/preview', {
      contactId: contact.body.id,
      rule: { ...rule, bodyTemplate: 'Hi {{nobody}}', sendTime: '9am' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.rule.sendTime']);
    const badTemplate = await f.a.api.post('/v1/notification-rules/preview', {
      contactId: contact.body.id,
      rule: { ...rule, bodyTemplate: 'Hi {{nobody}}' },
    });
    expect(badTemplate.body.error.details).toEqual([
      { path: 'body.rule.bodyTemplate', message: expect.stringContaining('unknown variable "nobody"') },
    ]);
    const noSms = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Quiet',
      fields: { birthday: '--05-01' },
    });
    const quiet = await f.a.api.post('/v1/notification-rules/preview', { contactId: noSms.body.id, rule });
    expect(quiet.body.route).toMatchObject({ via: null, reason: 'no-sms-consent' });
    const unknownField = await f.a.api.post('/v1/notification-rules/preview', {
      contactId: contact.body.id,
      rule: { ...rule, eventFieldId: randomUUID() },
    });
    expect(unknownField.body.error.details).toEqual([
      { path: 'body.rule.eventFieldId', message: "no such field in this company's contact form" },
    ]);
  });

  test('template variables are listed for the dialog', async () => {
    const res = await f.a.api.get('/v1/notification-rules/template-variables');
    expect(res.body.items.map((v: { name: string }) => v.name)).toEqual([
      'contactName',
      'eventLabel',
      'eventDate',
      'daysUntil',
      'companyName',
    ]);
  });
});

describe('the console at /', () => {
  let dist: string;
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    dist = mkdtempSync(path.join(tmpdir(), 'console-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log("x");'.repeat(200));
    app = createApp({
      db: f.db,
      logger: silentLogger,
      health: { database: async () => undefined, temporal: async () => undefined },
      consoleDir: dist,
    });
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  test('client routes get index.html (no-cache, with a Content-Security-Policy); hashed assets are cached for good and compressed', async () => {
    for (const route of ['/', '/settings/notifications/contacts', '/contacts/123']) {
      const res = await request(app).get(route).set('Accept', 'text/html');
      expect(res.status).toBe(200);
      expect(res.text).toContain('<title>console</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    }
    const asset = await request(app).get('/assets/index-abc.js').set('Accept-Encoding', 'gzip');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect((await request(app).get('/assets/missing.js')).status).toBe(404);
  });

  test("never answers the service's own paths with the console", async () => {
    const v1 = await request(app).get('/v1/nothing').set('Accept', 'text/html');
    expect(v1.status).toBe(401);
    expect(v1.body.error.code).toBe('unauthorized');
    for (const route of ['/webhooks/nothing', '/health/nothing', '/docs/nothing/x', '/openapi.json/x']) {
      const res = await request(app).get(route).set('Accept', 'text/html');
      expect(res.text).not.toContain('<title>console</title>');
    }
    expect((await request(app).get('/openapi.json')).body.paths['/v1/session']).toBeDefined();
    expect((await request(app).get('/health')).status).toBe(200);
    // A script asking for JSON is told there is no such route.
    const json = await request(app).get('/settings/x').set('Accept', 'application/json');
    expect(json.status).toBe(404);
  });
});
