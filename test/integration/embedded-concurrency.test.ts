// Regression: pglite-socket 0.2 interleaves concurrent connections' messages (electric-sql/pglite#1046),
// which returned other queries' rows under load. The embedded database must use one connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { openDatabase, type Database } from '../../src/db/database';

let database: Database;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'embedded-concurrency-'));
  database = await openDatabase({ dataDir });
}, 120_000);
afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the embedded database answers concurrent transactions and joined reads correctly', async () => {
  expect(database.embedded).toBe(true);
  const { db } = database;
  const { company } = await createCompanyWithAdmin(db, { name: 'Concurrency' });
  const field = await db.contactField.findFirstOrThrow({ where: { companyId: company.id } });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'r',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'sms',
      sendTime: '09:00',
      bodyTemplate: 'x',
    },
  });
  const contact = await db.contact.create({ data: { companyId: company.id, kind: 'person', name: 'x' } });
  const readRule = () =>
    db.notificationRule.findFirstOrThrow({ where: { id: rule.id }, include: { eventField: true, company: true } });
  let wrong = 0;
  for (let round = 0; round < 30; round++) {
    const [, a, , b] = await Promise.all([
      db.$transaction(async (tx) => {
        await tx.activityEntry.create({ data: { companyId: company.id, contactId: contact.id, kind: 'k', text: 't' } });
        await tx.workOrder.findMany({ where: { contactId: contact.id } });
      }),
      readRule(),
      db.$transaction(async (tx) => {
        await tx.chatMessage.count();
        await tx.contact.findFirst({ where: { id: contact.id } });
      }),
      readRule(),
    ]);
    for (const read of [a, b]) if (read.eventField?.id !== field.id || read.company?.id !== company.id) wrong++;
  }
  expect(wrong).toBe(0);
  expect(await db.activityEntry.count({ where: { contactId: contact.id } })).toBe(30);
});
