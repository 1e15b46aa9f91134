// Type names of the ApplicationFailures our activities throw (wire names: they land in workflow
// histories and retry policies match on them). Permanent ones are thrown non-retryable AND listed in
// the retry policies' nonRetryableErrorTypes, so no retry is ever spent on them.

/** Failures a retry can fix: Temporal retries them with backoff. */
export const RETRYABLE_FAILURES = {
  /** A provider answered "try later" (network, throttling, outage, SMTP 4xx); nothing was sent. */
  transientDelivery: 'TransientDeliveryError',
  /** Another attempt was claiming the same ledger row at the same moment; claim again. */
  ledgerRowBusy: 'LedgerRowBusy',
} as const;

/** Failures no retry fixes: the delivery gives up at once and the reminder records it and goes on. */
export const PERMANENT_FAILURES = {
  /** The ledger row vanished mid-delivery: its rule or contact was deleted (the row cascades). */
  ledgerRowGone: 'LedgerRowGone',
  /** The rule or contact was deleted between the plan and the send. */
  reminderGone: 'ReminderGone',
} as const;

export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(PERMANENT_FAILURES);
