// Builds the reminder worker: the workflow bundle plus activities wired to their dependencies.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createReminderActivities, type ActivityDeps } from '../activities';

export interface ReminderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); otherwise the worker bundles src/workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createReminderWorker(options: ReminderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createReminderActivities(options.deps),
  });
}
