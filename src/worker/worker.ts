// Builds and runs the reminder worker: the workflow bundle plus activities wired to their
// dependencies. Used by `npm run worker` alone and by `npm start` beside the API.
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createReminderActivities, type ActivityDeps } from '../activities';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { databaseChannelsFromConfig } from '../channels/directory';
import type { ChannelDirectory } from '../delivery/ports';
import { silentLogger, type Logger } from '../runtime/logger';
import { publicBaseUrl } from '../runtime/process';
import { connectTemporalClient } from '../runtime/temporal-connection';
import { ensureReconcilerSchedule } from '../scheduling/reconciler-schedule';
import { payloadDataConverter, type PayloadKeyRing } from '../security/payload-codec';
import { sendMetricsInterceptors } from './send-metrics';
import { workflowBundleFor } from './workflow-bundle';

export interface ReminderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** The workflow code (workflow-bundle.ts: prebuilt, cached, or bundled once per test file). */
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  /** Workflow runs kept in memory (WORKER_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows?: number;
  /** Payload encryption keys; without them payloads travel as plain JSON. */
  payloadKeys?: PayloadKeyRing;
  logger?: Logger;
}

export async function createReminderWorker(options: ReminderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    activities: createReminderActivities(options.deps),
    ...(options.payloadKeys ? { dataConverter: payloadDataConverter(options.payloadKeys) } : {}),
    interceptors: {
      // The runtime's meter: a no-op unless the process installed a metrics exporter.
      activity: [
        sendMetricsInterceptors({ meter: Runtime.instance().metricMeter, logger: options.logger ?? silentLogger }),
      ],
    },
  });
}

export interface RunningWorker {
  /** Drains in-flight tasks, then closes the worker's connections. */
  stop(): Promise<void>;
}

/** Connects to Temporal and runs the reminder worker of this configuration until stopped. */
export async function runReminderWorker(input: {
  config: Config;
  db: Db;
  temporalAddress: string;
  mailboxSecretKey?: Buffer;
  payloadKeys?: PayloadKeyRing;
  logger: Logger;
  /** Each company's senders; default: the companies' own connections, and the configuration's
   * senders for what a company did not connect. */
  channels?: ChannelDirectory;
}): Promise<RunningWorker> {
  const { config } = input;
  const connection = await NativeConnection.connect({ address: input.temporalAddress });
  // The fan-out activities start and signal reminders through an ordinary client (same codec).
  const temporal = await connectTemporalClient(
    input.temporalAddress,
    config.TEMPORAL_NAMESPACE,
    payloadDataConverter(input.payloadKeys),
  );
  const worker = await createReminderWorker({
    payloadKeys: input.payloadKeys,
    logger: input.logger,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundleFor({
      nodeEnv: config.NODE_ENV,
      prebuiltPath: config.WORKFLOW_BUNDLE_PATH,
      logger: input.logger,
    }),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    deps: {
      db: input.db,
      channels: input.channels ?? databaseChannelsFromConfig(config, input.db, input.mailboxSecretKey),
      publicBaseUrl: publicBaseUrl(config),
      mailboxSecretKey: input.mailboxSecretKey,
      temporal: { client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE },
      startConcurrency: config.FAN_OUT_CONCURRENCY,
    },
  });
  await ensureReconcilerSchedule({
    client: temporal.client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    intervalMinutes: config.RECONCILE_INTERVAL_MINUTES,
    logger: input.logger,
  });
  const running = worker.run();
  return {
    async stop() {
      // The SDK also drains on SIGINT/SIGTERM by itself; ask only if it has not started to.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
      await temporal.close();
    },
  };
}
