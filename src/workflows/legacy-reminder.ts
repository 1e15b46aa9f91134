// The reminder workflow as it was before the engine rework (patch `reminder-v2` in reminder.ts):
// kept verbatim so runs started on it replay and finish their current occurrence. Its activities
// are adapters onto the new delivery (src/activities/legacy.ts); its continue-as-new starts a run
// of the new code. Remove (with `deprecatePatch`) once no run started before the rework remains:
// `temporal workflow list --query 'WorkflowType="reminderWorkflow" AND ExecutionStatus="Running"'`
// and `temporal workflow show` of each shows no `reminder-v2` marker — at the latest a year after
// the upgrade, when every yearly reminder has sent once.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { classifyLateFire, nextSend } from '../calendar/schedule';
import { NextSendAtAttr } from '../shared/search-attributes';
import {
  reminderChangedSignal,
  reminderStateQuery,
  type DeliveryOutcome,
  type ReminderInput,
  type ReminderKey,
  type ReminderState,
  type ReminderWorkflow,
} from '../shared/reminder-contract';
import { legacyDbActivities as dbActivities, legacyDispatchActivities as dispatchActivities } from './retry-policies';

const MINUTE_MS = 60_000;

// Frozen code is exempt from the duplicate check: sharing its opening with reminder.ts would let a
// change there alter what old runs replay.
/* jscpd:ignore-start */

export async function legacyReminderWorkflow(input: ReminderInput): Promise<ReminderState> {
  const key: ReminderKey = { companyId: input.companyId, ruleId: input.ruleId, contactId: input.contactId };
  const state: ReminderState = { phase: 'planning', lastOutcome: input.lastOutcome };
  let changed = false;
  setHandler(reminderChangedSignal, () => {
    changed = true;
  });
  setHandler(reminderStateQuery, () => state);
  // Set when a change interrupted the sleep after the send instant had passed: see `graceMs`.
  let dueWhenInterrupted = false;

  for (;;) {
    changed = false;
    state.phase = 'planning';
    const plan = await dbActivities.loadReminderPlan(key);
    if (!plan.active) return end(state, plan.reason);
    // Shown in the Temporal UI's "current details" of the workflow.
    setCurrentDetails(plan.description);

    // Never plan the occurrence just handled again: start one minute after its send instant.
    const notBefore = input.lastSendAt ? Date.parse(input.lastSendAt) + MINUTE_MS : 0;
    const now = Math.max(Date.now(), notBefore);
    // After an outage the fired timer and a pending `reminderChanged` reach the workflow in the
    // same task, and the signal wins: re-planning from "now" alone silently dropped the send that
    // fell due meanwhile (no ledger row, no feed entry). Such a send still counts within the
    // grace period, as the late timer would have; never reaching back before `notBefore`.
    const graceMs = dueWhenInterrupted ? Math.min(plan.graceMs, now - notBefore) : 0;
    const next = nextSend({ ...plan.schedule, now, graceMs });
    if (!next.ok) return end(state, next.reason);

    Object.assign(state, {
      phase: 'sleeping',
      nextSendAt: next.sendAt.toISOString(),
      nextSendAtLocal: next.sendAtLocal,
      occurrenceDate: next.occurrenceDate,
    });
    upsertSearchAttributes([{ key: NextSendAtAttr, value: next.sendAt }]);
    setCurrentDetails(
      `${plan.description}: next send ${next.sendAtLocal} for the occurrence on ${next.occurrenceDate}`,
    );

    const interrupted = await condition(() => changed, Math.max(next.sendAt.getTime() - Date.now(), 0));
    if (interrupted) {
      dueWhenInterrupted = Date.now() >= next.sendAt.getTime();
      continue;
    }

    state.phase = 'delivering';
    const outcome = await deliver({
      ...key,
      occurrenceDate: next.occurrenceDate,
      scheduledFor: next.sendAt.toISOString(),
      stale: classifyLateFire(next.sendAt, new Date(Date.now()), plan.graceMs) === 'stale',
    });
    // A fresh run per occurrence keeps the history a few dozen events long, forever.
    return continueAsNew<ReminderWorkflow>({
      ...key,
      lastOccurrenceDate: next.occurrenceDate,
      lastSendAt: next.sendAt.toISOString(),
      lastOutcome: outcome,
    });
  }

  function end(s: ReminderState, reason: string): ReminderState {
    setCurrentDetails(`ended: ${reason}`);
    s.phase = 'ended';
    s.endReason = reason;
    delete s.nextSendAt;
    delete s.nextSendAtLocal;
    // The occurrence of an abandoned plan will never be handled: an ended reminder that still
    // reported it (rule disabled, contact now an employee) read as "due on <date>".
    delete s.occurrenceDate;
    return s;
  }
}

/** Ledger first, then last chat (if the rule asks and a window is open), then the rule's
 * channel, then the feeds. */
async function deliver(
  occ: ReminderKey & { occurrenceDate: string; scheduledFor: string; stale: boolean },
): Promise<DeliveryOutcome> {
  const { occurrenceDate, scheduledFor, stale, ...key } = occ;
  const ref = { ...key, occurrenceDate, scheduledFor };
  const ledger = await dbActivities.beginDelivery(ref);
  if (ledger.existingOutcome) return ledger.existingOutcome;
  if (stale) {
    return dbActivities.recordOutcome({
      ...ref,
      notificationId: ledger.notificationId,
      result: { status: 'skipped', reason: 'stale' },
    });
  }

  let fallbackReason: string | undefined;
  if (ledger.tryLastChatFirst) {
    const chat = await dbActivities.checkChatWindow({ ...key, at: new Date(Date.now()).toISOString() });
    if (chat) {
      const viaChat = await dispatchOrGiveUp(
        { ...ref, notificationId: ledger.notificationId, route: { kind: 'chat', chatId: chat.chatId } },
        'fallback',
      );
      if (viaChat.status !== 'fallback') {
        return dbActivities.recordOutcome({ ...ref, notificationId: ledger.notificationId, result: viaChat });
      }
      fallbackReason = viaChat.reason;
    } else {
      fallbackReason = 'no-open-chat';
    }
  }
  const result = await dispatchOrGiveUp(
    { ...ref, notificationId: ledger.notificationId, route: { kind: 'rule-channel' } },
    'failed',
  );
  return dbActivities.recordOutcome({ ...ref, notificationId: ledger.notificationId, result, fallbackReason });
}

/** A dispatch that exhausted its retries (or failed in a way no retry fixes) must not fail the
 * reminder: the occurrence is recorded (chat → fall back; channel → failed) and the workflow
 * goes on to the next occurrence. */
async function dispatchOrGiveUp(
  input: Parameters<typeof dispatchActivities.dispatch>[0],
  onFailure: 'fallback' | 'failed',
): Promise<Awaited<ReturnType<typeof dispatchActivities.dispatch>>> {
  try {
    return await dispatchActivities.dispatch(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause =
      error.cause instanceof ApplicationFailure
        ? (error.cause.type ?? error.cause.message)
        : (error.cause?.message ?? 'unknown');
    return { status: onFailure, reason: `dispatch-gave-up: ${cause}` };
  }
}
/* jscpd:ignore-end */
