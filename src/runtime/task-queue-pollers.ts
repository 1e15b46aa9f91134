// Which workers serve the task queue, for /health: Temporal's describeTaskQueue lists the recent
// pollers of the workflow and the activity queue (identity + last access time).
import type { Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

const { TaskQueueType } = temporal.api.enums.v1;

/**
 * A poller counts as live if it polled this recently. Temporal keeps a dead worker in the list for
 * minutes (the poller history TTL), so the list alone says nothing; an idle live worker re-polls
 * at least every long-poll interval (about a minute), hence the margin above that.
 */
export const LIVE_POLLER_WINDOW_MS = 90_000;

export interface PollerReport {
  identity: string;
  /** The newest poll of this identity on either queue (ISO 8601). */
  lastAccessTime: string;
  live: boolean;
  taskQueueTypes: Array<'workflow' | 'activity'>;
}

export interface WorkersReport {
  /** Some live worker polls both the workflow and the activity queue. */
  ok: boolean;
  pollers: PollerReport[];
}

type PollerInfo = temporal.api.taskqueue.v1.IPollerInfo;

export async function describeWorkerPollers(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  now: () => number = Date.now,
): Promise<WorkersReport> {
  const describe = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
    (await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }))
      .pollers ?? [];
  const [workflow, activity] = await Promise.all([
    describe(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return summarizePollers({ workflow, activity }, now());
}

/** One entry per worker identity, newest first; `ok` once both queues have a live poller. */
export function summarizePollers(
  queues: { workflow: PollerInfo[]; activity: PollerInfo[] },
  nowMs: number,
): WorkersReport {
  const byIdentity = new Map<string, { lastAccessMs: number; types: Set<'workflow' | 'activity'> }>();
  const liveTypes = new Set<'workflow' | 'activity'>();
  for (const type of ['workflow', 'activity'] as const) {
    for (const poller of queues[type]) {
      const identity = poller.identity ?? '';
      const lastAccessMs = optionalTsToMs(poller.lastAccessTime) ?? 0;
      if (nowMs - lastAccessMs <= LIVE_POLLER_WINDOW_MS) liveTypes.add(type);
      const entry = byIdentity.get(identity) ?? { lastAccessMs, types: new Set() };
      entry.lastAccessMs = Math.max(entry.lastAccessMs, lastAccessMs);
      entry.types.add(type);
      byIdentity.set(identity, entry);
    }
  }
  const pollers = [...byIdentity.entries()]
    .sort(([, a], [, b]) => b.lastAccessMs - a.lastAccessMs)
    .map(([identity, { lastAccessMs, types }]) => ({
      identity,
      lastAccessTime: new Date(lastAccessMs).toISOString(),
      live: nowMs - lastAccessMs <= LIVE_POLLER_WINDOW_MS,
      taskQueueTypes: (['workflow', 'activity'] as const).filter((t) => types.has(t)),
    }));
  return { ok: liveTypes.has('workflow') && liveTypes.has('activity'), pollers };
}
