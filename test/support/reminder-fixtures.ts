// Shared pieces of the reminder workflow tests on Temporal's time-skipping server: a company with
// a contact and a rule in the database, a worker on its own task queue, in-memory provider ports
// that note the (skipped) server time of every send, and helpers that move the server clock to an
// exact instant and wait for the workflow to reach a state.
import { randomUUID } from 'node:crypto';
import { WorkflowClient, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createReminderActivities, type DeliveryPorts, type ReminderActivities } from '../../src/activities';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { sharedChannels } from '../../src/delivery/ports';
import type { Db } from '../../src/db/client';
import { reminderWorkflowId } from '../../src/shared/ids';
import type { ReminderKey, ReminderState } from '../../src/shared/reminder-contract';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { reminderWorkflow } from '../../src/workflows';
import { createTestDatabase, type TestDatabase } from './database';
import { recordingPorts, type SentMessage } from './fake-ports';
import { bundleWorkflows, createTimeSkippingEnv } from './temporal';

export type ReminderHandle = WorkflowHandleWithFirstExecutionRunId<typeof reminderWorkflow>;

export interface ReminderFixtureOptions {
  company?: { timeZone?: string; leapDayPolicy?: 'feb28' | 'mar1'; lateGraceMinutes?: number };
  contact?: {
    name?: string;
    role?: 'client' | 'employee';
    phone?: string | null;
    smsConsent?: boolean;
    /** Form values, keyed by field key (the event date goes here). */
    fields: Record<string, string>;
  };
  /** The date field the rule is about; default the system Birthday field. */
  eventField?: { key: string; label: string };
  rule: {
    sendTime: string;
    daysInAdvance?: number;
    recurrence?: 'yearly' | 'once';
    tryLastChatFirst?: boolean;
    bodyTemplate?: string;
  };
}

export interface ReminderFixture {
  key: ReminderKey;
  workflowId: string;
  companyId: string;
  ruleId: string;
  contactId: string;
}

/** A company (UTC, feb28 unless told) with one person contact (SMS consent, phone) and one SMS rule. */
export async function createReminderFixture(db: Db, options: ReminderFixtureOptions): Promise<ReminderFixture> {
  const { company } = await createCompanyWithAdmin(db, {
    name: `Co ${randomUUID()}`,
    timeZone: options.company?.timeZone ?? 'UTC',
  });
  if (options.company?.leapDayPolicy || options.company?.lateGraceMinutes !== undefined) {
    await db.company.update({
      where: { id: company.id },
      data: { leapDayPolicy: options.company.leapDayPolicy, lateGraceMinutes: options.company.lateGraceMinutes },
    });
  }
  const field = options.eventField
    ? await db.contactField.create({
        data: {
          companyId: company.id,
          kind: 'person',
          key: options.eventField.key,
          label: options.eventField.label,
          type: 'date',
        },
      })
    : await db.contactField.findFirstOrThrow({ where: { companyId: company.id, kind: 'person', key: 'birthday' } });
  const contact = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      role: options.contact?.role ?? 'client',
      name: options.contact?.name ?? 'Ada Lovelace',
      phone: options.contact?.phone === undefined ? '+15005550006' : options.contact.phone,
      smsConsent: options.contact?.smsConsent ?? true,
      fields: options.contact?.fields ?? {},
    },
  });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Reminder rule',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'sms',
      recurrence: options.rule.recurrence ?? 'yearly',
      tryLastChatFirst: options.rule.tryLastChatFirst ?? false,
      sendTime: options.rule.sendTime,
      daysInAdvance: options.rule.daysInAdvance ?? 0,
      bodyTemplate: options.rule.bodyTemplate ?? '{{eventLabel}} of {{contactName}} on {{eventDate}}',
    },
  });
  const key = { companyId: company.id, ruleId: rule.id, contactId: contact.id };
  return { key, workflowId: reminderWorkflowId(rule.id, contact.id), ...key };
}

/** The ledger of one reminder, oldest occurrence first, as the fields the tests compare. */
export async function ledgerRows(db: Db, fixture: ReminderFixture) {
  const rows = await db.notification.findMany({
    where: { ruleId: fixture.ruleId, contactId: fixture.contactId },
    orderBy: { occurrenceDate: 'asc' },
  });
  return rows.map((r) => ({
    occurrenceDate: r.occurrenceDate,
    scheduledFor: r.scheduledFor.toISOString(),
    status: r.status,
    reason: r.reason,
    channel: r.channel,
  }));
}

/** A message the fake ports accepted, with the test server's (skipped) time of the send. */
export interface TimedSentMessage extends SentMessage {
  at: number;
}

