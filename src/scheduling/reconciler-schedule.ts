// The Temporal Schedule that runs the periodic reconciler (workflow type `reconcileAllWorkflow`).
// Created idempotently at every worker start with the configured interval; an existing schedule is
// updated to it, and an interval of 0 deletes it.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from '../runtime/logger';
import type { ReconcileAllWorkflow } from '../shared/fan-out-contract';
import { RECONCILE_ALL_WORKFLOW_TYPE, RECONCILER_SCHEDULE_ID } from '../shared/ids';

export async function ensureReconcilerSchedule(options: {
  client: Client;
  taskQueue: string;
  intervalMinutes: number;
  logger: Logger;
}): Promise<void> {
  const { client, intervalMinutes, logger } = options;
  const handle = client.schedule.getHandle(RECONCILER_SCHEDULE_ID);
  if (intervalMinutes === 0) {
    try {
      await handle.delete();
      logger.info('periodic reconciler turned off (schedule deleted)', { scheduleId: RECONCILER_SCHEDULE_ID });
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    return;
  }
  const spec = { intervals: [{ every: `${intervalMinutes}m` as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: RECONCILE_ALL_WORKFLOW_TYPE,
    workflowId: RECONCILER_SCHEDULE_ID,
    taskQueue: options.taskQueue,
    args: [{}] as Parameters<ReconcileAllWorkflow>,
  };
  try {
    await client.schedule.create({
      scheduleId: RECONCILER_SCHEDULE_ID,
      spec,
      action,
      // A reconcile still running when the next is due: skip the next, never run two at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    logger.info('periodic reconciler scheduled', { scheduleId: RECONCILER_SCHEDULE_ID, everyMinutes: intervalMinutes });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    // Another worker (or an earlier start) created it: make it match this configuration.
    await handle.update((previous) => ({ ...previous, spec, action }));
  }
}
