// A fresh, migrated database per test file: a clone of the template that globalSetup built,
// on the PostgreSQL server (DATABASE_URL) or in an embedded PGlite.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { createDb, type Db } from '../../src/db/client';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { PGLITE_TEMPLATE_FILE, TEMPLATE_DB_NAME, testConfig } from './engines';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  db: Db;
  url: string;
  kind: 'postgresql-server' | 'pglite';
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = testConfig().DATABASE_URL;
  if (serverUrl) {
    const name = `reminders_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB_NAME}`);
    const url = withDatabase(serverUrl, name);
    const db = createDb(url);
    return {
      db,
      url,
      kind: 'postgresql-server',
      async close() {
        await db.$disconnect();
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const template = new Blob([readFileSync(PGLITE_TEMPLATE_FILE)]);
  const pg = await startEmbeddedPostgres({ loadDataDir: template });
  const db = createDb(pg.url, 1); // see createDb: one connection per embedded database
  return {
    db,
    url: pg.url,
    kind: 'pglite',
    async close() {
      await db.$disconnect();
      await pg.stop();
    },
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database (no migrations) on the same engine, for schema comparisons. */
export async function createEmptyDatabase(): Promise<{
  query(sql: string): Promise<{ rows: unknown[] }>;
  url: string;
  close(): Promise<void>;
}> {
  const serverUrl = testConfig().DATABASE_URL;
  if (serverUrl) {
    const name = `reminders_empty_${randomBytes(6).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
    const url = withDatabase(serverUrl, name);
    const client = new Client({ connectionString: url });
    await client.connect();
    return {
      url,
      query: (sql) => client.query(sql),
      async close() {
        await client.end();
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const pg = await startEmbeddedPostgres();
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  return {
    url: pg.url,
    query: (sql) => client.query(sql),
    async close() {
      await client.end();
      await pg.stop();
    },
  };
}
