// Planning activity: reads what the next send depends on (rule, contact's date, company
// calendar settings) so the workflow can compute the send instant deterministically.
import type { Db } from '../db/client';
import type { ReminderKey, ReminderPlan } from '../reminders/types';
import { contactDateValue } from '../reminders/contact-date';

export function createPlanActivities(db: Db) {
  return {
    /** Loads the schedule inputs of one reminder, or why it no longer applies. */
    async loadReminderPlan(key: ReminderKey): Promise<ReminderPlan> {
      const rule = await db.notificationRule.findFirst({
        where: { id: key.ruleId, companyId: key.companyId },
        include: { eventField: true, company: true },
      });
      if (!rule) return { active: false, reason: 'rule-deleted' };
      if (!rule.enabled) return { active: false, reason: 'rule-disabled' };
      const contact = await db.contact.findFirst({ where: { id: key.contactId, companyId: key.companyId } });
      if (!contact) return { active: false, reason: 'contact-deleted' };
      if (contact.role !== 'client') return { active: false, reason: 'contact-not-client' };
      if (contact.kind !== rule.kind) return { active: false, reason: 'contact-kind-mismatch' };
      const eventValue = contactDateValue(contact.fields, rule.eventField.key);
      if (!eventValue) return { active: false, reason: 'no-event-date' };
      const company = rule.company;
      return {
        active: true,
        schedule: {
          eventValue,
          recurrence: rule.recurrence,
          daysInAdvance: rule.daysInAdvance,
          sendTime: rule.sendTime,
          timeZone: company.timeZone,
          leapDayPolicy: company.leapDayPolicy,
        },
        graceMs: company.lateGraceMinutes * 60_000,
        description: `${rule.eventField.label} of ${contact.name} (rule "${rule.name}")`,
      };
    },
  };
}
