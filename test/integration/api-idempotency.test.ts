// Idempotency-Key on POST creates: a retry gets the first answer (and creates nothing), the same
// key with another request is a 422 naming the header, keys are per company, concurrent retries
// create one resource, and the header is documented in the OpenAPI document.
import request from 'supertest';
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(() => f.close());

const post = (key: string | undefined, path: string, body: object, apiKey = f.a.apiKey) => {
  const req = request(f.app).post(path).set('Authorization', `Bearer ${apiKey}`);
  return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body);
};

const contactsNamed = (name: string) => f.db.contact.count({ where: { name } });

test('a retry with the same key and body gets the first answer, marked as replayed, and creates nothing', async () => {
  const body = { kind: 'person', name: 'Retry Once', fields: { birthday: '--03-04' } };
  const first = await post('create-contact-1', '/v1/contacts', body);
  expect(first.status).toBe(201);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  const changesAfterFirst = (await f.changes()).length;

  // The same body with its keys in another order is the same request.
  const retry = await post('create-contact-1', '/v1/contacts', {
    fields: { birthday: '--03-04' },
    name: 'Retry Once',
    kind: 'person',
  });
  expect(retry.status).toBe(201);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(retry.body).toEqual(first.body);
  expect(await contactsNamed('Retry Once')).toBe(1);
  // Nothing new for the reminders either.
  expect((await f.changes()).length).toBe(changesAfterFirst);
});

test('the same key with another body or another path is a 422 naming the header', async () => {
  await post('used-key', '/v1/contacts', { kind: 'person', name: 'First Body' });
  const otherBody = await post('used-key', '/v1/contacts', { kind: 'person', name: 'Second Body' });
  expect(otherBody.status).toBe(422);
  expect(otherBody.body.error).toMatchObject({
    code: 'idempotency_key_reused',
    details: [{ path: 'headers.Idempotency-Key' }],
  });
  expect(otherBody.body.error.message).toContain('Idempotency-Key');
  expect(await contactsNamed('Second Body')).toBe(0);

  const otherPath = await post('used-key', '/v1/work-orders', {
    contactId: '00000000-0000-4000-8000-000000000000',
    title: 'y',
  });
  expect(otherPath.status).toBe(422);
});

test('keys belong to a company: another company may use the same key for its own create', async () => {
  const a = await post('shared-key', '/v1/contacts', { kind: 'person', name: 'Of A' });
  const b = await post('shared-key', '/v1/contacts', { kind: 'person', name: 'Of A' }, f.b.apiKey);
  expect([a.status, b.status]).toEqual([201, 201]);
  expect(b.headers['idempotent-replayed']).toBeUndefined();
  expect(b.body.id).not.toBe(a.body.id);
});

test('a failed create is not stored: the retry runs again', async () => {
  const bad = await post('fails-first', '/v1/contacts', { kind: 'person', name: 'Phone', phone: '12345' });
  expect(bad.status).toBe(400);
  const fixed = await post('fails-first', '/v1/contacts', { kind: 'person', name: 'Phone', phone: '+12125550123' });
  expect(fixed.status).toBe(201);
  expect(fixed.headers['idempotent-replayed']).toBeUndefined();
});

test('concurrent requests with one key create one resource; every one answers 201 with it', async () => {
  const body = { kind: 'person', name: 'Concurrent Create' };
  const answers = await Promise.all(Array.from({ length: 6 }, () => post('concurrent-key', '/v1/contacts', body)));
  expect(answers.map((r) => r.status)).toEqual(Array(6).fill(201));
  expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
  expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(5);
  expect(await contactsNamed('Concurrent Create')).toBe(1);
});

test('every kind of create takes the key: rules, fields, chats, messages, work orders', async () => {
  const fields = await f.a.api.get('/v1/contact-fields?kind=person');
  const birthday = fields.body.items.find((x: { key: string }) => x.key === 'birthday').id;
  const rule = {
    name: 'Idempotent rule',
    kind: 'person',
    eventFieldId: birthday,
    channel: 'sms',
    sendTime: '09:00',
    bodyTemplate: 'Hi',
  };
  for (let i = 0; i < 2; i++) expect((await post('rule-key', '/v1/notification-rules', rule)).status).toBe(201);
  expect(await f.db.notificationRule.count({ where: { name: 'Idempotent rule' } })).toBe(1);
  expect(await f.db.reminderChange.count({ where: { kind: 'rule' } })).toBe(1);

  const contact = await post(undefined, '/v1/contacts', { kind: 'person', name: 'Chatty' });
  const chat = { contactId: contact.body.id, channel: 'whatsapp', address: '+12125550199' };
  const chats = [await post('chat-key', '/v1/chats', chat), await post('chat-key', '/v1/chats', chat)];
  expect(chats.map((r) => r.status)).toEqual([201, 201]);
  expect(chats[1]!.headers['idempotent-replayed']).toBe('true');
  for (let i = 0; i < 2; i++)
    expect((await post('message-key', `/v1/chats/${chats[0]!.body.id}/messages`, { text: 'hello' })).status).toBe(201);
  expect(await f.db.chatMessage.count({ where: { chatId: chats[0]!.body.id } })).toBe(1);
});

test('a malformed key is a 400 naming the header; the user create (it shows a new API key once) refuses the header', async () => {
  const long = await post('x'.repeat(256), '/v1/contacts', { kind: 'person', name: 'Long key' });
  expect(long.status).toBe(400);
  expect(long.body.error.details).toEqual([expect.objectContaining({ path: 'headers.Idempotency-Key' })]);
  const spaced = await post('has space', '/v1/contacts', { kind: 'person', name: 'Spaced key' });
  expect(spaced.status).toBe(400);

  const user = await post('user-key', '/v1/users', { name: 'Bob', email: 'bob@example.com' });
  expect(user.status).toBe(400);
  expect(user.body.error.details).toEqual([
    expect.objectContaining({ path: 'headers.Idempotency-Key', message: expect.stringContaining('API key') }),
  ]);
  expect(await f.db.user.count({ where: { email: 'bob@example.com' } })).toBe(0);
});

test('OpenAPI documents the header on every POST create (not on the user create), the replay header and the 422', async () => {
  const doc = (await request(f.app).get('/openapi.json')).body as {
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; responses: object }>>;
  };
  const creates = Object.entries(doc.paths).flatMap(([path, ops]) =>
    ops.post && '201' in ops.post.responses ? [{ path, op: ops.post }] : [],
  );
  expect(creates.map((c) => c.path)).toEqual(
    expect.arrayContaining(['/v1/contacts', '/v1/notification-rules', '/v1/chats/{id}/messages', '/v1/users']),
  );
  for (const { path, op } of creates) {
    const header = op.parameters?.find((p) => p.name === 'Idempotency-Key' && p.in === 'header');
    const responses = op.responses as Record<string, { headers?: Record<string, unknown> }>;
    if (path === '/v1/users') {
      expect(header).toBeUndefined();
    } else {
      expect({ path, header: Boolean(header) }).toEqual({ path, header: true });
      expect(responses['201']!.headers).toHaveProperty('Idempotent-Replayed');
      expect(responses).toHaveProperty('422');
    }
  }
});
