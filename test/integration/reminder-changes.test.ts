// The reminder workflow on Temporal's time-skipping test server when what it depends on changes
// while it sleeps: the rule's send time, the contact's date, the company's time zone (each with
// the `reminderChanged` signal), the rule disabled, the contact turned employee, and the SMS
// consent withdrawn (read at send time, no signal). Real activities on a real database,
// in-memory provider ports.
//
// The tests share one test server whose clock only moves forward: each moves it to its own
// starting instant (increasing through the file, in 2041) and asserts literal instants.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Db } from '../../src/db/client';
import { reminderChangedSignal } from '../../src/shared/reminder-contract';
import { NextSendAtAttr } from '../../src/shared/search-attributes';
import type { TestDatabase } from '../support/database';
import {
  createReminderFixture,
  createReminderWorker,
  expectSentAt,
  idleStateAfterSignal,
  ledgerRows,
  reminderActivities,
  settle,
  skipTo,
  skipToOccurrence,
  sleepingState,
  startReminder,
  useTimeSkippingSuite,
  timedPorts,
  uniqueTaskQueue,
  type ReminderFixture,
  type ReminderFixtureOptions,
  type ReminderHandle,
  type TimedSentMessage,
} from '../support/reminder-fixtures';
import { reminderWorkflow } from '../../src/workflows';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let testDb: TestDatabase;
let db: Db;

useTimeSkippingSuite((suite) => {
  ({ env, bundle, testDb } = suite);
  db = testDb.db;
});

/** Creates the fixture, starts its reminder on a fresh worker and runs `body` while it polls. */
async function withReminder(
  options: ReminderFixtureOptions,
  body: (ctx: { fx: ReminderFixture; handle: ReminderHandle; sent: TimedSentMessage[] }) => Promise<void>,
): Promise<{ fx: ReminderFixture; sent: TimedSentMessage[] }> {
  const fx = await createReminderFixture(db, options);
  const { ports, sent } = timedPorts(env);
  const taskQueue = uniqueTaskQueue();
  const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
  await worker.runUntil(async () => body({ fx, handle: await startReminder(env, fx, taskQueue), sent }));
  return { fx, sent };
}

test('the rule send time edited while sleeping (09:00 → 17:45 on the send day): the timer moves, one send at the new time', async () => {
  await skipTo(env, '2041-01-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--02-10' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle, sent }) => {
      expect(await sleepingState(handle)).toMatchObject({ nextSendAt: '2041-02-10T09:00:00.000Z' });
      await skipTo(env, '2041-02-10T06:00:00Z');
      await db.notificationRule.update({ where: { id: fx.ruleId }, data: { sendTime: '17:45' } });
      await handle.signal(reminderChangedSignal);
      expect(await idleStateAfterSignal(handle)).toEqual({
        phase: 'sleeping',
        nextSendAt: '2041-02-10T17:45:00.000Z',
        nextSendAtLocal: '2041-02-10T17:45:00.000+00:00',
        occurrenceDate: '2041-02-10',
      });

      // The old instant passes without a send.
      await skipTo(env, '2041-02-10T09:01:00Z');
      await settle();
      expect(sent).toHaveLength(0);
      expect(await ledgerRows(db, fx)).toEqual([]);

      expect(
        await skipToOccurrence(env, handle, { sendAt: '2041-02-10T17:45:00.000Z', occurrenceDate: '2041-02-10' }),
      ).toMatchObject({
        lastOutcome: { status: 'sent' },
        nextSendAt: '2042-02-10T17:45:00.000Z',
      });
    },
  );
  expect(sent).toHaveLength(1);
  expectSentAt(sent[0], '2041-02-10T17:45:00.000Z');
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2041-02-10',
      scheduledFor: '2041-02-10T17:45:00.000Z',
      status: 'sent',
      reason: null,
      channel: 'sms',
    },
  ]);
});

