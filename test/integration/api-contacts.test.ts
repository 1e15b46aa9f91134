import request from 'supertest';
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(() => f.close());

describe('authentication', () => {
  test('no key, a malformed header or an unknown key is a 401 with the error shape', async () => {
    for (const header of [undefined, 'Basic abc', 'Bearer crk_nope']) {
      const req = request(f.app).get('/v1/contacts');
      const res = await (header ? req.set('Authorization', header) : req);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  test('/health, /openapi.json and /docs need no key', async () => {
    expect((await request(f.app).get('/health')).status).toBe(200);
    const doc = await request(f.app).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/contacts', '/v1/notification-rules/{id}/preview', '/v1/notification-events']),
    );
    expect((await request(f.app).get('/docs/')).status).toBe(200);
  });
});

describe('contact form and events', () => {
  test('Birthday is a system date field of people and cannot be deleted', async () => {
    const fields = await f.a.api.get('/v1/contact-fields?kind=person');
    const birthday = fields.body.items.find((x: { key: string }) => x.key === 'birthday');
    expect(birthday).toMatchObject({ label: 'Birthday', type: 'date', system: true });
    const del = await f.a.api.delete(`/v1/contact-fields/${birthday.id}`);
    expect(del.status).toBe(422);
    expect(del.body.error.message).toMatch(/system field/);
  });

  test('the events list follows the form: adding a date field adds an event, a text field does not', async () => {
    const before = await f.a.api.get('/v1/notification-events?kind=organization');
    expect(before.body.items).toEqual([]);
    expect(
      (
        await f.a.api.post('/v1/contact-fields', {
          kind: 'organization',
          key: 'contractEnd',
          label: 'Contract end',
          type: 'date',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await f.a.api.post('/v1/contact-fields', {
          kind: 'organization',
          key: 'vat',
          label: 'VAT number',
          type: 'text',
        })
      ).status,
    ).toBe(201);
    const after = await f.a.api.get('/v1/notification-events?kind=organization');
    expect(after.body.items.map((e: { label: string }) => e.label)).toEqual(['Contract end']);
    const people = await f.a.api.get('/v1/notification-events?kind=person');
    expect(people.body.items.map((e: { label: string }) => e.label)).toEqual(['Birthday']);
  });

  test('a duplicate field key is a 409, a bad kind a 400 naming the parameter', async () => {
    await f.a.api.post('/v1/contact-fields', {
      kind: 'person',
      key: 'anniversary',
      label: 'Anniversary',
      type: 'date',
    });
    expect(
      (await f.a.api.post('/v1/contact-fields', { kind: 'person', key: 'anniversary', label: 'Again', type: 'date' }))
        .status,
    ).toBe(409);
    const bad = await f.a.api.get('/v1/notification-events?kind=robot');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.kind');
  });
});

describe('contacts', () => {
  test('create, read, filter, page, edit and delete; the reminder machinery hears about each change', async () => {
    const created = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Ada Lovelace',
      phone: '+447700900123',
      email: 'ada@example.com',
      smsConsent: true,
      fields: { birthday: '--12-10' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      role: 'client',
      smsConsent: true,
      emailConsent: false,
      fields: { birthday: '--12-10' },
    });
    const id = created.body.id;
    expect(await f.changes()).toContainEqual({ kind: 'contact', id });

    await f.a.api.post('/v1/contacts', { kind: 'person', role: 'employee', name: 'Staff Member' });
    const clients = await f.a.api.get('/v1/contacts?kind=person&role=client&limit=1');
    expect(clients.body).toMatchObject({ total: 1, limit: 1, offset: 0 });
    expect(clients.body.items[0].id).toBe(id);

    const edited = await f.a.api.patch(`/v1/contacts/${id}`, {
      fields: { birthday: '1815-12-10' },
      emailConsent: true,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.fields.birthday).toBe('1815-12-10');
    const removedDate = await f.a.api.patch(`/v1/contacts/${id}`, { fields: { birthday: null } });
    expect(removedDate.body.fields).toEqual({});

    expect((await f.a.api.delete(`/v1/contacts/${id}`)).status).toBe(204);
    expect((await f.a.api.get(`/v1/contacts/${id}`)).status).toBe(404);
  });

  test('bad values get a 400 naming each field', async () => {
    const res = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: '',
      phone: '555-1234',
      email: 'nope',
      fields: { birthday: '2023-02-29', shoeSize: 42 },
    });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.phone', 'body.email']));
    const fieldsRes = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'X',
      fields: { birthday: '2023-02-29', shoeSize: 42 },
    });
    expect(fieldsRes.status).toBe(400);
    expect(fieldsRes.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.fields.birthday',
      'body.fields.shoeSize',
    ]);
  });

  test('a body that is not JSON is a 415; malformed JSON without a key is a 401', async () => {
    const form = await request(f.app)
      .post('/v1/contacts')
      .set('Authorization', `Bearer ${f.a.apiKey}`)
      .type('form')
      .send('kind=person&name=X');
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
    const noKey = await request(f.app).post('/v1/contacts').set('Content-Type', 'application/json').send('{"kind":');
    expect(noKey.status).toBe(401);
  });

  test("changing a contact's kind drops the values of the old form", async () => {
    const created = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Shapeshifter',
      fields: { birthday: '--12-02' },
    });
    const moved = await f.a.api.patch(`/v1/contacts/${created.body.id}`, { kind: 'organization' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ kind: 'organization', fields: {} });
  });

  test('malformed JSON is a 400, not a 500', async () => {
    const res = await request(f.app)
      .post('/v1/contacts')
      .set('Authorization', `Bearer ${f.a.apiKey}`)
      .set('Content-Type', 'application/json')
      .send('{"kind":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

test('a consent changed through the API is stamped with its time (a late opt-out message cannot undo it); re-saving the same value is no change', async () => {
  const created = await f.a.api.post('/v1/contacts', { kind: 'person', name: 'Stamped', smsConsent: true });
  expect(created.status).toBe(201);
  const row = () => f.db.contact.findUniqueOrThrow({ where: { id: created.body.id } });
  const first = await row();
  expect(first.smsConsentChangedAt).toBeInstanceOf(Date);
  expect(first.emailConsentChangedAt).toBeInstanceOf(Date);

  expect((await f.a.api.patch(`/v1/contacts/${created.body.id}`, { smsConsent: true })).status).toBe(200);
  expect((await row()).smsConsentChangedAt).toEqual(first.smsConsentChangedAt);

  await new Promise((resolve) => setTimeout(resolve, 5));
  expect((await f.a.api.patch(`/v1/contacts/${created.body.id}`, { smsConsent: false })).status).toBe(200);
  const after = await row();
  expect(after.smsConsentChangedAt!.getTime()).toBeGreaterThan(first.smsConsentChangedAt!.getTime());
  expect(after.emailConsentChangedAt).toEqual(first.emailConsentChangedAt);
});

test('/openapi.json documents the webhooks and the unsubscribe link, without an API key requirement', async () => {
  const doc = (await request(f.app).get('/openapi.json')).body;
  for (const [path, method] of [
    ['/webhooks/twilio/inbound', 'post'],
    ['/webhooks/twilio/status', 'post'],
    ['/webhooks/instagram', 'get'],
    ['/webhooks/instagram', 'post'],
    ['/webhooks/unsubscribe/{notificationId}', 'get'],
    ['/webhooks/unsubscribe/{notificationId}', 'post'],
  ] as const) {
    const op = doc.paths[path]?.[method];
    expect({ path, method, documented: op !== undefined }).toEqual({ path, method, documented: true });
    expect(op.security).toEqual([]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404']));
  }
  expect(Object.keys(doc.paths['/webhooks/unsubscribe/{notificationId}'].post.requestBody.content)).toEqual([
    'application/x-www-form-urlencoded',
  ]);
});

test('chats show windowOpenUntil; open means usable now (issue 9 item 11)', async () => {
  const contact = await f.a.api.post('/v1/contacts', { kind: 'person', name: 'Windowed', phone: '+15557770001' });
  const chat = await f.a.api.post('/v1/chats', {
    contactId: contact.body.id,
    channel: 'whatsapp',
    address: '+15557770001',
  });
  expect(chat.status).toBe(201);
  expect(chat.body).toMatchObject({ windowOpenUntil: null, open: false, closed: false });
  const wroteAt = new Date(Date.now() - 2 * 3600_000);
  await f.db.chat.update({ where: { id: chat.body.id }, data: { lastInboundAt: wroteAt } });
  const open = await f.a.api.get(`/v1/chats/${chat.body.id}`);
  expect(open.body).toMatchObject({
    open: true,
    windowOpenUntil: new Date(wroteAt.getTime() + 24 * 3600_000).toISOString(),
  });
  await f.db.chat.update({
    where: { id: chat.body.id },
    data: { lastInboundAt: new Date(Date.now() - 30 * 3600_000) },
  });
  const lapsed = await f.a.api.get(`/v1/chats/${chat.body.id}`);
  expect(lapsed.body.open).toBe(false);
  expect(new Date(lapsed.body.windowOpenUntil).getTime()).toBeLessThan(Date.now());
});
