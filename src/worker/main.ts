// `npm run worker`: the reminder worker alone, against DATABASE_URL and TEMPORAL_ADDRESS.
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { publicBaseUrl, requireExternalServices, runMain } from '../process';
import { onShutdown } from '../shutdown';
import { buildDeliveryPorts, mailboxKey } from './delivery-ports';
import { createReminderWorker } from './worker';
import { connectTemporalClient } from '../temporal/connection';

async function main(config: Config): Promise<void> {
  const { databaseUrl, temporalAddress } = requireExternalServices(config, 'npm run worker');
  const logger = createLogger(config.LOG_LEVEL);
  // The API process migrates the schema (docker-compose starts the worker once the API is healthy).
  const database = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR, migrate: false });
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const temporal = await connectTemporalClient(temporalAddress, config.TEMPORAL_NAMESPACE);
  const worker = await createReminderWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { db: database.db, ports: buildDeliveryPorts(config), publicBaseUrl: publicBaseUrl(config), mailboxSecretKey: mailboxKey(config),
      temporal: { client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE } },
  });
  const running = worker.run();
  logger.info('worker running', { taskQueue: config.TEMPORAL_TASK_QUEUE });
  onShutdown(logger, async () => {
    // The SDK drains on SIGINT/SIGTERM by itself; ask only if it has not started to.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
    await temporal.close();
    await database.close();
  });
}

runMain(main);