/** recordingPorts whose every send also notes `env.currentTimeMs()` at the moment of the call. */
export function timedPorts(env: TestWorkflowEnvironment): { ports: DeliveryPorts; sent: TimedSentMessage[] } {
  const { ports, sent } = recordingPorts();
  const timed = sent as TimedSentMessage[];
  const stamp = async <T>(send: Promise<T>): Promise<T> => {
    const result = await send;
    timed[timed.length - 1]!.at = await env.currentTimeMs();
    return result;
  };
  return {
    sent: timed,
    ports: {
      sms: { sendSms: (m) => stamp(ports.sms!.sendSms(m)) },
      whatsapp: { sendWhatsApp: (m) => stamp(ports.whatsapp!.sendWhatsApp(m)) },
      instagram: { sendInstagram: (m) => stamp(ports.instagram!.sendInstagram(m)) },
      email: { sendEmail: (m) => stamp(ports.email!.sendEmail(m)) },
    },
  };
}

/** Real activities on the test database with the given ports. */
export function reminderActivities(db: Db, ports: DeliveryPorts): ReminderActivities {
  return createReminderActivities({ db, channels: sharedChannels(ports) });
}

/** A task queue of its own per test, so a workflow left over by one test never runs in another. */
export function uniqueTaskQueue(): string {
  return `reminders-test-${randomUUID()}`;
}

export function createReminderWorker(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  taskQueue: string,
  activities: object,
  options: Pick<WorkerOptions, 'maxCachedWorkflows'> = {},
): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, ...options });
}

const started: ReminderHandle[] = [];

/** Starts the reminder of a fixture; terminateStartedReminders() ends it after the test. */
export async function startReminder(
  env: TestWorkflowEnvironment,
  fixture: ReminderFixture,
  taskQueue: string,
): Promise<ReminderHandle> {
  const handle = await env.client.workflow.start(reminderWorkflow, {
    taskQueue,
    workflowId: fixture.workflowId,
    args: [fixture.key],
  });
  started.push(handle);
  return handle;
}

/**
 * For afterEach: terminates every reminder a test started that still runs. A workflow left
 * sleeping would fire its timer during a later test's time skip, on a task queue nobody polls any
 * more, and the test server stops skipping time while a workflow task waits for a worker.
 */
export async function terminateStartedReminders(): Promise<void> {
  const handles = started.splice(0);
  await Promise.all(handles.map((h) => h.terminate('test finished').catch(() => undefined)));
}

export interface TimeSkippingSuite {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  testDb: TestDatabase;
}

/**
 * The hooks of a workflow test file: one time-skipping server, workflow bundle and database for the
 * whole file, handed to `ready` once they run; reminders a test started are terminated after it.
 */
export function useTimeSkippingSuite(ready: (suite: TimeSkippingSuite) => void): void {
  let suite: TimeSkippingSuite | undefined;
  beforeAll(async () => {
    const [env, bundle, testDb] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows(), createTestDatabase()]);
    suite = { env, bundle, testDb };
    ready(suite);
  });
  afterEach(terminateStartedReminders);
  afterAll(async () => {
    await suite?.env.teardown();
    await suite?.testDb.close();
  });
}

/**
 * Moves the test server's clock to `instant` (ISO string or epoch ms). Time only moves forward and
 * is shared by every test of a file, so the tests of a file use increasing instants.
 */
export async function skipTo(env: TestWorkflowEnvironment, instant: string | number): Promise<void> {
  const target = typeof instant === 'string' ? Date.parse(instant) : instant;
  const now = await env.currentTimeMs();
  if (target < now) {
    throw new Error(
      `the test server's clock (${new Date(now).toISOString()}) is already past ${new Date(target).toISOString()}`,
    );
  }
  if (target > now) await env.sleep(target - now);
}

const { EventType } = temporal.api.enums.v1;

/**
 * Moves the clock to `instant` through a worker outage: no worker polls the reminder's task queue,
 * its timer fires on time and its workflow task waits, so the next worker runs it late.
 *
 * The test server holds a time-skipping lock for every scheduled workflow task (a task nobody
 * polls would otherwise let time run away). So once the timer fired and its task waits, we release
 * one lock by hand, and take one back when the clock arrived: the next worker completing that task
 * releases the server's own lock, which leaves the count as before.
 *
 * (If a long poll the stopped worker abandoned takes the task, it times out after 10 s and is
 * scheduled again: still one lock for it.)
 *
 * The stopped worker must have been created with `maxCachedWorkflows: 0`: the test server keeps
 * handing a workflow's tasks to the sticky queue of the worker that last ran it, and never falls
 * back to the normal queue when that worker is gone.
 */
