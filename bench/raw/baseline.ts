// Raw Temporal baselines on the service's own Temporal server: a bare client starting workflows
// at a fixed concurrency, and a plain worker (SDK defaults) in this process running them. Each
// measurement gets a fresh worker and task queue, and a RuleId tag of its own for visibility.
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { sleep } from '../processes';
import { NAMESPACE } from '../stack';
import { RuleIdKey, sleepingQuery, watchCounts } from '../visibility';
import type { benchSleeperWorkflow, benchStormWorkflow } from './workflows';

export interface RawContext {
  client: Client;
  address: string;
  runTag: string;
  bundle: WorkflowBundleWithSourceMap;
}

/** Bundles the raw workflows once per harness run (webpack takes seconds). */
export async function rawContext(client: Client, address: string, runTag: string): Promise<RawContext> {
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietLogger });
  return { client, address, runTag, bundle };
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

export interface RawFanOut {
  concurrency: number;
  /** First start call → every workflow started (ms). */
  startedMs: number;
  /** First start call → every workflow sleeping with NextSendAt set, seen by visibility (ms). */
  sleepingMs?: number;
  timedOut: boolean;
}

export interface RawStorm {
  count: number;
  concurrency: number;
  /** Start of arming → all timers armed (visibility), and whether that was before the instant. */
  armedMs?: number;
  armedBeforeFire: boolean;
  /** The shared instant → last no-op activity ran (ms). */
  drainMs?: number;
  completed: number;
  timedOut: boolean;
}

/** Runs `start(i)` for i in [0, n) with `concurrency` calls in flight. */
async function startAll(n: number, concurrency: number, start: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) await start(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

async function withWorker<T>(
  ctx: RawContext,
  taskQueue: string,
  activities: Record<string, () => Promise<void>>,
  body: () => Promise<T>,
): Promise<T> {
  const connection = await NativeConnection.connect({ address: ctx.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: ctx.bundle,
      activities,
    });
    return await worker.runUntil(body);
  } finally {
    await connection.close();
  }
}

/** N sleeper workflows started at one concurrency; timed until visibility shows them all asleep. */
export async function rawFanOut(
  ctx: RawContext,
  n: number,
  concurrency: number,
  timeoutMs: number,
  label = `c${concurrency}`,
): Promise<RawFanOut> {
  const tag = `raw-fanout-${ctx.runTag}-${label}`;
  return withWorker(ctx, tag, { benchNoop: async () => undefined }, async () => {
    const t0 = Date.now();
    const starting = startAll(n, concurrency, (i) =>
      ctx.client.workflow.start<typeof benchSleeperWorkflow>('benchSleeperWorkflow', {
        workflowId: `${tag}-${i}`,
        taskQueue: tag,
        typedSearchAttributes: [{ key: RuleIdKey, value: tag }],
      }),
    ).then(() => Date.now());
    const [startedAt, watch] = await Promise.all([
      starting,
      watchCounts(ctx.client, [sleepingQuery({ ruleId: tag })], n, t0 + timeoutMs),
    ]);
    const sleepingAt = watch.reachedAt[0];
    return {
      concurrency,
      startedMs: startedAt - t0,
      sleepingMs: sleepingAt === undefined ? undefined : sleepingAt - t0,
      timedOut: watch.timedOut,
    };
  });
}

/**
 * M workflows whose timers fire at one instant, each then running one no-op activity; timed from
 * the instant until the last activity ran. `leadMs` must leave time to start and arm them all.
 */
export async function rawStorm(
  ctx: RawContext,
  m: number,
  concurrency: number,
  leadMs: number,
  drainTimeoutMs: number,
): Promise<RawStorm> {
  const tag = `raw-storm-${ctx.runTag}`;
  const completions: number[] = [];
  const activities = {
    async benchNoop() {
      completions.push(Date.now());
    },
  };
  return withWorker(ctx, tag, activities, async () => {
    const t0 = Date.now();
    const fireAt = Math.ceil((t0 + leadMs) / 1000) * 1000;
    const starting = startAll(m, concurrency, (i) =>
      ctx.client.workflow.start<typeof benchStormWorkflow>('benchStormWorkflow', {
        workflowId: `${tag}-${i}`,
        taskQueue: tag,
        args: [fireAt],
        typedSearchAttributes: [{ key: RuleIdKey, value: tag }],
      }),
    );
    const [, armed] = await Promise.all([
      starting,
      watchCounts(ctx.client, [sleepingQuery({ ruleId: tag })], m, fireAt),
    ]);
    const armedAt = armed.reachedAt[0];
    const deadline = fireAt + drainTimeoutMs;
    while (completions.length < m && Date.now() < deadline) await sleep(200);
    return {
      count: m,
      concurrency,
      armedMs: armedAt === undefined ? undefined : armedAt - t0,
      armedBeforeFire: armedAt !== undefined && armedAt <= fireAt,
      drainMs: completions.length >= m ? Math.max(...completions) - fireAt : undefined,
      completed: completions.length,
      timedOut: completions.length < m,
    };
  });
}
