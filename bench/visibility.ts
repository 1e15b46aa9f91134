// How the harness sees reminders: Temporal visibility counts on the project's search attributes.
// A reminder "sleeps with its plan" once it runs with NextSendAt set; the raw baselines upsert the
// same attribute and carry a RuleId of their own, so both sides are detected by the same query.
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { sleep } from './processes';

// Wire names of the search attributes every reminder workflow carries (README, Operations).
export const RuleIdKey = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const NextSendAtKey = defineSearchAttributeKey('NextSendAt', SearchAttributeType.DATETIME);

/** Running executions with a plan, of one rule (or raw tag) or of one company. */
export function sleepingQuery(filter: { ruleId: string } | { companyId: string }): string {
  const scope = 'ruleId' in filter ? `RuleId = "${filter.ruleId}"` : `CompanyId = "${filter.companyId}"`;
  return `${scope} AND NextSendAt IS NOT NULL AND ExecutionStatus = "Running"`;
}

/** Every execution (any status, any run) of one rule: how many reminders were started so far. */
export function startedQuery(ruleId: string): string {
  return `RuleId = "${ruleId}"`;
}

export async function countOf(client: Client, query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
}

// Half a second: fine enough for phases lasting tens of seconds, light enough on the server.
export const POLL_MS = 500;

export interface CountWatch {
  /** When each query first reached the target (ms since epoch), in the order given. */
  reachedAt: Array<number | undefined>;
  /** The counts at the last poll. */
  last: number[];
  timedOut: boolean;
}

/**
 * Polls the queries every POLL_MS until each reached `target` or `deadline` (ms since epoch)
 * passed. The time of reaching is the poll that saw it (resolution POLL_MS).
 */
export async function watchCounts(
  client: Client,
  queries: string[],
  target: number,
  deadline: number,
  onPoll?: (counts: number[]) => void,
): Promise<CountWatch> {
  const reachedAt: Array<number | undefined> = queries.map(() => undefined);
  let last = queries.map(() => 0);
  for (;;) {
    const pending = queries.map((_, i) => i).filter((i) => reachedAt[i] === undefined);
    const counts = await Promise.all(pending.map((i) => countOf(client, queries[i]!)));
    const now = Date.now();
    pending.forEach((i, k) => {
      last[i] = counts[k]!;
      if (counts[k]! >= target) reachedAt[i] = now;
    });
    last = [...last];
    onPoll?.(last);
    if (reachedAt.every((t) => t !== undefined)) return { reachedAt, last, timedOut: false };
    if (now > deadline) return { reachedAt, last, timedOut: true };
    await sleep(POLL_MS);
  }
}
