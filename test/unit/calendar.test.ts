import { Settings } from 'luxon';
import {
  classifyLateFire,
  isValidSendTime,
  isValidTimeZone,
  nextSend,
  parseEventValue,
  upcomingSends,
  validateScheduleRule,
  type NextSendResult,
  type ScheduleInput,
  type ScheduleRule,
} from '../../src/calendar/schedule';

const MINUTE = 60_000;

function rule(overrides: Partial<ScheduleRule> = {}): ScheduleRule {
  return {
    eventValue: '--06-15',
    recurrence: 'yearly',
    daysInAdvance: 0,
    sendTime: '09:00',
    timeZone: 'UTC',
    leapDayPolicy: 'feb28',
    ...overrides,
  };
}

function input(overrides: Partial<ScheduleInput> = {}): ScheduleInput {
  return { ...rule(), now: Date.parse('2027-01-01T00:00:00Z'), ...overrides };
}

/** Unwraps a successful result so a failure shows its reason in the assertion message. */
function sent(result: NextSendResult) {
  if (!result.ok) throw new Error(`expected a send, got reason ${result.reason}`);
  return result;
}

describe('parseEventValue', () => {
  it('parses full and yearly dates', () => {
    expect(parseEventValue('1990-06-15')).toEqual({ year: 1990, month: 6, day: 15 });
    expect(parseEventValue('--06-15')).toEqual({ year: null, month: 6, day: 15 });
    expect(parseEventValue('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseEventValue('--02-29')).toEqual({ year: null, month: 2, day: 29 });
    expect(parseEventValue('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
  });

  it.each([
    '2023-02-29', // not a leap year
    '1900-02-29', // century, not a leap year
    '--02-30',
    '--04-31',
    '2027-13-01',
    '2027-00-10',
    '2027-01-00',
    '2027-01-32',
    '0000-01-01',
    '27-01-01',
    '2027-1-1',
    '2027/01/01',
    ' 2027-01-01',
    '2027-01-01T00:00',
    '---06-15',
    '--6-15',
    '06-15',
    '',
    'birthday',
  ])('rejects %j', (value) => {
    expect(parseEventValue(value)).toBeNull();
  });
});

describe('validation helpers', () => {
  it.each(['00:00', '09:00', '12:30', '23:59'])('accepts send time %s', (t) => {
    expect(isValidSendTime(t)).toBe(true);
  });
  it.each(['24:00', '9:00', '09:0', '09:60', '0900', '09:00:00', '', ' 09:00'])('rejects send time %j', (t) => {
    expect(isValidSendTime(t)).toBe(false);
  });
  it('validates zones through IANA names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Pacific/Kiritimati')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('+05:00')).toBe(false);
  });
  it('reports why a rule can never send', () => {
    expect(validateScheduleRule(rule())).toBeNull();
    expect(validateScheduleRule(rule({ eventValue: null }))).toBe('no-event-value');
    expect(validateScheduleRule(rule({ eventValue: '2023-02-29' }))).toBe('malformed-event-value');
    expect(validateScheduleRule(rule({ recurrence: 'once' }))).toBe('once-rule-needs-full-date');
    expect(validateScheduleRule(rule({ daysInAdvance: 366 }))).toBe('invalid-days-in-advance');
    expect(validateScheduleRule(rule({ daysInAdvance: -1 }))).toBe('invalid-days-in-advance');
    expect(validateScheduleRule(rule({ daysInAdvance: 1.5 }))).toBe('invalid-days-in-advance');
    expect(validateScheduleRule(rule({ sendTime: '25:00' }))).toBe('invalid-send-time');
    expect(validateScheduleRule(rule({ timeZone: 'Nowhere/Special' }))).toBe('invalid-time-zone');
    expect(validateScheduleRule(rule({ recurrence: 'monthly' as never }))).toBe('invalid-recurrence');
    expect(validateScheduleRule(rule({ leapDayPolicy: 'skip' as never }))).toBe('invalid-leap-day-policy');
  });
});

describe('nextSend / upcomingSends', () => {
  it('yearly birthday 3 days in advance at 09:00 Berlin, then the following years', () => {
    const birthday = rule({ eventValue: '--06-15', daysInAdvance: 3, timeZone: 'Europe/Berlin' });
    const from = Date.parse('2027-01-01T00:00:00Z');

    const next = sent(nextSend({ ...birthday, now: from }));
    expect(next.sendAt.toISOString()).toBe('2027-06-12T07:00:00.000Z');
    expect(next.occurrenceDate).toBe('2027-06-15');
    expect(next.sendDate).toBe('2027-06-12');
    expect(next.sendAtLocal).toBe('2027-06-12T09:00:00.000+02:00');

    const sends = upcomingSends(birthday, from, 3);
    expect(sends.map((s) => s.sendAt.toISOString())).toEqual([
      '2027-06-12T07:00:00.000Z',
      '2028-06-12T07:00:00.000Z',
      '2029-06-12T07:00:00.000Z',
    ]);
    expect(sends.map((s) => s.occurrenceDate)).toEqual(['2027-06-15', '2028-06-15', '2029-06-15']);
  });

  it('a yearly rule with a full date recurs every year, including before the stated year', () => {
    const next = sent(nextSend(input({ eventValue: '2030-06-15' })));
    expect(next.occurrenceDate).toBe('2027-06-15');
  });

  describe('Feb 29', () => {
    it.each([
      ['feb28', '2027-02-28', '2027-02-28T12:00:00.000Z'],
      ['mar1', '2027-03-01', '2027-03-01T12:00:00.000Z'],
    ] as const)('non-leap 2027 under %s', (leapDayPolicy, occurrence, sendAt) => {
      const next = sent(nextSend(input({ eventValue: '--02-29', sendTime: '12:00', leapDayPolicy })));
      expect(next.occurrenceDate).toBe(occurrence);
      expect(next.sendAt.toISOString()).toBe(sendAt);
    });

    it.each(['feb28', 'mar1'] as const)('leap 2028 under %s is Feb 29', (leapDayPolicy) => {
      const next = sent(
        nextSend(
          input({ eventValue: '--02-29', sendTime: '12:00', leapDayPolicy, now: Date.parse('2027-06-01T00:00:00Z') }),
        ),
      );
      expect(next.occurrenceDate).toBe('2028-02-29');
      expect(next.sendAt.toISOString()).toBe('2028-02-29T12:00:00.000Z');
    });

    it('a full-date leap birthday follows the policy too, and upcomingSends walks the years', () => {
      const sends = upcomingSends(
        rule({ eventValue: '2000-02-29', leapDayPolicy: 'mar1' }),
        Date.parse('2027-01-01T00:00:00Z'),
        3,
      );
      expect(sends.map((s) => s.occurrenceDate)).toEqual(['2027-03-01', '2028-02-29', '2029-03-01']);
    });
  });

  describe('daylight saving time', () => {
    it('a time in the spring-forward gap moves forward by the gap (New York 02:30 -> 03:30 EDT)', () => {
      const next = sent(nextSend(input({ eventValue: '--03-14', sendTime: '02:30', timeZone: 'America/New_York' })));
      expect(next.sendAt.toISOString()).toBe('2027-03-14T07:30:00.000Z');
      expect(next.sendAtLocal).toBe('2027-03-14T03:30:00.000-04:00');
      expect(next.sendDate).toBe('2027-03-14');
    });

    it('an ambiguous fall-back time is the earlier instant (London 01:30 -> 01:30 BST)', () => {
      const next = sent(nextSend(input({ eventValue: '--10-31', sendTime: '01:30', timeZone: 'Europe/London' })));
      expect(next.sendAt.toISOString()).toBe('2027-10-31T00:30:00.000Z');
      expect(next.sendAtLocal).toBe('2027-10-31T01:30:00.000+01:00');
    });

    it('New York fall-back 01:30 is 01:30 EDT', () => {
      const next = sent(nextSend(input({ eventValue: '--11-07', sendTime: '01:30', timeZone: 'America/New_York' })));
      expect(next.sendAt.toISOString()).toBe('2027-11-07T05:30:00.000Z');
    });

    it('a 30-minute DST gap (Lord Howe 02:15 -> 02:45)', () => {
      const next = sent(nextSend(input({ eventValue: '--10-03', sendTime: '02:15', timeZone: 'Australia/Lord_Howe' })));
      expect(next.sendAtLocal).toBe('2027-10-03T02:45:00.000+11:00');
      expect(next.sendAt.toISOString()).toBe('2027-10-02T15:45:00.000Z');
    });

    it('a midnight gap (Santiago 00:30 -> 01:30 on the same date)', () => {
      const next = sent(nextSend(input({ eventValue: '--09-05', sendTime: '00:30', timeZone: 'America/Santiago' })));
      expect(next.sendAtLocal).toBe('2027-09-05T01:30:00.000-03:00');
    });

    // luxon's own DateTime.fromObject resolves ambiguous times from the offset at Settings.now(),
    // so it would answer differently in summer and winter. Ours must not depend on the clock.
    it('does not depend on the current time of the machine', () => {
      const original = Settings.now;
      try {
        const results = ['2026-01-15T00:00:00Z', '2026-07-15T00:00:00Z'].map((clock) => {
          Settings.now = () => Date.parse(clock);
          return sent(nextSend(input({ eventValue: '--10-31', sendTime: '01:30', timeZone: 'Europe/London' })));
        });
        expect(results[0]?.sendAt.toISOString()).toBe('2027-10-31T00:30:00.000Z');
        expect(results[1]?.sendAt.toISOString()).toBe('2027-10-31T00:30:00.000Z');
      } finally {
        Settings.now = original;
      }
    });
  });

  it('advance crossing New Year: event Jan 2, 5 days before is Dec 28 of the previous year', () => {
    const next = sent(
      nextSend(input({ eventValue: '--01-02', daysInAdvance: 5, now: Date.parse('2027-06-01T00:00:00Z') })),
    );
    expect(next.occurrenceDate).toBe('2028-01-02');
    expect(next.sendDate).toBe('2027-12-28');
    expect(next.sendAt.toISOString()).toBe('2027-12-28T09:00:00.000Z');
  });

  it('advance of 365 days across a leap year', () => {
    const next = sent(nextSend(input({ eventValue: '--03-01', daysInAdvance: 365 })));
    expect(next.occurrenceDate).toBe('2028-03-01');
    expect(next.sendDate).toBe('2027-03-02'); // 2028 has Feb 29
  });

  it('the year search reaches three years past now (UTC+14, Jan 1, 365 days, late on Dec 31 UTC)', () => {
    // Occurrence 2027-01-01 is sent 2026-01-01 00:00 +14:00 = 2025-12-31T10:00Z, already past,
    // so the next send belongs to occurrence 2028-01-01, three years after now's UTC year.
    const next = sent(
      nextSend(
        input({
          eventValue: '--01-01',
          daysInAdvance: 365,
          sendTime: '00:00',
          timeZone: 'Pacific/Kiritimati',
          now: Date.parse('2025-12-31T23:00:00Z'),
        }),
      ),
    );
    expect(next.occurrenceDate).toBe('2028-01-01');
    expect(next.sendDate).toBe('2027-01-01');
    expect(next.sendAt.toISOString()).toBe('2026-12-31T10:00:00.000Z');
  });

  it('0 days in advance sends on the day itself', () => {
    const next = sent(nextSend(input({ eventValue: '--06-15', daysInAdvance: 0 })));
    expect(next.sendDate).toBe('2027-06-15');
    expect(next.sendAt.toISOString()).toBe('2027-06-15T09:00:00.000Z');
  });

  describe('once rule', () => {
    it('in the future sends once', () => {
      const once = rule({ eventValue: '2028-03-10', recurrence: 'once', daysInAdvance: 2, timeZone: 'Europe/Berlin' });
      const next = sent(nextSend({ ...once, now: Date.parse('2027-01-01T00:00:00Z') }));
      expect(next.occurrenceDate).toBe('2028-03-10');
      expect(next.sendAt.toISOString()).toBe('2028-03-08T08:00:00.000Z');
      expect(upcomingSends(once, Date.parse('2027-01-01T00:00:00Z'), 5)).toHaveLength(1);
    });

    it('in the past has nothing left', () => {
      const once = rule({ eventValue: '2026-03-10', recurrence: 'once' });
      expect(nextSend({ ...once, now: Date.parse('2027-01-01T00:00:00Z') })).toEqual({
        ok: false,
        reason: 'once-rule-in-past',
      });
      expect(upcomingSends(once, Date.parse('2027-01-01T00:00:00Z'), 5)).toEqual([]);
    });

    it('needs a full date', () => {
      expect(nextSend(input({ eventValue: '--03-10', recurrence: 'once' }))).toEqual({
        ok: false,
        reason: 'once-rule-needs-full-date',
      });
    });
  });

  describe('now at the send minute', () => {
    const sendAt = Date.parse('2027-06-15T09:00:00Z');
    it.each([0, 1, 30_000, 59_999])('counts %i ms into the send minute', (delta) => {
      expect(sent(nextSend(input({ now: sendAt + delta }))).sendAt.getTime()).toBe(sendAt);
    });
    it('one minute after does not count: next year', () => {
      expect(sent(nextSend(input({ now: sendAt + MINUTE }))).occurrenceDate).toBe('2028-06-15');
    });
    it('accepts a Date for now', () => {
      expect(sent(nextSend(input({ now: new Date(sendAt) }))).sendAt.getTime()).toBe(sendAt);
    });
    it('upcomingSends starts at the send minute too', () => {
      expect(upcomingSends(rule(), sendAt + 59_999, 1)[0]?.sendAt.getTime()).toBe(sendAt);
      expect(upcomingSends(rule(), sendAt + MINUTE, 1)[0]?.occurrenceDate).toBe('2028-06-15');
    });
  });

  describe('grace', () => {
    const sendAt = Date.parse('2027-06-15T09:00:00Z');
    it('a send missed by no more than graceMs is still returned', () => {
      const next = sent(nextSend(input({ now: sendAt + 3_600_000, graceMs: 3_600_000 })));
      expect(next.sendAt.getTime()).toBe(sendAt);
      expect(classifyLateFire(next.sendAt, sendAt + 3_600_000, 3_600_000)).toBe('late-within-grace');
    });
    it('beyond graceMs the next occurrence is returned', () => {
      expect(sent(nextSend(input({ now: sendAt + 3_600_001, graceMs: 3_600_000 }))).occurrenceDate).toBe('2028-06-15');
    });
    it('rejects a negative grace', () => {
      expect(nextSend(input({ graceMs: -1 }))).toEqual({ ok: false, reason: 'invalid-grace' });
    });
  });

  describe('extreme offsets', () => {
    it('UTC+14 (Pacific/Kiritimati): local 09:00 Jan 1 is 19:00Z the day before', () => {
      const next = sent(
        nextSend(
          input({ eventValue: '--01-01', timeZone: 'Pacific/Kiritimati', now: Date.parse('2027-12-01T00:00:00Z') }),
        ),
      );
      expect(next.occurrenceDate).toBe('2028-01-01');
      expect(next.sendAt.toISOString()).toBe('2027-12-31T19:00:00.000Z');
      expect(next.sendAtLocal).toBe('2028-01-01T09:00:00.000+14:00');
    });

    it('UTC+14: after local 09:00 Jan 1 (still Dec 31 in UTC) the next year is due', () => {
      const next = sent(
        nextSend(
          input({ eventValue: '--01-01', timeZone: 'Pacific/Kiritimati', now: Date.parse('2027-01-01T00:00:00Z') }),
        ),
      );
      expect(next.occurrenceDate).toBe('2028-01-01');
    });

    it('UTC-11 (Pacific/Pago_Pago): at 00:00Z Jan 1 it is still Dec 31 locally, so that evening is next', () => {
      const next = sent(nextSend(input({ eventValue: '--12-31', timeZone: 'Pacific/Pago_Pago', sendTime: '18:00' })));
      expect(next.occurrenceDate).toBe('2026-12-31');
      expect(next.sendAt.toISOString()).toBe('2027-01-01T05:00:00.000Z');
      expect(next.sendAtLocal).toBe('2026-12-31T18:00:00.000-11:00');
    });

    it('UTC-11 (Pacific/Pago_Pago): local 09:00 is 20:00Z the same day', () => {
      const next = sent(nextSend(input({ eventValue: '--06-15', timeZone: 'Pacific/Pago_Pago' })));
      expect(next.sendAt.toISOString()).toBe('2027-06-15T20:00:00.000Z');
      expect(next.sendAtLocal).toBe('2027-06-15T09:00:00.000-11:00');
    });
  });

  describe('nothing to schedule', () => {
    it.each([
      [null, 'no-event-value'],
      [undefined, 'no-event-value'],
      ['', 'no-event-value'],
      ['2023-02-29', 'malformed-event-value'],
      ['--02-30', 'malformed-event-value'],
      ['15/06/1990', 'malformed-event-value'],
    ] as const)('event value %j -> %s', (eventValue, reason) => {
      expect(nextSend(input({ eventValue }))).toEqual({ ok: false, reason });
      expect(upcomingSends(rule({ eventValue }), 0, 3)).toEqual([]);
    });

    it('invalid now', () => {
      expect(nextSend(input({ now: new Date(NaN) }))).toEqual({ ok: false, reason: 'invalid-now' });
      expect(nextSend(input({ now: Number.POSITIVE_INFINITY }))).toEqual({ ok: false, reason: 'invalid-now' });
    });

    it('upcomingSends rejects a bad count', () => {
      expect(() => upcomingSends(rule(), 0, -1)).toThrow(RangeError);
      expect(() => upcomingSends(rule(), 0, 1.5)).toThrow(RangeError);
      expect(upcomingSends(rule(), 0, 0)).toEqual([]);
    });
  });
});

describe('classifyLateFire', () => {
  const sendAt = new Date('2027-06-15T09:00:00Z');
  const grace = 6 * 3_600_000;
  it.each([
    [-5_000, 'on-time'],
    [0, 'on-time'],
    [59_999, 'on-time'],
    [60_000, 'late-within-grace'],
    [grace, 'late-within-grace'],
    [grace + 1, 'stale'],
  ] as const)('%i ms late is %s', (late, expected) => {
    expect(classifyLateFire(sendAt, sendAt.getTime() + late, grace)).toBe(expected);
  });
  it('with no grace anything a minute late is stale', () => {
    expect(classifyLateFire(sendAt, sendAt.getTime() + 60_000, 0)).toBe('stale');
  });
});
