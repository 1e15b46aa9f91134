// `npm run worker`: the reminder worker alone, against DATABASE_URL and TEMPORAL_ADDRESS.
import type { Config } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../runtime/logger';
import { requireExternalServices, runMain } from '../runtime/process';
import { onShutdown } from '../runtime/shutdown';
import { mailboxKey } from '../security/mailbox-key';
import { configuredPayloadKeys } from '../security/payload-keys';
import { installTemporalRuntime } from './temporal-runtime';
import { runReminderWorker } from './worker';

async function main(config: Config): Promise<void> {
  const { databaseUrl, temporalAddress } = requireExternalServices(config, 'npm run worker');
  const logger = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT, service: 'worker' });
  // Once per process, before any worker or native connection exists.
  const runtime = installTemporalRuntime(config, logger);
  const payloadKeys = configuredPayloadKeys(config);
  if (!payloadKeys) logger.warn('payloads are not encrypted: set PAYLOAD_KEYS (the same keys as the API)');
  // The API process migrates the schema (docker-compose starts the worker once the API is healthy).
  const database = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR, migrate: false });
  const worker = await runReminderWorker({
    config,
    db: database.db,
    temporalAddress,
    mailboxSecretKey: mailboxKey(config),
    payloadKeys,
    logger,
  });
  logger.info('worker running', { taskQueue: config.TEMPORAL_TASK_QUEUE, metrics: runtime.metricsUrl ?? 'off' });
  onShutdown(logger, async () => {
    await worker.stop();
    await database.close();
  });
}

runMain(main);
