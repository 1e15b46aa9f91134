// All activities the reminder worker registers, built from their dependencies.
import { createDeliveryActivities, type DeliveryDeps } from './delivery';
import { createPlanActivities } from './plan';

export function createReminderActivities(deps: DeliveryDeps) {
  return { ...createPlanActivities(deps.db), ...createDeliveryActivities(deps) };
}

export type ReminderActivities = ReturnType<typeof createReminderActivities>;
export type { DeliveryDeps, DeliveryPorts, DispatchResult, DispatchRoute } from './delivery';
