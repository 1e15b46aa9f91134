// Retry policies, one proxy per kind of side effect. Workflow code only; activities are
// imported as types so no Node/Prisma/vendor code enters the workflow bundle.
import { proxyActivities } from '@temporalio/workflow';
import type { ReminderActivities } from '../activities';

/** Database reads and ledger/feed writes: quick and safe to retry (idempotent by key). */
export const dbActivities = proxyActivities<
  Pick<ReminderActivities, 'loadReminderPlan' | 'beginDelivery' | 'checkChatWindow' | 'recordOutcome'>
>({
  // A DB round trip; 30 s means the database is unreachable, so retry rather than wait.
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    // Keep retrying through a database outage: losing the reminder is worse than being late.
    maximumInterval: '5 minutes',
  },
});

/** Provider calls (Twilio, SMTP, Instagram): transient failures back off; permanent ones are
 * thrown as non-retryable ApplicationFailures by the activity and end the attempt. */
export const dispatchActivities = proxyActivities<Pick<ReminderActivities, 'dispatch'>>({
  // Provider APIs answer in seconds; a minute covers a slow SMTP handshake.
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    // About a day of retries; the ledger row records the final failure after that.
    maximumAttempts: 20,
  },
});
