// Loaded by path (WorkerOptions.dataConverter.failureConverterPath) in the worker and inside the
// workflow sandbox: failure messages and stack traces travel as an encoded attribute, which the
// payload codec encrypts. Workflow-safe: imports only @temporalio/common.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
