// The Upcoming screen's API: every send due in the next 7 / 30 days across the company (from the
// plan the reminders sleep on), filterable by rule, linked to the Temporal UI; and a rule's
// outcomes per day from the ledger. Company-isolated.
import { DateTime } from 'luxon';
import { createApiFixture, type ApiFixture } from '../support/api';

const ZONE = 'Europe/Berlin';
let f: ApiFixture;
let birthdayId: string;
let smsRuleId: string;
let emailRuleId: string;
const contactIds: Record<string, string> = {};

/** --MM-DD of the day `days` from today in the company's zone. */
const inDays = (days: number) => DateTime.now().setZone(ZONE).plus({ days }).toFormat('--MM-dd');

beforeAll(async () => {
  f = await createApiFixture({ temporalUi: { url: 'http://temporal-ui.example.test/', namespace: 'default' } });
  const fields = await f.a.api.get('/v1/contact-fields?kind=person');
  birthdayId = fields.body.items.find((x: { key: string }) => x.key === 'birthday').id;
  const rule = (name: string, channel: 'sms' | 'email') =>
    f.a.api.post('/v1/notification-rules', {
      name,
      kind: 'person',
      eventFieldId: birthdayId,
      channel,
      sendTime: '09:00',
      bodyTemplate: 'Happy birthday, {{contactName}}!',
    });
  smsRuleId = (await rule('Birthday SMS', 'sms')).body.id;
  emailRuleId = (await rule('Birthday email', 'email')).body.id;
  for (const [name, days, role] of [
    ['In three days', 3, 'client'],
    ['In twenty days', 20, 'client'],
    ['In sixty days', 60, 'client'],
    ['Employee in two days', 2, 'employee'],
  ] as const) {
    const res = await f.a.api.post('/v1/contacts', { kind: 'person', role, name, fields: { birthday: inDays(days) } });
    contactIds[name] = res.body.id;
  }
  await f.b.api.post('/v1/contacts', { kind: 'person', name: 'Other company', fields: { birthday: inDays(1) } });
});
afterAll(() => f?.close());

describe('GET /v1/upcoming-sends', () => {
  test('7 days: each client due in the window, once per rule, soonest first, with the local time and a link to its reminder in the Temporal UI', async () => {
    const res = await f.a.api.get('/v1/upcoming-sends?days=7');
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe(ZONE);
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((i: { contactName: string; ruleName: string }) => [i.contactName, i.ruleName])).toEqual(
      expect.arrayContaining([
        ['In three days', 'Birthday SMS'],
        ['In three days', 'Birthday email'],
      ]),
    );
    const item = res.body.items.find((i: { ruleId: string }) => i.ruleId === smsRuleId);
    const due = DateTime.now().setZone(ZONE).plus({ days: 3 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    expect(item).toMatchObject({
      contactId: contactIds['In three days'],
      eventLabel: 'Birthday',
      channel: 'sms',
      sendAt: due.toUTC().toISO(),
      workflowId: `reminder:${smsRuleId}:${contactIds['In three days']}`,
    });
    expect(item.sendAtLocal).toContain('09:00');
    expect(item.temporalUiUrl).toBe(
      `http://temporal-ui.example.test/namespaces/default/workflows/${encodeURIComponent(item.workflowId)}`,
    );
  });

  test('30 days adds the later birthday; the one in sixty days and the employee never appear', async () => {
    const res = await f.a.api.get('/v1/upcoming-sends?days=30');
    const names = res.body.items.map((i: { contactName: string }) => i.contactName);
    expect(res.body.total).toBe(4);
    expect(names).toEqual(['In three days', 'In three days', 'In twenty days', 'In twenty days']);
    const sendAts = res.body.items.map((i: { sendAt: string }) => i.sendAt);
    expect([...sendAts].sort()).toEqual(sendAts);
  });

  test('an occurrence the ledger has handled is not upcoming: the contact shows the next one instead', async () => {
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Handled today',
      fields: { birthday: inDays(1) },
    });
    const before = await f.a.api.get(`/v1/upcoming-sends?days=7&ruleId=${smsRuleId}`);
    const due = before.body.items.find((i: { contactId: string }) => i.contactId === contact.body.id);
    expect(due).toBeDefined();
    await f.db.notification.create({
      data: {
        companyId: f.a.company.id,
        ruleId: smsRuleId,
        contactId: contact.body.id,
        occurrenceDate: due.occurrenceDate,
        scheduledFor: new Date(due.sendAt),
        status: 'sent',
      } as never,
    });
    const after = await f.a.api.get(`/v1/upcoming-sends?days=7&ruleId=${smsRuleId}`);
    expect(after.body.items.map((i: { contactId: string }) => i.contactId)).not.toContain(contact.body.id);
    const reminders = await f.a.api.get(`/v1/contacts/${contact.body.id}/reminders`);
    const sms = reminders.body.items.find((r: { ruleId: string }) => r.ruleId === smsRuleId);
    expect(sms.occurrenceDate > due.occurrenceDate).toBe(true);
    await f.a.api.delete(`/v1/contacts/${contact.body.id}`);
  });

  test('filtered by rule; a disabled rule has nothing upcoming', async () => {
    const one = await f.a.api.get(`/v1/upcoming-sends?days=30&ruleId=${emailRuleId}`);
    expect(one.body.items.map((i: { ruleId: string }) => i.ruleId)).toEqual([emailRuleId, emailRuleId]);
    await f.a.api.patch(`/v1/notification-rules/${emailRuleId}`, { enabled: false });
    const off = await f.a.api.get(`/v1/upcoming-sends?days=30&ruleId=${emailRuleId}`);
    expect(off.body).toMatchObject({ total: 0, items: [] });
    await f.a.api.patch(`/v1/notification-rules/${emailRuleId}`, { enabled: true });
  });

  test('a window other than 7 or 30 days is a 400 naming days; another company’s rule is a 404; the other company sees only its own', async () => {
    const bad = await f.a.api.get('/v1/upcoming-sends?days=90');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['query.days']);
    expect((await f.b.api.get(`/v1/upcoming-sends?ruleId=${smsRuleId}`)).status).toBe(404);
    const other = await f.b.api.get('/v1/upcoming-sends?days=30');
    expect(other.body).toMatchObject({ total: 0, items: [] });
  });
});

