// Reconcile activities (the rule fan-out and the periodic reconciler): plans for a page of
// contacts computed in one batch from the same plan function the workflow uses, compared with
// what visibility says is running, and the difference applied — start with the plan, ask to
// re-read, or let end. Exact progress: each page writes the value "armed so far", guarded by the
// fan-out's generation.
import { activityInfo, heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { recordReconcileRun, type Repairs } from '../db/reconcile-runs';
import { lastHandledOccurrences, pairKey } from '../scheduling/ledger-reads';
import {
  inParallel,
  quoted,
  replanIfRunning,
  runningReminders,
  startOrReplan,
  type ReminderTarget,
} from '../scheduling/reminder-workflows';
import {
  NO_COUNTS,
  type ReconcileCounts,
  type ReconcilePageResult,
  type ReconcileTarget,
  type RuleFanOutInput,
} from '../shared/fan-out-contract';
import { planReminder, upcomingSendOf } from '../shared/plan-inputs';

export interface FanOutDeps {
  db: Db;
  temporal?: { client: Client; taskQueue: string };
  /** Starts and signals in flight at once per page. */
  startConcurrency?: number;
  /** The wall clock; tests pin it. */
  now?: () => Date;
}

/** Starts/signals in flight per page: enough to keep the server busy, measured with `npm run bench`. */
export const DEFAULT_START_CONCURRENCY = 64;
/** Contacts read per query when counting a rule's eligible pairs. */
const COUNT_PAGE = 2_000;

type PageInput = RuleFanOutInput & { generation: number; limit: number; armedSoFar: number };

export function createFanOutActivities(deps: FanOutDeps) {
  const { db } = deps;
  const now = () => (deps.now ? deps.now() : new Date()).getTime();
  const target = (): ReminderTarget => {
    if (!deps.temporal) throw new Error('the fan-out activities need a Temporal client');
    return deps.temporal;
  };

  /** The rule with what its plans need, or null when it is gone. */
  const ruleRow = (input: ReconcileTarget) =>
    db.notificationRule.findFirst({
      where: { id: input.ruleId, companyId: input.companyId },
      include: { eventField: true, company: true },
    });

  /** Plans of a batch of contacts for one rule: one ledger query for the whole batch. */
  async function plansFor(
    rule: NonNullable<Awaited<ReturnType<typeof ruleRow>>>,
    contacts: Array<{ id: string; name: string; kind: string; role: string; fields: unknown }>,
  ) {
    const handled = await lastHandledOccurrences(db, { ruleId: rule.id, contactIds: contacts.map((c) => c.id) });
    const at = now();
    return contacts.map((contact) => {
      const plan = planReminder({
        rule,
        company: rule.company,
        contact,
        handled: handled.get(pairKey({ ruleId: rule.id, contactId: contact.id })),
      });
      return { contact, plan, next: upcomingSendOf(plan, at) };
    });
  }

  const contactColumns = { id: true, name: true, kind: true, role: true, fields: true } as const;

  return {
    /** Starts a fan-out's progress: a new generation, total = eligible pairs, armed = 0. The
     * quiet reconciler only reads the generation it must not overwrite. */
    async beginRuleReconcile(input: RuleFanOutInput): Promise<{ generation: number }> {
      const rule = await ruleRow(input);
      if (!rule) return { generation: 0 };
      if (input.quiet || input.mode !== 'sync') return { generation: rule.remindersGeneration };
      // The eligibility count is the plan function itself over every contact, never a query restating it.
      let total = 0;
      let after: string | undefined;
      for (;;) {
        const contacts = await db.contact.findMany({
          where: { companyId: rule.companyId, kind: rule.kind, ...(after ? { id: { gt: after } } : {}) },
          orderBy: { id: 'asc' },
          take: COUNT_PAGE,
          select: contactColumns,
        });
        if (contacts.length === 0) break;
        total += (await plansFor(rule, contacts)).filter((p) => p.next).length;
        after = contacts[contacts.length - 1]!.id;
        heartbeat();
      }
      const updated = await db.notificationRule.update({
        where: { id: rule.id },
        data: { remindersGeneration: { increment: 1 }, remindersTotal: total, remindersStarted: 0 },
        select: { remindersGeneration: true },
      });
      return { generation: updated.remindersGeneration };
    },

    /** One page of contacts (by id, after `after`): arm the eligible, end the rest that still run. */
    async reconcileRulePage(input: PageInput): Promise<ReconcilePageResult> {
      const contacts = await db.contact.findMany({
        where: { companyId: input.companyId, kind: input.kind, ...(input.after ? { id: { gt: input.after } } : {}) },
        orderBy: { id: 'asc' },
        take: input.limit,
        select: contactColumns,
      });
      if (contacts.length === 0) return { ...NO_COUNTS, lastContactId: null };
      const rule = await ruleRow(input);
      // Without the rule (deleted meanwhile) no pair is eligible: whatever still runs is ended.
      const planned = rule
        ? await plansFor(rule, contacts)
        : contacts.map((contact) => ({
            contact,
            plan: { active: false, reason: 'rule-deleted' } as const,
            next: null,
          }));
      const running = new Map<string, number | undefined>();
      const ids = contacts.map((c) => quoted(c.id)).join(', ');
      for await (const r of runningReminders(
        target().client,
        `RuleId = ${quoted(input.ruleId)} AND ContactId IN (${ids})`,
      )) {
        running.set(r.contactId, r.nextSendAt);
      }
      const counts = { ...NO_COUNTS };
      await inParallel(planned, deps.startConcurrency ?? DEFAULT_START_CONCURRENCY, async (p) => {
        const key = { companyId: input.companyId, ruleId: input.ruleId, contactId: p.contact.id };
        const isRunning = running.has(p.contact.id);
        if (p.next && p.plan.active) {
          counts.armed++;
          if (!isRunning) counts[await startOrReplan(target(), key, p.plan, p.next.sendAt)]++;
          else if (running.get(p.contact.id) !== p.next.sendAt.getTime()) {
            if (await replanIfRunning(target(), key)) counts.replanned++;
            else counts[await startOrReplan(target(), key, p.plan, p.next.sendAt)]++;
          }
        } else if (isRunning && (await replanIfRunning(target(), key))) {
          counts.ended++;
        }
        heartbeat();
      });
      // Exact progress however often this page is retried: a value, not an increment, and only
      // while this fan-out's generation is the rule's current one.
      if (!input.quiet && rule) {
        await db.notificationRule.updateMany({
          where: { id: rule.id, remindersGeneration: input.generation },
          data: { remindersStarted: input.armedSoFar + counts.armed },
        });
      }
      return { ...counts, lastContactId: contacts[contacts.length - 1]!.id };
    },

    /** The rule's running reminders without a contact (or without the rule: all of them) are asked
     * to re-plan, which ends them. */
    async sweepRuleReminders(input: RuleFanOutInput): Promise<Partial<ReconcileCounts>> {
      const rule = input.mode === 'sync' ? await ruleRow(input) : null;
      const found: string[] = [];
      for await (const r of runningReminders(target().client, `RuleId = ${quoted(input.ruleId)}`)) {
        found.push(r.contactId);
      }
      let gone = found;
      if (rule) {
        const existing = new Set<string>();
        for (let i = 0; i < found.length; i += COUNT_PAGE) {
          const rows = await db.contact.findMany({
            where: { companyId: input.companyId, id: { in: found.slice(i, i + COUNT_PAGE) } },
            select: { id: true },
          });
          for (const row of rows) existing.add(row.id);
        }
        gone = found.filter((id) => !existing.has(id));
      }
      let orphansEnded = 0;
      await inParallel(gone, deps.startConcurrency ?? DEFAULT_START_CONCURRENCY, async (contactId) => {
        if (await replanIfRunning(target(), { ruleId: input.ruleId, contactId })) orphansEnded++;
        heartbeat();
      });
      return { orphansEnded };
    },

    /** At the end, total = armed (contacts may have changed while the fan-out ran). */
    async finishRuleReconcile(input: RuleFanOutInput & { generation: number; armed: number }): Promise<void> {
      await db.notificationRule.updateMany({
        where: { id: input.ruleId, remindersGeneration: input.generation },
        data: { remindersStarted: input.armed, remindersTotal: input.armed },
      });
    },

    /** The next rules to reconcile, in id order. */
    async listReconcileTargets(input: { after?: string; limit: number }): Promise<ReconcileTarget[]> {
      const rules = await db.notificationRule.findMany({
        where: input.after ? { id: { gt: input.after } } : {},
        orderBy: { id: 'asc' },
        take: input.limit,
        select: { id: true, companyId: true, kind: true },
      });
      return rules.map((r) => ({ ruleId: r.id, companyId: r.companyId, kind: r.kind }));
    },

    /** Running reminders whose rule (or company) no longer exists are asked to re-plan, which ends them. */
    async endOrphanReminders(): Promise<Partial<ReconcileCounts>> {
      const byRule = new Map<string, string[]>();
      let seen = 0;
      for await (const r of runningReminders(target().client)) {
        const contacts = byRule.get(r.ruleId) ?? [];
        contacts.push(r.contactId);
        byRule.set(r.ruleId, contacts);
        if (++seen % 1000 === 0) heartbeat();
      }
      const ruleIds = [...byRule.keys()];
      const existing = new Set<string>();
      for (let i = 0; i < ruleIds.length; i += COUNT_PAGE) {
        const rows = await db.notificationRule.findMany({
          where: { id: { in: ruleIds.slice(i, i + COUNT_PAGE) } },
          select: { id: true },
        });
        for (const row of rows) existing.add(row.id);
      }
      const orphans = ruleIds
        .filter((id) => !existing.has(id))
        .flatMap((ruleId) => byRule.get(ruleId)!.map((contactId) => ({ ruleId, contactId })));
      let orphansEnded = 0;
      await inParallel(orphans, deps.startConcurrency ?? DEFAULT_START_CONCURRENCY, async (key) => {
        if (await replanIfRunning(target(), key)) orphansEnded++;
        heartbeat();
      });
      return { orphansEnded };
    },

    /** Records (for the API's repairs counter) and logs what a reconcile of everything repaired. */
    async reportReconcile(counts: ReconcileCounts): Promise<void> {
      const repairs: Repairs = {
        started: counts.started,
        replanned: counts.replanned,
        ended: counts.ended,
        'orphan-ended': counts.orphansEnded,
      };
      // Keyed by the reconciler's run: a retry of this activity records the run once.
      const workflowRunId = activityInfo().workflowExecution?.runId;
      if (!workflowRunId) throw new Error('reportReconcile runs inside the reconciler workflow');
      await recordReconcileRun(db, { workflowRunId, armed: counts.armed, repairs });
      const repaired = Object.values(repairs).reduce((a, b) => a + b, 0);
      if (repaired > 0) log.warn('reconciler repaired reminders', { ...repairs, armed: counts.armed });
      else log.info('reconciler found nothing to repair', { armed: counts.armed });
    },
  };
}
