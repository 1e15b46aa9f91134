// Opens the database the service runs on: the configured PostgreSQL server, or, with no
// DATABASE_URL, an embedded one whose files live under the data folder. Migrations are applied
// before anything uses it.
import path from 'node:path';
import { createDb, type Db } from './client';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrateDeploy } from './migrate';

export interface Database {
  db: Db;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  const embedded = options.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: path.join(options.dataDir, 'postgres') });
  const url = options.databaseUrl ?? embedded!.url;
  try {
    await migrateDeploy(url);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const db = createDb(url, embedded ? 1 : 10);
  return {
    db,
    embedded: Boolean(embedded),
    async close() {
      await db.$disconnect();
      await embedded?.stop();
    },
  };
}
