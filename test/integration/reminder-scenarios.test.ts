// The reminder workflow on Temporal's time-skipping test server, real activities on a real
// database, in-memory provider ports: calendar edge cases (Feb 29, DST, New Year, once rules),
// late fires after a worker outage, failures after a send, worker restarts, the last-chat route,
// and the history size across continue-as-new.
//
// All tests of this file share one test server, whose clock only moves forward. Each test moves it
// to its own starting instant (increasing through the file, in the 2040s so that they stay ahead
// of the real clock the server starts at) and asserts literal send instants: the workflow's
// `nextSendAt`, the ledger's `scheduledFor`, and the server time at which the fake port was called.
//
// Reminders of one test never deliver at the same instant: on the embedded database (PGlite behind
// pglite-socket) concurrent connections can interleave protocol messages while a transaction is
// open (electric-sql/pglite#1046), which shows up as a null relation or a "record not found" in
// one of the activities, or a stuck query queue.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { deliver as orchestrate, deliverySteps, type DeliverySteps } from '../../src/activities/delivery';
import type { DeliveryPorts } from '../../src/activities';
import { upcomingSends } from '../../src/calendar/schedule';
import type { Db } from '../../src/db/client';
import { DeliveryError, sharedChannels } from '../../src/delivery/ports';
import type { DeliverOccurrenceInput, ReminderPlan } from '../../src/shared/reminder-contract';
import { reminderChangedSignal } from '../../src/shared/reminder-contract';
import type { TestDatabase } from '../support/database';
import {
  createReminderFixture,
  createReminderWorker,
  expectSentAt,
  idleStateAfterSignal,
  ledgerRows,
  nextRunState,
  reminderActivities,
  skipThroughOutage,
  sleepingState,
  skipTo,
  skipToOccurrence,
  startReminder,
  useTimeSkippingSuite,
  timedPorts,
  uniqueTaskQueue,
  waitFor,
  type ReminderFixture,
} from '../support/reminder-fixtures';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let testDb: TestDatabase;
let db: Db;

useTimeSkippingSuite((suite) => {
  ({ env, bundle, testDb } = suite);
  db = testDb.db;
});

const ledgerOf = (fx: ReminderFixture) => ledgerRows(db, fx);

/** The schedule the planning activity hands the workflow, for the calendar cross-check. */
async function scheduleOf(fx: ReminderFixture) {
  const plan: ReminderPlan = await reminderActivities(db, {}).loadReminderPlan(fx.key);
  if (!plan.active) throw new Error(`plan inactive: ${plan.reason}`);
  return plan.schedule;
}

/** upcomingSends from src/calendar, only as a cross-check of the literal expectations. */
async function calendarSays(fx: ReminderFixture, count: number): Promise<string[]> {
  return upcomingSends(await scheduleOf(fx), await env.currentTimeMs(), count).map((s) => s.sendAt.toISOString());
}

