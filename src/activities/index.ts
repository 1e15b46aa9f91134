// All activities the reminder worker registers, built from their dependencies.
import { createDeliveryActivities, type DeliveryDeps } from './delivery';
import { createFanOutActivities, type FanOutDeps } from './fan-out';
import { createLegacyActivities } from './legacy';

export type ActivityDeps = DeliveryDeps & FanOutDeps;

export function createReminderActivities(deps: ActivityDeps) {
  const delivery = createDeliveryActivities(deps);
  const fanOut = createFanOutActivities(deps);
  return { ...delivery, ...fanOut, ...createLegacyActivities(delivery, fanOut, deps.db) };
}

export type ReminderActivities = ReturnType<typeof createReminderActivities>;
export type { DeliveryDeps } from './delivery';
export type { DeliveryPorts } from '../delivery/ports';
