// Opens the database the service runs on: the configured PostgreSQL server, or, with no
// DATABASE_URL, an embedded one whose files live under the data folder — opened by one process
// at a time (the data folder's lock, see data-dir-lock.ts). Migrations are applied before
// anything uses it.
import path from 'node:path';
import { createDb, type Db } from './client';
import { lockDataDir, type DataDirLockOptions } from './data-dir-lock';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { migrateDeploy, type MigrateResult } from './migrate';

export interface Database {
  db: Db;
  embedded: boolean;
  /** What start-up did about migrations: applied some, found none pending, or was told to skip. */
  migrations: MigrateResult | 'skipped';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Apply prisma/migrations first (default). The separate worker process leaves that to the API
   * so two processes never race for Prisma's migration lock. */
  migrate?: boolean;
  /** How the embedded database's data-folder lock is taken (default: refuse if held). */
  lock?: DataDirLockOptions;
  /** Called once the data folder is this process's (at once for a PostgreSQL server): what must
   * not start on a folder another process uses (the embedded Temporal) waits for it. */
  onLocked?: () => void;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  let release: (() => Promise<void>) | undefined;
  let embedded: EmbeddedPostgres | undefined;
  if (!options.databaseUrl) {
    release = await lockDataDir(options.dataDir, options.lock);
    options.onLocked?.();
    try {
      embedded = await startEmbeddedPostgres({
        dataDir: path.join(options.dataDir, 'postgres'),
        socketDir: path.join(options.dataDir, 'run'),
      });
    } catch (error) {
      await release();
      throw error;
    }
  }
  if (options.databaseUrl) options.onLocked?.();
  const url = options.databaseUrl ?? embedded!.url;
  let migrations: Database['migrations'] = 'skipped';
  try {
    if (options.migrate !== false) migrations = await migrateDeploy(url);
  } catch (error) {
    await embedded?.stop();
    await release?.();
    throw error;
  }
  const db = createDb(url, embedded ? 1 : 10);
  return {
    db,
    embedded: Boolean(embedded),
    migrations,
    async close() {
      await db.$disconnect();
      await embedded?.stop();
      await release?.();
    },
  };
}