describe('GET /v1/notification-rules/:id/stats', () => {
  test('outcomes per day over the last 30 days in the company zone: sent and delivered count as sent, undelivered as failed; in-progress rows, older rows and other rules are left out', async () => {
    const today = DateTime.now().setZone(ZONE).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const contactId = contactIds['In three days']!;
    const row = (ruleId: string, daysAgo: number, status: string, occurrence: string) => ({
      companyId: f.a.company.id,
      ruleId,
      contactId,
      occurrenceDate: occurrence,
      scheduledFor: today.minus({ days: daysAgo }).toJSDate(),
      status,
    });
    await f.db.notification.createMany({
      data: [
        row(smsRuleId, 0, 'sent', '2026-01-01'),
        row(smsRuleId, 0, 'delivered', '2026-01-02'),
        row(smsRuleId, 1, 'skipped', '2026-01-03'),
        row(smsRuleId, 2, 'failed', '2026-01-04'),
        row(smsRuleId, 2, 'undelivered', '2026-01-05'),
        row(smsRuleId, 0, 'pending', '2026-01-06'),
        row(smsRuleId, 40, 'sent', '2026-01-07'),
        row(emailRuleId, 0, 'sent', '2026-01-08'),
      ] as never,
    });
    const res = await f.a.api.get(`/v1/notification-rules/${smsRuleId}/stats`);
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(30);
    expect(res.body.days[29]).toEqual({ date: today.toISODate(), sent: 2, skipped: 0, failed: 0 });
    expect(res.body.days[28]).toEqual({ date: today.minus({ days: 1 }).toISODate(), sent: 0, skipped: 1, failed: 0 });
    expect(res.body.days[27]).toEqual({ date: today.minus({ days: 2 }).toISODate(), sent: 0, skipped: 0, failed: 2 });
    expect(res.body.totals).toEqual({ sent: 2, skipped: 1, failed: 2 });
  });

  test('another company cannot read a rule’s stats (404); days outside 1..90 is a 400 naming days', async () => {
    expect((await f.b.api.get(`/v1/notification-rules/${smsRuleId}/stats`)).status).toBe(404);
    const bad = await f.a.api.get(`/v1/notification-rules/${smsRuleId}/stats?days=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['query.days']);
  });
});
