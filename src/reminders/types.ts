// Data that crosses the workflow/activity boundary (lands in workflow histories: no secrets,
// no message bodies, only ids, dates and outcomes).
import type { ScheduleRule } from '../calendar/schedule';

export interface ReminderKey {
  companyId: string;
  ruleId: string;
  contactId: string;
}

export type PlanEndReason =
  | 'rule-deleted'
  | 'rule-disabled'
  | 'contact-deleted'
  | 'contact-not-client'
  | 'contact-kind-mismatch'
  | 'no-event-date';

export type ReminderPlan =
  | {
      active: true;
      schedule: ScheduleRule;
      graceMs: number;
      /** "Birthday of Ada Lovelace (rule: Birthday greetings)" — for the Temporal UI. */
      description: string;
    }
  | { active: false; reason: PlanEndReason };

export type DeliveryStatus = 'sent' | 'skipped' | 'failed';

export interface DeliveryOutcome {
  status: DeliveryStatus;
  channel?: string;
  reason?: string;
  providerMessageId?: string;
  occurrenceDate: string;
}

export interface OccurrenceRef extends ReminderKey {
  occurrenceDate: string;
  /** ISO instant the send was planned for. */
  scheduledFor: string;
}

/** What a running reminder reports through its query (wire name `reminderState`). */
export interface ReminderState {
  phase: 'planning' | 'sleeping' | 'delivering' | 'ended';
  nextSendAt?: string;
  nextSendAtLocal?: string;
  occurrenceDate?: string;
  lastOutcome?: DeliveryOutcome;
  endReason?: string;
}