describe('calendar edge cases, end to end', () => {
  test('a Feb 29 birthday is sent on Feb 28 (policy feb28) or Mar 1 (policy mar1) in a non-leap year, and on Feb 29 in a leap year', async () => {
    await skipTo(env, '2043-01-05T00:00:00Z');
    // Different send times keep the two reminders' activities apart (see the note on PGlite below).
    const feb28 = await createReminderFixture(db, {
      company: { leapDayPolicy: 'feb28' },
      contact: { phone: '+15005550028', fields: { birthday: '--02-29' } },
      rule: { sendTime: '09:00' },
    });
    const mar1 = await createReminderFixture(db, {
      company: { leapDayPolicy: 'mar1' },
      contact: { phone: '+15005550301', fields: { birthday: '--02-29' } },
      rule: { sendTime: '09:30' },
    });
    expect(await calendarSays(feb28, 2)).toEqual(['2043-02-28T09:00:00.000Z', '2044-02-29T09:00:00.000Z']);
    expect(await calendarSays(mar1, 2)).toEqual(['2043-03-01T09:30:00.000Z', '2044-02-29T09:30:00.000Z']);

    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await worker.runUntil(async () => {
      const h28 = await startReminder(env, feb28, taskQueue);
      expect(await sleepingState(h28)).toMatchObject({
        nextSendAt: '2043-02-28T09:00:00.000Z',
        occurrenceDate: '2043-02-28',
      });
      const h01 = await startReminder(env, mar1, taskQueue);
      expect(await sleepingState(h01)).toMatchObject({
        nextSendAt: '2043-03-01T09:30:00.000Z',
        occurrenceDate: '2043-03-01',
      });

      // Non-leap year 2043.
      expect(
        await skipToOccurrence(env, h28, { sendAt: '2043-02-28T09:00:00.000Z', occurrenceDate: '2043-02-28' }),
      ).toMatchObject({
        phase: 'sleeping',
        lastOutcome: { status: 'sent' },
        nextSendAt: '2044-02-29T09:00:00.000Z',
        occurrenceDate: '2044-02-29',
      });
      expect(sent.map((m) => m.to)).toEqual(['+15005550028']);
      expect(
        await skipToOccurrence(env, h01, { sendAt: '2043-03-01T09:30:00.000Z', occurrenceDate: '2043-03-01' }),
      ).toMatchObject({
        nextSendAt: '2044-02-29T09:30:00.000Z',
        occurrenceDate: '2044-02-29',
      });
      // Leap year 2044: both on Feb 29.
      await skipToOccurrence(env, h28, { sendAt: '2044-02-29T09:00:00.000Z', occurrenceDate: '2044-02-29' });
      await skipToOccurrence(env, h01, { sendAt: '2044-02-29T09:30:00.000Z', occurrenceDate: '2044-02-29' });
    });

    const of = (to: string) => sent.filter((m) => m.to === to);
    expect(of('+15005550028').map((m) => m.body)).toEqual([
      'Birthday of Ada Lovelace on 2043-02-28',
      'Birthday of Ada Lovelace on 2044-02-29',
    ]);
    expectSentAt(of('+15005550028')[0], '2043-02-28T09:00:00.000Z');
    expectSentAt(of('+15005550028')[1], '2044-02-29T09:00:00.000Z');
    expect(of('+15005550301').map((m) => m.body)).toEqual([
      'Birthday of Ada Lovelace on 2043-03-01',
      'Birthday of Ada Lovelace on 2044-02-29',
    ]);
    expectSentAt(of('+15005550301')[0], '2043-03-01T09:30:00.000Z');
    expectSentAt(of('+15005550301')[1], '2044-02-29T09:30:00.000Z');
    expect(await ledgerOf(feb28)).toEqual([
      {
        occurrenceDate: '2043-02-28',
        scheduledFor: '2043-02-28T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
      {
        occurrenceDate: '2044-02-29',
        scheduledFor: '2044-02-29T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
    expect(await ledgerOf(mar1)).toEqual([
      {
        occurrenceDate: '2043-03-01',
        scheduledFor: '2043-03-01T09:30:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
      {
        occurrenceDate: '2044-02-29',
        scheduledFor: '2044-02-29T09:30:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  test('America/New_York: 02:30 on the spring-forward night is sent at 03:30 EDT; the next year at 02:30 EDT', async () => {
    // 2045-03-12 is the second Sunday of March: 02:00 EST jumps to 03:00 EDT.
    await skipTo(env, '2045-01-05T00:00:00Z');
    const fx = await createReminderFixture(db, {
      company: { timeZone: 'America/New_York' },
      contact: { fields: { birthday: '--03-12' } },
      rule: { sendTime: '02:30' },
    });
    expect(await calendarSays(fx, 2)).toEqual(['2045-03-12T07:30:00.000Z', '2046-03-12T06:30:00.000Z']);

    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2045-03-12T07:30:00.000Z',
        nextSendAtLocal: '2045-03-12T03:30:00.000-04:00',
        occurrenceDate: '2045-03-12',
      });
      expect(
        await skipToOccurrence(env, handle, { sendAt: '2045-03-12T07:30:00.000Z', occurrenceDate: '2045-03-12' }),
      ).toMatchObject({
        phase: 'sleeping',
        nextSendAt: '2046-03-12T06:30:00.000Z',
        nextSendAtLocal: '2046-03-12T02:30:00.000-04:00',
      });
    });
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2045-03-12T07:30:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2045-03-12',
        scheduledFor: '2045-03-12T07:30:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  test('Europe/London: 01:30 on the fall-back night is sent once, at the earlier instant (01:30 BST)', async () => {
    // 2045-10-29 is the last Sunday of October: 01:00–02:00 happens twice (BST, then GMT).
    await skipTo(env, '2045-06-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      company: { timeZone: 'Europe/London' },
      contact: { fields: { birthday: '--10-29' } },
      rule: { sendTime: '01:30' },
    });
    expect(await calendarSays(fx, 2)).toEqual(['2045-10-29T00:30:00.000Z', '2046-10-29T01:30:00.000Z']);

    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2045-10-29T00:30:00.000Z',
        nextSendAtLocal: '2045-10-29T01:30:00.000+01:00',
      });
      expect(
        await skipToOccurrence(env, handle, { sendAt: '2045-10-29T00:30:00.000Z', occurrenceDate: '2045-10-29' }),
      ).toMatchObject({
        nextSendAt: '2046-10-29T01:30:00.000Z',
        nextSendAtLocal: '2046-10-29T01:30:00.000+00:00',
      });
      // The second 01:30 of the night (GMT) passes without a second send.
      await skipTo(env, '2045-10-29T01:31:00.000Z');
      expect(sent).toHaveLength(1);
    });
    expectSentAt(sent[0], '2045-10-29T00:30:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2045-10-29',
        scheduledFor: '2045-10-29T00:30:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  test('5 days before Jan 2 is Dec 28 of the previous year; a reminder created after that send waits for the next year', async () => {
    await skipTo(env, '2045-12-01T00:00:00Z');
    const options = {
      company: { timeZone: 'Europe/Berlin' },
      contact: { fields: { birthday: '--01-02' } },
      rule: { sendTime: '09:00', daysInAdvance: 5 },
    };
    const early = await createReminderFixture(db, options);
    expect(await calendarSays(early, 2)).toEqual(['2045-12-28T08:00:00.000Z', '2046-12-28T08:00:00.000Z']);

    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await worker.runUntil(async () => {
      const handle = await startReminder(env, early, taskQueue);
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2045-12-28T08:00:00.000Z',
        nextSendAtLocal: '2045-12-28T09:00:00.000+01:00',
        occurrenceDate: '2046-01-02',
      });
      expect(
        await skipToOccurrence(env, handle, { sendAt: '2045-12-28T08:00:00.000Z', occurrenceDate: '2046-01-02' }),
      ).toMatchObject({
        nextSendAt: '2046-12-28T08:00:00.000Z',
        occurrenceDate: '2047-01-02',
      });

      // Created on Dec 29, between the send and the event: this year's send is gone.
      await skipTo(env, '2045-12-29T00:00:00Z');
      const late = await createReminderFixture(db, options);
      const lateHandle = await startReminder(env, late, taskQueue);
      expect(await sleepingState(lateHandle)).toMatchObject({
        nextSendAt: '2046-12-28T08:00:00.000Z',
        occurrenceDate: '2047-01-02',
      });
    });
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2045-12-28T08:00:00.000Z');
    expect(sent[0]!.body).toBe('Birthday of Ada Lovelace on 2046-01-02');
    expect(await ledgerOf(early)).toEqual([
      {
        occurrenceDate: '2046-01-02',
        scheduledFor: '2045-12-28T08:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  test('a once rule 0 days in advance sends on the day, once, and the workflow ends', async () => {
    await skipTo(env, '2046-02-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      eventField: { key: 'contract_end', label: 'Contract end' },
      contact: { fields: { contract_end: '2046-03-15' } },
      rule: { sendTime: '10:00', daysInAdvance: 0, recurrence: 'once' },
    });
    expect(await calendarSays(fx, 3)).toEqual(['2046-03-15T10:00:00.000Z']);

    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(handle)).toMatchObject({
        nextSendAt: '2046-03-15T10:00:00.000Z',
        occurrenceDate: '2046-03-15',
      });
      const { runId } = await handle.describe();
      await skipTo(env, '2046-03-15T10:00:00.000Z');
      // The run that sent continues as new, and that run finds nothing left to send.
      expect(await nextRunState(handle, runId)).toEqual({
        phase: 'ended',
        endReason: 'once-rule-in-past',
        lastOutcome: { status: 'sent', occurrenceDate: '2046-03-15', channel: 'sms', providerMessageId: 'fake-1' },
      });
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    });
    expect(sent.map((m) => m.body)).toEqual(['Contract end of Ada Lovelace on 2046-03-15']);
    expectSentAt(sent[0], '2046-03-15T10:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-03-15',
        scheduledFor: '2046-03-15T10:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });
});

