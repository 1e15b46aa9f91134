// The reminder workflow on Temporal's time-skipping test server, with real activities on a real
// database; only the provider adapters are in-memory.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createReminderActivities } from '../../src/activities';
import { sharedChannels } from '../../src/delivery/ports';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { reminderWorkflowId } from '../../src/shared/ids';
import type { ReminderState } from '../../src/shared/reminder-contract';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { reminderWorkflow } from '../../src/workflows';
import type { TestDatabase } from '../support/database';
import { useTimeSkippingSuite } from '../support/reminder-fixtures';
import { recordingPorts } from '../support/fake-ports';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let testDb: TestDatabase;

useTimeSkippingSuite((suite) => {
  ({ env, bundle, testDb } = suite);
});

async function birthdayRule(options: { timeZone: string; daysInAdvance: number; sendTime: string; birthday: string }) {
  const { db } = testDb;
  const { company } = await createCompanyWithAdmin(db, { name: `Co ${Math.random()}`, timeZone: options.timeZone });
  const field = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  const contact = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      name: 'Ada Lovelace',
      phone: '+15005550006',
      smsConsent: true,
      fields: { birthday: options.birthday },
    },
  });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthday greetings',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'sms',
      sendTime: options.sendTime,
      daysInAdvance: options.daysInAdvance,
      bodyTemplate: 'Happy birthday soon, {{contactName}}! ({{eventDate}})',
    },
  });
  return { company, contact, rule };
}

test('a yearly birthday reminder sleeps over a year of simulated time and sends at 09:00 local, 3 days ahead, every year', async () => {
  const { db } = testDb;
  const { sent, ports } = recordingPorts();
  const startedAt = await env.currentTimeMs();
  // The next birthday is always at least ~11 months away from "now", so the first send is
  // far enough in the future to prove the sleep; the second one is a year later.
  const now = new Date(startedAt);
  const birthdayMonth = ((now.getUTCMonth() + 11) % 12) + 1;
  const birthday = `--${String(birthdayMonth).padStart(2, '0')}-15`;
  const { company, contact, rule } = await birthdayRule({
    timeZone: 'Europe/Berlin',
    daysInAdvance: 3,
    sendTime: '09:00',
    birthday,
  });

  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'reminders-test',
    workflowBundle: bundle,
    activities: createReminderActivities({ db, channels: sharedChannels(ports) }),
  });
  const sendTimes: number[] = [];
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue: 'reminders-test',
      workflowId: reminderWorkflowId(rule.id, contact.id),
      args: [{ companyId: company.id, ruleId: rule.id, contactId: contact.id }],
    });
    const first = await queryWhen(handle, (s) => s.phase === 'sleeping');
    expect(first.nextSendAtLocal).toMatch(/T09:00:00\.000\+0[12]:00$/);
    for (let year = 0; year < 2; year++) {
      const state = await handle.query(reminderStateQuery);
      await env.sleep(Date.parse(state.nextSendAt!) - (await env.currentTimeMs()) + 60_000);
      await waitFor(() => sent.length === year + 1);
      sendTimes.push(Date.parse(state.nextSendAt!));
    }
    await handle.terminate('test done');
  });

  expect(sent).toHaveLength(2);
  expect(sent[0]).toMatchObject({ via: 'sms', to: '+15005550006', body: expect.stringContaining('Ada Lovelace') });
  expect(sendTimes[1]! - sendTimes[0]!).toBeGreaterThanOrEqual(365 * 24 * 3_600_000 - 2 * 3_600_000);
  expect(sendTimes[0]! - startedAt).toBeGreaterThan(300 * 24 * 3_600_000);
  const ledger = await db.notification.findMany({ where: { ruleId: rule.id }, orderBy: { occurrenceDate: 'asc' } });
  expect(ledger.map((n) => n.status)).toEqual(['sent', 'sent']);
  const feed = await db.activityEntry.findMany({ where: { contactId: contact.id } });
  expect(feed).toHaveLength(2);
});

async function queryWhen(
  handle: WorkflowHandle<typeof reminderWorkflow>,
  accept: (state: ReminderState) => boolean,
): Promise<ReminderState> {
  let state = await handle.query(reminderStateQuery);
  const deadline = Date.now() + 20_000;
  while (!accept(state)) {
    if (Date.now() > deadline) throw new Error(`workflow state never matched: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 50));
    state = await handle.query(reminderStateQuery);
  }
  return state;
}

async function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a dispatch that keeps failing is recorded as failed and the reminder goes on to next year', async () => {
  const { db } = testDb;
  let attempts = 0;
  const ports = {
    sms: {
      sendSms: async () => {
        attempts++;
        throw new Error('provider SDK exploded');
      },
    },
  };
  const now = new Date(await env.currentTimeMs());
  const month = String(((now.getUTCMonth() + 2) % 12) + 1).padStart(2, '0');
  const { company, contact, rule } = await birthdayRule({
    timeZone: 'UTC',
    daysInAdvance: 0,
    sendTime: '10:00',
    birthday: `--${month}-01`,
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'reminders-fail',
    workflowBundle: bundle,
    activities: createReminderActivities({ db, channels: sharedChannels(ports) }),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue: 'reminders-fail',
      workflowId: `fail-${contact.id}`,
      args: [{ companyId: company.id, ruleId: rule.id, contactId: contact.id }],
    });
    const first = await queryWhen(handle, (s) => s.phase === 'sleeping');
    await env.sleep(Date.parse(first.nextSendAt!) - (await env.currentTimeMs()) + 60_000);
    // Skip through the retry backoff (5 s doubling to 10 min, 20 attempts: about 2.5 h).
    for (let i = 0; i < 40 && attempts < 20; i++) await env.sleep(10 * 60_000);
    const next = await queryWhen(handle, (s) => s.phase === 'sleeping' && s.occurrenceDate !== first.occurrenceDate);
    expect(next.lastOutcome).toMatchObject({ status: 'failed', occurrenceDate: first.occurrenceDate });
    await handle.terminate('test done');
  });
  expect(attempts).toBe(20);
  const ledger = await db.notification.findFirstOrThrow({ where: { ruleId: rule.id } });
  expect(ledger).toMatchObject({ status: 'failed', reason: expect.stringContaining('dispatch-gave-up') });
  const feed = await db.activityEntry.findMany({ where: { contactId: contact.id } });
  expect(feed.map((e) => e.kind)).toEqual(['notification.failed']);
});
