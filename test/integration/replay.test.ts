// Determinism guard and upgrade path. Workflow histories recorded with earlier code must replay on
// the current code (live workflow changes go behind `patched()`); recorded histories live in
// test/fixtures/histories (protobuf): `reminder-v1-*` were written by the code before the engine
// rework (no patch marker), `reminder-v2-*` by the current one. RECORD_HISTORIES=1 refreshes the
// ones this file records. And a run started on the old code, asleep at the upgrade, must wake on
// the new code, send once, and continue as a run of the new code.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Db } from '../../src/db/client';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { REMINDER_V2_PATCH } from '../../src/workflows/reminder';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  createReminderFixture,
  createReminderWorker,
  ledgerRows,
  reminderActivities,
  skipTo,
  skipToOccurrence,
  sleepingState,
  startReminder,
  terminateStartedReminders,
  timedPorts,
  uniqueTaskQueue,
} from '../support/reminder-fixtures';
import { recordingPorts } from '../support/fake-ports';
import { bundleWorkflows, createTimeSkippingEnv } from '../support/temporal';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'histories');
const RECORD = process.env.RECORD_HISTORIES === '1';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let legacyBundle: WorkflowBundleWithSourceMap;
let testDb: TestDatabase;
let db: Db;
beforeAll(async () => {
  [env, bundle, legacyBundle, testDb] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflows(),
    bundleWorkflows(require.resolve('../fixtures/legacy-workflows')),
    createTestDatabase(),
  ]);
  db = testDb.db;
});
afterEach(terminateStartedReminders);
afterAll(async () => {
  await env?.teardown();
  await testDb?.close();
});

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

/** Patch ids recorded in a history (the SDK's `core_patch` markers). */
function patchesOf(history: History): string[] {
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED)
    .flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data!).toString()) as { id: string }).id);
}

function save(name: string, history: History): void {
  // Stored as protobuf binary (what the server returns), decoded with the SDK's own proto types.
  if (RECORD) writeFileSync(path.join(FIXTURES, name), temporal.api.history.v1.History.encode(history).finish());
}

test('a fresh reminder history (plan, sleep, signal, send, continue-as-new) replays on the current code and carries the reminder-v2 marker', async () => {
  const { sent, ports } = recordingPorts();
  await skipTo(env, '2041-01-01T00:00:00Z');
  const fx = await createReminderFixture(db, {
    company: { timeZone: 'Europe/Vienna' },
    contact: { fields: { birthday: '--03-15' } },
    rule: { sendTime: '08:00', daysInAdvance: 1 },
  });
  const taskQueue = uniqueTaskQueue();
  const worker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
  const history = await worker.runUntil(async () => {
    const handle = await startReminder(env, fx, taskQueue);
    const firstRunId = handle.firstExecutionRunId;
    const state = await sleepingState(handle);
    await db.notificationRule.update({ where: { id: fx.ruleId }, data: { sendTime: '08:30' } });
    await handle.signal('reminderChanged');
    await env.sleep(Date.parse(state.nextSendAt!) - (await env.currentTimeMs()) + 3_600_000);
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 50));
    await sleepingState(handle);
    return env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
  });
  expect(patchesOf(history)).toEqual([REMINDER_V2_PATCH]);
  await Worker.runReplayHistory({ workflowBundle: bundle }, history);
  save('reminder-v2-one-occurrence.history.pb', history);
});

test('a reminder started on the code before the rework and asleep at the upgrade: it replays, wakes on the new code, sends once and continues as a run of the new code', async () => {
  await skipTo(env, '2042-01-01T00:00:00Z');
  const fx = await createReminderFixture(db, {
    contact: { fields: { birthday: '--02-10' } },
    rule: { sendTime: '09:00' },
  });
  const { ports, sent } = timedPorts(env);
  const taskQueue = uniqueTaskQueue();
  // The old code starts it (its activities now map onto the new delivery: activities/legacy.ts).
  const oldWorker = await createReminderWorker(env, legacyBundle, taskQueue, reminderActivities(db, ports), {
    maxCachedWorkflows: 0,
  });
  const handle = await oldWorker.runUntil(async () => {
    const h = await startReminder(env, fx, taskQueue);
    expect(await sleepingState(h)).toMatchObject({ phase: 'sleeping', nextSendAt: '2042-02-10T09:00:00.000Z' });
    return h;
  });
  const asleep = await handle.fetchHistory();
  expect(patchesOf(asleep)).toEqual([]);
  await Worker.runReplayHistory({ workflowBundle: bundle }, asleep);
  save('reminder-v1-sleeping.history.pb', asleep);

  // The upgrade: only the new code runs from here on.
  const newWorker = await createReminderWorker(env, bundle, taskQueue, reminderActivities(db, ports));
  await newWorker.runUntil(async () => {
    const state = await skipToOccurrence(env, handle, {
      sendAt: '2042-02-10T09:00:00.000Z',
      occurrenceDate: '2042-02-10',
    });
    expect(state).toMatchObject({
      phase: 'sleeping',
      lastOutcome: { status: 'sent', channel: 'sms' },
      nextSendAt: '2043-02-10T09:00:00.000Z',
    });
    expect(patchesOf(await handle.fetchHistory())).toEqual([REMINDER_V2_PATCH]);
    expect(await handle.query(reminderStateQuery)).toMatchObject({ nextSendAt: '2043-02-10T09:00:00.000Z' });
  });
  expect(sent).toHaveLength(1);
  expect(await ledgerRows(db, fx)).toEqual([
    {
      occurrenceDate: '2042-02-10',
      scheduledFor: '2042-02-10T09:00:00.000Z',
      status: 'sent',
      reason: null,
      channel: 'sms',
    },
  ]);
});

test('every recorded history replays on the current code (histories of the old code and of the new)', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.history.pb'));
  const histories = files.map((file) => ({
    file,
    history: temporal.api.history.v1.History.decode(readFileSync(path.join(FIXTURES, file))),
  }));
  expect(histories.some((h) => h.file.startsWith('reminder-v1-') && patchesOf(h.history).length === 0)).toBe(true);
  expect(histories.some((h) => patchesOf(h.history).includes(REMINDER_V2_PATCH))).toBe(true);
  for (const { file, history } of histories) {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, file)).resolves.toBeUndefined();
  }
});
