// Worker RSS at a given number of sleeping reminders: read from /proc once the process has been
// left alone for a while (after a fan-out the worker still holds garbage and in-flight buffers),
// as the median of a few samples, beside visibility's count of the company's sleeping reminders.
import type { Client } from '@temporalio/client';
import { sleep } from './processes';
import type { Stack } from './stack';
import { countOf, sleepingQuery } from './visibility';

export interface RssSample {
  label: string;
  /** The company's reminders running with a plan when sampled. */
  sleeping: number;
  rssMb?: number;
  samplesMb: number[];
}

const SETTLE_MS = 10_000;
const SAMPLES = 5;
const SAMPLE_GAP_MS = 1_000;

export async function sampleRss(stack: Stack, client: Client, companyId: string, label: string): Promise<RssSample> {
  await sleep(SETTLE_MS);
  const samplesMb: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const rss = stack.workerRss();
    if (rss !== undefined) samplesMb.push(Math.round((rss / 1024 / 1024) * 10) / 10);
    await sleep(SAMPLE_GAP_MS);
  }
  const sorted = [...samplesMb].sort((a, b) => a - b);
  return {
    label,
    sleeping: await countOf(client, sleepingQuery({ companyId })),
    rssMb: sorted[Math.floor(sorted.length / 2)],
    samplesMb,
  };
}
