// `npm run api`: the admin API alone, against DATABASE_URL and TEMPORAL_ADDRESS.
import type { Config } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../runtime/logger';
import { requireExternalServices, runMain } from '../runtime/process';
import { onShutdown } from '../runtime/shutdown';
import { connectTemporalClient } from '../runtime/temporal-connection';
import { mailboxKey } from '../security/mailbox-key';
import { createServiceApp } from './service-app';
import { listen } from './listen';

async function main(config: Config): Promise<void> {
  const { databaseUrl, temporalAddress } = requireExternalServices(config, 'npm run api');
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR });
  const temporal = await connectTemporalClient(temporalAddress, config.TEMPORAL_NAMESPACE);
  const { db } = database;
  const app = createServiceApp({ config, db, logger, temporal, mailboxSecretKey: mailboxKey(config) });
  const server = await listen(app, config.API_HOST, config.API_PORT);
  logger.info('API listening', { host: config.API_HOST, port: config.API_PORT });
  onShutdown(logger, async () => {
    await server.close();
    await temporal.close();
    await database.close();
  });
}

runMain(main);
