// Opens the database the service runs on: the configured PostgreSQL server, or, with no
// DATABASE_URL, an embedded one whose files live under the data folder. Migrations are applied
// before anything uses it.
import path from 'node:path';
import { createDb, type Db } from './client';
import { startEmbeddedPostgres } from './embedded-postgres';
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
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(options.dataDir, 'postgres') });
  const url = options.databaseUrl ?? embedded!.url;
  let migrations: Database['migrations'] = 'skipped';
  try {
    if (options.migrate !== false) migrations = await migrateDeploy(url);
  } catch (error) {
    await embedded?.stop();
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
    },
  };
}
