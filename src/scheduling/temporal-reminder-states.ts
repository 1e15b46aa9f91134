// The ReminderStates on Temporal: a contact's reminders by describing each workflow (business-key
// ids, strongly consistent), the company's upcoming sends by a visibility query on the reminders'
// own search attributes. Every call has a deadline, and an unreachable server is reported as
// TemporalUnavailableError so the API can say "retry later" instead of "nothing is pending".
import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { reminderWorkflowId } from '../shared/ids';
import { CompanyIdAttr, NextSendAtAttr } from '../shared/search-attributes';
import { quoted, runningReminders } from './reminder-workflows';
import {
  TemporalUnavailableError,
  type ReminderRunState,
  type ReminderStates,
  type RunningReminderSend,
} from './reminder-states';

/** gRPC status codes (the grpc-js enum, not a dependency of ours): server unreachable, deadline passed. */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** How long one API read may wait for Temporal: the client retries an unreachable server on its
 * own for much longer, and a request should fail fast with a 503 instead. */
const DEFAULT_DEADLINE_MS = 5_000;

export function createTemporalReminderStates(deps: { client: Client; deadlineMs?: number }): ReminderStates {
  const { client } = deps;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const bounded = <T>(fn: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + deadlineMs, fn).catch((error: unknown) => {
      throw isUnavailable(error) ? new TemporalUnavailableError({ cause: error }) : error;
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

/** Unreachable, refused, or out of time — anywhere in the cause chain (the client wraps gRPC errors). */
function isUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (isGrpcServiceError(error) && (error.code === GRPC_UNAVAILABLE || error.code === GRPC_DEADLINE_EXCEEDED))
    return true;
  return isUnavailable((error as { cause?: unknown }).cause, depth + 1);
}
