// Client-side operations on reminder workflows, shared by the scheduler (single contacts), the
// fan-out and the reconciler (whole rules). Starts are idempotent because the workflow ID is the
// (rule, contact) business key.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { CompanyIdAttr, ContactIdAttr, NextSendAtAttr, RuleIdAttr } from '../shared/search-attributes';
import {
  reminderChangedSignal,
  type ReminderKey,
  type ReminderPlan,
  type ReminderWorkflow,
} from '../shared/reminder-contract';
import { REMINDER_WORKFLOW_TYPE, reminderWorkflowId } from '../shared/ids';

export interface ReminderTarget {
  client: Client;
  taskQueue: string;
}

export type ActivePlan = Extract<ReminderPlan, { active: true }>;

/**
 * Arms the reminder of an eligible pair: starts it with its plan and NextSendAt already set (one
 * call, no planning activity in the new run). Already running → it is asked to re-read its plan.
 * Returns what it did.
 */
export async function startOrReplan(
  target: ReminderTarget,
  key: ReminderKey,
  plan: ActivePlan,
  nextSendAt: Date,
): Promise<'started' | 'replanned'> {
  // Start → already running → signal → it ended meanwhile → start again: two rounds settle it.
  for (let round = 0; ; round++) {
    try {
      await target.client.workflow.start<ReminderWorkflow>(REMINDER_WORKFLOW_TYPE, {
        workflowId: reminderWorkflowId(key.ruleId, key.contactId),
        taskQueue: target.taskQueue,
        args: [{ ...key, plan }],
        // A running reminder is never replaced (it may be delivering); it re-reads its plan instead.
        workflowIdConflictPolicy: 'FAIL',
        // A reminder that ended (rule disabled, date removed) may start again for the same pair.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: CompanyIdAttr, value: key.companyId },
          { key: RuleIdAttr, value: key.ruleId },
          { key: ContactIdAttr, value: key.contactId },
          { key: NextSendAtAttr, value: nextSendAt },
        ],
        staticSummary: plan.description,
      });
      return 'started';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    if (await replanIfRunning(target, key)) return 'replanned';
    if (round >= 1)
      throw new Error(`reminder ${reminderWorkflowId(key.ruleId, key.contactId)} keeps starting and ending`);
  }
}

/** Asks a running reminder to re-read its plan (it ends itself if it no longer applies). */
export async function replanIfRunning(
  target: ReminderTarget,
  key: Pick<ReminderKey, 'ruleId' | 'contactId'>,
): Promise<boolean> {
  try {
    await target.client.workflow.getHandle(reminderWorkflowId(key.ruleId, key.contactId)).signal(reminderChangedSignal);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** A running reminder as visibility lists it. */
export interface RunningReminder {
  ruleId: string;
  contactId: string;
  /** Its NextSendAt search attribute (ms), when set. */
  nextSendAt?: number;
}

/** Running reminders matching a visibility query (the reminders' own search attributes). */
export async function* runningReminders(client: Client, where?: string): AsyncGenerator<RunningReminder> {
  const query = `WorkflowType = "${REMINDER_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"${where ? ` AND ${where}` : ''}`;
  for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
    const reminder = asRunningReminder(info);
    if (reminder) yield reminder;
  }
}

function asRunningReminder(info: WorkflowExecutionInfo): RunningReminder | null {
  const ruleId = info.typedSearchAttributes.get(RuleIdAttr);
  const contactId = info.typedSearchAttributes.get(ContactIdAttr);
  if (!ruleId || !contactId) return null;
  const next = info.typedSearchAttributes.get(NextSendAtAttr);
  return { ruleId, contactId, ...(next ? { nextSendAt: next.getTime() } : {}) };
}

/** A visibility query literal: ids are UUIDs, but quote-safe anyway. */
export function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
