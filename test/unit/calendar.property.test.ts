// Property tests for src/calendar/schedule.ts against an INDEPENDENT oracle.
//
// The oracle does not use luxon at all. It only asks Intl.DateTimeFormat "what does the wall clock
// in this zone show at UTC instant t?" and scans UTC instants to find the ones that show the wanted
// wall-clock time: the earliest match for an ambiguous time, and, when no instant matches (a DST
// gap), the clock jump that skips over it, shifting the time forward by the jump. Calendar-day
// arithmetic uses Date.UTC's day overflow rather than the module's helpers.
import fc from 'fast-check';
import {
  nextSend,
  parseEventValue,
  upcomingSends,
  type LeapDayPolicy,
  type Recurrence,
  type ScheduleRule,
} from '../../src/calendar/schedule';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const RUNS = 300;

const ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/St_Johns', // -03:30 with DST
  'America/Santiago', // DST changes at midnight
  'America/Havana', // DST changes at midnight
  'America/Sao_Paulo', // no DST since 2019
  'Australia/Sydney',
  'Australia/Lord_Howe', // 30-minute DST
  'Asia/Kolkata', // +05:30
  'Asia/Kathmandu', // +05:45
  'Pacific/Chatham', // +12:45 / +13:45
  'Pacific/Kiritimati', // +14
  'Pacific/Pago_Pago', // -11
  'Africa/Cairo', // DST again since 2023
] as const;

const DST_ZONES = [
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/St_Johns',
  'America/Santiago',
  'America/Havana',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Africa/Cairo',
] as const;

// ---------------------------------------------------------------------------------------------
// Oracle

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let dtf = formatters.get(zone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(zone, dtf);
  }
  return dtf;
}

