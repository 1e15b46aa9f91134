// Turns stored rows into a reminder's plan: the ONE place that decides whether a (rule, contact)
// pair has a reminder and when it sends. Used by the planning and delivery activities (what the
// workflow sleeps on), the scheduler and the fan-out (plans handed in at start, eligibility
// counts) and the API (schedule, preview), so none of them can disagree.
import {
  nextSendAfter,
  upcomingSends,
  validateScheduleRule,
  type NextSendResult,
  type ScheduleRule,
  type ScheduledSend,
} from '../calendar/schedule';
import type { TemplateVariables } from '../templates/message-template';
import type { HandledOccurrence, PlanEndReason, ReminderPlan } from './reminder-contract';

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
interface PlanCompanyRow extends CompanyRow {
  lateGraceMinutes: number;
}
interface PlanRuleRow extends RuleRow {
  name: string;
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

/** The plan of one reminder from its rows (null: deleted) and the last occurrence the ledger has. */
export function planReminder(rows: {
  rule: PlanRuleRow | null;
  company: PlanCompanyRow;
  contact: ContactRow | null;
  handled?: HandledOccurrence | null;
}): ReminderPlan {
  const { rule, company, contact, handled } = rows;
  if (!rule) return { active: false, reason: 'rule-deleted' };
  const planned = scheduleFor(rule, company, contact);
  if (!planned.ok) return { active: false, reason: planned.reason };
  return {
    active: true,
    schedule: planned.schedule,
    graceMs: company.lateGraceMinutes * 60_000,
    description: reminderDescription(rule, contact!),
    ...(handled ? { handled } : {}),
  };
}

/** The later of two handled occurrences (the workflow knows one, the ledger may know a newer one). */
export function laterHandled(
  a: HandledOccurrence | undefined,
  b: HandledOccurrence | undefined,
): HandledOccurrence | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.occurrenceDate > a.occurrenceDate ? b : a;
}

/**
 * The next send of an active plan at `now`, never for an occurrence already handled (the plan's or
 * `handled`). `graceMs` lets a send that fell due up to that long ago still count (a workflow
 * woken late by a change). Deterministic: the workflow calls it with its own clock.
 */
export function nextSendOf(
  plan: Extract<ReminderPlan, { active: true }>,
  at: { now: number; graceMs?: number; handled?: HandledOccurrence },
): NextSendResult {
  const handled = laterHandled(plan.handled, at.handled);
  return nextSendAfter({ ...plan.schedule, now: at.now, graceMs: at.graceMs ?? 0 }, handled?.occurrenceDate);
}

/** Whether the pair has a reminder to arm now: an active plan with a send ahead (the fan-out's
 * eligibility count and its start decision). */
export function upcomingSendOf(plan: ReminderPlan, now: number): Extract<NextSendResult, { ok: true }> | null {
  if (!plan.active) return null;
  const next = nextSendOf(plan, { now });
  return next.ok ? next : null;
}

/** The next `count` sends of an active plan at or after `from`, without occurrences already
 * handled (what the schedule endpoint lists; the first one is the workflow's next send). */
export function upcomingSendsOf(
  plan: Extract<ReminderPlan, { active: true }>,
  from: number,
  count: number,
): ScheduledSend[] {
  if (validateScheduleRule(plan.schedule)) return [];
  const handled = plan.handled?.occurrenceDate;
  // Handled occurrences are at most the first few from `from` on: ask for a few more than needed.
  const sends = upcomingSends(plan.schedule, from, count + (handled ? 3 : 0));
  return sends.filter((s) => handled === undefined || s.occurrenceDate > handled).slice(0, count);
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
