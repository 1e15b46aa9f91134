// An app on a fresh database with two companies, for API tests.
import request from 'supertest';
import { createApp, type AppDeps } from '../../src/api/app';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import type { Db } from '../../src/db/client';
import type { ChannelDirectory } from '../../src/delivery/ports';
import { silentLogger } from '../../src/runtime/logger';
import { createTestDatabase } from './database';
import { memoryReminderStates } from './memory-reminder-states';

export const TEST_MAILBOX_KEY = Buffer.alloc(32, 7);

/** `options`: what some tests add to the app (mailbox host checks, senders for test sends, the
 * companies' channel directory on the fixture's database, the Temporal UI, the reminders' state).
 * Without Temporal, the reminders' state is an in-memory fake the test fills (`reminderStates`). */
export async function createApiFixture(
  options: Partial<Pick<AppDeps, 'mailboxConnect'>> &
    Pick<AppDeps, 'delivery' | 'temporalUi' | 'reminderStates'> & { channels?: (db: Db) => ChannelDirectory } = {},
) {
  const testDb = await createTestDatabase();
  const reminderStates = memoryReminderStates();
  const { channels, ...appOptions } = options;
  // No relay: the changes a request records stay in the outbox for the test to read.
  const app = createApp({
    ...(channels ? { channels: channels(testDb.db) } : {}),
    db: testDb.db,
    logger: silentLogger,
    mailboxSecretKey: TEST_MAILBOX_KEY,
    health: { database: async () => undefined, temporal: async () => undefined },
    reminderStates,
    ...appOptions,
  });
  const a = await createCompanyWithAdmin(testDb.db, { name: 'Company A', timeZone: 'Europe/Berlin' });
  const b = await createCompanyWithAdmin(testDb.db, { name: 'Company B', timeZone: 'America/New_York' });
  const as = (key: string) => ({
    get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${key}`),
    post: (path: string, body?: object) =>
      request(app)
        .post(path)
        .set('Authorization', `Bearer ${key}`)
        .send(body ?? {}),
    patch: (path: string, body?: object) =>
      request(app)
        .patch(path)
        .set('Authorization', `Bearer ${key}`)
        .send(body ?? {}),
    put: (path: string, body?: object) =>
      request(app)
        .put(path)
        .set('Authorization', `Bearer ${key}`)
        .send(body ?? {}),
    delete: (path: string) => request(app).delete(path).set('Authorization', `Bearer ${key}`),
  });
  /** The id of a company's people Birthday field (a system field every company has). */
  const birthdayOf = async (companyId: string) =>
    (
      await testDb.db.contactField.findFirstOrThrow({
        where: { companyId, kind: 'person', key: 'birthday' },
      })
    ).id;
  /** The reminder changes recorded in the outbox so far, oldest first. */
  const changes = async () =>
    (await testDb.db.reminderChange.findMany({ orderBy: { id: 'asc' } })).map((c) => ({
      kind: c.kind,
      id: c.subjectId,
    }));
  return {
    testDb,
    db: testDb.db,
    app,
    changes,
    reminderStates,
    a: { ...a, api: as(a.apiKey), birthdayId: await birthdayOf(a.company.id) },
    b: { ...b, api: as(b.apiKey), birthdayId: await birthdayOf(b.company.id) },
    as,
    close: () => testDb.close(),
  };
}

export type ApiFixture = Awaited<ReturnType<typeof createApiFixture>>;
