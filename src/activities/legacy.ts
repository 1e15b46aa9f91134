// Activities of the workflow code before the engine rework, kept so that runs started on it
// (src/workflows/legacy-reminder.ts, the legacy fan-out) finish their current step. Each maps onto
// the new code: the first delivery step does the whole delivery (deliverOccurrence) and hands the
// outcome back as "already recorded", so the old workflow code goes straight on to continue-as-new
// — into a run of the new code. Remove together with the legacy workflow code.
import type { DeliveryOutcome, OccurrenceRef, ReminderKey } from '../shared/reminder-contract';
import type { Db } from '../db/client';
import type { RuleFanOutInput } from '../shared/fan-out-contract';
import type { createDeliveryActivities } from './delivery';
import type { createFanOutActivities } from './fan-out';

/** Reason of an occurrence the new delivery found no longer due (the workflow's LEGACY_REPLANNED). */
const REPLANNED = 'replanned';

type Delivery = ReturnType<typeof createDeliveryActivities>;
type FanOut = ReturnType<typeof createFanOutActivities>;

interface LegacyDispatchResult {
  status: 'sent' | 'skipped' | 'failed' | 'fallback';
  channel?: string;
  sender?: string;
  reason?: string;
  providerMessageId?: string;
  providerErrorCode?: string;
  chatId?: string;
  text?: string;
}
type LegacyRef = OccurrenceRef & { notificationId: string };

export function createLegacyActivities(
  delivery: Delivery,
  fanOut: FanOut,
  db: { notificationRule: Db['notificationRule'] },
) {
  /** The whole new delivery of the occurrence; "no longer due" reads as a skipped occurrence. */
  const deliverWhole = async (ref: OccurrenceRef): Promise<DeliveryOutcome> => {
    const { companyId, ruleId, contactId, occurrenceDate, scheduledFor } = ref;
    const result = await delivery.deliverOccurrence({ companyId, ruleId, contactId, occurrenceDate, scheduledFor });
    return result.kind === 'handled'
      ? result.outcome
      : { status: 'skipped', reason: REPLANNED, occurrenceDate: ref.occurrenceDate };
  };

  return {
    /** Legacy step 1: now the whole delivery, reported as the outcome already recorded. */
    async beginDelivery(
      ref: OccurrenceRef,
    ): Promise<{ notificationId: string; tryLastChatFirst: boolean; existingOutcome?: DeliveryOutcome }> {
      return { notificationId: '', tryLastChatFirst: false, existingOutcome: await deliverWhole(ref) };
    },

    /** Legacy chat check (only reached by runs whose beginDelivery completed before the upgrade): the
     * new delivery decides the chat itself. */
    async checkChatWindow(_input: ReminderKey & { at: string }): Promise<{ chatId: string; channel: string } | null> {
      return null;
    },

    /** Legacy dispatch: the whole new delivery. */
    async dispatch(
      input: LegacyRef & { route: { kind: 'chat'; chatId: string } | { kind: 'rule-channel' } },
    ): Promise<LegacyDispatchResult> {
      const outcome = await deliverWhole(input);
      return {
        status: outcome.status,
        ...(outcome.channel ? { channel: outcome.channel } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.providerMessageId ? { providerMessageId: outcome.providerMessageId } : {}),
      };
    },

    /** Legacy outcome step: a dispatch that gave up is recorded as such; otherwise the delivery
     * (which recorded its outcome itself, or finds it recorded) answers. */
    async recordOutcome(
      input: LegacyRef & { result: LegacyDispatchResult; fallbackReason?: string },
    ): Promise<DeliveryOutcome> {
      if (input.result.status === 'failed' && input.result.reason?.startsWith('dispatch-gave-up')) {
        const { companyId, ruleId, contactId, occurrenceDate, scheduledFor } = input;
        const result = await delivery.recordGaveUp({
          ...{ companyId, ruleId, contactId, occurrenceDate, scheduledFor },
          reason: input.result.reason,
        });
        if (result.kind === 'handled') return result.outcome;
      }
      return deliverWhole(input);
    },

    /** Legacy fan-out start: a new progress generation. */
    async beginRuleFanOut(input: RuleFanOutInput): Promise<void> {
      await fanOut.beginRuleReconcile(input);
    },

    /** Legacy fan-out page: a reconcile page adding to the progress of the rule's current generation. */
    async fanOutRulePage(
      input: RuleFanOutInput & { limit: number },
    ): Promise<{ lastContactId: string | null; started: number }> {
      if (input.mode === 'stop') {
        await fanOut.sweepRuleReminders(input);
        return { lastContactId: null, started: 0 };
      }
      const rule = await db.notificationRule.findFirst({
        where: { id: input.ruleId },
        select: { remindersGeneration: true, remindersStarted: true },
      });
      const result = await fanOut.reconcileRulePage({
        ...input,
        generation: rule?.remindersGeneration ?? 0,
        armedSoFar: rule?.remindersStarted ?? 0,
      });
      return { lastContactId: result.lastContactId, started: result.armed };
    },
  };
}
