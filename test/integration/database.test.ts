import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { hashApiKey } from '../../src/security/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';

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
    status: 'pending',
  };
  await db.notification.create({ data: row });
  await expect(db.notification.create({ data: row })).rejects.toThrow(/Unique constraint/);
});