test("the contact's date edited while sleeping (Apr 20 → May 5): the timer moves to the new occurrence", async () => {
  await skipTo(env, '2041-03-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--04-20' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle, sent }) => {
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2041-04-20T09:00:00.000Z',
        occurrenceDate: '2041-04-20',
      });
      await db.contact.update({ where: { id: fx.contactId }, data: { fields: { birthday: '--05-05' } } });
      await handle.signal(reminderChangedSignal);
      expect(await idleStateAfterSignal(handle)).toMatchObject({
        nextSendAt: '2041-05-05T09:00:00.000Z',
        occurrenceDate: '2041-05-05',
      });

      await skipTo(env, '2041-04-20T09:01:00Z');
      await settle();
      expect(sent).toHaveLength(0);

      await skipToOccurrence(env, handle, { sendAt: '2041-05-05T09:00:00.000Z', occurrenceDate: '2041-05-05' });
    },
  );
  expect(sent.map((m) => m.body)).toEqual(['Birthday of Ada Lovelace on 2041-05-05']);
  expectSentAt(sent[0], '2041-05-05T09:00:00.000Z');
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2041-05-05',
      scheduledFor: '2041-05-05T09:00:00.000Z',
      status: 'sent',
      reason: null,
      channel: 'sms',
    },
  ]);
});

test("the company's time zone changed while sleeping (UTC → Asia/Tokyo): 09:00 local moves to 00:00Z", async () => {
  await skipTo(env, '2041-06-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--06-20' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle, sent }) => {
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2041-06-20T09:00:00.000Z',
        nextSendAtLocal: '2041-06-20T09:00:00.000+00:00',
      });
      await db.company.update({ where: { id: fx.companyId }, data: { timeZone: 'Asia/Tokyo' } });
      await handle.signal(reminderChangedSignal);
      expect(await idleStateAfterSignal(handle)).toMatchObject({
        nextSendAt: '2041-06-20T00:00:00.000Z',
        nextSendAtLocal: '2041-06-20T09:00:00.000+09:00',
        occurrenceDate: '2041-06-20',
      });
      await skipToOccurrence(env, handle, { sendAt: '2041-06-20T00:00:00.000Z', occurrenceDate: '2041-06-20' });
      // The old instant (09:00Z) passes without a second send.
      await skipTo(env, '2041-06-20T09:01:00Z');
      await settle();
      expect(sent).toHaveLength(1);
    },
  );
  expectSentAt(sent[0], '2041-06-20T00:00:00.000Z');
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2041-06-20',
      scheduledFor: '2041-06-20T00:00:00.000Z',
      status: 'sent',
      reason: null,
      channel: 'sms',
    },
  ]);
});

test('the rule disabled while sleeping: the workflow completes with endReason rule-disabled and nothing is sent', async () => {
  await skipTo(env, '2041-07-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--07-10' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle }) => {
      await sleepingState(handle);
      await db.notificationRule.update({ where: { id: fx.ruleId }, data: { enabled: false } });
      await handle.signal(reminderChangedSignal);
      expect(await idleStateAfterSignal(handle)).toEqual({ phase: 'ended', endReason: 'rule-disabled' });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      await skipTo(env, '2041-07-10T09:01:00Z');
      await settle();
    },
  );
  expect(sent).toHaveLength(0);
  expect(await ledgerRows(db, fx)).toEqual([]);
});

test('the contact turned employee while sleeping: the workflow completes with endReason contact-not-client', async () => {
  await skipTo(env, '2041-08-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--08-10' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle }) => {
      await sleepingState(handle);
      await db.contact.update({ where: { id: fx.contactId }, data: { role: 'employee' } });
      await handle.signal(reminderChangedSignal);
      expect(await idleStateAfterSignal(handle)).toEqual({ phase: 'ended', endReason: 'contact-not-client' });
      await skipTo(env, '2041-08-10T09:01:00Z');
      await settle();
    },
  );
  expect(sent).toHaveLength(0);
  expect(await ledgerRows(db, fx)).toEqual([]);
});

