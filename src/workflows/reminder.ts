// One durable reminder per (rule, contact): sleep until the next send of its plan (moving the
// timer when a change arrives), deliver that occurrence with one activity, then continue-as-new
// with the next plan the delivery returned. Per occurrence: a timer, one activity, one
// continue-as-new — about 20 history events.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { laterHandled, nextSendOf } from '../shared/plan-inputs';
import { NextSendAtAttr } from '../shared/search-attributes';
import {
  reminderChangedSignal,
  reminderStateQuery,
  type DeliverOccurrenceResult,
  type HandledOccurrence,
  type ReminderInput,
  type ReminderKey,
  type ReminderPlan,
  type ReminderState,
} from '../shared/reminder-contract';
import { legacyReminderWorkflow } from './legacy-reminder';
import { deliveryActivities, localDbActivities } from './retry-policies';

/** Patch id of the engine rework (wire name: recorded as a marker in every run of this code). */
export const REMINDER_V2_PATCH = 'reminder-v2';
/** Reason of a legacy run's occurrence that the new delivery found no longer due (legacy.ts). */
export const LEGACY_REPLANNED = 'replanned';

export async function reminderWorkflow(input: ReminderInput): Promise<ReminderState> {
  // Runs started before the rework replay on the old code until their next continue-as-new.
  if (!patched(REMINDER_V2_PATCH)) return legacyReminderWorkflow(input);

  const key: ReminderKey = { companyId: input.companyId, ruleId: input.ruleId, contactId: input.contactId };
  const state: ReminderState = { phase: 'planning', lastOutcome: input.lastOutcome };
  let changed = false;
  setHandler(reminderChangedSignal, () => {
    changed = true;
  });
  setHandler(reminderStateQuery, () => state);

  let handled = input.lastHandled ?? handledByLegacyInput(input);
  // The plan handed in at start; `undefined` means "read it" — at the start when none was handed
  // in, and after every `reminderChanged` (also one that arrived before this run's first task).
  let plan: ReminderPlan | undefined = input.plan;
  // Set when a change interrupted the sleep after the send instant had passed: a send planned after
  // we went to sleep that fell due before we woke still counts, within the grace period.
  let dueSince: number | undefined;

  for (;;) {
    if (!plan || changed) {
      changed = false;
      state.phase = 'planning';
      plan = await localDbActivities.loadReminderPlan({ ...key });
      // A change that arrived while the plan was read: read it again.
      if (changed) continue;
    }
    if (!plan.active) return end(state, plan.reason);
    const now = Date.now();
    const graceMs = dueSince === undefined ? 0 : Math.max(0, Math.min(plan.graceMs, now - dueSince));
    const next = nextSendOf(plan, { now, graceMs, handled });
    if (!next.ok) return end(state, next.reason);

    Object.assign(state, {
      phase: 'sleeping',
      nextSendAt: next.sendAt.toISOString(),
      nextSendAtLocal: next.sendAtLocal,
      occurrenceDate: next.occurrenceDate,
    });
    // Whoever started the run set NextSendAt already; only a different instant costs an event.
    if (workflowInfo().typedSearchAttributes.get(NextSendAtAttr)?.getTime() !== next.sendAt.getTime()) {
      upsertSearchAttributes([{ key: NextSendAtAttr, value: next.sendAt }]);
    }
    // Shown in the Temporal UI's "current details" of the workflow.
    setCurrentDetails(
      `${plan.description}: next send ${next.sendAtLocal} for the occurrence on ${next.occurrenceDate}`,
    );

    const sleptAt = Date.now();
    const interrupted = await condition(() => changed, Math.max(next.sendAt.getTime() - sleptAt, 0));
    if (interrupted) {
      // After an outage the fired timer and a pending `reminderChanged` reach the workflow in the
      // same task and the signal wins: re-planning from "now" alone would drop the send that fell due.
      dueSince = Date.now() >= next.sendAt.getTime() ? sleptAt : undefined;
      continue;
    }

    state.phase = 'delivering';
    const occurrence = {
      ...key,
      occurrenceDate: next.occurrenceDate,
      scheduledFor: next.sendAt.toISOString(),
      firedAt: new Date(Date.now()).toISOString(),
      ...(handled ? { lastHandled: handled } : {}),
    };
    const result = await deliverOrGiveUp(occurrence);
    if (result.kind === 'replan') {
      // The fresh rows no longer schedule this occurrence now: sleep on the fresh plan.
      plan = result.plan;
      dueSince = undefined;
      continue;
    }
    handled = laterHandled(handled, { occurrenceDate: next.occurrenceDate, sendAt: next.sendAt.toISOString() });
    // A fresh run per occurrence keeps the history a few dozen events long, forever. A change that
    // arrived during the delivery may postdate the rows it read: the next run reads the plan then.
    return continueAsNew<typeof reminderWorkflow>({
      ...key,
      ...(changed ? {} : { plan: result.nextPlan }),
      ...(handled ? { lastHandled: handled } : {}),
      lastOutcome: result.outcome,
    });
  }
}

/**
 * A delivery that exhausted its retries (or failed in a way no retry fixes) must not fail the
 * reminder: a short local activity records the occurrence as failed, and the reminder goes on.
 */
async function deliverOrGiveUp(
  occurrence: Parameters<typeof deliveryActivities.deliverOccurrence>[0],
): Promise<DeliverOccurrenceResult> {
  try {
    return await deliveryActivities.deliverOccurrence(occurrence);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause =
      error.cause instanceof ApplicationFailure
        ? (error.cause.type ?? error.cause.message)
        : (error.cause?.message ?? 'unknown');
    return localDbActivities.recordGaveUp({ ...occurrence, reason: `dispatch-gave-up: ${cause}` });
  }
}

/** The last occurrence of a run written by the code before the rework (`lastOccurrenceDate`). */
function handledByLegacyInput(input: ReminderInput): HandledOccurrence | undefined {
  if (!input.lastOccurrenceDate || !input.lastSendAt) return undefined;
  // The new delivery found that occurrence no longer due: it was not handled.
  if (input.lastOutcome?.reason === LEGACY_REPLANNED) return undefined;
  return { occurrenceDate: input.lastOccurrenceDate, sendAt: input.lastSendAt };
}

function end(state: ReminderState, reason: string): ReminderState {
  setCurrentDetails(`ended: ${reason}`);
  state.phase = 'ended';
  state.endReason = reason;
  delete state.nextSendAt;
  delete state.nextSendAtLocal;
  // The occurrence of an abandoned plan will never be handled: an ended reminder that still
  // reported it (rule disabled, contact now an employee) read as "due on <date>".
  delete state.occurrenceDate;
  return state;
}
