// The ReminderScheduler the API uses: single-contact changes are applied directly (a few
// signals), rule-wide changes run as a durable fan-out workflow.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { RuleFanOutWorkflow } from '../shared/fan-out-contract';
import { RULE_FAN_OUT_WORKFLOW_TYPE, ruleFanOutWorkflowId } from '../shared/ids';
import { reminderDescription, scheduleFor } from '../shared/plan-inputs';
import { replanIfRunning, startOrReplanReminder } from './reminder-workflows';
import type { ReminderScheduler, RuleRef } from './scheduler';

export function createTemporalScheduler(deps: { db: Db; client: Client; taskQueue: string }): ReminderScheduler {
  const { db } = deps;
  const target = { client: deps.client, taskQueue: deps.taskQueue };

  const fanOut = async (rule: RuleRef & { kind: 'person' | 'organization' }, mode: 'sync' | 'stop') => {
    await deps.client.workflow.start<RuleFanOutWorkflow>(RULE_FAN_OUT_WORKFLOW_TYPE, {
      workflowId: ruleFanOutWorkflowId(rule.id),
      taskQueue: deps.taskQueue,
      args: [{ companyId: rule.companyId, ruleId: rule.id, kind: rule.kind, mode }],
      // A newer change supersedes a fan-out still running: the new one walks every contact again.
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      staticSummary: `${mode === 'sync' ? 'Sync' : 'Stop'} reminders of rule ${rule.id}`,
    });
  };

  return {
    async contactChanged(companyId, contactId) {
      const contact = await db.contact.findFirst({ where: { id: contactId, companyId } });
      const company = await db.company.findUniqueOrThrow({ where: { id: companyId } });
      const rules = await db.notificationRule.findMany({ where: { companyId }, include: { eventField: true } });
      await Promise.all(
        rules.map(async (rule) => {
          const key = { companyId, ruleId: rule.id, contactId };
          const planned = scheduleFor(rule, company, contact);
          if (planned.ok && contact) await startOrReplanReminder(target, key, reminderDescription(rule, contact));
          else await replanIfRunning(target, key);
        }),
      );
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