describe('outages, failures and restarts', () => {
  /** Starts the reminder with a worker that stops once it sleeps (planned for `sendAt`); no worker runs after. */
  async function sleepThenStopWorker(fx: ReminderFixture, sendAt: string) {
    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const workerA = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports), {
      maxCachedWorkflows: 0,
    });
    const { handle, runId } = await workerA.runUntil(async () => {
      const h = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(h)).toMatchObject({ nextSendAt: sendAt });
      return { handle: h, runId: (await h.describe()).runId };
    });
    return { ports, sent, taskQueue, handle, runId };
  }

  /**
   * Starts the reminder with worker A, stops A, lets the clock pass the send instant by
   * `lateByMs` with no worker (the timer fires, its task waits), then runs worker B.
   */
  async function fireLateAfterOutage(fx: ReminderFixture, sendAt: string, lateByMs: number) {
    const { ports, sent, taskQueue, handle, runId } = await sleepThenStopWorker(fx, sendAt);
    await skipThroughOutage(env, handle, Date.parse(sendAt) + lateByMs);
    expect(sent).toHaveLength(0);
    const workerB = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    const state = await workerB.runUntil(() => nextRunState(handle, runId));
    expect(state.lastOutcome?.occurrenceDate).toBe(sendAt.slice(0, 10));
    return { sent, state };
  }

  test('a timer fired 5 h late (grace 6 h, the default) still sends, with the planned instant in the ledger', async () => {
    await skipTo(env, '2046-04-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--04-10' } },
      rule: { sendTime: '09:00' },
    });
    expect((await db.company.findUniqueOrThrow({ where: { id: fx.companyId } })).lateGraceMinutes).toBe(360);

    const { sent, state } = await fireLateAfterOutage(fx, '2046-04-10T09:00:00.000Z', 5 * 3_600_000);
    expect(state).toMatchObject({
      lastOutcome: { status: 'sent', occurrenceDate: '2046-04-10' },
      nextSendAt: '2047-04-10T09:00:00.000Z',
    });
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2046-04-10T14:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-04-10',
        scheduledFor: '2046-04-10T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  test('a timer fired 7 h late (beyond the 6 h grace) is skipped as stale, with a feed entry, and nothing is sent', async () => {
    await skipTo(env, '2046-05-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--05-10' } },
      rule: { sendTime: '09:00' },
    });

    const { sent, state } = await fireLateAfterOutage(fx, '2046-05-10T09:00:00.000Z', 7 * 3_600_000);
    expect(state).toMatchObject({
      lastOutcome: { status: 'skipped', reason: 'stale', occurrenceDate: '2046-05-10' },
      nextSendAt: '2047-05-10T09:00:00.000Z',
    });
    expect(sent).toHaveLength(0);
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-05-10',
        scheduledFor: '2046-05-10T09:00:00.000Z',
        status: 'skipped',
        reason: 'stale',
        channel: null,
      },
    ]);
    const feed = await db.activityEntry.findMany({ where: { contactId: fx.contactId } });
    expect(feed.map((e) => ({ kind: e.kind, text: e.text }))).toEqual([
      { kind: 'notification.skipped', text: 'Reminder for 2046-05-10 skipped: stale' },
    ]);
  });

  test('a change signalled during the outage (timer already fired, 1 h late): the missed send still goes out within grace', async () => {
    await skipTo(env, '2046-05-11T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--05-20' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent, taskQueue, handle, runId } = await sleepThenStopWorker(fx, '2046-05-20T09:00:00.000Z');
    await skipThroughOutage(env, handle, '2046-05-20T10:00:00.000Z');
    // An edit that does not touch the schedule (the API signals every contact edit).
    await db.contact.update({ where: { id: fx.contactId }, data: { name: 'Ada King' } });
    await handle.signal(reminderChangedSignal);
    const workerB = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    const state = await workerB.runUntil(() => idleStateAfterSignal(handle));

    expect(state).toMatchObject({
      lastOutcome: { status: 'sent', occurrenceDate: '2046-05-20' },
      nextSendAt: '2047-05-20T09:00:00.000Z',
    });
    expect((await handle.describe()).runId).not.toBe(runId);
    expect(sent.map((m) => m.body)).toEqual(['Birthday of Ada King on 2046-05-20']);
    expectSentAt(sent[0], '2046-05-20T10:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-05-20',
        scheduledFor: '2046-05-20T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
  });

  /** The real activities, with the delivery activity run over its steps as `wrap` changes them. */
  function activitiesWithSteps(ports: DeliveryPorts, wrap: (steps: DeliverySteps) => DeliverySteps) {
    const steps = wrap(deliverySteps({ db, channels: sharedChannels(ports) }));
    return {
      ...reminderActivities(db, ports),
      deliverOccurrence: (input: DeliverOccurrenceInput) => orchestrate(steps, input),
    };
  }

  test('the delivery activity failing once after it did its work (completion lost): retried, one send, one ledger row, one feed entry', async () => {
    await skipTo(env, '2046-06-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--06-10' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent } = timedPorts(env);
    const real = reminderActivities(db, ports);
    let calls = 0;
    const activities = {
      ...real,
      async deliverOccurrence(input: DeliverOccurrenceInput) {
        const result = await real.deliverOccurrence(input);
        // The worker "loses" the completion of the first attempt: Temporal retries it.
        if (++calls === 1) throw new Error('simulated: worker lost after the delivery');
        return result;
      },
    };
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, activities);
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      await sleepingState(handle);
      const { runId } = await handle.describe();
      await skipTo(env, '2046-06-10T09:00:00.000Z');
      await waitFor(() => calls >= 1);
      await env.sleep(10_000); // the retry's 5 s backoff
      expect(await nextRunState(handle, runId)).toMatchObject({
        lastOutcome: { status: 'sent', channel: 'sms', occurrenceDate: '2046-06-10' },
      });
    });
    expect(calls).toBe(2);
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2046-06-10T09:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-06-10',
        scheduledFor: '2046-06-10T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
    expect(await db.activityEntry.count({ where: { contactId: fx.contactId } })).toBe(1);
  });

  test('the provider refuses once with "try later" (nothing sent): the claim is released and the retry sends once', async () => {
    await skipTo(env, '2046-06-11T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--06-20' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent } = timedPorts(env);
    let refusals = 0;
    const flaky: DeliveryPorts = {
      sms: {
        async sendSms(message) {
          if (++refusals === 1)
            throw new DeliveryError({ kind: 'transient', provider: 'twilio', message: 'simulated 503', status: 503 });
          return ports.sms!.sendSms(message);
        },
      },
    };
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, flaky));
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      await sleepingState(handle);
      const { runId } = await handle.describe();
      await skipTo(env, '2046-06-20T09:00:00.000Z');
      await waitFor(() => refusals >= 1);
      await env.sleep(10_000); // the retry's 5 s backoff
      expect(await nextRunState(handle, runId)).toMatchObject({
        lastOutcome: { status: 'sent', channel: 'sms', occurrenceDate: '2046-06-20' },
      });
    });
    expect(refusals).toBe(2);
    expect(sent).toHaveLength(1);
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-06-20',
        scheduledFor: '2046-06-20T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
    expect(await db.activityEntry.count({ where: { contactId: fx.contactId } })).toBe(1);
  });

  test('the ledger write after the provider accepted fails: no second send, the ledger records the uncertainty', async () => {
    await skipTo(env, '2046-06-21T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--06-30' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent } = timedPorts(env);
    // The database "goes away" right after the provider call: the first write of the answer fails.
    let failed = 0;
    const activities = activitiesWithSteps(ports, (steps) => ({
      ...steps,
      async record(...args: Parameters<DeliverySteps['record']>) {
        if (args[2].status === 'sent' && ++failed === 1) throw new Error('simulated: connection lost after the send');
        return steps.record(...args);
      },
    }));
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, activities);
    await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      await sleepingState(handle);
      const { runId } = await handle.describe();
      await skipTo(env, '2046-06-30T09:00:00.000Z');
      await waitFor(() => failed === 1);
      await env.sleep(10_000); // the retry's 5 s backoff
      expect(await nextRunState(handle, runId)).toMatchObject({
        lastOutcome: { status: 'failed', reason: 'interrupted-during-dispatch', occurrenceDate: '2046-06-30' },
        nextSendAt: '2047-06-30T09:00:00.000Z',
      });
    });
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2046-06-30T09:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-06-30',
        scheduledFor: '2046-06-30T09:00:00.000Z',
        status: 'failed',
        reason: 'interrupted-during-dispatch',
        channel: 'sms',
      },
    ]);
    const feed = await db.activityEntry.findMany({ where: { contactId: fx.contactId } });
    expect(feed.map((e) => e.text)).toEqual(['Reminder for 2046-06-30 failed via sms: interrupted-during-dispatch']);
  });

  test('a worker restarted mid-sleep still sends at the planned instant, once', async () => {
    await skipTo(env, '2046-07-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--07-20' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const workerA = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports), {
      maxCachedWorkflows: 0,
    });
    const handle = await workerA.runUntil(async () => {
      const h = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(h)).toMatchObject({ nextSendAt: '2046-07-20T09:00:00.000Z' });
      return h;
    });
    await skipTo(env, '2046-07-10T00:00:00Z');
    const workerB = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    await workerB.runUntil(async () => {
      expect(await sleepingState(handle)).toMatchObject({ nextSendAt: '2046-07-20T09:00:00.000Z' });
      expect(
        await skipToOccurrence(env, handle, { sendAt: '2046-07-20T09:00:00.000Z', occurrenceDate: '2046-07-20' }),
      ).toMatchObject({
        lastOutcome: { status: 'sent' },
        nextSendAt: '2047-07-20T09:00:00.000Z',
      });
    });
    expect(sent).toHaveLength(1);
    expectSentAt(sent[0], '2046-07-20T09:00:00.000Z');
    expect(await ledgerOf(fx)).toHaveLength(1);
  });
});

