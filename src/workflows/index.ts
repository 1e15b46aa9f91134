// Entry point of the workflow bundle: every workflow type the worker registers.
export { reminderWorkflow, reminderChangedSignal, reminderStateQuery } from './reminder';
export { ruleFanOutWorkflow } from './rule-fanout';
