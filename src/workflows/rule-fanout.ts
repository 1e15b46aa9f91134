// Durable fan-out for one rule = reconcile one rule: page through the company's contacts of the
// rule's kind, arm every eligible pair's reminder with its plan (start, or ask a running one to
// re-read when its next send differs) and end the ones that no longer apply, then end the rule's
// running reminders whose contact is gone. Run after every change of a rule (the API answers at
// once) and, quietly, by the periodic reconciler for every rule.
import { continueAsNew, patched } from '@temporalio/workflow';
import {
  addCounts,
  NO_COUNTS,
  type ReconcileCounts,
  type ReconcileTarget,
  type RuleFanOutInput,
} from '../shared/fan-out-contract';
import { fanOutActivities, legacyFanOutActivities } from './retry-policies';

/** Patch id of the engine rework's fan-out (wire name: a marker in every run of this code). */
export const FAN_OUT_V2_PATCH = 'fan-out-v2';

/** Contacts per page: one contact query, one ledger query and one visibility query each. */
export const FAN_OUT_PAGE_SIZE = 500;
// Each page adds a handful of history events; continue-as-new keeps a huge company's fan-out short.
const PAGES_PER_RUN = 40;

export async function ruleFanOutWorkflow(input: RuleFanOutInput): Promise<ReconcileCounts | void> {
  // Fan-outs started before the rework replay on the old code.
  if (!patched(FAN_OUT_V2_PATCH)) return legacyRuleFanOut(input);
  const generation = input.generation ?? (await fanOutActivities.beginRuleReconcile(input)).generation;
  const reconciled = await reconcileRule({ ...input, generation }, PAGES_PER_RUN);
  if (reconciled.resumeAfter) {
    return continueAsNew<typeof ruleFanOutWorkflow>({
      ...input,
      generation,
      after: reconciled.resumeAfter,
      counts: reconciled.counts,
    });
  }
  return reconciled.counts;
}

/**
 * The reconcile of one rule, shared by the fan-out and the periodic reconciler: pages of contacts
 * (at most `maxPages` in this run; `resumeAfter` says where to go on), then — once every page is
 * done — the sweep of running reminders without a contact or rule, and the final progress.
 */
export async function reconcileRule(
  input: ReconcileTarget & Pick<RuleFanOutInput, 'mode' | 'quiet' | 'after' | 'counts'> & { generation: number },
  maxPages: number,
): Promise<{ counts: ReconcileCounts; resumeAfter?: string }> {
  let counts = input.counts ?? NO_COUNTS;
  let after = input.after;
  if (input.mode === 'sync') {
    for (let page = 0; ; page++) {
      if (page === maxPages) return { counts, resumeAfter: after! };
      const result = await fanOutActivities.reconcileRulePage({
        ...input,
        ...(after ? { after } : {}),
        limit: FAN_OUT_PAGE_SIZE,
        armedSoFar: counts.armed,
      });
      counts = addCounts(counts, result);
      if (!result.lastContactId) break;
      after = result.lastContactId;
    }
  }
  counts = addCounts(counts, await fanOutActivities.sweepRuleReminders(input));
  await fanOutActivities.finishRuleReconcile({ ...input, armed: counts.armed });
  return { counts };
}

/** The fan-out before the rework, verbatim (its activities are adapters now: activities/legacy.ts). */
export async function legacyRuleFanOut(input: RuleFanOutInput): Promise<void> {
  let after = input.after;
  if (after === undefined) await legacyFanOutActivities.beginRuleFanOut(input);
  for (let page = 0; page < 25; page++) {
    const result = await legacyFanOutActivities.fanOutRulePage({ ...input, after, limit: 200 });
    if (!result.lastContactId) return;
    after = result.lastContactId;
  }
  await continueAsNew<typeof ruleFanOutWorkflow>({ ...input, after });
}
