// The Upcoming screen's API and a contact's reminders: every send due in the next 7 / 30 days across
// the company and each rule's reminder of one contact, read from the reminders' state (here the
// in-memory ReminderStates the test fills; the Temporal implementation is tested in
// reminder-states.test.ts), named with the plan, linked to the Temporal UI; and a rule's outcomes per
// day from the ledger. Company-isolated.
import { DateTime } from 'luxon';
import { birthdayClock } from '../support/birthday-clock';
import { createApiFixture, type ApiFixture } from '../support/api';

const ZONE = 'Europe/Berlin';
let f: ApiFixture;
let birthdayId: string;
let smsRuleId: string;
let emailRuleId: string;
const contactIds: Record<string, string> = {};

const { inDays, nineAm } = birthdayClock(ZONE);
/** What the scheduler does on Temporal: a running reminder sleeping until `at`. */
const run = (ruleId: string, contactId: string, at: DateTime) =>
  f.reminderStates.run({ companyId: f.a.company.id, ruleId, contactId, nextSendAt: at.toJSDate() });

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
    // The employee has no reminder (the plan never arms one for an employee).
    if (role === 'client') for (const ruleId of [smsRuleId, emailRuleId]) run(ruleId, res.body.id, nineAm(days));
  }
  const other = await f.b.api.post('/v1/contacts', {
    kind: 'person',
    name: 'Other company',
    fields: { birthday: inDays(1) },
  });
  f.reminderStates.run({
    companyId: f.b.company.id,
    ruleId: smsRuleId,
    contactId: other.body.id,
    nextSendAt: new Date(),
  });
});
afterAll(() => f?.close());

describe('GET /v1/upcoming-sends', () => {
  test('7 days: each running reminder due in the window, soonest first, with the local time, its occurrence and a link to it in the Temporal UI', async () => {
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
    expect(item).toMatchObject({
      contactId: contactIds['In three days'],
      eventLabel: 'Birthday',
      channel: 'sms',
      sendAt: nineAm(3).toUTC().toISO(),
      occurrenceDate: nineAm(3).toISODate(),
      replanPending: false,
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

  test('only running reminders are upcoming: an eligible pair whose reminder does not run is not listed', async () => {
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'No reminder running',
      fields: { birthday: inDays(1) },
    });
    const res = await f.a.api.get(`/v1/upcoming-sends?days=7`);
    expect(res.body.items.map((i: { contactId: string }) => i.contactId)).not.toContain(contact.body.id);
    await f.a.api.delete(`/v1/contacts/${contact.body.id}`);
  });

  test('a reminder sleeping on another instant than the plan (a change not applied yet) is listed at its own instant with replanPending', async () => {
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Moved birthday',
      fields: { birthday: inDays(2) },
    });
    // It still sleeps until the old birthday's send, in five days.
    run(smsRuleId, contact.body.id, nineAm(5));
    const res = await f.a.api.get(`/v1/upcoming-sends?days=7&ruleId=${smsRuleId}`);
    const item = res.body.items.find((i: { contactId: string }) => i.contactId === contact.body.id);
    expect(item).toMatchObject({ sendAt: nineAm(5).toUTC().toISO(), replanPending: true, occurrenceDate: null });
    expect(item.sendAtLocal).toContain(`${nineAm(5).toISODate()}T09:00`);
    f.reminderStates.end({ ruleId: smsRuleId, contactId: contact.body.id });
    await f.a.api.delete(`/v1/contacts/${contact.body.id}`);
  });

  test('filtered by rule; a disabled rule whose reminders still run (the fan-out has not ended them yet) lists them as re-planning', async () => {
    const one = await f.a.api.get(`/v1/upcoming-sends?days=30&ruleId=${emailRuleId}`);
    expect(one.body.items.map((i: { ruleId: string }) => i.ruleId)).toEqual([emailRuleId, emailRuleId]);
    await f.a.api.patch(`/v1/notification-rules/${emailRuleId}`, { enabled: false });
    const off = await f.a.api.get(`/v1/upcoming-sends?days=30&ruleId=${emailRuleId}`);
    expect(off.body.items.map((i: { replanPending: boolean }) => i.replanPending)).toEqual([true, true]);
    await f.a.api.patch(`/v1/notification-rules/${emailRuleId}`, { enabled: true });
  });

  test('a window other than 7 or 30 days is a 400 naming days; another company’s rule is a 404; the other company sees only its own', async () => {
    const bad = await f.a.api.get('/v1/upcoming-sends?days=90');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['query.days']);
    expect((await f.b.api.get(`/v1/upcoming-sends?ruleId=${smsRuleId}`)).status).toBe(404);
    const other = await f.b.api.get('/v1/upcoming-sends?days=30');
    // Company B's running reminder names a rule of company A: never shown to B, nor to A.
    expect(other.body).toMatchObject({ total: 0, items: [] });
    const mine = await f.a.api.get('/v1/upcoming-sends?days=30');
    expect(mine.body.items.map((i: { contactName: string }) => i.contactName)).not.toContain('Other company');
  });
});

