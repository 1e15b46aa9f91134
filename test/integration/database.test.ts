import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { migrateDeploy, pendingMigrations } from '../../src/db/migrate';
import { hashApiKey } from '../../src/security/api-keys';
import { Client } from 'pg';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb.close());

test(`migrations are applied: every model's table answers (engine: ${process.env.DATABASE_URL ? 'PostgreSQL server' : 'PGlite'})`, async () => {
  const { db } = testDb;
  const counts = await Promise.all([
    db.company.count(),
    db.contact.count(),
    db.notificationRule.count(),
    db.notification.count(),
  ]);
  expect(counts).toEqual([0, 0, 0, 0]);
  const version = await db.$queryRaw<Array<{ server_version: string }>>`SHOW server_version`;
  expect(version[0]?.server_version).toMatch(/^\d+/);
});

test('start-up skips prisma migrate deploy when every migration folder is recorded as applied, and not otherwise', async () => {
  const folders = readdirSync(path.resolve(__dirname, '..', '..', 'prisma', 'migrations'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  expect(await pendingMigrations(testDb.url)).toEqual([]);
  const started = Date.now();
  expect(await migrateDeploy(testDb.url)).toBe('up-to-date');
  expect(Date.now() - started).toBeLessThan(2000);

  const newest = folders[folders.length - 1]!;
  const client = new Client({ connectionString: testDb.url });
  await client.connect();
  try {
    await client.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1`, [newest]);
    expect(await pendingMigrations(testDb.url)).toEqual([newest]);
    await client.query(`UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name = $1`, [newest]);
  } finally {
    await client.end();
  }

  const empty = await createEmptyDatabase();
  try {
    expect((await pendingMigrations(empty.url)).sort()).toEqual(folders);
  } finally {
    await empty.close();
  }
});

test('the migrations build exactly the schema in prisma/schema.prisma (no drift between the two)', async () => {
  // What the schema alone produces (Prisma renders it as SQL without a database), applied to an
  // empty database, must catalogue the same as the migrated one. (Prisma's own drift check needs a
  // shadow database, which its driver-adapter mode does not support: prisma/orm#27403 notes.)
  const root = path.resolve(__dirname, '..', '..');
  const cli = require.resolve('prisma/build/index.js', { paths: [root] });
  const { stdout: schemaSql } = await promisify(execFile)(
    process.execPath,
    [cli, 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
    { cwd: root, env: { ...process.env, DATABASE_URL: testDb.url, PRISMA_HIDE_UPDATE_MESSAGE: '1' } },
  );
  const empty = await createEmptyDatabase();
  try {
    await empty.query(schemaSql);
    const migrated = new Client({ connectionString: testDb.url });
    await migrated.connect();
    try {
      expect(await catalogue(migrated)).toEqual(await catalogue(empty));
    } finally {
      await migrated.end();
    }
  } finally {
    await empty.close();
  }
}, 60_000);

test('creating a company stores the API key only as a hash and adds the Birthday system field', async () => {
  const { db } = testDb;
  const created = await createCompanyWithAdmin(db, { name: 'Acme', timeZone: 'Europe/Berlin' });
  const keys = await db.apiKey.findMany({ where: { userId: created.user.id } });
  expect(keys).toHaveLength(1);
  expect(keys[0]!.keyHash).toBe(hashApiKey(created.apiKey));
  expect(JSON.stringify(keys)).not.toContain(created.apiKey);
  const fields = await db.contactField.findMany({ where: { companyId: created.company.id } });
  expect(fields).toEqual([expect.objectContaining({ kind: 'person', key: 'birthday', type: 'date', system: true })]);
});

test('the ledger refuses a second row for the same rule, contact and occurrence', async () => {
  const { db } = testDb;
  const { company } = await createCompanyWithAdmin(db, { name: 'Ledger Co' });
  const field = await db.contactField.findFirstOrThrow({ where: { companyId: company.id } });
  const contact = await db.contact.create({ data: { companyId: company.id, kind: 'person', name: 'Ada' } });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'r',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'sms',
      sendTime: '09:00',
      bodyTemplate: 'hi',
    },
  });
  const row = {
    companyId: company.id,
    ruleId: rule.id,
    contactId: contact.id,
    occurrenceDate: '2027-01-01',
    scheduledFor: new Date(),
    status: 'pending' as const,
  };
  await db.notification.create({ data: row });
  await expect(db.notification.create({ data: row })).rejects.toThrow(/Unique constraint/);
});

/** Tables, columns, constraints, indexes and enums of the public schema, in a stable order. */
async function catalogue(client: { query(sql: string): Promise<{ rows: unknown[] }> }) {
  const rows = async (sql: string) => (await client.query(sql)).rows;
  return {
    columns: await rows(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      ORDER BY table_name, column_name`),
    constraints:
      await rows(`SELECT c.conrelid::regclass::text AS table_name, c.conname::text AS name, pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace JOIN pg_class r ON r.oid = c.conrelid
      WHERE n.nspname = 'public' AND r.relname <> '_prisma_migrations' ORDER BY 1, 2`),
    indexes: await rows(`SELECT tablename::text, indexname::text, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`),
    enums:
      await rows(`SELECT t.typname::text AS name, string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`),
  };
}
