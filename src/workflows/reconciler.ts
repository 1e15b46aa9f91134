// The periodic reconciler, run by a Temporal Schedule (src/scheduling/reconciler-schedule.ts):
// reconciles every rule of every company with the fan-out's own code, quietly (the progress the
// API shows is not reset), then ends orphans — running reminders whose rule or company no longer
// exists — and reports what it repaired. Whatever drifted between the database and Temporal (a
// lost change, a terminated workflow, a date edited behind the API's back) is repaired here.
import { continueAsNew } from '@temporalio/workflow';
import { addCounts, NO_COUNTS, type ReconcileAllInput, type ReconcileCounts } from '../shared/fan-out-contract';
import { fanOutActivities } from './retry-policies';
import { reconcileRule } from './rule-fanout';

/** Rules listed per batch, reconciled this many at a time. */
const RULES_PER_BATCH = 16;
const RULES_IN_PARALLEL = 4;
// A batch adds a few dozen events; continue-as-new keeps the history short for thousands of rules.
const BATCHES_PER_RUN = 20;
// Pages per rule before the reconciler moves on; the rest of a huge rule continues next batch.
const PAGES_PER_RULE = 1_000;

export async function reconcileAllWorkflow(input: ReconcileAllInput): Promise<ReconcileCounts> {
  let counts = input.counts ?? NO_COUNTS;
  let after = input.afterRuleId;
  for (let batch = 0; ; batch++) {
    if (batch === BATCHES_PER_RUN) {
      return continueAsNew<typeof reconcileAllWorkflow>({ ...(after ? { afterRuleId: after } : {}), counts });
    }
    const rules = await fanOutActivities.listReconcileTargets({ ...(after ? { after } : {}), limit: RULES_PER_BATCH });
    if (rules.length === 0) break;
    for (let i = 0; i < rules.length; i += RULES_IN_PARALLEL) {
      const results = await Promise.all(
        rules.slice(i, i + RULES_IN_PARALLEL).map(async (rule) => {
          const { generation } = await fanOutActivities.beginRuleReconcile({ ...rule, mode: 'sync', quiet: true });
          return reconcileRule({ ...rule, mode: 'sync', quiet: true, generation }, PAGES_PER_RULE);
        }),
      );
      for (const result of results) counts = addCounts(counts, result.counts);
    }
    after = rules[rules.length - 1]!.ruleId;
  }
  counts = addCounts(counts, await fanOutActivities.endOrphanReminders());
  await fanOutActivities.reportReconcile(counts);
  return counts;
}
