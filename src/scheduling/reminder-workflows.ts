// Client-side operations on reminder workflows, shared by the API (single contacts) and the
// fan-out activities (whole rules). Starts are idempotent because the workflow ID is the
// (rule, contact) business key.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CompanyIdAttr, ContactIdAttr, RuleIdAttr } from '../shared/search-attributes';
import { reminderChangedSignal, type ReminderKey, type ReminderWorkflow } from '../shared/reminder-contract';
import { REMINDER_WORKFLOW_TYPE, reminderWorkflowId } from '../shared/ids';

export interface ReminderTarget {
  client: Client;
  taskQueue: string;
}

/** Starts the reminder if it is not running, and in any case makes it re-plan now. */
export async function startOrReplanReminder(target: ReminderTarget, key: ReminderKey, summary: string): Promise<void> {
  await target.client.workflow.signalWithStart<ReminderWorkflow>(REMINDER_WORKFLOW_TYPE, {
    workflowId: reminderWorkflowId(key.ruleId, key.contactId),
    taskQueue: target.taskQueue,
    args: [key],
    signal: reminderChangedSignal,
    signalArgs: [],
    typedSearchAttributes: [
      { key: CompanyIdAttr, value: key.companyId },
      { key: RuleIdAttr, value: key.ruleId },
      { key: ContactIdAttr, value: key.contactId },
    ],
    staticSummary: summary,
  });
}

/** Asks a running reminder to re-plan (it ends itself if it no longer applies). */
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