describe('try the last chat first', () => {
  async function chatFixture(birthday: string, lastInboundAt: string) {
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday } },
      rule: { sendTime: '09:00', tryLastChatFirst: true },
    });
    const chat = await db.chat.create({
      data: {
        companyId: fx.companyId,
        contactId: fx.contactId,
        channel: 'whatsapp',
        address: '+15005550006',
        lastInboundAt: new Date(lastInboundAt),
      },
    });
    const orders = await Promise.all(
      (['open', 'open', 'closed'] as const).map((status, i) =>
        db.workOrder.create({
          data: { companyId: fx.companyId, contactId: fx.contactId, title: `Order ${i}`, status },
        }),
      ),
    );
    return { fx, chat, orders };
  }

  async function runToSend(fx: ReminderFixture, sendAt: string) {
    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    const state = await worker.runUntil(async () => {
      const handle = await startReminder(env, fx, taskQueue);
      expect(await sleepingState(handle)).toMatchObject({ nextSendAt: sendAt });
      return skipToOccurrence(env, handle, { sendAt, occurrenceDate: sendAt.slice(0, 10) });
    });
    return { sent, state };
  }

  test('a WhatsApp chat with an inbound message 2 h before the send: sent in the chat, chat message and open work orders recorded', async () => {
    await skipTo(env, '2046-08-01T00:00:00Z');
    const { fx, chat, orders } = await chatFixture('--08-10', '2046-08-10T07:00:00.000Z');
    const { sent, state } = await runToSend(fx, '2046-08-10T09:00:00.000Z');

    expect(state.lastOutcome).toMatchObject({ status: 'sent', channel: 'whatsapp' });
    expect(sent.map(({ via, to, body }) => ({ via, to, body }))).toEqual([
      { via: 'whatsapp', to: '+15005550006', body: 'Birthday of Ada Lovelace on 2046-08-10' },
    ]);
    expectSentAt(sent[0], '2046-08-10T09:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-08-10',
        scheduledFor: '2046-08-10T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'whatsapp',
      },
    ]);
    const messages = await db.chatMessage.findMany({ where: { chatId: chat.id } });
    expect(
      messages.map((m) => ({ direction: m.direction, text: m.text, providerMessageId: m.providerMessageId })),
    ).toEqual([{ direction: 'outbound', text: 'Birthday of Ada Lovelace on 2046-08-10', providerMessageId: 'fake-1' }]);
    const contactFeed = await db.activityEntry.findMany({ where: { contactId: fx.contactId } });
    expect(contactFeed.map((e) => ({ kind: e.kind, channel: e.channel, chatId: e.chatId, text: e.text }))).toEqual([
      {
        kind: 'notification.sent',
        channel: 'whatsapp',
        chatId: chat.id,
        text: 'Reminder for 2046-08-10 sent via whatsapp: Birthday of Ada Lovelace on 2046-08-10',
      },
    ]);
    const orderFeed = await db.activityEntry.findMany({ where: { workOrderId: { in: orders.map((o) => o.id) } } });
    expect(orderFeed.map((e) => e.workOrderId).sort()).toEqual([orders[0]!.id, orders[1]!.id].sort());
    expect(orderFeed.every((e) => e.kind === 'notification.sent' && e.chatId === chat.id)).toBe(true);
  });

  test('the last inbound message 30 h before the send (window 24 h): falls back to SMS and the feed says why', async () => {
    await skipTo(env, '2046-08-11T00:00:00Z');
    const { fx, chat, orders } = await chatFixture('--08-20', '2046-08-19T03:00:00.000Z');
    const { sent, state } = await runToSend(fx, '2046-08-20T09:00:00.000Z');

    expect(state.lastOutcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(sent.map((m) => m.via)).toEqual(['sms']);
    expectSentAt(sent[0], '2046-08-20T09:00:00.000Z');
    expect(await ledgerOf(fx)).toEqual([
      {
        occurrenceDate: '2046-08-20',
        scheduledFor: '2046-08-20T09:00:00.000Z',
        status: 'sent',
        reason: null,
        channel: 'sms',
      },
    ]);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(0);
    const contactFeed = await db.activityEntry.findMany({ where: { contactId: fx.contactId } });
    expect(contactFeed.map((e) => e.text)).toEqual([
      'Reminder for 2046-08-20 sent via sms (chat not used: chat-window-closed): Birthday of Ada Lovelace on 2046-08-20',
    ]);
    expect(await db.activityEntry.count({ where: { workOrderId: { in: orders.map((o) => o.id) } } })).toBe(0);
  });
});

