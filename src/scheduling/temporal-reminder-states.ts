// The ReminderStates on Temporal: a contact's reminders by describing each workflow (business-key
// ids, strongly consistent), the company's upcoming sends by a visibility query on the reminders'
// own search attributes. Every call has a deadline, and an unreachable server is reported as
// TemporalUnavailableError so the API can say "retry later" instead of "nothing is pending".
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { reminderWorkflowId } from '../shared/ids';
import { CompanyIdAttr, NextSendAtAttr } from '../shared/search-attributes';
import { isTemporalUnreachable } from './outbox-relay';
import { quoted, runningReminders } from './reminder-workflows';
import {
  TemporalUnavailableError,
  type ReminderRunState,
  type ReminderStates,
  type RunningReminderSend,
} from './reminder-states';

/** How long one API read may wait for Temporal: the client retries an unreachable server on its
 * own for much longer, and a request should fail fast with a 503 instead. */
const DEFAULT_DEADLINE_MS = 5_000;

export function createTemporalReminderStates(deps: { client: Client; deadlineMs?: number }): ReminderStates {
  const { client } = deps;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deadlineMs, fn).catch((error: unknown) => {
      throw isTemporalUnreachable(error) ? new TemporalUnavailableError({ cause: error }) : error;
    });

  const describe = async (companyId: string, contactId: string, ruleId: string): Promise<ReminderRunState> => {
    const workflowId = reminderWorkflowId(ruleId, contactId);
    const notRunning = { ruleId, contactId, workflowId, running: false };
    try {
      const info = await client.workflow.getHandle(workflowId).describe();
      // The id is a business key; the company attribute guards against reading another company's run.
      if (info.status.name !== 'RUNNING' || info.typedSearchAttributes.get(CompanyIdAttr) !== companyId)
        return notRunning;
      const nextSendAt = info.typedSearchAttributes.get(NextSendAtAttr);
      return { ...notRunning, running: true, ...(nextSendAt ? { nextSendAt } : {}) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return notRunning;
      throw error;
    }
  };

  return {
    ofContact: (companyId, contactId, ruleIds) =>
      // A contact has a handful of rules: one describe each, all at once.
      bounded(() => Promise.all(ruleIds.map((ruleId) => describe(companyId, contactId, ruleId)))),
    upcoming: (companyId, filter) =>
      bounded(async () => {
        const where = [
          `CompanyId = ${quoted(companyId)}`,
          `NextSendAt <= "${filter.until.toISOString()}"`,
          ...(filter.ruleId ? [`RuleId = ${quoted(filter.ruleId)}`] : []),
        ].join(' AND ');
        const sends: RunningReminderSend[] = [];
        for await (const r of runningReminders(client, where)) {
          if (r.nextSendAt === undefined) continue;
          sends.push({
            ruleId: r.ruleId,
            contactId: r.contactId,
            workflowId: reminderWorkflowId(r.ruleId, r.contactId),
            nextSendAt: new Date(r.nextSendAt),
          });
        }
        return sends;
      }),
  };
}
