// All activities the reminder worker registers, built from their dependencies.
import { createDeliveryActivities, type DeliveryDeps } from './delivery';
import { createFanOutActivities, type FanOutDeps } from './fan-out';
import { createPlanActivities } from './plan';

export type ActivityDeps = DeliveryDeps & FanOutDeps;

export function createReminderActivities(deps: ActivityDeps) {
  return { ...createPlanActivities(deps.db), ...createDeliveryActivities(deps), ...createFanOutActivities(deps) };
}

export type ReminderActivities = ReturnType<typeof createReminderActivities>;
export type { DeliveryDeps, DispatchResult, DispatchRoute } from './delivery';
export type { DeliveryPorts } from '../delivery/ports';
