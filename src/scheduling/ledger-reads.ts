// The last handled occurrence of many (rule, contact) pairs in one query, so plans for a whole page
// of contacts (fan-out, reconciler) or all rules of one contact (scheduler) cost one ledger read.
import type { Db, DbClient } from '../db/client';
import type { HandledOccurrence } from '../shared/reminder-contract';

type Pair = { ruleId: string; contactId: string };

/** Last handled occurrence (any ledger status but pending) per pair, keyed `ruleId:contactId`. */
export async function lastHandledOccurrences(
  db: Db | DbClient,
  where: { ruleId: string; contactIds: string[] } | { contactId: string; ruleIds: string[] },
): Promise<Map<string, HandledOccurrence>> {
  const filter =
    'ruleId' in where
      ? { ruleId: where.ruleId, contactId: { in: where.contactIds } }
      : { contactId: where.contactId, ruleId: { in: where.ruleIds } };
  if (('ruleId' in where ? where.contactIds : where.ruleIds).length === 0) return new Map();
  // The latest occurrence is also the latest send: occurrences are handled in order.
  const groups = await db.notification.groupBy({
    by: ['ruleId', 'contactId'],
    where: { ...filter, status: { not: 'pending' } },
    _max: { occurrenceDate: true, scheduledFor: true },
  });
  const handled = new Map<string, HandledOccurrence>();
  for (const g of groups) {
    if (g._max.occurrenceDate && g._max.scheduledFor) {
      handled.set(pairKey(g), { occurrenceDate: g._max.occurrenceDate, sendAt: g._max.scheduledFor.toISOString() });
    }
  }
  return handled;
}

export function pairKey(pair: Pair): string {
  return `${pair.ruleId}:${pair.contactId}`;
}
