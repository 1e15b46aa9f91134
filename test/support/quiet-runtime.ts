// Keeps the Temporal SDK's own logs to warnings so test output shows the tests. Set as the
// runtime's default options (used when the first worker or test server creates it), not
// installed here, so a test file may still `Runtime.install` its own (e.g. with metrics).
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.defaultOptions = { logger: new DefaultLogger('WARN') };