/** The wall clock shown in `zone` at instant `ms`, encoded as a UTC timestamp (minute precision). */
function wallClockAt(zone: string, ms: number): number {
  const parts = formatter(zone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'));
}

const isoDate = (wall: number) => new Date(wall).toISOString().slice(0, 10);
const isoTime = (wall: number) => new Date(wall).toISOString().slice(11, 16);

interface OracleInstant {
  instant: number;
  /** Minutes the clock jumped over the requested wall time; 0 when it exists. */
  gapMinutes: number;
}

/**
 * The instant at which `zone` shows wall-clock `wall`, by scanning. Any such instant lies within
 * 15 h of `wall` (offsets are between -12 h and +14 h) and, all offsets in these zones being
 * multiples of 15 minutes, at a multiple of 15 minutes from it; the earliest match wins.
 */
function oracleInstant(zone: string, wall: number): OracleInstant {
  for (let t = wall - 15 * HOUR; t <= wall + 15 * HOUR; t += 15 * MIN) {
    if (wallClockAt(zone, t) === wall) return { instant: t, gapMinutes: 0 };
  }
  // Nothing shows `wall`: find the minute at which the clock jumps over it.
  for (let t = wall - 15 * HOUR; t <= wall + 15 * HOUR; t += MIN) {
    const before = wallClockAt(zone, t - MIN);
    const after = wallClockAt(zone, t);
    if (before < wall && after > wall) {
      const firstSkipped = before + MIN;
      return { instant: t + (wall - firstSkipped), gapMinutes: (after - firstSkipped) / MIN };
    }
  }
  throw new Error(`oracle: no instant and no gap for ${new Date(wall).toISOString()} in ${zone}`);
}

interface Case {
  zone: string;
  event: { year: number | null; month: number; day: number };
  recurrence: Recurrence;
  advance: number;
  hour: number;
  minute: number;
  policy: LeapDayPolicy;
}

interface OracleSend extends OracleInstant {
  occurrenceDate: string;
  sendDate: string;
  occurrenceYear: number;
}

function isLeap(year: number): boolean {
  return new Date(Date.UTC(year, 1, 29)).getUTCMonth() === 1;
}

function oracleSendForYear(c: Case, year: number): OracleSend {
  let { month, day } = c.event;
  if (month === 2 && day === 29 && !isLeap(year)) [month, day] = c.policy === 'feb28' ? [2, 28] : [3, 1];
  const occurrence = Date.UTC(year, month - 1, day);
  const wall = Date.UTC(year, month - 1, day - c.advance, c.hour, c.minute);
  return {
    ...oracleInstant(c.zone, wall),
    occurrenceDate: isoDate(occurrence),
    sendDate: isoDate(wall),
    occurrenceYear: year,
  };
}

/** The first send at or after the minute of `now`, or null for a once rule in the past. */
function oracleNext(c: Case, now: number): OracleSend | null {
  const threshold = Math.floor(now / MIN) * MIN;
  if (c.recurrence === 'once') {
    // Long-past dates (where zones had odd historical offsets) are in the past whatever the offset.
    const { year, month, day } = c.event as { year: number; month: number; day: number };
    if (Date.UTC(year, month - 1, day - c.advance, c.hour, c.minute) + 15 * HOUR < threshold) return null;
    const send = oracleSendForYear(c, year);
    return send.instant >= threshold ? send : null;
  }
  const nowYear = new Date(now).getUTCFullYear();
  for (let year = nowYear - 2; year <= nowYear + 4; year++) {
    // Cheap skip: a send whose wall time is more than 15 h before the threshold cannot qualify.
    let { month, day } = c.event;
    if (month === 2 && day === 29 && !isLeap(year)) [month, day] = c.policy === 'feb28' ? [2, 28] : [3, 1];
    if (Date.UTC(year, month - 1, day - c.advance, c.hour, c.minute) + 15 * HOUR < threshold) continue;
    const send = oracleSendForYear(c, year);
    if (send.instant >= threshold) return send;
  }
  throw new Error('oracle: no yearly send found');
}

function eventValueOf(event: Case['event']): string {
  const mm = String(event.month).padStart(2, '0');
  const dd = String(event.day).padStart(2, '0');
  return event.year === null ? `--${mm}-${dd}` : `${String(event.year).padStart(4, '0')}-${mm}-${dd}`;
}

function ruleOf(c: Case): ScheduleRule {
  return {
    eventValue: eventValueOf(c.event),
    recurrence: c.recurrence,
    daysInAdvance: c.advance,
    sendTime: `${String(c.hour).padStart(2, '0')}:${String(c.minute).padStart(2, '0')}`,
    timeZone: c.zone,
    leapDayPolicy: c.policy,
  };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Any month/day of a leap year, with Feb 29 over-represented. */
const monthDayArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 365 }).map((n) => {
      const d = new Date(Date.UTC(2000, 0, 1 + n));
      return { month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    }),
  },
  { weight: 1, arbitrary: fc.constant({ month: 2, day: 29 }) },
  { weight: 1, arbitrary: fc.constantFrom({ month: 1, day: 1 }, { month: 12, day: 31 }, { month: 1, day: 2 }) },
);

const fullDateArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.integer({ min: Date.UTC(1950, 0, 1) / DAY, max: Date.UTC(2045, 11, 31) / DAY }).map((days) => {
      const d = new Date(days * DAY);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(2000, 2024, 2028, 2032, 2036).map((year) => ({ year, month: 2, day: 29 })) },
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    event: fc.oneof(
      { weight: 3, arbitrary: monthDayArb.map((md) => ({ year: null, ...md })) },
      { weight: 2, arbitrary: fullDateArb },
    ),
    once: fc.boolean(),
    advance: fc.oneof(fc.constantFrom(0, 1, 5, 30, 364, 365), fc.integer({ min: 0, max: 365 })),
    // Early-morning hours are where DST gaps and overlaps live.
    hour: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
    minute: fc.oneof(fc.constantFrom(0, 30, 59), fc.integer({ min: 0, max: 59 })),
    policy: fc.constantFrom<LeapDayPolicy>('feb28', 'mar1'),
  })
  .map(({ once, ...c }) => ({ ...c, recurrence: once && c.event.year !== null ? 'once' : 'yearly' }));