describe('GET /v1/contacts/:id/reminders', () => {
  test('one entry per enabled rule: pending while its reminder runs (next send from the reminder), not-scheduled with reminder-missing when it does not', async () => {
    const id = contactIds['In three days']!;
    f.reminderStates.end({ ruleId: emailRuleId, contactId: id });
    const res = await f.a.api.get(`/v1/contacts/${id}/reminders`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        ruleId: smsRuleId,
        ruleName: 'Birthday SMS',
        workflowId: `reminder:${smsRuleId}:${id}`,
        status: 'pending',
        reason: null,
        sendAt: nineAm(3).toUTC().toISO(),
        sendAtLocal: expect.stringContaining(`${nineAm(3).toISODate()}T09:00`),
        occurrenceDate: nineAm(3).toISODate(),
        replanPending: false,
        plannedSendAt: nineAm(3).toUTC().toISO(),
        lastOutcome: null,
      },
      {
        ruleId: emailRuleId,
        ruleName: 'Birthday email',
        workflowId: `reminder:${emailRuleId}:${id}`,
        status: 'not-scheduled',
        reason: 'reminder-missing',
        sendAt: null,
        sendAtLocal: null,
        occurrenceDate: null,
        replanPending: false,
        plannedSendAt: nineAm(3).toUTC().toISO(),
        lastOutcome: null,
      },
    ]);
    run(emailRuleId, id, nineAm(3));
  });

  test('not eligible: the plan’s reason (an employee, no event date); never pending without a running reminder', async () => {
    const employee = await f.a.api.get(`/v1/contacts/${contactIds['Employee in two days']}/reminders`);
    expect(employee.body.items.map((i: { status: string; reason: string }) => [i.status, i.reason])).toEqual([
      ['not-scheduled', 'contact-not-client'],
      ['not-scheduled', 'contact-not-client'],
    ]);
    const undated = await f.a.api.post('/v1/contacts', { kind: 'person', name: 'No birthday' });
    const res = await f.a.api.get(`/v1/contacts/${undated.body.id}/reminders`);
    expect(
      res.body.items.map((i: { status: string; reason: string; plannedSendAt: null }) => [
        i.status,
        i.reason,
        i.plannedSendAt,
      ]),
    ).toEqual([
      ['not-scheduled', 'no-event-date', null],
      ['not-scheduled', 'no-event-date', null],
    ]);
  });

  test('the ledger’s last outcome of each pair (sent, skipped with its reason); the reminder already sleeps on the next occurrence', async () => {
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Handled today',
      fields: { birthday: inDays(0) },
    });
    const today = nineAm(0);
    const nextYear = today.plus({ years: 1 });
    const row = (ruleId: string, status: string, reason?: string) => ({
      companyId: f.a.company.id,
      ruleId,
      contactId: contact.body.id,
      occurrenceDate: today.toISODate()!,
      scheduledFor: today.toJSDate(),
      status,
      channel: 'sms',
      ...(reason ? { reason } : {}),
    });
    await f.db.notification.createMany({
      data: [row(smsRuleId, 'sent'), row(emailRuleId, 'skipped', 'no-consent')] as never,
    });
    run(smsRuleId, contact.body.id, nextYear);
    run(emailRuleId, contact.body.id, nextYear);
    const res = await f.a.api.get(`/v1/contacts/${contact.body.id}/reminders`);
    const byRule = Object.fromEntries(res.body.items.map((i: { ruleId: string }) => [i.ruleId, i]));
    expect(byRule[smsRuleId]).toMatchObject({
      status: 'pending',
      occurrenceDate: nextYear.toISODate(),
      replanPending: false,
      lastOutcome: {
        status: 'sent',
        reason: null,
        occurrenceDate: today.toISODate(),
        scheduledFor: today.toUTC().toISO(),
      },
    });
    expect(byRule[emailRuleId].lastOutcome).toMatchObject({ status: 'skipped', reason: 'no-consent' });
    f.reminderStates.end({ ruleId: smsRuleId, contactId: contact.body.id });
    f.reminderStates.end({ ruleId: emailRuleId, contactId: contact.body.id });
    await f.a.api.delete(`/v1/contacts/${contact.body.id}`);
  });

  test('another company’s contact is a 404', async () => {
    expect((await f.b.api.get(`/v1/contacts/${contactIds['In three days']}/reminders`)).status).toBe(404);
  });
});

describe('Temporal unreachable', () => {
  test('both routes answer 503 temporal_unavailable with Retry-After, never an empty 200', async () => {
    f.reminderStates.down = true;
    try {
      for (const path of ['/v1/upcoming-sends?days=7', `/v1/contacts/${contactIds['In three days']}/reminders`]) {
        const res = await f.a.api.get(path);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.body.error.code).toBe('temporal_unavailable');
      }
    } finally {
      f.reminderStates.down = false;
    }
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
