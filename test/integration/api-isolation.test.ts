// Two companies: every route that takes an id is tried with the other company's ids. Each must
// answer 404 (never 403, which would confirm the id exists) and change nothing.
import request from 'supertest';
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
const ids: Record<string, string> = {};
beforeAll(async () => {
  f = await createApiFixture();
  const { api } = f.a;
  const field = await api.post('/v1/contact-fields', {
    kind: 'person',
    key: 'anniversary',
    label: 'Anniversary',
    type: 'date',
  });
  const contact = await api.post('/v1/contacts', {
    kind: 'person',
    name: 'Secret Client',
    fields: { anniversary: '--05-05' },
  });
  const chat = await api.post('/v1/chats', {
    contactId: contact.body.id,
    channel: 'whatsapp',
    address: '+15550001111',
  });
  const order = await api.post('/v1/work-orders', { contactId: contact.body.id, title: 'Repair' });
  const mailbox = await api.post('/v1/mailboxes', {
    address: 'a@a.example',
    smtpHost: 'smtp.a.example',
    smtpPort: 587,
    smtpUser: 'u',
    smtpPassword: 'p',
  });
  const rule = await api.post('/v1/notification-rules', {
    name: 'R',
    kind: 'person',
    eventFieldId: field.body.id,
    channel: 'sms',
    sendTime: '10:00',
    bodyTemplate: 'x',
  });
  const keys = await api.get('/v1/api-keys');
  const connection = await api.put('/v1/channel-connections/twilio', {
    accountSid: `AC${'a'.repeat(32)}`,
    authToken: 'company-a-token',
    smsFrom: '+15550003333',
  });
  if (connection.status !== 200) throw new Error('fixture channel connection not created');
  Object.assign(ids, {
    'api-keys': keys.body.items[0]?.id,
    'contact-fields': field.body.id,
    contacts: contact.body.id,
    chats: chat.body.id,
    'work-orders': order.body.id,
    mailboxes: mailbox.body.id,
    'notification-rules': rule.body.id,
  });
  for (const [name, id] of Object.entries(ids)) if (!id) throw new Error(`fixture ${name} not created`);
});
afterAll(() => f.close());

const BODIES: Record<string, object> = {
  'patch /v1/contact-fields/{id}': { label: 'Hacked' },
  'patch /v1/contacts/{id}': { name: 'Hacked' },
  'patch /v1/chats/{id}': { open: false },
  'post /v1/chats/{id}/messages': { text: 'hi' },
  'patch /v1/work-orders/{id}': { title: 'Hacked' },
  'patch /v1/mailboxes/{id}': { smtpHost: 'evil.example' },
  'put /v1/mailboxes/{id}/access': { userIds: [] },
  'patch /v1/notification-rules/{id}': { name: 'Hacked' },
  'post /v1/notification-rules/{id}/preview': {},
};

test('every id route of the OpenAPI document is a 404 for the other company, and nothing changes', async () => {
  const doc = (await request(f.app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all([
        f.db.contact.findMany({ orderBy: { id: 'asc' } }),
        f.db.contactField.findMany({ orderBy: { id: 'asc' } }),
        f.db.chat.findMany({ orderBy: { id: 'asc' } }),
        f.db.chatMessage.count(),
        f.db.workOrder.findMany({ orderBy: { id: 'asc' } }),
        f.db.mailbox.findMany({ orderBy: { id: 'asc' } }),
        f.db.mailboxAccess.count(),
        f.db.notificationRule.findMany({ orderBy: { id: 'asc' } }),
        f.db.apiKey.findMany({ orderBy: { id: 'asc' }, select: { id: true, revokedAt: true } }),
        f.db.channelConnection.findMany({ orderBy: { id: 'asc' } }),
      ]),
    );
  const before = await snapshot();
  const tried: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    if (!path.includes('{id}')) continue;
    const resource = path.split('/')[2]!;
    const id = ids[resource];
    if (!id) throw new Error(`no fixture id for ${path}`);
    for (const method of Object.keys(operations)) {
      const key = `${method} ${path}`;
      let url = path.replace('{id}', id);
      if (path.endsWith('/schedule')) url += `?contactId=${ids.contacts}`;
      const body = key.endsWith('/preview') ? { contactId: ids.contacts } : BODIES[key];
      const req = request(f.app)[method as 'get'](url).set('Authorization', `Bearer ${f.b.apiKey}`);
      const res = await (body ? req.send(body) : req);
      expect({ key, status: res.status, code: res.body?.error?.code }).toEqual({ key, status: 404, code: 'not_found' });
      tried.push(key);
    }
  }
  expect(tried.length).toBeGreaterThanOrEqual(20);
  expect(await snapshot()).toBe(before);
});

test("lists and filters never show the other company's rows", async () => {
  for (const path of [
    '/v1/contacts',
    '/v1/chats',
    '/v1/work-orders',
    '/v1/mailboxes',
    '/v1/notification-rules',
    '/v1/notifications',
    '/v1/channel-connections',
    `/v1/chats?contactId=${ids.contacts}`,
    `/v1/work-orders?contactId=${ids.contacts}`,
  ]) {
    const res = await f.b.api.get(path);
    expect({ path, status: res.status, items: res.body.items }).toEqual({ path, status: 200, items: [] });
  }
  const fields = await f.b.api.get('/v1/contact-fields');
  expect(fields.body.items.map((x: { key: string }) => x.key)).toEqual(['birthday']);
});

test("creating rows that point at the other company's records is refused", async () => {
  expect(
    (await f.b.api.post('/v1/chats', { contactId: ids.contacts, channel: 'whatsapp', address: '+15550002222' })).status,
  ).toBe(404);
  expect((await f.b.api.post('/v1/work-orders', { contactId: ids.contacts, title: 'x' })).status).toBe(404);
  const rule = await f.b.api.post('/v1/notification-rules', {
    name: 'R',
    kind: 'person',
    eventFieldId: ids['contact-fields'],
    channel: 'sms',
    sendTime: '10:00',
    bodyTemplate: 'x',
  });
  expect(rule.status).toBe(400);
  const mail = await f.b.api.post('/v1/notification-rules', {
    name: 'R',
    kind: 'person',
    eventFieldId: (await f.b.api.get('/v1/contact-fields')).body.items[0].id,
    channel: 'email',
    emailSender: ids.mailboxes,
    sendTime: '10:00',
    bodyTemplate: 'x',
  });
  expect(mail.status).toBe(400);
  expect(mail.body.error.details[0].path).toBe('body.emailSender');
});
