// Durable fan-out for one rule: pages through the company's contacts and starts, re-plans or
// ends each (rule, contact) reminder, so an API call never waits for thousands of starts.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { ReminderActivities } from '../activities';
import type { RuleFanOutInput } from '../shared/fan-out-contract';

const { beginRuleFanOut, fanOutRulePage } = proxyActivities<
  Pick<ReminderActivities, 'beginRuleFanOut' | 'fanOutRulePage'>
>({
  // One page signals/starts up to PAGE_SIZE workflows; a minute is plenty, and retries are safe
  // because every start/signal is idempotent per workflow ID.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const PAGE_SIZE = 200;
// Each page adds a handful of history events; continue-as-new keeps a huge company's fan-out short.
const PAGES_PER_RUN = 25;

export async function ruleFanOutWorkflow(input: RuleFanOutInput): Promise<void> {
  let after = input.after;
  if (after === undefined) await beginRuleFanOut(input);
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await fanOutRulePage({ ...input, after, limit: PAGE_SIZE });
    if (!result.lastContactId) return;
    after = result.lastContactId;
  }
  await continueAsNew<typeof ruleFanOutWorkflow>({ ...input, after });
}
