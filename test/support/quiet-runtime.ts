// Keeps the Temporal SDK's own logs to warnings so test output shows the tests.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
