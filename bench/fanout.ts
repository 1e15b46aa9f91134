// Project fan-out: one new rule through POST /v1/notification-rules, timed until every eligible
// client's reminder is asleep with its plan. Detection is visibility's count of the rule's
// running reminders with NextSendAt set (the same query that times the raw baseline); the
// eligible count is known from seeding (clients of the rule's kind that have the date).
import type { Client } from '@temporalio/client';
import type { Api } from './api-client';
import { sleepingQuery, startedQuery, watchCounts } from './visibility';

export interface Armed {
  ruleId: string;
  eligible: number;
  /** POST sent → the API answered (ms). */
  postMs: number;
  /** POST sent → `eligible` reminders started (any status; ms). */
  startedMs?: number;
  /** POST sent → `eligible` reminders running with NextSendAt set (ms). */
  sleepingMs?: number;
  /** At the end of the watch: [started, sleeping]. */
  counts: number[];
  timedOut: boolean;
}

/** Creates the rule and watches its reminders until all are asleep or `deadline` (ms since epoch). */
export async function armRule(
  api: Api,
  client: Client,
  rule: object,
  eligible: number,
  deadline: number,
  onProgress?: (sleeping: number) => void,
): Promise<Armed> {
  const t0 = Date.now();
  const { id: ruleId } = await api.request<{ id: string }>('POST', '/v1/notification-rules', rule);
  const postMs = Date.now() - t0;
  let lastReported = 0;
  const watch = await watchCounts(
    client,
    [startedQuery(ruleId), sleepingQuery({ ruleId })],
    eligible,
    deadline,
    (counts) => {
      // A line per ~10 % so a long run shows it is alive.
      const sleeping = counts[1]!;
      if (onProgress && sleeping - lastReported >= Math.max(1, eligible / 10)) {
        lastReported = sleeping;
        onProgress(sleeping);
      }
    },
  );
  const since = (at: number | undefined) => (at === undefined ? undefined : at - t0);
  return {
    ruleId,
    eligible,
    postMs,
    startedMs: since(watch.reachedAt[0]),
    sleepingMs: since(watch.reachedAt[1]),
    counts: watch.last,
    timedOut: watch.timedOut,
  };
}
