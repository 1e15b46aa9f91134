// Rule-wide fan-out on Temporal's dev server (real visibility): the API answers at once, the
// outbox relay starts the durable fan-out, which starts one reminder per matching contact, and
// deleting the rule ends them all.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createReminderActivities } from '../../src/activities';
import { sharedChannels } from '../../src/delivery/ports';
import { createApp } from '../../src/api/app';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { silentLogger } from '../../src/runtime/logger';
import { createOutboxRelay, type OutboxRelay } from '../../src/scheduling/outbox-relay';
import { createTemporalScheduler } from '../../src/scheduling/temporal-scheduler';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { reminderWorkflowId } from '../../src/shared/ids';
import type { ReminderState } from '../../src/shared/reminder-contract';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { recordingPorts } from '../support/fake-ports';
import { bundleWorkflows, createDevServerEnv } from '../support/temporal';
import request from 'supertest';

const CONTACTS = 2000;
const TASK_QUEUE = 'fanout-test';

let env: TestWorkflowEnvironment;
let testDb: TestDatabase;
let worker: Worker;
let running: Promise<void>;
let relay: OutboxRelay | undefined;

beforeAll(async () => {
  const [e, bundle, t] = await Promise.all([createDevServerEnv(), bundleWorkflows(), createTestDatabase()]);
  env = e;
  testDb = t;
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: createReminderActivities({
      db: testDb.db,
      channels: sharedChannels(recordingPorts().ports),
      temporal: { client: env.client, taskQueue: TASK_QUEUE },
    }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await testDb?.close();
});

async function countRunning(query: string): Promise<number> {
  return (await env.client.workflow.count(`${query} AND ExecutionStatus = "Running"`)).count;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test(`creating a rule over ${CONTACTS} contacts answers at once; every reminder starts; the schedule endpoint matches the workflow; deleting the rule ends them all`, async () => {
  const { db } = testDb;
  const { company, apiKey } = await createCompanyWithAdmin(db, { name: 'Big Co', timeZone: 'Europe/Paris' });
  const birthday = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  await db.contact.createMany({
    data: Array.from({ length: CONTACTS }, (_, i) => ({
      companyId: company.id,
      kind: 'person' as const,
      name: `Client ${i}`,
      smsConsent: true,
      phone: `+1555${String(i).padStart(7, '0')}`,
      fields: { birthday: `--${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}` },
    })),
  });
  // Contacts that must not get a reminder: an employee and a client without the date.
  await db.contact.createMany({
    data: [
      { companyId: company.id, kind: 'person', role: 'employee', name: 'Staff', fields: { birthday: '--01-01' } },
      { companyId: company.id, kind: 'person', name: 'No date' },
    ],
  });

  relay = createOutboxRelay({
    db,
    scheduler: createTemporalScheduler({ db, client: env.client, taskQueue: TASK_QUEUE }),
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
    240_000,
    `${CONTACTS} running reminders`,
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
    120_000,
    'the reminder to answer its state query',
  );
  expect(schedule.body.items[0]).toEqual({
    occurrenceDate: state!.occurrenceDate,
    sendAt: state!.nextSendAt,
    sendAtLocal: state!.nextSendAtLocal,
  });

  expect((await api('delete', `/v1/notification-rules/${ruleId}`)).status).toBe(204);
  await eventually(async () => (await countRunning(`RuleId = "${ruleId}"`)) === 0, 240_000, 'all reminders to end');
}, 600_000);
