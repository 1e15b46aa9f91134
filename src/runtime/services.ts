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
  // The two start side by side, which saves the shorter one's time at every start — but the
  // embedded Temporal only once the data folder's lock is ours: the lock is what tells a second
  // `npm start` on the same DATA_DIR (or an admin command) that the folder is taken.
  let folderIsOurs!: () => void;
  let folderRefused!: (error: unknown) => void;
  const locked = new Promise<void>((resolve, reject) => {
    folderIsOurs = resolve;
    folderRefused = reject;
  });
  const openingDatabase = timed(() =>
    openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: path.resolve(config.DATA_DIR),
      onLocked: folderIsOurs,
      lock: {
        // After a crash the previous run's lock goes stale within seconds: wait for it.
        waitForStale: true,
        onLost: (error) =>
          logger.error('the data folder lock could not be refreshed in time; another process may open the database', {
            error: error.message,
          }),
      },
    }),
  ).catch((error: unknown) => {
    folderRefused(error);
    throw error;
  });
  const [devServer, database] = await Promise.allSettled([
    config.TEMPORAL_ADDRESS
      ? Promise.resolve(undefined)
      : locked.then(() => startEmbeddedTemporal(config, logger, options)),
    openingDatabase.then(({ value, ms }) => {
      logger.info('database ready', { embedded: value.embedded, migrations: value.migrations, ms });
      return value;
    }),
  ]);
  if (devServer.status === 'rejected' || database.status === 'rejected') {
    if (database.status === 'fulfilled') await database.value.close();
    if (devServer.status === 'fulfilled') await devServer.value?.stop();
    throw devServer.status === 'rejected' ? devServer.reason : (database as PromiseRejectedResult).reason;
  }
  return {
    database: database.value,
    temporalAddress: config.TEMPORAL_ADDRESS ?? devServer.value!.address,
    temporalUiUrl: devServer.value?.uiUrl,
    async stop() {
      await database.value.close();
      await devServer.value?.stop();
    },
  };
}

async function startEmbeddedTemporal(
  config: Config,
  logger: Logger,
  options: { uiCodecEndpoint?: string },
): Promise<DevServer> {
  const { value: devServer, ms } = await timed(async () => {
    const binaries = await ensureTemporalBinaries({
      cliPath: config.TEMPORAL_CLI_PATH,
      cacheDir: config.TEMPORAL_CACHE_DIR,
    });
    return startDevServer({
      cliPath: binaries.cli,
      dataDir: path.resolve(config.DATA_DIR, 'temporal'),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      uiCodecEndpoint: options.uiCodecEndpoint,
    });
  });
  logger.info('embedded Temporal dev server started', { address: devServer.address, ui: devServer.uiUrl, ms });
  return devServer;
}

/** Runs `work` and says how long it took (start-up steps are logged with their duration). */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}
