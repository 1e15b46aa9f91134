// The role model: README's role table against the routes the app really has (its OpenAPI
// document, so a new route cannot be forgotten) and against what a user's key may really do.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createApiFixture, type ApiFixture } from '../support/api';

type Access = 'any' | 'admin' | 'rule-sender' | 'own-keys';
type Api = ApiFixture['a']['api'];

let f: ApiFixture;
/** A user without admin rights and without access to the admin's mailbox. */
let clerk: Api;
let clerkId: string;
const ids: Record<string, string> = {};

/** The role table of README's Security section: `METHOD /path` → access. */
function readmeRoleTable(): Map<string, string> {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const block = /<!-- role-table:start -->([\s\S]*?)<!-- role-table:end -->/.exec(readme);
  if (!block) throw new Error('README has no role table between role-table markers');
  const table = new Map<string, string>();
  for (const line of block[1]!.split('\n')) {
    const row = /^\|\s*`(GET|POST|PUT|PATCH|DELETE) (\S+)`\s*\|\s*`([a-z-]+)`\s*\|$/.exec(line.trim());
    if (row) table.set(`${row[1]} ${row[2]}`, row[3]!);
  }
  return table;
}

interface Operation {
  key: string;
  method: string;
  path: string;
  access: string;
}

async function operations(): Promise<Operation[]> {
  const doc = (await request(f.app).get('/openapi.json')).body as {
    paths: Record<string, Record<string, { 'x-access'?: string }>>;
  };
  return Object.entries(doc.paths).flatMap(([p, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${p}`,
      method,
      path: p,
      access: op['x-access'] ?? '(none)',
    })),
  );
}

beforeAll(async () => {
  f = await createApiFixture();
  const { api } = f.a;
  const user = await api.post('/v1/users', { name: 'Clerk', email: 'clerk@a.example' });
  clerk = f.as(user.body.apiKey);
  clerkId = user.body.id;
  const field = await api.post('/v1/contact-fields', {
    kind: 'person',
    key: 'renewal',
    label: 'Renewal',
    type: 'date',
  });
  const contact = await api.post('/v1/contacts', { kind: 'person', name: 'Client', fields: { renewal: '--05-05' } });
  const chat = await api.post('/v1/chats', {
    contactId: contact.body.id,
    channel: 'whatsapp',
    address: '+15550001111',
  });
  const order = await api.post('/v1/work-orders', { contactId: contact.body.id, title: 'Repair' });
  // The admin's own mailbox; the clerk has no access to it.
  const mailbox = await api.post('/v1/mailboxes', {
    address: 'ceo@a.example',
    smtpHost: 'smtp.a.example',
    smtpPort: 587,
    smtpUser: 'ceo',
    smtpPassword: 'pw-ceo',
  });
  const base = { kind: 'person', eventFieldId: field.body.id, sendTime: '10:00', bodyTemplate: 'Hi {{contactName}}' };
  const smsRule = await api.post('/v1/notification-rules', { ...base, name: 'SMS', channel: 'sms' });
  const mailRule = await api.post('/v1/notification-rules', {
    ...base,
    name: 'From the CEO',
    channel: 'email',
    emailSender: mailbox.body.id,
  });
  const adminKey = await f.db.apiKey.findFirstOrThrow({ where: { userId: f.a.user.id } });
  Object.assign(ids, {
    admin: f.a.user.id,
    adminKey: adminKey.id,
    field: field.body.id,
    contact: contact.body.id,
    chat: chat.body.id,
    order: order.body.id,
    mailbox: mailbox.body.id,
    smsRule: smsRule.body.id,
    mailRule: mailRule.body.id,
  });
  for (const [name, id] of Object.entries(ids)) if (!id) throw new Error(`fixture ${name} not created`);
});
afterAll(() => f.close());

test('the README role table lists every write route of the OpenAPI document with its enforced access', async () => {
  const table = readmeRoleTable();
  const ops = await operations();
  const writes = ops.filter((op) => op.path.startsWith('/v1/') && op.method !== 'get');
  expect(writes.length).toBeGreaterThan(20);
  const documented = Object.fromEntries(writes.map((op) => [op.key, op.access]));
  expect(Object.fromEntries(table)).toEqual(documented);
  // Reads are every user's.
  for (const op of ops.filter((o) => o.path.startsWith('/v1/') && o.method === 'get'))
    expect({ route: op.key, access: op.access }).toEqual({ route: op.key, access: 'any' });
});

/** An id for a `{id}` route: which resource the path names (a new resource needs a line here). */
function idFor(op: Operation, forAccess: Access): string {
  const prefix = op.path.split('/')[2];
  const byPrefix: Record<string, string | undefined> = {
    'contact-fields': ids.field,
    contacts: ids.contact,
    chats: ids.chat,
    'work-orders': ids.order,
    mailboxes: ids.mailbox,
    // The rule-sender check is about the rule that sends from the admin's mailbox.
    'notification-rules': forAccess === 'rule-sender' ? ids.mailRule : ids.smsRule,
    // own-keys: someone else's key (the admin's).
    'api-keys': ids.adminKey,
  };
  const id = byPrefix[prefix!];
  if (!id) throw new Error(`api-roles test: no fixture id for ${op.key}; add one`);
  return id;
}

/** A valid body for each write route, so a refusal is about the role and nothing else. */
function bodyFor(op: Operation): object | undefined {
  const draftRule = {
    kind: 'person',
    eventFieldId: ids.field,
    channel: 'sms',
    sendTime: '09:00',
    bodyTemplate: 'Hello',
  };
  const bodies: Record<string, object | undefined> = {
    'POST /v1/session': undefined,
    'DELETE /v1/session': undefined,
    'PATCH /v1/company': { timeZone: 'Asia/Tokyo' },
    'POST /v1/users': { name: 'Mallory', email: 'mallory@a.example', isAdmin: true },
    'POST /v1/api-keys': { userId: ids.admin, label: 'a key to act as the admin' },
    'DELETE /v1/api-keys/{id}': undefined,
    'POST /v1/contact-fields': { kind: 'person', key: 'extra', label: 'Extra', type: 'date' },
    'PATCH /v1/contact-fields/{id}': { label: 'Renamed' },
    'DELETE /v1/contact-fields/{id}': undefined,
    'POST /v1/contacts': { kind: 'person', name: 'New client' },
    'PATCH /v1/contacts/{id}': { name: 'Client (edited)' },
    'DELETE /v1/contacts/{id}': undefined,
    'POST /v1/chats': { contactId: ids.contact, channel: 'instagram', address: '1789' },
    'PATCH /v1/chats/{id}': { open: true },
    'DELETE /v1/chats/{id}': undefined,
    'POST /v1/chats/{id}/messages': { text: 'hello' },
    'POST /v1/work-orders': { contactId: ids.contact, title: 'Another' },
    'PATCH /v1/work-orders/{id}': { title: 'Repair (edited)' },
    'DELETE /v1/work-orders/{id}': undefined,
    'POST /v1/mailboxes': {
      address: 'clerk@a.example',
      smtpHost: 'smtp.a.example',
      smtpPort: 587,
      smtpUser: 'clerk',
      smtpPassword: 'pw',
    },
    'PATCH /v1/mailboxes/{id}': { smtpHost: 'smtp.evil.example', smtpPassword: 'guess' },
    'DELETE /v1/mailboxes/{id}': undefined,
    'PUT /v1/mailboxes/{id}/access': { userIds: [clerkId] },
    'POST /v1/mailboxes/{id}/test': undefined,
    'PUT /v1/channel-connections/twilio': {
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: 'token',
      smsFrom: '+15550009999',
    },
    'DELETE /v1/channel-connections/twilio': undefined,
    'PUT /v1/channel-connections/instagram': { accountId: '1784', pageAccessToken: 'EAAG', appSecret: 's' },
    'DELETE /v1/channel-connections/instagram': undefined,
    'POST /v1/notification-rules': {
      name: 'Clerk rule',
      kind: 'person',
      eventFieldId: ids.field,
      channel: 'sms',
      sendTime: '09:00',
      bodyTemplate: 'Hello',
    },
    'PATCH /v1/notification-rules/{id}': { name: 'Hijacked', bodyTemplate: 'Something else' },
    'DELETE /v1/notification-rules/{id}': undefined,
    'POST /v1/notification-rules/{id}/preview': { contactId: ids.contact },
    'POST /v1/notification-rules/preview': { contactId: ids.contact, rule: draftRule },
    'POST /v1/notification-rules/test-send': { to: '+15550002222', rule: draftRule },
  };
  if (!(op.key in bodies)) throw new Error(`api-roles test: no request body for ${op.key}; add one`);
  return bodies[op.key];
}

function call(api: Api, op: Operation, id: string | undefined) {
  const url = op.path.replace('{id}', id ?? '');
  const body = bodyFor(op);
  switch (op.method) {
    case 'post':
      return api.post(url, body);
    case 'put':
      return api.put(url, body);
    case 'patch':
      return api.patch(url, body);
    case 'delete':
      return api.delete(url);
    default:
      throw new Error(`unexpected method ${op.method}`);
  }
}

const snapshot = async () =>
  JSON.stringify(
    await Promise.all([
      f.db.company.findMany({ orderBy: { id: 'asc' } }),
      f.db.user.findMany({ orderBy: { id: 'asc' } }),
      f.db.contactField.findMany({ orderBy: { id: 'asc' } }),
      f.db.mailbox.findMany({ orderBy: { id: 'asc' } }),
      f.db.mailboxAccess.findMany({ orderBy: { userId: 'asc' } }),
      f.db.notificationRule.findMany({ orderBy: { id: 'asc' } }),
      f.db.apiKey.findMany({ orderBy: { id: 'asc' }, select: { id: true, userId: true, revokedAt: true } }),
      f.db.channelConnection.findMany({ orderBy: { id: 'asc' } }),
    ]),
  );

test("a user's key on every write route: 403 exactly where the table says, and nothing changes then", async () => {
  const table = readmeRoleTable();
  const writes = (await operations()).filter((op) => op.path.startsWith('/v1/') && op.method !== 'get');
  const refused: string[] = [];
  const allowed: string[] = [];
  // Refusals first (they must leave everything as it was), then the allowed calls, deletes last.
  const order = (op: Operation) => (table.get(op.key) === 'any' ? 1 : 0) + (op.method === 'delete' ? 2 : 0);
  for (const op of [...writes].sort((x, y) => order(x) - order(y))) {
    const access = table.get(op.key) as Access;
    const before = await snapshot();
    const res = await call(clerk, op, op.path.includes('{id}') ? idFor(op, access) : undefined);
    expect({ route: op.key, serverError: res.status >= 500 }).toEqual({ route: op.key, serverError: false });
    if (access === 'any') {
      expect({ route: op.key, status: res.status === 403 ? 403 : 'not 403' }).toEqual({
        route: op.key,
        status: 'not 403',
      });
      allowed.push(op.key);
    } else {
      expect({ route: op.key, status: res.status, code: res.body.error?.code }).toEqual({
        route: op.key,
        status: 403,
        code: 'forbidden',
      });
      expect(await snapshot()).toBe(before);
      refused.push(op.key);
    }
  }
  expect(refused).toEqual(expect.arrayContaining(['PATCH /v1/company', 'DELETE /v1/mailboxes/{id}']));
  expect(allowed).toEqual(expect.arrayContaining(['POST /v1/contacts', 'POST /v1/notification-rules']));
});

describe('the cases of issue 9 (security, item 1)', () => {
  test("a user cannot delete a mailbox, change company settings, or delete or edit an admin's rule that sends from a mailbox the user may not use", async () => {
    const company = await f.db.company.findUniqueOrThrow({ where: { id: f.a.company.id } });
    expect((await clerk.delete(`/v1/mailboxes/${ids.mailbox}`)).status).toBe(403);
    expect((await clerk.patch('/v1/company', { gatewayEmail: 'phish@evil.example' })).status).toBe(403);
    expect((await clerk.delete(`/v1/notification-rules/${ids.mailRule}`)).status).toBe(403);
    const edit = await clerk.patch(`/v1/notification-rules/${ids.mailRule}`, { enabled: false });
    expect(edit.status).toBe(403);
    expect(edit.body.error.message).toMatch(/ceo@a\.example/);
    expect(await f.db.mailbox.count({ where: { id: ids.mailbox } })).toBe(1);
    expect(await f.db.notificationRule.findUniqueOrThrow({ where: { id: ids.mailRule } })).toMatchObject({
      enabled: true,
    });
    expect(await f.db.company.findUniqueOrThrow({ where: { id: f.a.company.id } })).toEqual(company);
  });

  test('once an admin grants the mailbox, the user may edit that rule; admins always may', async () => {
    const other = await f.a.api.post('/v1/users', { name: 'Sales', email: 'sales@a.example' });
    const sales = f.as(other.body.apiKey);
    expect((await sales.patch(`/v1/notification-rules/${ids.mailRule}`, { name: 'x' })).status).toBe(403);
    const granted = await f.a.api.put(`/v1/mailboxes/${ids.mailbox}/access`, {
      userIds: [f.a.user.id, other.body.id],
    });
    expect(granted.status).toBe(200);
    const edited = await sales.patch(`/v1/notification-rules/${ids.mailRule}`, { name: 'From the CEO (v2)' });
    expect(edited.status).toBe(200);
    expect((await f.a.api.patch(`/v1/notification-rules/${ids.mailRule}`, { name: 'Admin edit' })).status).toBe(200);
  });

  test("an admin-only route refuses a user's malformed body with 403, not 400 (nothing about the body is revealed)", async () => {
    const res = await clerk.patch('/v1/company', { timeZone: 'Mars/Olympus' });
    expect(res.status).toBe(403);
  });
});