describe('history size', () => {
  const { EventType } = temporal.api.enums.v1;
  // Issue 8's bound: a timer, one delivery activity and a continue-as-new per occurrence.
  const MAX_EVENTS_PER_RUN = 25;

  test(`each occurrence runs in a fresh run (continue-as-new) of at most ${MAX_EVENTS_PER_RUN} history events`, async () => {
    await skipTo(env, '2046-09-01T00:00:00Z');
    const fx = await createReminderFixture(db, {
      contact: { fields: { birthday: '--09-15' } },
      rule: { sendTime: '09:00' },
    });
    const { ports, sent } = timedPorts(env);
    const taskQueue = uniqueTaskQueue();
    const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
    const runIds: string[] = [];
    const handle = await worker.runUntil(async () => {
      const h = await startReminder(env, fx, taskQueue);
      await sleepingState(h);
      runIds.push((await h.describe()).runId);
      for (const year of [2046, 2047, 2048]) {
        await skipToOccurrence(env, h, { sendAt: `${year}-09-15T09:00:00.000Z`, occurrenceDate: `${year}-09-15` });
        runIds.push((await h.describe()).runId);
      }
      return h;
    });
    expect(sent).toHaveLength(3);
    expect(runIds[0]).toBe(handle.firstExecutionRunId);
    expect(new Set(runIds).size).toBe(4);

    const perRun: { events: number; last: string }[] = [];
    for (const runId of runIds) {
      const events = (await env.client.workflow.getHandle(fx.workflowId, runId).fetchHistory()).events ?? [];
      perRun.push({ events: events.length, last: EventType[events.at(-1)!.eventType!] });
    }
    const completed = perRun.slice(0, 3);
    expect(completed.map((r) => r.last)).toEqual(Array(3).fill('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW'));
    // On failure the message shows the figures: the runs at or above the bound, then the largest.
    const eventsPerRun = perRun.map((r) => r.events);
    expect(eventsPerRun.filter((n) => n > MAX_EVENTS_PER_RUN)).toEqual([]);
    expect(Math.max(...eventsPerRun)).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);
  });
});
