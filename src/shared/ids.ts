// Wire names shared by the API, the worker and the workflows. Changing any of these strands
// running workflows, so they are versioned by hand, never renamed casually.

/** Workflow ID of the reminder for one (rule, contact) pair: stable, so starts are idempotent. */
export function reminderWorkflowId(ruleId: string, contactId: string): string {
  return `reminder:${ruleId}:${contactId}`;
}

/** Workflow ID of the fan-out that starts/cancels every reminder of one rule. */
export function ruleFanOutWorkflowId(ruleId: string): string {
  return `rule-fanout:${ruleId}`;
}

/** Workflow type names (the exported function names in src/workflows). */
export const REMINDER_WORKFLOW_TYPE = 'reminderWorkflow';
export const RULE_FAN_OUT_WORKFLOW_TYPE = 'ruleFanOutWorkflow';
export const RECONCILE_ALL_WORKFLOW_TYPE = 'reconcileAllWorkflow';

/** Id of the Temporal Schedule that runs the periodic reconciler, and of its workflow runs. */
export const RECONCILER_SCHEDULE_ID = 'reminders-reconciler';
