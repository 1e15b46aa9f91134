// Turns stored rows into the calendar's input. Shared by the planning activity (what the
// workflow sleeps on) and the API (schedule, preview), so the two can never disagree.
import type { ScheduleRule } from '../calendar/schedule';
import type { TemplateVariables } from '../templates/message-template';
import type { PlanEndReason } from './reminder-contract';

interface RuleRow {
  enabled: boolean;
  kind: string;
  recurrence: 'yearly' | 'once';
  daysInAdvance: number;
  sendTime: string;
  eventField: { key: string; label: string };
}
interface CompanyRow {
  name: string;
  timeZone: string;
  leapDayPolicy: 'feb28' | 'mar1';
}
interface ContactRow {
  name: string;
  kind: string;
  role: string;
  fields: unknown;
}

export type ScheduleFor = { ok: true; schedule: ScheduleRule } | { ok: false; reason: PlanEndReason };

export function scheduleFor(rule: RuleRow, company: CompanyRow, contact: ContactRow | null): ScheduleFor {
  if (!rule.enabled) return { ok: false, reason: 'rule-disabled' };
  if (!contact) return { ok: false, reason: 'contact-deleted' };
  if (contact.role !== 'client') return { ok: false, reason: 'contact-not-client' };
  if (contact.kind !== rule.kind) return { ok: false, reason: 'contact-kind-mismatch' };
  const eventValue = contactDateValue(contact.fields, rule.eventField.key);
  if (!eventValue) return { ok: false, reason: 'no-event-date' };
  return {
    ok: true,
    schedule: {
      eventValue,
      recurrence: rule.recurrence,
      daysInAdvance: rule.daysInAdvance,
      sendTime: rule.sendTime,
      timeZone: company.timeZone,
      leapDayPolicy: company.leapDayPolicy,
    },
  };
}

/** "Birthday of Ada Lovelace (rule "Birthday SMS")": how a reminder names itself in the
 * Temporal UI (workflow summary and details). */
export function reminderDescription(
  rule: { name: string; eventField: { label: string } },
  contact: { name: string },
): string {
  return `${rule.eventField.label} of ${contact.name} (rule "${rule.name}")`;
}

/** The variables a message template sees for one occurrence. */
export function templateVariables(
  rule: RuleRow,
  company: CompanyRow,
  contact: ContactRow,
  occurrenceDate: string,
): TemplateVariables {
  return {
    contactName: contact.name,
    eventLabel: rule.eventField.label,
    eventDate: occurrenceDate,
    daysUntil: rule.daysInAdvance,
    companyName: company.name,
  };
}

/** A date field's value from a contact's form values (stored as JSON); absent or blank = none. */
function contactDateValue(fields: unknown, key: string): string | undefined {
  if (!fields || typeof fields !== 'object') return undefined;
  const value = (fields as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
