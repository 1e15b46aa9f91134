// The planning activity in Temporal's MockActivityEnvironment, on a real database.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReminderActivities } from '../../src/activities';
import { sharedChannels } from '../../src/delivery/ports';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { createTestDatabase, type TestDatabase } from '../support/database';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb.close());

async function setup(contact: { role?: 'client' | 'employee'; birthday?: string }) {
  const { db } = testDb;
  const { company } = await createCompanyWithAdmin(db, { name: 'Plan Co', timeZone: 'America/New_York' });
  const field = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  const c = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      role: contact.role ?? 'client',
      name: 'Grace Hopper',
      fields: contact.birthday ? { birthday: contact.birthday } : {},
    },
  });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthdays',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'email',
      sendTime: '08:30',
      daysInAdvance: 2,
      bodyTemplate: 'Hi',
    },
  });
  return { key: { companyId: company.id, ruleId: rule.id, contactId: c.id } };
}

test('loadReminderPlan returns the schedule inputs of a client with a birthday', async () => {
  const { key } = await setup({ birthday: '--12-09' });
  const activities = createReminderActivities({ db: testDb.db, channels: sharedChannels({}) });
  const plan = await new MockActivityEnvironment().run(activities.loadReminderPlan, key);
  expect(plan).toEqual({
    active: true,
    schedule: {
      eventValue: '--12-09',
      recurrence: 'yearly',
      daysInAdvance: 2,
      sendTime: '08:30',
      timeZone: 'America/New_York',
      leapDayPolicy: 'feb28',
    },
    graceMs: 6 * 3_600_000,
    description: 'Birthday of Grace Hopper (rule "Birthdays")',
  });
});

test('loadReminderPlan ends the reminder of an employee and of a contact without the date', async () => {
  const activities = createReminderActivities({ db: testDb.db, channels: sharedChannels({}) });
  const env = new MockActivityEnvironment();
  expect(
    await env.run(activities.loadReminderPlan, (await setup({ role: 'employee', birthday: '--01-01' })).key),
  ).toEqual({ active: false, reason: 'contact-not-client' });
  expect(await env.run(activities.loadReminderPlan, (await setup({})).key)).toEqual({
    active: false,
    reason: 'no-event-date',
  });
});
