// Temporal's dev server (real visibility queries) with a reminder worker on a task queue of its
// own and a fresh database: what the fan-out, reconciler and outbox tests run against.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createReminderActivities } from '../../src/activities';
import { sharedChannels } from '../../src/delivery/ports';
import { createTestDatabase, type TestDatabase } from './database';
import { recordingPorts, type SentMessage } from './fake-ports';
import { bundleWorkflows, createDevServerEnv } from './temporal';

export interface DevServerWorker {
  env: TestWorkflowEnvironment;
  testDb: TestDatabase;
  taskQueue: string;
  /** What the worker's recording ports were asked to send. */
  sent: SentMessage[];
  /** Running reminders (or any workflow) matching a visibility query. */
  countRunning(query: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startDevServerWorker(name: string): Promise<DevServerWorker> {
  const taskQueue = `${name}-${randomUUID()}`;
  const [env, bundle, testDb] = await Promise.all([createDevServerEnv(), bundleWorkflows(), createTestDatabase()]);
  const { ports, sent } = recordingPorts();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createReminderActivities({
      db: testDb.db,
      channels: sharedChannels(ports),
      temporal: { client: env.client, taskQueue },
    }),
  });
  const running = worker.run();
  return {
    env,
    testDb,
    taskQueue,
    sent,
    async countRunning(query) {
      return (await env.client.workflow.count(`${query} AND ExecutionStatus = "Running"`)).count;
    },
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      await testDb.close();
    },
  };
}
