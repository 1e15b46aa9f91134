// Retry policies, one proxy per kind of side effect. Workflow code only; activities are
// imported as types so no Node/Prisma/vendor code enters the workflow bundle.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ReminderActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../shared/failures';

/** Short database steps of the reminder (read the plan, record a delivery that gave up), run as
 * local activities: no extra workflow task and no scheduled/started/completed events of their own. */
export const localDbActivities = proxyLocalActivities<Pick<ReminderActivities, 'loadReminderPlan' | 'recordGaveUp'>>({
  // A few queries; 30 s means the database is unreachable, so retry rather than wait.
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    // Keep retrying through a database outage: losing the reminder is worse than being late.
    maximumInterval: '5 minutes',
  },
});

/** The delivery of one occurrence: ledger, decision, provider call, outcome — one activity. */
export const deliveryActivities = proxyActivities<Pick<ReminderActivities, 'deliverOccurrence'>>({
  // A provider call may wait up to RATE_LIMIT_MAX_WAIT_SECONDS (≤ 45 s) for its rate limit, then
  // a slow SMTP handshake; two minutes covers both with the database steps around them.
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    // About two hours of retries (5 s doubling to 10 min, 20 attempts); then the reminder records
    // the occurrence as failed (recordGaveUp) and goes on to the next one.
    maximumAttempts: 20,
    // Permanent failures (src/shared/failures.ts) give up at once instead of spending 20 retries.
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

/** The fan-out's steps: a page of contacts, the sweep of a rule's running reminders, progress. */
export const fanOutActivities = proxyActivities<
  Pick<
    ReminderActivities,
    | 'beginRuleReconcile'
    | 'reconcileRulePage'
    | 'sweepRuleReminders'
    | 'finishRuleReconcile'
    | 'listReconcileTargets'
    | 'endOrphanReminders'
    | 'reportReconcile'
  >
>({
  // A page starts or signals a few hundred workflows; a sweep lists a rule's running reminders.
  // Minutes are plenty, and retries are safe: every start/signal is idempotent per workflow ID and
  // progress is written as a value, not an increment.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// -----------------------------------------------------------------------------------------------
// Proxies of the workflow code before the engine rework (legacy-reminder.ts, the legacy fan-out):
// the same activity names and options as then, so their runs replay unchanged.

/** Legacy: database reads and ledger/feed writes. */
export const legacyDbActivities = proxyActivities<
  Pick<ReminderActivities, 'loadReminderPlan' | 'beginDelivery' | 'checkChatWindow' | 'recordOutcome'>
>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Legacy: provider calls. */
export const legacyDispatchActivities = proxyActivities<Pick<ReminderActivities, 'dispatch'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

/** Legacy: fan-out pages. */
export const legacyFanOutActivities = proxyActivities<Pick<ReminderActivities, 'beginRuleFanOut' | 'fanOutRulePage'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
