// Inputs and results of the rule fan-out and the periodic reconciler (wire format: they land in
// workflow histories).

/** One rule to reconcile: its running reminders against the pairs that should have one. */
export interface ReconcileTarget {
  companyId: string;
  ruleId: string;
  /** The rule's contact kind (needed for `stop`, when the rule row no longer exists). */
  kind: 'person' | 'organization';
}

export interface RuleFanOutInput extends ReconcileTarget {
  /** sync: start/re-plan every matching contact's reminder; stop: the rule is gone, end them. */
  mode: 'sync' | 'stop';
  /** The periodic reconciler: repair without resetting the progress the API shows. */
  quiet?: boolean;
  /** Resume point after continue-as-new: the last contact id handled. */
  after?: string;
  /** The progress generation this fan-out owns (set by its first run). */
  generation?: number;
  /** What earlier pages did (carried across continue-as-new). */
  counts?: ReconcileCounts;
}

/** What one reconcile did; `armed` counts eligible pairs with a running reminder afterwards. */
export interface ReconcileCounts {
  armed: number;
  /** Eligible, not running → started with its plan. */
  started: number;
  /** Running with another next send than the plan's → asked to re-read its plan. */
  replanned: number;
  /** Running but no longer eligible (rule disabled, no date, …) → asked to re-plan, which ends it. */
  ended: number;
  /** Running with no contact or no rule behind it → asked to re-plan, which ends it. */
  orphansEnded: number;
}

export const NO_COUNTS: ReconcileCounts = { armed: 0, started: 0, replanned: 0, ended: 0, orphansEnded: 0 };

export function addCounts(a: ReconcileCounts, b: Partial<ReconcileCounts>): ReconcileCounts {
  return {
    armed: a.armed + (b.armed ?? 0),
    started: a.started + (b.started ?? 0),
    replanned: a.replanned + (b.replanned ?? 0),
    ended: a.ended + (b.ended ?? 0),
    orphansEnded: a.orphansEnded + (b.orphansEnded ?? 0),
  };
}

/** One page of contacts of a rule, reconciled. */
export interface ReconcilePageResult extends ReconcileCounts {
  /** The last contact id of the page, or null when there were no more contacts. */
  lastContactId: string | null;
}

/** Input of the periodic reconciler (workflow type `reconcileAllWorkflow`). */
export interface ReconcileAllInput {
  /** Resume point after continue-as-new: the last rule id reconciled. */
  afterRuleId?: string;
  counts?: ReconcileCounts;
}

/** The fan-out workflow's signature (wire type name `ruleFanOutWorkflow`), for typed clients. */
export type RuleFanOutWorkflow = (input: RuleFanOutInput) => Promise<ReconcileCounts | void>;
/** The reconciler's signature (wire type name `reconcileAllWorkflow`), for typed clients. */
export type ReconcileAllWorkflow = (input: ReconcileAllInput) => Promise<ReconcileCounts>;
