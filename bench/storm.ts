// Project firing storm: M clients due in the same minute, delivered by email through the company
// gateway to the harness's SMTP sink; timed from the due minute until the M-th ledger outcome.
//
// The ledger is read through GET /v1/notifications (the embedded database serves only the
// service's own process while it runs): its per-status totals tell when all M have an outcome,
// then each outcome row's `updatedAt` (written with the outcome, on this machine's clock) gives
// the instant of the last one, so the figure does not depend on the polling interval.
import type { Client } from '@temporalio/client';
import { ApiError, type Api } from './api-client';
import { armRule, type Armed } from './fanout';
import { sleep } from './processes';
import { emailRule } from './seed';
import type { SmtpSink } from './smtp-sink';

/** Ledger statuses that are an outcome (the others are pending / in dispatch). */
export const OUTCOME_STATUSES = ['sent', 'delivered', 'skipped', 'failed', 'undelivered'] as const;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface Storm {
  count: number;
  ruleId: string;
  /** The due minute (ISO, UTC = the company's time zone). */
  dueAt: string;
  arming: Armed;
  armedBeforeDue: boolean;
  /** Due minute → last ledger outcome (ms). */
  drainMs?: number;
  /** Due minute → first ledger outcome (ms). */
  firstOutcomeMs?: number;
  outcomes: Record<string, number>;
  smtpReceived: number;
  /** Recipients that received more than one message. */
  smtpDuplicates: number;
  timedOut: boolean;
}

interface NotificationPage {
  items: Array<{ updatedAt: string }>;
  total: number;
}

async function outcomeTotals(api: Api, ruleId: string): Promise<Record<string, number>> {
  const totals = await Promise.all(
    OUTCOME_STATUSES.map(async (status) => {
      try {
        const path = `/v1/notifications?ruleId=${ruleId}&status=${status}&limit=1`;
        return (await api.request<NotificationPage>('GET', path)).total;
      } catch (error) {
        // A ledger whose statuses became a closed list may refuse one it does not have: none of those.
        if (error instanceof ApiError && error.status === 400) return 0;
        throw error;
      }
    }),
  );
  return Object.fromEntries(OUTCOME_STATUSES.map((s, i) => [s, totals[i]!]));
}

/** When each outcome row was last written (ms since epoch). */
async function outcomeTimes(api: Api, ruleId: string, totals: Record<string, number>): Promise<number[]> {
  const times: number[] = [];
  for (const status of OUTCOME_STATUSES) {
    for (let offset = 0; offset < totals[status]!; offset += 200) {
      const page = await api.request<NotificationPage>(
        'GET',
        `/v1/notifications?ruleId=${ruleId}&status=${status}&limit=200&offset=${offset}`,
      );
      times.push(...page.items.map((n) => Date.parse(n.updatedAt)));
    }
  }
  return times;
}

/** The first whole minute at least `leadMs` away. */
export function dueMinute(now: number, leadMs: number): number {
  return Math.ceil((now + leadMs) / MINUTE_MS) * MINUTE_MS;
}

export async function projectStorm(input: {
  api: Api;
  client: Client;
  smtp: SmtpSink;
  fieldId: string;
  count: number;
  /** The storm contacts' shared occurrence (YYYY-MM-DD, UTC). */
  occurrence: string;
  leadMs: number;
  drainTimeoutMs: number;
  log: (line: string) => void;
}): Promise<Storm> {
  const { api, client, smtp, count } = input;
  const due = dueMinute(Date.now(), input.leadMs);
  const dueIso = new Date(due).toISOString();
  // The occurrence is tomorrow as seeded; "days in advance" puts its send on the due minute's day.
  const daysInAdvance = Math.round(
    (Date.parse(`${input.occurrence}T00:00:00Z`) - Date.parse(`${dueIso.slice(0, 10)}T00:00:00Z`)) / DAY_MS,
  );
  if (daysInAdvance < 0 || daysInAdvance > 365)
    throw new Error(`the storm contacts' date ${input.occurrence} cannot be due at ${dueIso}`);
  input.log(
    `storm: ${count} reminders due at ${dueIso} (arming now, ${Math.round((due - Date.now()) / 1000)} s ahead)`,
  );
  const smtpBefore = smtp.total();

  const arming = await armRule(
    api,
    client,
    emailRule({
      name: 'Bench storm',
      kind: 'organization',
      eventFieldId: input.fieldId,
      sendTime: dueIso.slice(11, 16),
      daysInAdvance,
    }),
    count,
    due,
  );
  const armedBeforeDue = arming.sleepingMs !== undefined && !arming.timedOut;
  if (!armedBeforeDue)
    input.log(`storm: WARNING only ${arming.counts[1]} of ${count} reminders were asleep at the due minute`);
  await sleep(Math.max(due - Date.now(), 0));

  const deadline = due + input.drainTimeoutMs;
  let totals = await outcomeTotals(api, arming.ruleId);
  const done = () => Object.values(totals).reduce((a, b) => a + b, 0) >= count;
  while (!done() && Date.now() < deadline) {
    await sleep(1_000);
    totals = await outcomeTotals(api, arming.ruleId);
  }
  const times = await outcomeTimes(api, arming.ruleId, totals);
  // Stragglers the sink may still be receiving as the last rows are written.
  await sleep(2_000);
  const received = smtp.total() - smtpBefore;
  const duplicates = [...smtp.received.entries()].filter(([addr, n]) => addr.startsWith('storm-') && n > 1).length;
  return {
    count,
    ruleId: arming.ruleId,
    dueAt: dueIso,
    arming,
    armedBeforeDue,
    drainMs: done() ? Math.max(...times) - due : undefined,
    firstOutcomeMs: times.length ? Math.min(...times) - due : undefined,
    outcomes: totals,
    smtpReceived: received,
    smtpDuplicates: duplicates,
    timedOut: !done(),
  };
}
