// The ReminderScheduler on Temporal: a contact's change is applied directly (one start or signal
// per rule, each start carrying the reminder's plan), rule-wide changes run as a durable fan-out
// workflow. Every method reads the current rows (state, not deltas), so calling it again, late or
// twice is harmless — the outbox relay retries it until it succeeds.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { RuleFanOutWorkflow } from '../shared/fan-out-contract';
import { RULE_FAN_OUT_WORKFLOW_TYPE, ruleFanOutWorkflowId } from '../shared/ids';
import { planReminder, upcomingSendOf } from '../shared/plan-inputs';
import { lastHandledOccurrences, pairKey } from './ledger-reads';
import { inParallel, replanIfRunning, startOrReplan } from './reminder-workflows';
import type { ReminderScheduler, RuleRef } from './scheduler';

/** Signals or starts in flight at once for one contact's rules. */
const CONTACT_CONCURRENCY = 8;

export function createTemporalScheduler(deps: {
  db: Db;
  client: Client;
  taskQueue: string;
  /** The wall clock; tests pin it. */
  now?: () => Date;
}): ReminderScheduler {
  const { db } = deps;
  const target = { client: deps.client, taskQueue: deps.taskQueue };

  /** Starts the rule's fan-out; a newer change supersedes one still running (it walks every contact again). */
  const fanOut = async (rule: RuleRef & { kind: 'person' | 'organization' }, mode: 'sync' | 'stop') => {
    await deps.client.workflow.start<RuleFanOutWorkflow>(RULE_FAN_OUT_WORKFLOW_TYPE, {
      workflowId: ruleFanOutWorkflowId(rule.id),
      taskQueue: deps.taskQueue,
      args: [{ companyId: rule.companyId, ruleId: rule.id, kind: rule.kind, mode }],
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      staticSummary: `${mode === 'sync' ? 'Sync' : 'Stop'} reminders of rule ${rule.id}`,
    });
  };

  return {
    async contactChanged(companyId, contactId) {
      const [contact, rules] = await Promise.all([
        db.contact.findFirst({ where: { id: contactId, companyId } }),
        db.notificationRule.findMany({ where: { companyId }, include: { eventField: true, company: true } }),
      ]);
      const handled = contact
        ? await lastHandledOccurrences(db, { contactId, ruleIds: rules.map((r) => r.id) })
        : new Map();
      const now = (deps.now ? deps.now() : new Date()).getTime();
      await inParallel(rules, CONTACT_CONCURRENCY, async (rule) => {
        const key = { companyId, ruleId: rule.id, contactId };
        const plan = planReminder({
          rule,
          company: rule.company,
          contact,
          handled: handled.get(pairKey({ ruleId: rule.id, contactId })),
        });
        const next = upcomingSendOf(plan, now);
        // Not eligible (or the contact is gone): a running reminder re-reads its plan and ends.
        if (next && plan.active) await startOrReplan(target, key, plan, next.sendAt);
        else await replanIfRunning(target, key);
      });
    },
    async ruleChanged(rule) {
      const row = await db.notificationRule.findFirst({ where: { id: rule.id } });
      if (row) await fanOut({ ...rule, kind: row.kind }, 'sync');
    },
    async ruleDeleted(rule) {
      await fanOut({ ...rule, kind: rule.kind as 'person' | 'organization' }, 'stop');
    },
    async companyChanged(companyId) {
      const rules = await db.notificationRule.findMany({ where: { companyId } });
      for (const rule of rules) await fanOut(rule, 'sync');
    },
  };
}
