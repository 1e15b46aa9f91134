// Entry point of the workflow bundle: every workflow type the worker registers.
import type { ReconcileAllWorkflow, RuleFanOutWorkflow } from '../shared/fan-out-contract';
import type { ReminderWorkflow } from '../shared/reminder-contract';
import { reconcileAllWorkflow } from './reconciler';
import { reminderWorkflow } from './reminder';
import { ruleFanOutWorkflow } from './rule-fanout';

export { reconcileAllWorkflow, reminderWorkflow, ruleFanOutWorkflow };

// Clients are typed with the signatures in src/shared; these fail to compile if a workflow drifts.
type Holds<T extends true> = T;
export type _ReminderSignatureHolds = Holds<typeof reminderWorkflow extends ReminderWorkflow ? true : false>;
export type _FanOutSignatureHolds = Holds<typeof ruleFanOutWorkflow extends RuleFanOutWorkflow ? true : false>;
export type _ReconcilerSignatureHolds = Holds<typeof reconcileAllWorkflow extends ReconcileAllWorkflow ? true : false>;
