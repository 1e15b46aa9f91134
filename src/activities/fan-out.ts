// Fan-out activities: count and walk a rule's contacts, starting or re-planning each reminder.
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { reminderDescription, scheduleFor } from '../shared/plan-inputs';
import { replanIfRunning, startOrReplanReminder } from '../scheduling/reminder-workflows';
import type { RuleFanOutInput } from '../shared/fan-out-contract';

export interface FanOutDeps {
  db: Db;
  temporal?: { client: Client; taskQueue: string };
}

// Parallel starts per page: enough to finish thousands in seconds, few enough to be gentle on the server.
const CONCURRENCY = 16;

export function createFanOutActivities(deps: FanOutDeps) {
  const { db } = deps;
  const target = () => {
    if (!deps.temporal) throw new Error('the fan-out activities need a Temporal client');
    return deps.temporal;
  };

  return {
    /** Resets the rule's progress counters: total = clients of the rule's kind that have the date. */
    async beginRuleFanOut(input: RuleFanOutInput): Promise<void> {
      if (input.mode !== 'sync') return;
      const rule = await db.notificationRule.findFirst({ where: { id: input.ruleId }, include: { eventField: true } });
      if (!rule) return;
      const total = rule.enabled
        ? Number(
            (
              await db.$queryRaw<Array<{ n: bigint }>>`
                SELECT count(*) AS n FROM "Contact"
                WHERE "companyId" = ${rule.companyId} AND kind::text = ${rule.kind} AND role = 'client'
                  AND coalesce("fields" ->> ${rule.eventField.key}, '') <> ''`
            )[0]?.n ?? 0,
          )
        : 0;
      await db.notificationRule.update({
        where: { id: rule.id },
        data: { remindersTotal: total, remindersStarted: 0 },
      });
    },

    /** One page of contacts (by id, after `after`); returns the last id seen, or null when done. */
    async fanOutRulePage(
      input: RuleFanOutInput & { limit: number },
    ): Promise<{ lastContactId: string | null; started: number }> {
      const contacts = await db.contact.findMany({
        where: { companyId: input.companyId, kind: input.kind, ...(input.after ? { id: { gt: input.after } } : {}) },
        orderBy: { id: 'asc' },
        take: input.limit,
      });
      if (contacts.length === 0) return { lastContactId: null, started: 0 };
      const rule =
        input.mode === 'sync'
          ? await db.notificationRule.findFirst({
              where: { id: input.ruleId },
              include: { eventField: true, company: true },
            })
          : null;
      let started = 0;
      const queue = [...contacts];
      const work = async () => {
        for (let contact = queue.shift(); contact; contact = queue.shift()) {
          const key = { companyId: input.companyId, ruleId: input.ruleId, contactId: contact.id };
          const planned = rule ? scheduleFor(rule, rule.company, contact) : null;
          if (rule && planned?.ok) {
            await startOrReplanReminder(target(), key, reminderDescription(rule, contact));
            started++;
          } else {
            await replanIfRunning(target(), key);
          }
          heartbeat();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, work));
      if (rule && started > 0)
        await db.notificationRule.update({
          where: { id: rule.id },
          data: { remindersStarted: { increment: started } },
        });
      return { lastContactId: contacts[contacts.length - 1]!.id, started };
    },
  };
}
