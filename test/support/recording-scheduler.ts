// Records what the API asked of the reminder machinery, for API tests that run without Temporal
// (the Temporal implementation has its own tests on a real server).
import type { ReminderScheduler } from '../../src/scheduling/scheduler';

export type SchedulerCall = { op: 'contactChanged' | 'ruleChanged' | 'ruleDeleted' | 'companyChanged'; id: string };

export function recordingScheduler(): ReminderScheduler & { calls: SchedulerCall[] } {
  const calls: SchedulerCall[] = [];
  return {
    calls,
    contactChanged: async (_companyId, contactId) => void calls.push({ op: 'contactChanged', id: contactId }),
    ruleChanged: async (rule) => void calls.push({ op: 'ruleChanged', id: rule.id }),
    ruleDeleted: async (rule) => void calls.push({ op: 'ruleDeleted', id: rule.id }),
    companyChanged: async (companyId) => void calls.push({ op: 'companyChanged', id: companyId }),
  };
}
