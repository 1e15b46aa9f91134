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

/** The last occurrence a reminder handled (its ledger row exists and is no longer pending): a
 * plan never schedules it, or an earlier one, again. */
export interface HandledOccurrence {
  /** `YYYY-MM-DD`. */
  occurrenceDate: string;
  /** ISO instant the occurrence's send was planned for. */
  sendAt: string;
}

/** What a reminder sleeps on, computed by `planReminder` (src/shared/plan-inputs.ts) from the rule,
 * the company, the contact and the ledger — by the fan-out and the scheduler when they start a
 * reminder (handed in), or by the workflow's planning activity after a change. */
export type ReminderPlan =
  | {
      active: true;
      schedule: ScheduleRule;
      graceMs: number;
      /** "Birthday of Ada Lovelace (rule: Birthday greetings)" — for the Temporal UI. */
      description: string;
      /** The last occurrence the ledger has for this (rule, contact), if any. */
      handled?: HandledOccurrence;
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
  /** Handed in by whoever starts the reminder (fan-out, scheduler, continue-as-new); absent, the
   * workflow loads it. */
  plan?: ReminderPlan;
  /** The last occurrence handled, so the next plan starts after it. */
  lastHandled?: HandledOccurrence;
  lastOutcome?: DeliveryOutcome;
  /** Input of runs written before `lastHandled` (read by the legacy path and when converting). */
  lastOccurrenceDate?: string;
  lastSendAt?: string;
}

/** Input of the delivery activity `deliverOccurrence` (wire name): one occurrence of one reminder. */
export interface DeliverOccurrenceInput extends OccurrenceRef {
  /** The occurrence handled before this one, so the fresh plan is computed as the workflow's was. */
  lastHandled?: HandledOccurrence;
  /** The workflow's clock when the timer fired (ISO). The delivery judges lateness and chat windows
   * at the later of this and its own clock: a host whose clock lags never sends a stale
   * occurrence, and time-skipping tests see the server's time. */
  firedAt?: string;
}

/** What `deliverOccurrence` (and the give-up step `recordGaveUp`) return: the occurrence's outcome
 * and the plan of the next one, or — when the fresh rows no longer schedule this occurrence now —
 * the fresh plan to sleep on instead. */
export type DeliverOccurrenceResult =
  { kind: 'handled'; outcome: DeliveryOutcome; nextPlan: ReminderPlan } | { kind: 'replan'; plan: ReminderPlan };

/** The reminder workflow's signature (wire type name `reminderWorkflow`), for typed clients. */
export type ReminderWorkflow = (input: ReminderInput) => Promise<ReminderState>;

/** Wire name `reminderChanged`: the rule, the contact or the company changed; re-plan. */
export const reminderChangedSignal = defineSignal('reminderChanged');
/** Wire name `reminderState`: next send, occurrence and last outcome. */
export const reminderStateQuery = defineQuery<ReminderState>('reminderState');
