// Runs once before the integration tests: provisions the Temporal test server binary and
// migrates one template database that every test file clones (fast, and each file starts clean).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { migrateDeploy } from '../../src/db/migrate';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { ensureTemporalBinaries } from '../../src/runtime/temporal-binaries';
import { PGLITE_TEMPLATE_FILE, TEMPLATE_DB_NAME, TEST_CACHE_DIR, testConfig } from './engines';

export default async function globalSetup(): Promise<void> {
  const config = testConfig();
  const binaries = await ensureTemporalBinaries({
    testServerPath: config.TEMPORAL_TEST_SERVER_PATH,
    cliPath: config.TEMPORAL_CLI_PATH,
    cacheDir: config.TEMPORAL_CACHE_DIR,
  });
  process.env.TEMPORAL_TEST_SERVER_PATH = binaries.testServer;
  process.env.TEMPORAL_CLI_PATH = binaries.cli;

  mkdirSync(TEST_CACHE_DIR, { recursive: true });
  if (config.DATABASE_URL) {
    await createTemplateDatabase(config.DATABASE_URL);
    process.stdout.write(`\n[test setup] PostgreSQL server: template database ${TEMPLATE_DB_NAME} migrated\n`);
  } else {
    const pg = await startEmbeddedPostgres();
    try {
      await migrateDeploy(pg.url);
      writeFileSync(PGLITE_TEMPLATE_FILE, Buffer.from(await (await pg.dump()).arrayBuffer()));
    } finally {
      await pg.stop();
    }
    process.stdout.write('\n[test setup] embedded PostgreSQL (PGlite): migrated template written\n');
  }
}

async function createTemplateDatabase(serverUrl: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB_NAME} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB_NAME}`);
  } finally {
    await admin.end();
  }
  await migrateDeploy(withDatabase(serverUrl, TEMPLATE_DB_NAME));
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
