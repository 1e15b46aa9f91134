// Temporal's time-skipping test server (the Java test server provisioned from Maven Central),
// handed to the SDK as an existing binary, plus one workflow bundle per test file.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { registerSearchAttributes } from '../../src/runtime/register-search-attributes';
import { CompanyIdAttr, ContactIdAttr, NextSendAtAttr, RuleIdAttr } from '../../src/shared/search-attributes';
import { testConfig } from './engines';

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = testConfig().TEMPORAL_TEST_SERVER_PATH;
  if (!path) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: run the tests through `npm test`');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  await registerSearchAttributes(env.connection, 'default');
  return env;
}

/** The workflow bundle of src/workflows (or of another entry, e.g. the legacy fixture). */
export async function bundleWorkflows(
  workflowsPath = require.resolve('../../src/workflows'),
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

/** Temporal's dev server (the `temporal` CLI) for tests that need visibility queries; no time skipping. */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const path = testConfig().TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is not set: run the tests through `npm test`');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: [CompanyIdAttr, RuleIdAttr, ContactIdAttr, NextSendAtAttr],
      extraArgs: ['--log-level', 'error'],
    },
  });
}
