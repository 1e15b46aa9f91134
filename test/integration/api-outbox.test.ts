// The API records every change that affects reminders in the outbox, in the same transaction as
// the change: one row per write, none for writes that do not affect reminders, none when the
// request fails. (The relay that applies the rows has its own tests.)
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/api/errors';
import { addRoute } from '../../src/api/routing';
import { silentLogger } from '../../src/runtime/logger';
import { recordReminderChange } from '../../src/scheduling/outbox';
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
let birthdayId: string;
beforeAll(async () => {
  f = await createApiFixture();
  birthdayId = f.a.birthdayId;
});
afterAll(() => f.close());
beforeEach(() => f.db.reminderChange.deleteMany({}));

/** The rows `write` added to the outbox, as { kind, id }. */
async function recordedBy(write: () => Promise<{ status: number }>, expectedStatus: number) {
  const before = (await f.changes()).length;
  const res = await write();
  expect(res.status).toBe(expectedStatus);
  return (await f.changes()).slice(before);
}

test('contacts: create, edit and delete each record one contact change', async () => {
  const api = f.a.api;
  let id = '';
  expect(
    await recordedBy(async () => {
      const res = await api.post('/v1/contacts', { kind: 'person', name: 'Ada', fields: { birthday: '--12-10' } });
      id = res.body.id;
      return res;
    }, 201),
  ).toEqual([{ kind: 'contact', id }]);
  expect(await recordedBy(() => api.patch(`/v1/contacts/${id}`, { smsConsent: true }), 200)).toEqual([
    { kind: 'contact', id },
  ]);
  expect(await recordedBy(() => api.delete(`/v1/contacts/${id}`), 204)).toEqual([{ kind: 'contact', id }]);
  const row = await f.db.reminderChange.findFirstOrThrow({ where: { subjectId: id } });
  expect(row).toMatchObject({ companyId: f.a.company.id, attempts: 0, lastError: null, leasedBy: null });
});

test('rules: create, edit, disable, enable and delete each record one rule change with the rule kind', async () => {
  const api = f.a.api;
  let id = '';
  const rule = {
    name: 'Birthday SMS',
    kind: 'person',
    eventFieldId: birthdayId,
    channel: 'sms',
    sendTime: '09:00',
    bodyTemplate: 'Hi {{contactName}}',
  };
  expect(
    await recordedBy(async () => {
      const res = await api.post('/v1/notification-rules', rule);
      id = res.body.id;
      return res;
    }, 201),
  ).toEqual([{ kind: 'rule', id }]);
  for (const patch of [{ sendTime: '10:30' }, { enabled: false }, { enabled: true }]) {
    expect(await recordedBy(() => api.patch(`/v1/notification-rules/${id}`, patch), 200)).toEqual([
      { kind: 'rule', id },
    ]);
  }
  expect(await recordedBy(() => api.delete(`/v1/notification-rules/${id}`), 204)).toEqual([{ kind: 'rule', id }]);
  const rows = await f.db.reminderChange.findMany({ where: { subjectId: id } });
  expect(rows.every((r) => r.ruleKind === 'person')).toBe(true);

  // A rule created disabled has no reminders to start.
  expect(await recordedBy(() => api.post('/v1/notification-rules', { ...rule, enabled: false }), 201)).toEqual([]);
});

test('company: time zone, leap-day policy and grace record a company change; name and gateway address do not', async () => {
  const api = f.a.api;
  const company = { kind: 'company', id: f.a.company.id };
  expect(await recordedBy(() => api.patch('/v1/company', { timeZone: 'Asia/Tokyo' }), 200)).toEqual([company]);
  expect(await recordedBy(() => api.patch('/v1/company', { leapDayPolicy: 'mar1' }), 200)).toEqual([company]);
  expect(await recordedBy(() => api.patch('/v1/company', { lateGraceMinutes: 30 }), 200)).toEqual([company]);
  expect(
    await recordedBy(() => api.patch('/v1/company', { name: 'Renamed', gatewayEmail: 'a@b.example' }), 200),
  ).toEqual([]);
});

test('writes that cannot change a plan record nothing: chats, messages, work orders, field renames', async () => {
  const api = f.a.api;
  const contact = await api.post('/v1/contacts', { kind: 'person', name: 'Grace' });
  await f.db.reminderChange.deleteMany({});
  const chat = await api.post('/v1/chats', {
    contactId: contact.body.id,
    channel: 'whatsapp',
    address: '+12125550100',
  });
  expect(chat.status).toBe(201);
  expect((await api.post(`/v1/chats/${chat.body.id}/messages`, { text: 'hi' })).status).toBe(201);
  expect((await api.post('/v1/work-orders', { contactId: contact.body.id, title: 'Fix' })).status).toBe(201);
  expect((await api.patch(`/v1/contact-fields/${birthdayId}`, { label: 'Date of birth' })).status).toBe(200);
  expect(await f.changes()).toEqual([]);
});

test('a failed request records nothing (the outbox row is rolled back with the change)', async () => {
  const api = f.a.api;
  expect(
    await recordedBy(() => api.patch('/v1/contacts/00000000-0000-4000-8000-000000000000', { name: 'x' }), 404),
  ).toEqual([]);
  expect(await recordedBy(() => api.patch('/v1/company', { timeZone: 'Mars/Olympus' }), 400)).toEqual([]);
});

test('addRoute: a handler that records a change and then fails leaves no row; onCommit runs after the commit', async () => {
  const router = Router();
  const seenAtCommit: number[] = [];
  const target = {
    router,
    registry: new OpenAPIRegistry(),
    db: f.db,
    onCommit: () => void f.db.reminderChange.count().then((n) => seenAtCommit.push(n)),
  };
  let fail = true;
  addRoute(target, {
    method: 'post',
    path: '/t',
    tag: 'Test',
    summary: 'test',
    status: 204,
    handler: async ({ db }) => {
      await recordReminderChange(db, { kind: 'company', companyId: f.a.company.id });
      if (fail) throw new Error('after recording');
    },
  });
  const app = express();
  app.use((_req, res, next) => {
    res.locals.auth = { userId: 'u', companyId: f.a.company.id, isAdmin: true };
    next();
  });
  app.use(router);
  app.use(errorHandler({ exposeStack: false, log: silentLogger.error }));

  expect((await request(app).post('/t')).status).toBe(500);
  expect(await f.db.reminderChange.count()).toBe(0);
  expect(seenAtCommit).toEqual([]);

  fail = false;
  expect((await request(app).post('/t')).status).toBe(204);
  await new Promise((r) => setTimeout(r, 100));
  expect(seenAtCommit).toEqual([1]);
});
