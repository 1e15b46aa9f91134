// An in-memory ReminderStates for API tests that run without Temporal: the test says which
// reminders run and when they send next (the Temporal implementation has its own tests on a real
// dev server).
import { reminderWorkflowId } from '../../src/shared/ids';
import {
  TemporalUnavailableError,
  type ReminderStates,
  type RunningReminderSend,
} from '../../src/scheduling/reminder-states';

export interface MemoryReminderStates extends ReminderStates {
  /** A reminder of the pair runs and sleeps until `nextSendAt`. */
  run(pair: { companyId: string; ruleId: string; contactId: string; nextSendAt: Date }): void;
  /** The pair's reminder ended (or was never started). */
  end(pair: { ruleId: string; contactId: string }): void;
  /** Temporal unreachable: every read throws TemporalUnavailableError until set back. */
  down: boolean;
}

export function memoryReminderStates(): MemoryReminderStates {
  const running = new Map<string, RunningReminderSend & { companyId: string }>();
  const reachable = () => {
    if (states.down) throw new TemporalUnavailableError();
  };
  const states: MemoryReminderStates = {
    down: false,
    run(pair) {
      const workflowId = reminderWorkflowId(pair.ruleId, pair.contactId);
      running.set(workflowId, { ...pair, workflowId });
    },
    end(pair) {
      running.delete(reminderWorkflowId(pair.ruleId, pair.contactId));
    },
    async ofContact(companyId, contactId, ruleIds) {
      reachable();
      return ruleIds.map((ruleId) => {
        const workflowId = reminderWorkflowId(ruleId, contactId);
        const r = running.get(workflowId);
        return r && r.companyId === companyId
          ? { ruleId, contactId, workflowId, running: true, nextSendAt: r.nextSendAt }
          : { ruleId, contactId, workflowId, running: false };
      });
    },
    async upcoming(companyId, filter) {
      reachable();
      return [...running.values()]
        .filter(
          (r) =>
            r.companyId === companyId &&
            r.nextSendAt <= filter.until &&
            (filter.ruleId === undefined || r.ruleId === filter.ruleId),
        )
        .map(({ ruleId, contactId, workflowId, nextSendAt }) => ({ ruleId, contactId, workflowId, nextSendAt }));
    },
  };
  return states;
}
