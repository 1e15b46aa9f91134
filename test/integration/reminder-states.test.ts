// The reminder routes on Temporal's dev server (real describes and visibility): a contact with two
// rules whose reminders the scheduler started; one reminder terminated behind the engine's back is
// no longer pending (the plan alone would still list it); the ledger's last outcome shows beside
// each pair; upcoming lists only running reminders due within 7 / 30 days, by rule, each linked to
// the Temporal UI. Temporal unreachable → 503 temporal_unavailable.
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { silentLogger } from '../../src/runtime/logger';
import { createTemporalReminderStates } from '../../src/scheduling/temporal-reminder-states';
import { createTemporalScheduler } from '../../src/scheduling/temporal-scheduler';
import { reminderWorkflowId } from '../../src/shared/ids';
import { NextSendAtAttr } from '../../src/shared/search-attributes';
import { birthdayClock } from '../support/birthday-clock';
import { startDevServerWorker, type DevServerWorker } from '../support/dev-server-worker';
import { eventually } from '../support/eventually';
import { freePort } from '../support/stand-ins';

jest.setTimeout(240_000);

const ZONE = 'Europe/Berlin';
const UI = { url: 'http://temporal-ui.example.test', namespace: 'default' };

let temporal: DevServerWorker;
let get: (path: string) => request.Test;
let apiKey: string;
let companyId: string;
let smsRuleId: string;
let emailRuleId: string;
const contactIds: Record<string, string> = {};

const { inDays, nineAm } = birthdayClock(ZONE);

function appWith(reminderStates: ReturnType<typeof createTemporalReminderStates>) {
  return createApp({
    db: temporal.testDb.db,
    logger: silentLogger,
    health: { database: async () => undefined, temporal: async () => undefined },
    temporalUi: UI,
    reminderStates,
  });
}

beforeAll(async () => {
  temporal = await startDevServerWorker('reminder-states');
  const { db } = temporal.testDb;
  const admin = await createCompanyWithAdmin(db, { name: 'States Co', timeZone: ZONE });
  companyId = admin.company.id;
  apiKey = admin.apiKey;
  const app = appWith(createTemporalReminderStates({ client: temporal.env.client }));
  get = (path) => request(app).get(path).set('Authorization', `Bearer ${apiKey}`);
  const post = (path: string, body: object) =>
    request(app).post(path).set('Authorization', `Bearer ${apiKey}`).send(body);
  const birthday = await db.contactField.findFirstOrThrow({ where: { companyId, kind: 'person', key: 'birthday' } });
  const rule = async (name: string, channel: 'sms' | 'email') =>
    (
      await post('/v1/notification-rules', {
        name,
        kind: 'person',
        eventFieldId: birthday.id,
        channel,
        sendTime: '09:00',
        bodyTemplate: 'Happy birthday, {{contactName}}!',
      })
    ).body.id as string;
  smsRuleId = await rule('Birthday SMS', 'sms');
  emailRuleId = await rule('Birthday email', 'email');
  // The API app has no outbox relay: the scheduler applies each contact's change, as the relay would.
  const scheduler = createTemporalScheduler({ db, client: temporal.env.client, taskQueue: temporal.taskQueue });
  for (const [name, days] of [
    ['In three days', 3],
    ['In twenty days', 20],
    ['In sixty days', 60],
  ] as const) {
    const res = await post('/v1/contacts', { kind: 'person', name, fields: { birthday: inDays(days) } });
    contactIds[name] = res.body.id;
    await scheduler.contactChanged(companyId, res.body.id);
  }
}, 180_000);

afterAll(async () => {
  await temporal?.stop();
});

type Item = Record<string, unknown> & { ruleId: string; status: string; contactName: string };
const byRule = (items: Item[]) => Object.fromEntries(items.map((i) => [i.ruleId, i]));

test('a contact with two running reminders: both pending with the NextSendAt each workflow sleeps on, the occurrence named', async () => {
  const id = contactIds['In three days']!;
  const res = await get(`/v1/contacts/${id}/reminders`);
  expect(res.status).toBe(200);
  const items = byRule(res.body.items);
  for (const ruleId of [smsRuleId, emailRuleId]) {
    const { typedSearchAttributes } = await temporal.env.client.workflow
      .getHandle(reminderWorkflowId(ruleId, id))
      .describe();
    expect(items[ruleId]).toMatchObject({
      status: 'pending',
      reason: null,
      sendAt: typedSearchAttributes.get(NextSendAtAttr)?.toISOString(),
      occurrenceDate: nineAm(3).toISODate(),
      replanPending: false,
      workflowId: reminderWorkflowId(ruleId, id),
      lastOutcome: null,
    });
    expect(items[ruleId]!.sendAt).toBe(nineAm(3).toUTC().toISO());
  }
});

