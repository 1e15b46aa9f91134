// The only file of the harness that imports project code. Everything else measures the service
// from outside (HTTP API, database tables, Temporal visibility, process RSS), so the harness keeps
// working while the engine behind those surfaces is rewritten; if these modules move, only this
// file follows them.
import path from 'node:path';
import { createCompanyWithAdmin } from '../src/companies/bootstrap';
import { createDb, type Db } from '../src/db/client';
import { openDatabase } from '../src/db/database';
import { ensureTemporalBinaries } from '../src/runtime/temporal-binaries';

export type { Db };

export const REPO_ROOT = path.resolve(__dirname, '..');

/** A PostgreSQL server's database through the project's Prisma client (pool of 4: seeding only). */
export function connectDb(databaseUrl: string): { db: Db; close(): Promise<void> } {
  const db = createDb(databaseUrl, 4);
  return { db, close: () => db.$disconnect() };
}

/** The embedded database of a data folder, migrated, while no service runs on it (PGlite serves
 * one process at a time). */
export async function openEmbeddedDb(dataDir: string): Promise<{ db: Db; close(): Promise<void> }> {
  const database = await openDatabase({ dataDir });
  return { db: database.db, close: () => database.close() };
}

/** A company with its admin user, system fields and an API key, as `npm start`'s first start makes it. */
export async function createCompany(db: Db, name: string, timeZone: string) {
  const created = await createCompanyWithAdmin(db, { name, timeZone });
  return { companyId: created.company.id, apiKey: created.apiKey };
}

/** The provisioned `temporal` CLI (provisioned now if missing), for the dev server of PostgreSQL mode. */
export async function temporalCliPath(): Promise<string> {
  return (await ensureTemporalBinaries({ cliPath: process.env.TEMPORAL_CLI_PATH })).cli;
}