const nowArb = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 11, 31, 23, 59, 59, 999) }),
  // Year boundaries, where advance and zone offsets cross into neighbouring years.
  fc
    .tuple(fc.integer({ min: 2020, max: 2040 }), fc.integer({ min: -2 * DAY, max: 2 * DAY }))
    .map(([year, delta]) => Date.UTC(year, 0, 1) + delta),
);

// ---------------------------------------------------------------------------------------------
// Properties

describe('nextSend properties (vs independent Intl scan)', () => {
  it('(a) sendAt is at or after the minute of now', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        const result = nextSend({ ...ruleOf(c), now });
        if (!result.ok) return c.recurrence === 'once' && result.reason === 'once-rule-in-past';
        return result.sendAt.getTime() >= Math.floor(now / MIN) * MIN;
      }),
      { numRuns: RUNS },
    );
  });

  it('(b) the local wall-clock time is sendTime, or sendTime shifted by the gap it falls in', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        const result = nextSend({ ...ruleOf(c), now });
        fc.pre(result.ok);
        if (!result.ok) return;
        const sendAt = result.sendAt.getTime();
        const wall = wallClockAt(c.zone, sendAt);
        const requested = Date.UTC(2000, 0, 1, c.hour, c.minute);
        const shown = Date.UTC(2000, 0, 1, new Date(wall).getUTCHours(), new Date(wall).getUTCMinutes());
        const oracle = oracleInstant(
          c.zone,
          Date.parse(`${result.sendDate}T00:00:00Z`) + (c.hour * 60 + c.minute) * MIN,
        );
        const expectedShift = oracle.gapMinutes * MIN;
        expect((shown - requested + DAY) % DAY).toBe(expectedShift % DAY);
        // sendAtLocal agrees with what Intl shows, including the numeric offset.
        const offset = (wall - sendAt) / MIN;
        const sign = offset < 0 ? '-' : '+';
        const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
        const mm = String(Math.abs(offset) % 60).padStart(2, '0');
        expect(result.sendAtLocal).toBe(`${isoDate(wall)}T${isoTime(wall)}:00.000${sign}${hh}:${mm}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('(c) the local date of sendAt is occurrenceDate minus the advance (outside gaps)', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        const result = nextSend({ ...ruleOf(c), now });
        fc.pre(result.ok);
        if (!result.ok) return;
        const [y, m, d] = result.occurrenceDate.split('-').map(Number) as [number, number, number];
        const expectedSendDate = isoDate(Date.UTC(y, m - 1, d - c.advance));
        expect(result.sendDate).toBe(expectedSendDate);
        const wall = Date.parse(`${expectedSendDate}T00:00:00Z`) + (c.hour * 60 + c.minute) * MIN;
        if (oracleInstant(c.zone, wall).gapMinutes === 0) {
          expect(isoDate(wallClockAt(c.zone, result.sendAt.getTime()))).toBe(expectedSendDate);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('(d) there is no earlier send at or after now: the previous occurrence was sent before now', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        fc.pre(c.recurrence === 'yearly');
        const result = nextSend({ ...ruleOf(c), now });
        if (!result.ok) throw new Error(`yearly rule without a send: ${result.reason}`);
        const year = Number(result.occurrenceDate.slice(0, 4));
        const previous = oracleSendForYear(c, year - 1);
        expect(previous.instant).toBeLessThan(Math.floor(now / MIN) * MIN);
      }),
      { numRuns: RUNS },
    );
  });

  it('(e) agrees with the independent computation', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        const result = nextSend({ ...ruleOf(c), now });
        const expected = oracleNext(c, now);
        if (expected === null) {
          expect(result).toEqual({ ok: false, reason: 'once-rule-in-past' });
          return;
        }
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect({
          sendAt: result.sendAt.toISOString(),
          occurrenceDate: result.occurrenceDate,
          sendDate: result.sendDate,
        }).toEqual({
          sendAt: new Date(expected.instant).toISOString(),
          occurrenceDate: expected.occurrenceDate,
          sendDate: expected.sendDate,
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('now exactly at a send minute (any second of it) returns that send; a minute later does not', () => {
    fc.assert(
      fc.property(caseArb, nowArb, fc.integer({ min: 0, max: MIN - 1 }), (c, now, within) => {
        fc.pre(c.recurrence === 'yearly');
        const first = nextSend({ ...ruleOf(c), now });
        if (!first.ok) throw new Error(first.reason);
        const at = first.sendAt.getTime();
        const again = nextSend({ ...ruleOf(c), now: at + within });
        expect(again.ok && again.sendAt.getTime()).toBe(at);
        const later = nextSend({ ...ruleOf(c), now: at + MIN });
        expect(later.ok && later.sendAt.getTime()).toBeGreaterThan(at);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Targeted DST transitions: random inputs rarely land in a gap or overlap, so build cases whose
// send wall time is within 90 minutes of a real transition found by the oracle.

const transitionCache = new Map<string, number[]>();

/** Instants t at which the zone's UTC offset changes (offset(t) != offset(t - 1 min)) in a year. */
function transitionsIn(zone: string, year: number): number[] {
  const key = `${zone}:${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const offsetAt = (t: number) => wallClockAt(zone, t) - t;
  const refine = (from: number, to: number, step: number): number => {
    for (let t = from + step; t <= to; t += step) if (offsetAt(t) !== offsetAt(from)) return t;
    throw new Error('oracle: transition vanished');
  };
  const found: number[] = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY) {
    if (offsetAt(t) !== offsetAt(t + DAY)) {
      const hour = refine(t, t + DAY, HOUR);
      found.push(refine(hour - HOUR, hour, MIN));
    }
  }
  transitionCache.set(key, found);
  return found;
}

const transitionCaseArb = fc
  .record({
    zone: fc.constantFrom(...DST_ZONES),
    year: fc.integer({ min: 2024, max: 2039 }),
    which: fc.nat(),
    delta: fc.integer({ min: -90, max: 90 }),
    advance: fc.oneof(fc.constantFrom(0, 1, 365), fc.integer({ min: 0, max: 365 })),
    once: fc.boolean(),
    policy: fc.constantFrom<LeapDayPolicy>('feb28', 'mar1'),
    lead: fc.integer({ min: 0, max: 200 * DAY }),
  })
  .map((r) => {
    const transitions = transitionsIn(r.zone, r.year);
    const t0 = transitions[r.which % Math.max(transitions.length, 1)];
    if (t0 === undefined) return null;
    // The wall time at which the change happens (start of the gap, or of the repeated period).
    const wall = wallClockAt(r.zone, t0 - MIN) + MIN + r.delta * MIN;
    const sendDay = new Date(wall);
    const occurrence = new Date(
      Date.UTC(sendDay.getUTCFullYear(), sendDay.getUTCMonth(), sendDay.getUTCDate() + r.advance),
    );
    const event = {
      year: r.once ? occurrence.getUTCFullYear() : null,
      month: occurrence.getUTCMonth() + 1,
      day: occurrence.getUTCDate(),
    };
    const c: Case = {
      zone: r.zone,
      event,
      recurrence: r.once ? 'once' : 'yearly',
      advance: r.advance,
      hour: sendDay.getUTCHours(),
      minute: sendDay.getUTCMinutes(),
      policy: r.policy,
    };
    return { c, occurrenceDate: isoDate(occurrence.getTime()), lead: r.lead };
  });

describe('DST transitions (targeted)', () => {
  it('gaps shift forward by the gap, overlaps take the earlier instant, matching the oracle', () => {
    let gaps = 0;
    let overlaps = 0;
    fc.assert(
      fc.property(transitionCaseArb, (tc) => {
        fc.pre(tc !== null);
        if (tc === null) return;
        const { c } = tc;
        const target = oracleSendForYear(c, Number(tc.occurrenceDate.slice(0, 4)));
        const now = target.instant - tc.lead;
        const result = nextSend({ ...ruleOf(c), now });
        if (!result.ok) throw new Error(result.reason);
        expect(result.occurrenceDate).toBe(tc.occurrenceDate);
        expect(result.sendAt.toISOString()).toBe(new Date(target.instant).toISOString());
        const wall = Date.parse(`${target.sendDate}T00:00:00Z`) + (c.hour * 60 + c.minute) * MIN;
        if (target.gapMinutes > 0) {
          gaps++;
          expect(wallClockAt(c.zone, result.sendAt.getTime())).toBe(wall + target.gapMinutes * MIN);
        } else {
          expect(wallClockAt(c.zone, result.sendAt.getTime())).toBe(wall);
          // Earlier instant: nothing in the preceding 3 hours shows the same wall time.
          for (let t = result.sendAt.getTime() - 3 * HOUR; t < result.sendAt.getTime(); t += 15 * MIN) {
            if (wallClockAt(c.zone, t) === wall) throw new Error('an earlier instant shows the same time');
          }
          if (
            wallClockAt(c.zone, result.sendAt.getTime() + HOUR) === wall ||
            wallClockAt(c.zone, result.sendAt.getTime() + 30 * MIN) === wall
          ) {
            overlaps++;
          }
        }
      }),
      { numRuns: RUNS },
    );
    // The generator must actually exercise both kinds of transition.
    expect(gaps).toBeGreaterThan(10);
    expect(overlaps).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------------

describe('upcomingSends properties', () => {
  it('is the chain of nextSend calls, one occurrence year apart', () => {
    fc.assert(
      fc.property(caseArb, nowArb, fc.integer({ min: 1, max: 5 }), (c, from, count) => {
        const sends = upcomingSends(ruleOf(c), from, count);
        let now = from;
        for (const send of sends) {
          const next = nextSend({ ...ruleOf(c), now });
          if (!next.ok) throw new Error(next.reason);
          expect(send.sendAt.toISOString()).toBe(next.sendAt.toISOString());
          expect(send.occurrenceDate).toBe(next.occurrenceDate);
          now = send.sendAt.getTime() + MIN;
        }
        const next = nextSend({ ...ruleOf(c), now });
        if (c.recurrence === 'once') {
          expect(sends.length).toBeLessThanOrEqual(1);
          expect(next).toEqual({ ok: false, reason: 'once-rule-in-past' });
        } else {
          expect(sends).toHaveLength(count);
          const years = sends.map((s) => Number(s.occurrenceDate.slice(0, 4)));
          for (let i = 1; i < years.length; i++) expect(years[i]).toBe((years[i - 1] as number) + 1);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseEventValue properties', () => {
  const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));

  it('a YYYY-MM-DD value parses exactly when it is a real calendar date', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 9999 }).map((y) => String(y).padStart(4, '0')),
          digits(4),
        ),
        digits(2),
        fc.oneof(digits(2), fc.integer({ min: 28, max: 31 }).map(String)),
        (yyyy, mm, dd) => {
          const [y, m, d] = [Number(yyyy), Number(mm), Number(dd)];
          const probe = new Date(0);
          probe.setUTCFullYear(y, m - 1, d);
          const real =
            y >= 1 && m >= 1 && m <= 12 && d >= 1 && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
          expect(parseEventValue(`${yyyy}-${mm}-${dd}`)).toEqual(real ? { year: y, month: m, day: d } : null);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a --MM-DD value parses exactly when the month/day exists in a leap year', () => {
    fc.assert(
      fc.property(digits(2), digits(2), (mm, dd) => {
        const [m, d] = [Number(mm), Number(dd)];
        const probe = new Date(Date.UTC(2000, m - 1, d));
        const real = m >= 1 && m <= 12 && d >= 1 && probe.getUTCMonth() === m - 1;
        expect(parseEventValue(`--${mm}-${dd}`)).toEqual(real ? { year: null, month: m, day: d } : null);
      }),
      { numRuns: 500 },
    );
  });

  it('a once rule with a yearly value never schedules', () => {
    fc.assert(
      fc.property(caseArb, nowArb, (c, now) => {
        const result = nextSend({ ...ruleOf({ ...c, event: { ...c.event, year: null } }), recurrence: 'once', now });
        expect(result).toEqual({ ok: false, reason: 'once-rule-needs-full-date' });
      }),
      { numRuns: 200 },
    );
  });
});