test('a reminder terminated behind the engine’s back is no longer pending (reminder-missing), though the plan still has its send', async () => {
  const id = contactIds['In three days']!;
  await temporal.env.client.workflow.getHandle(reminderWorkflowId(emailRuleId, id)).terminate('test: lost');
  const items = byRule((await get(`/v1/contacts/${id}/reminders`)).body.items);
  expect(items[emailRuleId]).toMatchObject({
    status: 'not-scheduled',
    reason: 'reminder-missing',
    sendAt: null,
    plannedSendAt: nineAm(3).toUTC().toISO(),
  });
  expect(items[smsRuleId]!.status).toBe('pending');
});

test('the ledger’s last outcome of each pair shows beside its state (sent, skipped with the reason)', async () => {
  const id = contactIds['In twenty days']!;
  const lastYear = nineAm(20).minus({ years: 1 });
  const row = (ruleId: string, status: 'sent' | 'skipped', reason?: string) => ({
    companyId,
    ruleId,
    contactId: id,
    occurrenceDate: lastYear.toISODate()!,
    scheduledFor: lastYear.toJSDate(),
    status,
    channel: ruleId === smsRuleId ? 'sms' : 'email',
    ...(reason ? { reason } : {}),
  });
  await temporal.testDb.db.notification.createMany({
    data: [row(smsRuleId, 'sent'), row(emailRuleId, 'skipped', 'no-consent')],
  });
  const items = byRule((await get(`/v1/contacts/${id}/reminders`)).body.items);
  expect(items[smsRuleId]).toMatchObject({
    status: 'pending',
    occurrenceDate: nineAm(20).toISODate(),
    lastOutcome: { status: 'sent', reason: null, channel: 'sms', occurrenceDate: lastYear.toISODate() },
  });
  expect(items[emailRuleId]).toMatchObject({
    status: 'pending',
    lastOutcome: { status: 'skipped', reason: 'no-consent', occurrenceDate: lastYear.toISODate() },
  });
});

test('upcoming lists only running reminders within 7 / 30 days, filtered by rule, each linked to the Temporal UI', async () => {
  const names = (items: Item[]) => items.map((i) => `${i.contactName}/${i.ruleName as string}`);
  // Visibility follows the describe a moment later (the terminated reminder leaves its list).
  await eventually(
    async () => (await get('/v1/upcoming-sends?days=7')).body.total === 1,
    'the 7-day list without the terminated reminder',
    { timeoutMs: 30_000 },
  );
  const week = await get('/v1/upcoming-sends?days=7');
  expect(names(week.body.items)).toEqual(['In three days/Birthday SMS']);
  const three = contactIds['In three days']!;
  expect(week.body.items[0]).toMatchObject({
    sendAt: nineAm(3).toUTC().toISO(),
    occurrenceDate: nineAm(3).toISODate(),
    replanPending: false,
    workflowId: reminderWorkflowId(smsRuleId, three),
    temporalUiUrl: `${UI.url}/namespaces/default/workflows/${encodeURIComponent(reminderWorkflowId(smsRuleId, three))}`,
  });
  expect(week.body.items[0].sendAtLocal).toContain(`${nineAm(3).toISODate()}T09:00`);

  const month = await get('/v1/upcoming-sends?days=30');
  expect(month.body.total).toBe(3);
  expect(names(month.body.items)).toEqual([
    'In three days/Birthday SMS',
    'In twenty days/Birthday email',
    'In twenty days/Birthday SMS',
  ]);
  const email = await get(`/v1/upcoming-sends?days=30&ruleId=${emailRuleId}`);
  expect(names(email.body.items)).toEqual(['In twenty days/Birthday email']);
});

test('Temporal unreachable: both routes answer 503 temporal_unavailable with Retry-After', async () => {
  const closed = await freePort();
  const connection = Connection.lazy({ address: `127.0.0.1:${closed}` });
  try {
    const app = appWith(
      createTemporalReminderStates({ client: new Client({ connection, namespace: 'default' }), deadlineMs: 2_000 }),
    );
    for (const path of ['/v1/upcoming-sends?days=7', `/v1/contacts/${contactIds['In three days']}/reminders`]) {
      const res = await request(app).get(path).set('Authorization', `Bearer ${apiKey}`);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error.code).toBe('temporal_unavailable');
    }
  } finally {
    // The client's retry interceptor may still hold a backoff timer (at most ~6 s) for the calls the
    // deadline cut short; closing the channel under it would throw from that timer.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await connection.close();
  }
});
