// Planning activity: reads what the next send depends on (rule, contact's date, company
// calendar settings) so the workflow can compute the send instant deterministically.
import type { Db } from '../db/client';
import { reminderDescription, scheduleFor } from '../shared/plan-inputs';
import type { ReminderKey, ReminderPlan } from '../shared/reminder-contract';

export function createPlanActivities(db: Db) {
  return {
    /** Loads the schedule inputs of one reminder, or why it no longer applies. */
    async loadReminderPlan(key: ReminderKey): Promise<ReminderPlan> {
      const rule = await db.notificationRule.findFirst({
        where: { id: key.ruleId, companyId: key.companyId },
        include: { eventField: true, company: true },
      });
      if (!rule) return { active: false, reason: 'rule-deleted' };
      const contact = await db.contact.findFirst({ where: { id: key.contactId, companyId: key.companyId } });
      const planned = scheduleFor(rule, rule.company, contact);
      if (!planned.ok) return { active: false, reason: planned.reason };
      return {
        active: true,
        schedule: planned.schedule,
        graceMs: rule.company.lateGraceMinutes * 60_000,
        description: reminderDescription(rule, contact!),
      };
    },
  };
}