export async function skipThroughOutage(
  env: TestWorkflowEnvironment,
  handle: ReminderHandle,
  instant: string | number,
): Promise<void> {
  const target = typeof instant === 'string' ? Date.parse(instant) : instant;
  const testService = env.connection.testService;
  if (!testService) throw new Error('skipThroughOutage needs the time-skipping test server');
  let arrived = false;
  const sleeping = skipTo(env, target).then(() => {
    arrived = true;
  });
  // The timer fired and its workflow task waits (possibly "started" by an abandoned long poll).
  const waiting = new Set([
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  ]);
  let types: (number | null | undefined)[] = [];
  await waitFor(
    async () => {
      if (arrived) throw new Error(`the reminder's timer did not fire before ${new Date(target).toISOString()}`);
      types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
      const after = types.slice(types.lastIndexOf(EventType.EVENT_TYPE_TIMER_FIRED) + 1);
      return (
        types.includes(EventType.EVENT_TYPE_TIMER_FIRED) &&
        after.length > 0 &&
        after.every((t) => waiting.has(t as number))
      );
    },
    20_000,
    'timer fired during the outage',
  ).catch((error: Error) => {
    throw new Error(`${error.message}; history event types: ${types.map((t) => EventType[t as number]).join(', ')}`);
  });
  await testService.unlockTimeSkipping({});
  await sleeping;
  await testService.lockTimeSkipping({});
}

/** Polls `predicate` (sync or async) until it holds. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Moves the clock to the send instant and returns the state once the workflow handled that
 * occurrence (see nextRunState).
 */
export async function skipToOccurrence(
  env: TestWorkflowEnvironment,
  handle: ReminderHandle,
  occurrence: { sendAt: string; occurrenceDate: string },
): Promise<ReminderState> {
  const { runId } = await handle.describe();
  await skipTo(env, occurrence.sendAt);
  const state = await nextRunState(handle, runId);
  expect(state.lastOutcome?.occurrenceDate).toBe(occurrence.occurrenceDate);
  return state;
}

/**
 * Waits (real time; the clock is not skipped) until the run `previousRunId` continued as new and
 * the new run sleeps on its timer (or the workflow closed), then returns the state.
 *
 * These helpers watch describe and the history, and query only a run that sleeps: a query that
 * reaches a run in the moment it continues-as-new is never answered, and the test server keeps
 * that query's time-skipping lock for ever, so every later skip would run at wall-clock speed.
 * Queries while activities run are also answered with extra workflow tasks in the history.
 */
export function nextRunState(handle: ReminderHandle, previousRunId: string): Promise<ReminderState> {
  return settledState(handle, previousRunId);
}

/** The state once the current run sleeps on its timer (or the workflow closed). */
export function sleepingState(handle: ReminderHandle): Promise<ReminderState> {
  return settledState(handle, undefined);
}

/**
 * The state once the reminder is idle again after a signal: its latest run sleeps on a timer
 * started after the run's last signal (a re-plan, or a new run), or the workflow closed.
 */
export async function idleStateAfterSignal(handle: ReminderHandle): Promise<ReminderState> {
  let closed = false;
  let runId = '';
  await waitFor(
    async () => {
      const description = await handle.describe();
      runId = description.runId;
      if (description.status.name !== 'RUNNING') return (closed = true);
      const events = (await handle.client.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
      const types = events.map((e) => e.eventType);
      return (
        types.at(-1) === EventType.EVENT_TYPE_TIMER_STARTED &&
        types.lastIndexOf(EventType.EVENT_TYPE_TIMER_STARTED) >
          types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
      );
    },
    20_000,
    'the reminder to be idle after the signal',
  );
  if (closed) return plainResult(handle);
  return handle.client.getHandle<typeof reminderWorkflow>(handle.workflowId, runId).query(reminderStateQuery);
}

async function settledState(
  handle: ReminderHandle,
  previousRunId: string | undefined,
  timeoutMs = 20_000,
): Promise<ReminderState> {
  let closed = false;
  let runId = '';
  await waitFor(
    async () => {
      const description = await handle.describe();
      runId = description.runId;
      if (runId === previousRunId) return false;
      if (description.status.name !== 'RUNNING') return (closed = true);
      const events = (await handle.client.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
      return events.at(-1)?.eventType === EventType.EVENT_TYPE_TIMER_STARTED;
    },
    timeoutMs,
    previousRunId ? `the run after ${previousRunId} to sleep or close` : 'the reminder to sleep or close',
  );
  if (closed) return plainResult(handle);
  return handle.client.getHandle<typeof reminderWorkflow>(handle.workflowId, runId).query(reminderStateQuery);
}

/**
 * The result of a closed workflow. Not handle.result(): the time-skipping client unlocks time
 * skipping around every result call, and even for a closed workflow the clock can run to some
 * far timer in that moment.
 */
function plainResult(handle: ReminderHandle): Promise<ReminderState> {
  return new WorkflowClient({
    connection: handle.client.connection,
    namespace: handle.client.options.namespace,
  }).result(handle.workflowId);
}

/**
 * The test server's time of a send is in the minute of `instant` (send instants are whole
 * minutes; the timer fires a few milliseconds after its instant).
 */
export function expectSentAt(message: TimedSentMessage | undefined, instant: string): void {
  expect(message).toBeDefined();
  expect(new Date(message!.at).toISOString().slice(0, 16)).toBe(new Date(instant).toISOString().slice(0, 16));
}

/** Gives in-flight tasks a moment (real time) to run before asserting that nothing happened. */
export function settle(ms = 300): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
