// What the API reads of the reminders themselves: which (rule, contact) pairs have a running
// reminder workflow and when each sends next (its NextSendAt). The Temporal implementation lives in
// temporal-reminder-states.ts; API tests may fill an in-memory one instead.

/** One pair's reminder as Temporal has it. */
export interface ReminderRunState {
  ruleId: string;
  contactId: string;
  workflowId: string;
  /** Whether a reminder workflow for the pair is running right now. */
  running: boolean;
  /** The instant the running reminder sleeps until (its NextSendAt search attribute). */
  nextSendAt?: Date;
}

/** A running reminder with its next send, as visibility lists it. */
export interface RunningReminderSend {
  ruleId: string;
  contactId: string;
  workflowId: string;
  nextSendAt: Date;
}

export interface ReminderStates {
  /** Each rule's reminder for one contact, strongly consistent (one describe per rule). */
  ofContact(companyId: string, contactId: string, ruleIds: string[]): Promise<ReminderRunState[]>;
  /** The company's running reminders due at or before `until` (optionally one rule), from
   * visibility: eventually consistent, in no particular order. */
  upcoming(companyId: string, filter: { until: Date; ruleId?: string }): Promise<RunningReminderSend[]>;
}

/** Temporal could not be reached (or did not answer in time): the API answers 503, not 500. */
export class TemporalUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Temporal is unavailable', options);
    this.name = 'TemporalUnavailableError';
  }
}
