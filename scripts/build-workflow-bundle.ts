// `npm run build`: bundles the workflow code ahead of time into WORKFLOW_BUNDLE_PATH (default
// dist/workflow-bundle.js), with the hash of its sources beside it. A production worker
// (NODE_ENV=production) runs this bundle instead of bundling at every start.
import { loadConfig } from '../src/config';
import { createLogger } from '../src/runtime/logger';
import { buildWorkflowBundle } from '../src/worker/workflow-bundle';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT, service: 'build' });
  const started = Date.now();
  const built = await buildWorkflowBundle(config.WORKFLOW_BUNDLE_PATH, logger);
  logger.info('workflow bundle built', { path: built.path, sourcesHash: built.hash, ms: Date.now() - started });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
