// Starts (or connects to) the services the API and the worker need, from the config:
// the database (embedded when DATABASE_URL is unset) and Temporal (an embedded dev server when
// TEMPORAL_ADDRESS is unset). Returned handles stop what was started, in reverse order.
import path from 'node:path';
import type { Config } from '../config';
import { openDatabase, type Database } from '../db/database';
import type { Logger } from './logger';
import { ensureTemporalBinaries } from './temporal-binaries';
import { startDevServer, type DevServer } from './temporal-dev-server';

export interface Services {
  database: Database;
  temporalAddress: string;
  temporalUiUrl?: string;
  stop(): Promise<void>;
}

export async function startServices(
  config: Config,
  logger: Logger,
  options: { uiCodecEndpoint?: string } = {},
): Promise<Services> {
  let devServer: DevServer | undefined;
  if (!config.TEMPORAL_ADDRESS) {
    const binaries = await ensureTemporalBinaries({
      cliPath: config.TEMPORAL_CLI_PATH,
      cacheDir: config.TEMPORAL_CACHE_DIR,
    });
    devServer = await startDevServer({
      cliPath: binaries.cli,
      dataDir: path.resolve(config.DATA_DIR, 'temporal'),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      uiCodecEndpoint: options.uiCodecEndpoint,
    });
    logger.info('embedded Temporal dev server started', { address: devServer.address, ui: devServer.uiUrl });
  }
  let database: Database;
  try {
    database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR) });
  } catch (error) {
    await devServer?.stop();
    throw error;
  }
  logger.info('database ready', { embedded: database.embedded });
  return {
    database,
    temporalAddress: config.TEMPORAL_ADDRESS ?? devServer!.address,
    temporalUiUrl: devServer?.uiUrl,
    async stop() {
      await database.close();
      await devServer?.stop();
    },
  };
}
