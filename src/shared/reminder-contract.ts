// The reminder workflow's contract with the rest of the system: its input, its signal and query
// (wire names), and the data that crosses the workflow/activity boundary. All of it lands in
// workflow histories: no secrets, no message bodies, only ids, dates and outcomes.
import { defineQuery, defineSignal } from '@temporalio/workflow';
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

export interface ReminderInput extends ReminderKey {
  /** The last occurrence handled, so the next plan starts after it. */
  lastOccurrenceDate?: string;
  lastSendAt?: string;
  lastOutcome?: DeliveryOutcome;
}

/** The reminder workflow's signature (wire type name `reminderWorkflow`), for typed clients. */
export type ReminderWorkflow = (input: ReminderInput) => Promise<ReminderState>;

/** Wire name `reminderChanged`: the rule, the contact or the company changed; re-plan. */
export const reminderChangedSignal = defineSignal('reminderChanged');
/** Wire name `reminderState`: next send, occurrence and last outcome. */
export const reminderStateQuery = defineQuery<ReminderState>('reminderState');
