// The plan function every part uses (planReminder, nextSendOf, upcomingSendsOf) and the calendar
// helper under it that never schedules an occurrence the ledger already has (issue 9 item 9).
import fc from 'fast-check';
import { nextSend, nextSendAfter, type ScheduleRule } from '../../src/calendar/schedule';
import { nextSendOf, planReminder, upcomingSendOf, upcomingSendsOf } from '../../src/shared/plan-inputs';
import type { ReminderPlan } from '../../src/shared/reminder-contract';

const rule = (overrides: Partial<ScheduleRule> = {}): ScheduleRule => ({
  eventValue: '--06-15',
  recurrence: 'yearly',
  daysInAdvance: 0,
  sendTime: '09:00',
  timeZone: 'UTC',
  leapDayPolicy: 'feb28',
  ...overrides,
});

function active(plan: ReminderPlan) {
  if (!plan.active) throw new Error(`expected an active plan, got ${plan.reason}`);
  return plan;
}

describe('nextSendAfter', () => {
  test("a time-zone change after this morning's send: not this afternoon again, next year", () => {
    // Sent at 09:00 UTC; the company moves to Los Angeles, where 09:00 is 16:00 UTC the same day.
    const now = Date.parse('2027-06-15T12:00:00Z');
    const la = rule({ timeZone: 'America/Los_Angeles' });
    expect(nextSend({ ...la, now })).toMatchObject({ occurrenceDate: '2027-06-15' });
    expect(nextSendAfter({ ...la, now }, '2027-06-15')).toMatchObject({
      ok: true,
      occurrenceDate: '2028-06-15',
      sendAt: new Date('2028-06-15T16:00:00.000Z'),
    });
  });

  test('nothing handled, or an older occurrence handled: the same as nextSend', () => {
    const now = Date.parse('2027-03-01T00:00:00Z');
    expect(nextSendAfter({ ...rule(), now }, undefined)).toEqual(nextSend({ ...rule(), now }));
    expect(nextSendAfter({ ...rule(), now }, '2026-06-15')).toEqual(nextSend({ ...rule(), now }));
  });

  test('days in advance moved later after the send (10 → 0): the handled occurrence is not sent again', () => {
    const now = Date.parse('2027-06-06T00:00:00Z'); // sent on Jun 5 for Jun 15, 10 days ahead
    expect(nextSendAfter({ ...rule(), now }, '2027-06-15')).toMatchObject({ occurrenceDate: '2028-06-15' });
  });

  test('a once rule whose occurrence was handled has nothing left', () => {
    const once = rule({ recurrence: 'once', eventValue: '2027-06-15', sendTime: '18:00' });
    const now = Date.parse('2027-06-15T10:00:00Z');
    expect(nextSendAfter({ ...once, now }, '2027-06-15')).toEqual({ ok: false, reason: 'once-rule-in-past' });
  });

  test("Feb 29 with the mar1 policy: the next occurrence after a handled Mar 1 is the next year's", () => {
    const leap = rule({ eventValue: '--02-29', leapDayPolicy: 'mar1' });
    const now = Date.parse('2027-03-01T09:30:00Z');
    expect(nextSendAfter({ ...leap, now: Date.parse('2027-02-28T00:00:00Z') }, '2026-03-01')).toMatchObject({
      occurrenceDate: '2027-03-01',
    });
    expect(nextSendAfter({ ...leap, now }, '2027-03-01')).toMatchObject({ occurrenceDate: '2028-02-29' });
  });

  test('property: never an occurrence at or before the handled one, never before now, and the earliest such send', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 30 }),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'),
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') }),
        fc.integer({ min: -400, max: 400 }),
        (month, day, advance, timeZone, now, handledOffsetDays) => {
          const r = rule({
            eventValue: `--${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
            daysInAdvance: advance,
            timeZone,
          });
          const handled = new Date(now + handledOffsetDays * 86_400_000).toISOString().slice(0, 10);
          const result = nextSendAfter({ ...r, now }, handled);
          if (!result.ok) return false;
          if (result.occurrenceDate <= handled || result.sendAt.getTime() < Math.floor(now / 60_000) * 60_000)
            return false;
          // The earliest: the send of the previous occurrence is either handled or already past.
          const previous = nextSend({ ...r, now: result.sendAt.getTime() - 366 * 86_400_000 });
          return (
            !previous.ok ||
            previous.sendAt.getTime() >= result.sendAt.getTime() ||
            previous.occurrenceDate <= handled ||
            previous.sendAt.getTime() < Math.floor(now / 60_000) * 60_000
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('planReminder', () => {
  const company = { name: 'Acme', timeZone: 'UTC', leapDayPolicy: 'feb28' as const, lateGraceMinutes: 360 };
  const ruleRow = {
    name: 'Birthdays',
    enabled: true,
    kind: 'person',
    recurrence: 'yearly' as const,
    daysInAdvance: 0,
    sendTime: '09:00',
    eventField: { key: 'birthday', label: 'Birthday' },
  };
  const contact = { name: 'Ada', kind: 'person', role: 'client', fields: { birthday: '--06-15' } };

  test('active: schedule, grace, description and the handled occurrence', () => {
    const handled = { occurrenceDate: '2027-06-15', sendAt: '2027-06-15T09:00:00.000Z' };
    expect(planReminder({ rule: ruleRow, company, contact, handled })).toEqual({
      active: true,
      schedule: {
        eventValue: '--06-15',
        recurrence: 'yearly',
        daysInAdvance: 0,
        sendTime: '09:00',
        timeZone: 'UTC',
        leapDayPolicy: 'feb28',
      },
      graceMs: 360 * 60_000,
      description: 'Birthday of Ada (rule "Birthdays")',
      handled,
    });
  });

  test.each([
    ['rule-deleted', { rule: null }],
    ['rule-disabled', { rule: { ...ruleRow, enabled: false } }],
    ['contact-deleted', { contact: null }],
    ['contact-not-client', { contact: { ...contact, role: 'employee' } }],
    ['contact-kind-mismatch', { contact: { ...contact, kind: 'organization' } }],
    ['no-event-date', { contact: { ...contact, fields: {} } }],
  ] as const)('inactive: %s', (reason, change) => {
    expect(planReminder({ rule: ruleRow, company, contact, ...change })).toEqual({ active: false, reason });
  });

  test('eligibility (upcomingSendOf) and the schedule list agree with the next send, skipping the handled occurrence', () => {
    const now = Date.parse('2027-06-15T12:00:00Z');
    const plan = active(
      planReminder({
        rule: ruleRow,
        company: { ...company, timeZone: 'America/Los_Angeles' },
        contact,
        handled: { occurrenceDate: '2027-06-15', sendAt: '2027-06-15T09:00:00.000Z' },
      }),
    );
    const next = nextSendOf(plan, { now });
    expect(next).toMatchObject({ ok: true, occurrenceDate: '2028-06-15' });
    expect(upcomingSendOf(plan, now)).toEqual(next);
    expect(upcomingSendsOf(plan, now, 2).map((s) => s.occurrenceDate)).toEqual(['2028-06-15', '2029-06-15']);
    // A once rule in the past is not eligible.
    const once = planReminder({
      rule: { ...ruleRow, recurrence: 'once' },
      company,
      contact: { ...contact, fields: { birthday: '2020-01-01' } },
    });
    expect(upcomingSendOf(once, now)).toBeNull();
  });
});