test('SMS consent withdrawn while sleeping (no signal: consent is read at send time): skipped in the ledger and the feed, nothing sent', async () => {
  await skipTo(env, '2041-09-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--09-10' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle }) => {
      expect(await sleepingState(handle)).toMatchObject({ nextSendAt: '2041-09-10T09:00:00.000Z' });
      await db.contact.update({ where: { id: fx.contactId }, data: { smsConsent: false } });
      expect(
        await skipToOccurrence(env, handle, { sendAt: '2041-09-10T09:00:00.000Z', occurrenceDate: '2041-09-10' }),
      ).toMatchObject({
        phase: 'sleeping',
        lastOutcome: { status: 'skipped', reason: 'no-sms-consent', channel: 'sms' },
        // Consent may come back: the reminder goes on.
        nextSendAt: '2042-09-10T09:00:00.000Z',
      });
    },
  );
  expect(sent).toHaveLength(0);
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2041-09-10',
      scheduledFor: '2041-09-10T09:00:00.000Z',
      status: 'skipped',
      reason: 'no-sms-consent',
      channel: 'sms',
    },
  ]);
  const feed = await db.activityEntry.findMany({ where: { contactId: fx.contactId } });
  expect(feed.map((e) => ({ kind: e.kind, text: e.text }))).toEqual([
    { kind: 'notification.skipped', text: 'Reminder for 2041-09-10 skipped via sms: no-sms-consent' },
  ]);
});

test("the time zone changed after this morning's send (UTC → Los Angeles, where 09:00 is still ahead today): not again this afternoon — next year's occurrence, and NextSendAt agrees with the state query", async () => {
  await skipTo(env, '2041-10-01T00:00:00Z');
  const { fx, sent } = await withReminder(
    { contact: { fields: { birthday: '--10-10' } }, rule: { sendTime: '09:00' } },
    async ({ fx, handle }) => {
      await sleepingState(handle);
      await skipToOccurrence(env, handle, { sendAt: '2041-10-10T09:00:00.000Z', occurrenceDate: '2041-10-10' });
      await skipTo(env, '2041-10-10T12:00:00Z');
      await db.company.update({ where: { id: fx.companyId }, data: { timeZone: 'America/Los_Angeles' } });
      await handle.signal(reminderChangedSignal);
      const state = await idleStateAfterSignal(handle);
      expect(state).toMatchObject({
        nextSendAt: '2042-10-10T16:00:00.000Z',
        nextSendAtLocal: '2042-10-10T09:00:00.000-07:00',
        occurrenceDate: '2042-10-10',
      });
      const { typedSearchAttributes } = await handle.describe();
      expect(typedSearchAttributes.get(NextSendAtAttr)?.toISOString()).toBe(state.nextSendAt);
      // 09:00 in Los Angeles today (16:00Z) passes without a second send.
      await skipTo(env, '2041-10-10T16:01:00Z');
      await settle();
    },
  );
  expect(sent).toHaveLength(1);
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2041-10-10',
      scheduledFor: '2041-10-10T09:00:00.000Z',
      status: 'sent',
      reason: null,
      channel: 'sms',
    },
  ]);
});

test('a change signalled before the first task of a reminder started with a plan handed in is not lost: it reads the fresh plan', async () => {
  await skipTo(env, '2041-11-01T00:00:00Z');
  const fx = await createReminderFixture(db, {
    contact: { fields: { birthday: '--11-20' } },
    rule: { sendTime: '09:00' },
  });
  const stalePlan = await reminderActivities(db, {}).loadReminderPlan(fx.key);
  await db.notificationRule.update({ where: { id: fx.ruleId }, data: { sendTime: '18:15' } });
  const taskQueue = uniqueTaskQueue();
  // Started and signalled while no worker runs: both reach the first task together.
  const handle = await env.client.workflow.start(reminderWorkflow, {
    taskQueue,
    workflowId: fx.workflowId,
    args: [{ ...fx.key, plan: stalePlan }],
  });
  await handle.signal(reminderChangedSignal);
  const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, {}));
  const state = await worker.runUntil(() => sleepingState(handle));
  await handle.terminate('test finished');
  expect(state).toMatchObject({ nextSendAt: '2041-11-20T18:15:00.000Z' });
});
