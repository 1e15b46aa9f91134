// `npm run api`: the admin API alone, against DATABASE_URL and TEMPORAL_ADDRESS.
import type { Config } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { requireExternalServices, runMain } from '../process';
import { onShutdown } from '../shutdown';
import { connectTemporalClient } from '../temporal/connection';
import { createTemporalScheduler } from '../temporal/reminder-scheduler';
import { mailboxKey } from '../worker/delivery-ports';
import { createApp } from './app';
import { webhooksFromConfig } from './webhooks/from-config';
import { listen } from './listen';

async function main(config: Config): Promise<void> {
  const { databaseUrl, temporalAddress } = requireExternalServices(config, 'npm run api');
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR });
  const temporal = await connectTemporalClient(temporalAddress, config.TEMPORAL_NAMESPACE);
  const { db } = database;
  const app = createApp({
    db,
    logger,
    scheduler: createTemporalScheduler({ db, client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
    mailboxSecretKey: mailboxKey(config),
    publicRouters: [webhooksFromConfig(config, db, logger)],
    health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal: temporal.check },
  });
  const server = await listen(app, config.API_HOST, config.API_PORT);
  logger.info('API listening', { host: config.API_HOST, port: config.API_PORT });
  onShutdown(logger, async () => {
    await server.close();
    await temporal.close();
    await database.close();
  });
}

runMain(main);
