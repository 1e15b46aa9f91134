// The periodic reconciler's record of what it repaired: one row per finished run, written by the
// worker that ran it and summed by the API into `reminders_reconciler_repairs_total`, so the
// counter survives worker restarts and every API process reports the same totals.
import type { DbClient } from './client';

/** Kinds of repair, as the metric's `kind` label shows them. */
export const REPAIR_KINDS = ['started', 'replanned', 'ended', 'orphan-ended'] as const;
export type RepairKind = (typeof REPAIR_KINDS)[number];
export type Repairs = Record<RepairKind, number>;

/** Records one run, once: a second record of the same workflow run (a retried activity) is ignored. */
export async function recordReconcileRun(
  db: DbClient,
  run: { workflowRunId: string; armed: number; repairs: Repairs },
): Promise<void> {
  const { repairs } = run;
  await db.reconcileRun.createMany({
    skipDuplicates: true,
    data: {
      workflowRunId: run.workflowRunId,
      armed: run.armed,
      started: repairs.started,
      replanned: repairs.replanned,
      ended: repairs.ended,
      orphansEnded: repairs['orphan-ended'],
    },
  });
}

/** Repairs of every run so far, by kind. */
export async function repairTotals(db: DbClient): Promise<Repairs> {
  const { _sum: sum } = await db.reconcileRun.aggregate({
    _sum: { started: true, replanned: true, ended: true, orphansEnded: true },
  });
  return {
    started: sum.started ?? 0,
    replanned: sum.replanned ?? 0,
    ended: sum.ended ?? 0,
    'orphan-ended': sum.orphansEnded ?? 0,
  };
}
