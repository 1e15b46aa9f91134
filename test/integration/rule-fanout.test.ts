// Rule-wide fan-out on Temporal's dev server (real visibility): the API answers at once, the
// outbox relay starts the durable fan-out, which starts one reminder per matching contact, and
// deleting the rule ends them all.
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { silentLogger } from '../../src/runtime/logger';
import { createOutboxRelay, type OutboxRelay } from '../../src/scheduling/outbox-relay';
import { createTemporalScheduler } from '../../src/scheduling/temporal-scheduler';
import { reminderWorkflowId } from '../../src/shared/ids';
import { reminderStateQuery, type ReminderState } from '../../src/shared/reminder-contract';
import { seedClients } from '../support/contacts';
import { startDevServerWorker, type DevServerWorker } from '../support/dev-server-worker';
import { eventually } from '../support/eventually';

const CONTACTS = 2000;

let temporal: DevServerWorker;
let relay: OutboxRelay | undefined;

beforeAll(async () => {
  temporal = await startDevServerWorker('fanout');
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await temporal?.stop();
});

test(`creating a rule over ${CONTACTS} contacts answers at once; every reminder starts; the schedule endpoint matches the workflow; deleting the rule ends them all`, async () => {
  const { env, countRunning, taskQueue } = temporal;
  const { db } = temporal.testDb;
  const { company, apiKey } = await createCompanyWithAdmin(db, { name: 'Big Co', timeZone: 'Europe/Paris' });
  const birthday = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  await seedClients(
    db,
    company.id,
    CONTACTS,
    (i) => `--${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
  );
  // Contacts that must not get a reminder: an employee and a client without the date.
  await db.contact.createMany({
    data: [
      { companyId: company.id, kind: 'person', role: 'employee', name: 'Staff', fields: { birthday: '--01-01' } },
      { companyId: company.id, kind: 'person', name: 'No date' },
    ],
  });

  relay = createOutboxRelay({
    db,
    scheduler: createTemporalScheduler({ db, client: env.client, taskQueue }),
    logger: silentLogger,
  });
  relay.start();
  const app = createApp({
    db,
    logger: silentLogger,
    relay,
    health: { database: async () => undefined, temporal: async () => undefined },
  });
  const api = (method: 'get' | 'post' | 'delete', path: string) =>
    request(app)[method](path).set('Authorization', `Bearer ${apiKey}`);

  const started = Date.now();
  const created = await api('post', '/v1/notification-rules').send({
    name: 'Birthdays',
    kind: 'person',
    eventFieldId: birthday.id,
    channel: 'sms',
    sendTime: '09:30',
    daysInAdvance: 1,
    bodyTemplate: 'Hi {{contactName}}',
  });
  const answeredInMs = Date.now() - started;
  expect(created.status).toBe(201);
  expect(answeredInMs).toBeLessThan(5_000);
  const ruleId: string = created.body.id;

  await eventually(
    async () => (await countRunning(`RuleId = "${ruleId}"`)) === CONTACTS,
    `${CONTACTS} running reminders`,
    { timeoutMs: 240_000 },
  );
  const progress = await api('get', `/v1/notification-rules/${ruleId}`);
  expect(progress.body.reminders).toEqual({ started: CONTACTS, total: CONTACTS });
  expect(await countRunning(`CompanyId = "${company.id}"`)).toBe(CONTACTS);

  // The schedule endpoint and the sleeping workflow agree on the next send of a contact.
  const someone = await db.contact.findFirstOrThrow({ where: { companyId: company.id, name: 'Client 7' } });
  const schedule = await api('get', `/v1/notification-rules/${ruleId}/schedule?contactId=${someone.id}&count=1`);
  // The worker may still be busy with the 2000 first plans; a query waits for a free slot.
  let state: ReminderState | undefined;
  await eventually(
    async () => {
      state = await env.client.workflow
        .getHandle(reminderWorkflowId(ruleId, someone.id))
        .query(reminderStateQuery)
        .catch(() => undefined);
      return state?.phase === 'sleeping';
    },
    'the reminder to answer its state query',
    { timeoutMs: 120_000 },
  );
  expect(schedule.body.items[0]).toEqual({
    occurrenceDate: state!.occurrenceDate,
    sendAt: state!.nextSendAt,
    sendAtLocal: state!.nextSendAtLocal,
  });

  expect((await api('delete', `/v1/notification-rules/${ruleId}`)).status).toBe(204);
  await eventually(async () => (await countRunning(`RuleId = "${ruleId}"`)) === 0, 'all reminders to end', {
    timeoutMs: 240_000,
  });
}, 600_000);
