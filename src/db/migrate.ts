// Applies prisma/migrations with Prisma's own `migrate deploy` (the WebAssembly schema engine,
// configured in prisma.config.ts). Run asynchronously: the embedded database may live in this
// very process and must keep answering while the CLI talks to it.
//
// Starting the CLI costs seconds (a second Node process loading Prisma and its WebAssembly engine),
// so when `_prisma_migrations` already lists every migration folder as applied, nothing is run.
import { execFile } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MIGRATIONS_DIR = path.join(REPO_ROOT, 'prisma', 'migrations');

export type MigrateResult = 'applied' | 'up-to-date';

export async function migrateDeploy(databaseUrl: string): Promise<MigrateResult> {
  if ((await pendingMigrations(databaseUrl)).length === 0) return 'up-to-date';
  const cli = require.resolve('prisma/build/index.js', { paths: [REPO_ROOT] });
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, 'migrate', 'deploy'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' } },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        // The CLI's output names the failing migration; the URL (with its password) is not echoed.
        reject(new Error(`prisma migrate deploy failed: ${redact(`${stdout}\n${stderr}`, databaseUrl)}`));
      },
    );
  });
  return 'applied';
}

/** Migration folders the database has not recorded as applied (all of them on a new database).
 * A failed or rolled-back migration counts as pending, so `migrate deploy` reports it. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const folders = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(MIGRATIONS_DIR, entry.name, 'migration.sql')))
    .map((entry) => entry.name);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>(
      `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`,
    );
    if (!table.rows[0]?.exists) return folders;
    const applied = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const done = new Set(applied.rows.map((row) => row.migration_name));
    return folders.filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

function redact(text: string, databaseUrl: string): string {
  return text.split(databaseUrl).join('<DATABASE_URL>').trim();
}
