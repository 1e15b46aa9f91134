// The raw baselines' workflows: the least a Temporal workflow can do for the same job as a
// reminder, so "project / raw" says how close the engine gets to the server's own speed.
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Wire name shared with the reminders: visibility detects both sides with the same query.
const NextSendAt = defineSearchAttributeKey('NextSendAt', SearchAttributeType.DATETIME);

const YEAR_MS = 365 * 86_400_000;

const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({
  // A no-op that only records its completion; a minute is far beyond any queueing it may see.
  startToCloseTimeout: '1 minute',
});

/** Fan-out baseline: one first task that records a plan (a Datetime search attribute) and starts
 * a long timer — what a sleeping reminder is at minimum. */
export async function benchSleeperWorkflow(): Promise<void> {
  upsertSearchAttributes([{ key: NextSendAt, value: new Date(Date.now() + YEAR_MS) }]);
  await sleep(YEAR_MS);
}

/** Storm baseline: sleep until the shared instant, then one no-op activity. */
export async function benchStormWorkflow(fireAtMs: number): Promise<void> {
  upsertSearchAttributes([{ key: NextSendAt, value: new Date(fireAtMs) }]);
  await sleep(Math.max(fireAtMs - Date.now(), 0));
  await benchNoop();
}
