// `npm run api`: the admin API alone, against DATABASE_URL and TEMPORAL_ADDRESS.
import type { Config } from '../config';
import { openDatabase } from '../db/database';
import { createLogger } from '../runtime/logger';
import { CONSOLE_DIST } from '../runtime/console-build';
import { requireExternalServices, runMain } from '../runtime/process';
import { onShutdown } from '../runtime/shutdown';
import { connectTemporalClient } from '../runtime/temporal-connection';
import { mailboxKey } from '../security/mailbox-key';
import { payloadDataConverter } from '../security/payload-codec';
import { codecToken, configuredPayloadKeys } from '../security/payload-keys';
import { listen } from './listen';
import { repairTotals } from '../db/reconcile-runs';
import { createApiMetrics } from './metrics';
import { codecEndpointSettings, createServiceApp } from './service-app';

async function main(config: Config): Promise<void> {
  const { databaseUrl, temporalAddress } = requireExternalServices(config, 'npm run api');
  const logger = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT, service: 'api' });
  const payloadKeys = configuredPayloadKeys(config);
  const codec = codecEndpointSettings({
    keys: payloadKeys,
    token: codecToken(config, { generate: false }),
    corsOrigins: config.CODEC_CORS_ORIGINS ?? [],
    logger,
  });
  const database = await openDatabase({ databaseUrl, dataDir: config.DATA_DIR });
  const temporal = await connectTemporalClient(
    temporalAddress,
    config.TEMPORAL_NAMESPACE,
    payloadDataConverter(payloadKeys),
  );
  const { db } = database;
  const metrics = createApiMetrics({ repairTotals: () => repairTotals(db) });
  const api = createServiceApp({
    config,
    db,
    logger,
    temporal,
    mailboxSecretKey: mailboxKey(config),
    metrics,
    codec,
    consoleDir: CONSOLE_DIST,
  });
  const server = await listen(api.app, config.API_HOST, config.API_PORT);
  api.start();
  logger.info('API listening', { host: config.API_HOST, port: config.API_PORT, codecEndpoint: Boolean(codec) });
  onShutdown(logger, async () => {
    await server.close();
    await api.stop();
    await temporal.close();
    await database.close();
  });
}

runMain(main);
