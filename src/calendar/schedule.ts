// Calendar rules that decide when a reminder is sent.
//
// This module is imported by Temporal workflow code, so it must be deterministic: it never reads
// the clock or Math.random ("now" is always a parameter) and imports nothing from Node built-ins.
// It uses luxon only for IANAZone (zone validation and "UTC offset at instant X"), which is a pure
// function of its inputs.
//
// Why we do NOT use luxon's DateTime.fromObject / .set() to turn a local wall-clock time into an
// instant: for an ambiguous local time (DST fall-back overlap) luxon picks the offset by guessing
// from the offset in force at Settings.now() (the real current time) for fromObject, or from the
// DateTime's previous offset for .set(). So Europe/London 2027-10-31 01:30 resolves to BST when
// run in summer and to GMT when run in winter: non-deterministic, and only sometimes the earlier
// instant the product spec requires. We resolve wall-clock times ourselves (localWallTimeToInstant).

import { IANAZone } from 'luxon';

export type Recurrence = 'yearly' | 'once';

/** What a Feb 29 yearly date becomes in a non-leap year. */
export type LeapDayPolicy = 'feb28' | 'mar1';

/** A parsed event value. year is null for a yearly `--MM-DD` value. */
export interface EventDate {
  year: number | null;
  month: number;
  day: number;
}

/** The reminder rule, without the moment we ask about. */
export interface ScheduleRule {
  /** `YYYY-MM-DD` or `--MM-DD`; null/undefined/'' means the contact has no such date. */
  eventValue: string | null | undefined;
  recurrence: Recurrence;
  /** Calendar days before the occurrence, 0–365. */
  daysInAdvance: number;
  /** Local send time `HH:mm` (24 h). */
  sendTime: string;
  /** IANA zone the send time is interpreted in. */
  timeZone: string;
  leapDayPolicy: LeapDayPolicy;
}

/** Input to nextSend: the rule plus the moment we ask about. */
export interface ScheduleInput extends ScheduleRule {
  /** The current time, passed in (never read from the clock). Date or epoch milliseconds. */
  now: Date | number;
  /**
   * Optional, default 0. A send instant up to graceMs before now still counts, so a worker that
   * comes back after downtime still delivers what classifyLateFire would call late-within-grace.
   */
  graceMs?: number;
}

export interface ScheduledSend {
  /** The occurrence the reminder is about, `YYYY-MM-DD` (after the leap-day policy). */
  occurrenceDate: string;
  /** occurrenceDate minus daysInAdvance, `YYYY-MM-DD` (the local date the send is planned for). */
  sendDate: string;
  /** The send instant (a Date is always UTC-based). */
  sendAt: Date;
  /**
   * The send instant as local wall-clock time in the rule's zone, always in the form
   * `YYYY-MM-DDTHH:mm:ss.SSS±HH:MM` (milliseconds always present, offset always numeric, never `Z`),
   * e.g. `2027-03-14T03:30:00.000-04:00`. In a DST gap this shows the shifted time actually used.
   */
  sendAtLocal: string;
}

export type NoSendReason =
  | 'no-event-value'
  | 'malformed-event-value'
  | 'once-rule-needs-full-date'
  | 'once-rule-in-past'
  | 'invalid-recurrence'
  | 'invalid-leap-day-policy'
  | 'invalid-days-in-advance'
  | 'invalid-send-time'
  | 'invalid-time-zone'
  | 'invalid-now'
  | 'invalid-grace';

export type NextSendResult = ({ ok: true } & ScheduledSend) | { ok: false; reason: NoSendReason };

export type LateFireClass = 'on-time' | 'late-within-grace' | 'stale';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MAX_DAYS_IN_ADVANCE = 365;
const MAX_UPCOMING = 1000;

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** A rule whose fields have all been validated and parsed. */
interface ResolvedRule {
  event: EventDate;
  recurrence: Recurrence;
  daysInAdvance: number;
  minuteOfDay: number;
  zone: IANAZone;
  leapDayPolicy: LeapDayPolicy;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

const SEND_TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const FULL_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEARLY_DATE_RE = /^--(\d{2})-(\d{2})$/;

/** `HH:mm`, 00:00–23:59, exactly two digits each (so '9:00' and '24:00' are rejected). */
export function isValidSendTime(value: string): boolean {
  return typeof value === 'string' && SEND_TIME_RE.test(value);
}

/** An IANA zone name the runtime's Intl knows (luxon delegates to Intl.DateTimeFormat). */
export function isValidTimeZone(zone: string): boolean {
  return typeof zone === 'string' && IANAZone.isValidZone(zone);
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  const lengths = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return lengths[month - 1] ?? 0;
}

/**
 * Parses `YYYY-MM-DD` or `--MM-DD`. Returns null when malformed or impossible (2023-02-29,
 * --02-30, month 13, year 0000). `--02-29` is valid because a yearly date has a leap-day policy.
 * Strict: no surrounding whitespace, no other separators; callers trim user input first.
 */
export function parseEventValue(value: string): EventDate | null {
  if (typeof value !== 'string') return null;
  const full = FULL_DATE_RE.exec(value);
  if (full) {
    const [year, month, day] = [Number(full[1]), Number(full[2]), Number(full[3])];
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    return { year, month, day };
  }
  const yearly = YEARLY_DATE_RE.exec(value);
  if (yearly) {
    const [month, day] = [Number(yearly[1]), Number(yearly[2])];
    // Validate against a leap year so that --02-29 is accepted.
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(2000, month)) return null;
    return { year: null, month, day };
  }
  return null;
}

/** Returns why a rule can never produce a send, or null when it is well-formed. */
export function validateScheduleRule(rule: ScheduleRule): NoSendReason | null {
  const resolved = resolveRule(rule);
  return resolved.ok ? null : resolved.reason;
}

// Rule values usually come from a database or an API, so check them at runtime even though the
// types already say what is allowed.
function resolveRule(rule: ScheduleRule): { ok: true; rule: ResolvedRule } | { ok: false; reason: NoSendReason } {
  if (rule.eventValue === null || rule.eventValue === undefined || rule.eventValue === '') {
    return { ok: false, reason: 'no-event-value' };
  }
  const event = parseEventValue(rule.eventValue);
  if (!event) return { ok: false, reason: 'malformed-event-value' };
  if (rule.recurrence !== 'yearly' && rule.recurrence !== 'once') return { ok: false, reason: 'invalid-recurrence' };
  if (rule.recurrence === 'once' && event.year === null) return { ok: false, reason: 'once-rule-needs-full-date' };
  if (rule.leapDayPolicy !== 'feb28' && rule.leapDayPolicy !== 'mar1') {
    return { ok: false, reason: 'invalid-leap-day-policy' };
  }
  const advance = rule.daysInAdvance;
  if (!Number.isInteger(advance) || advance < 0 || advance > MAX_DAYS_IN_ADVANCE) {
    return { ok: false, reason: 'invalid-days-in-advance' };
  }
  const time = SEND_TIME_RE.exec(typeof rule.sendTime === 'string' ? rule.sendTime : '');
  if (!time) return { ok: false, reason: 'invalid-send-time' };
  if (!isValidTimeZone(rule.timeZone)) return { ok: false, reason: 'invalid-time-zone' };
  return {
    ok: true,
    rule: {
      event,
      recurrence: rule.recurrence,
      daysInAdvance: advance,
      minuteOfDay: Number(time[1]) * 60 + Number(time[2]),
      zone: IANAZone.create(rule.timeZone),
      leapDayPolicy: rule.leapDayPolicy,
    },
  };
}

/** Epoch ms of a Date or number; NaN for an invalid Date or a non-finite number. */
function toEpochMs(value: Date | number): number {
  const ms = value instanceof Date ? value.getTime() : value;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : NaN;
}

function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

// ---------------------------------------------------------------------------------------------
// Civil-date arithmetic (proleptic Gregorian, zone-free). Date is used only as a calculator on
// explicit UTC values; setUTCFullYear avoids Date.UTC's mapping of years 0–99 to 1900–1999.

function civilToUtcMidnight(date: CivilDate): number {
  const calc = new Date(0);
  calc.setUTCFullYear(date.year, date.month - 1, date.day);
  return calc.getTime();
}

function utcMsToCivil(ms: number): CivilDate {
  const calc = new Date(ms);
  return { year: calc.getUTCFullYear(), month: calc.getUTCMonth() + 1, day: calc.getUTCDate() };
}

function addDays(date: CivilDate, days: number): CivilDate {
  return utcMsToCivil(civilToUtcMidnight(date) + days * DAY_MS);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function formatCivil(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Occurrences

/**
 * The occurrence of a yearly rule in `year`. A yearly rule with a full date (a birth date such as
 * 1990-06-15) uses only its month and day, in every year, including years before the stated
 * year: the product treats the value as "this date recurs yearly", and the stated year is
 * informational (e.g. to compute an age). Feb 29 in a non-leap year follows the leap-day policy.
 */
function yearlyOccurrence(event: EventDate, year: number, policy: LeapDayPolicy): CivilDate {
  if (event.month === 2 && event.day === 29 && !isLeapYear(year)) {
    return policy === 'feb28' ? { year, month: 2, day: 28 } : { year, month: 3, day: 1 };
  }
  return { year, month: event.month, day: event.day };
}

// ---------------------------------------------------------------------------------------------
// Local wall-clock time -> instant

/**
 * The instant at which the wall clock in `zone` shows `wallMs` (a wall-clock time encoded as if it
 * were UTC). Rules from the product spec:
 * - ambiguous (fall-back overlap): the EARLIER instant;
 * - nonexistent (spring-forward gap): moved forward by the length of the gap, which is the same
 *   as reading the wall time with the offset in force BEFORE the transition
 *   (New York 02:30 read as -05:00 is 07:30Z, which the clock shows as 03:30 EDT).
 * Offsets are sampled a day either side: any instant showing this wall time lies within ±14 h of
 * it, so a single transition affecting it falls between the two samples. (Two transitions within
 * 48 h do not occur in real zones.)
 */
function localWallTimeToInstant(zone: IANAZone, wallMs: number): number {
  const offsetBefore = zone.offset(wallMs - DAY_MS);
  const offsetAfter = zone.offset(wallMs + DAY_MS);
  const candidates = [wallMs - offsetBefore * MINUTE_MS, wallMs - offsetAfter * MINUTE_MS].filter(
    (instant) => instant + zone.offset(instant) * MINUTE_MS === wallMs,
  );
  if (candidates.length > 0) return Math.min(...candidates);
  return wallMs - offsetBefore * MINUTE_MS;
}

/** `YYYY-MM-DDTHH:mm:ss.SSS±HH:MM` for an instant in a zone. */
/** An instant as the company's wall clock, in the same form as a send's `sendAtLocal`. */
export function localIsoOf(timeZone: string, instant: Date | number): string {
  return formatLocalIso(IANAZone.create(timeZone), toEpochMs(instant));
}

function formatLocalIso(zone: IANAZone, instant: number): string {
  const offset = zone.offset(instant);
  const local = new Date(instant + offset * MINUTE_MS).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Sends

function sendForOccurrence(rule: ResolvedRule, occurrence: CivilDate): ScheduledSend {
  const sendDate = addDays(occurrence, -rule.daysInAdvance);
  const wallMs = civilToUtcMidnight(sendDate) + rule.minuteOfDay * MINUTE_MS;
  const instant = localWallTimeToInstant(rule.zone, wallMs);
  return {
    occurrenceDate: formatCivil(occurrence),
    sendDate: formatCivil(sendDate),
    sendAt: new Date(instant),
    sendAtLocal: formatLocalIso(rule.zone, instant),
  };
}

/**
 * The first send at or after `thresholdMs`, with the occurrence year it belongs to, or null when
 * a once rule's only send is before the threshold.
 *
 * Yearly search: occurrence Y is sent on a local date between Jan 1 of Y-1 (occurrence Jan 1,
 * 365 days in advance) and Dec 31 of Y, and local time differs from UTC by at most 14 h. So with T
 * the threshold's UTC year, occurrence T-2 was sent by Jan 1 T-1 12:00Z (always before), and
 * occurrence T+3 is sent on or after Dec 31 T+1 10:00Z (always after). Sends strictly increase
 * with Y, so scanning Y = T-1 .. T+3 and taking the first one at or after the threshold is exact.
 */
function firstSendAtOrAfter(rule: ResolvedRule, thresholdMs: number): { send: ScheduledSend; year: number } | null {
  const { event } = rule;
  if (rule.recurrence === 'once') {
    if (event.year === null) return null; // excluded by resolveRule; keeps the types honest
    const send = sendForOccurrence(rule, { year: event.year, month: event.month, day: event.day });
    return send.sendAt.getTime() >= thresholdMs ? { send, year: event.year } : null;
  }
  const thresholdYear = new Date(thresholdMs).getUTCFullYear();
  for (let year = thresholdYear - 1; year <= thresholdYear + 3; year++) {
    const send = sendForOccurrence(rule, yearlyOccurrence(event, year, rule.leapDayPolicy));
    if (send.sendAt.getTime() >= thresholdMs) return { send, year };
  }
  throw new Error('unreachable: a yearly rule always has a send within the scanned years');
}

/**
 * The earliest send instant at or after `now` truncated to the minute (a send in the current
 * minute counts; a timer firing a few seconds late must still find its own send), or within
 * graceMs before now. `ok: false` with a reason when nothing is left or the rule is unusable.
 */
export function nextSend(input: ScheduleInput): NextSendResult {
  const resolved = resolveRule(input);
  if (!resolved.ok) return resolved;
  const nowMs = toEpochMs(input.now);
  if (Number.isNaN(nowMs)) return { ok: false, reason: 'invalid-now' };
  const graceMs = input.graceMs ?? 0;
  if (!Number.isFinite(graceMs) || graceMs < 0) return { ok: false, reason: 'invalid-grace' };
  // Send instants are whole minutes, so "at or after now - grace" and "at or after the current
  // minute" are both captured by the smaller of the two thresholds.
  const threshold = Math.min(floorToMinute(nowMs), nowMs - graceMs);
  const found = firstSendAtOrAfter(resolved.rule, threshold);
  if (!found) return { ok: false, reason: 'once-rule-in-past' };
  return { ok: true, ...found.send };
}

/**
 * The next `count` sends at or after `from` truncated to the minute (no grace), for the schedule
 * endpoint. Returns [] for a rule that can never send (use validateScheduleRule or nextSend to
 * learn why) and at most one send for a once rule. Throws RangeError for a count outside
 * 0–1000 or an invalid `from`, which are programming errors rather than data problems.
 */
export function upcomingSends(rule: ScheduleRule, from: Date | number, count: number): ScheduledSend[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_UPCOMING) {
    throw new RangeError(`count must be an integer 0–${MAX_UPCOMING}, got ${count}`);
  }
  const fromMs = toEpochMs(from);
  if (Number.isNaN(fromMs)) throw new RangeError('from must be a valid Date or epoch milliseconds');
  const resolved = resolveRule(rule);
  if (!resolved.ok || count === 0) return [];
  const first = firstSendAtOrAfter(resolved.rule, floorToMinute(fromMs));
  if (!first) return [];
  const sends = [first.send];
  if (resolved.rule.recurrence === 'once') return sends;
  for (let year = first.year + 1; sends.length < count; year++) {
    sends.push(
      sendForOccurrence(resolved.rule, yearlyOccurrence(resolved.rule.event, year, resolved.rule.leapDayPolicy)),
    );
  }
  return sends;
}

/**
 * How late a timer fired. A timer can fire late after worker downtime: a reminder late by no more
 * than the grace period is still delivered, beyond that the occurrence is stale (skip it rather
 * than send a birthday greeting days later). Under a minute late counts as on time, because
 * timers fire with small delays and sends are scheduled to the minute. A timer that fires early
 * (negative lateness) is also on time.
 */
export function classifyLateFire(sendAt: Date | number, now: Date | number, graceMs: number): LateFireClass {
  const lateness = toEpochMs(now) - toEpochMs(sendAt);
  if (Number.isNaN(lateness)) throw new RangeError('sendAt and now must be valid Dates or epoch milliseconds');
  if (lateness < MINUTE_MS) return 'on-time';
  if (lateness <= graceMs) return 'late-within-grace';
  return 'stale';
}

/**
 * The next send as nextSend finds it, except that it never belongs to `handledOccurrenceDate` or
 * an earlier occurrence: a reminder handles its occurrences in order, and the ledger row of an
 * occurrence is the truth that it was handled. Without this, a change that moves today's send
 * later (a new time zone, a later send time) would schedule the occurrence sent this morning again
 * this afternoon. `handledOccurrenceDate` is `YYYY-MM-DD`; undefined means nothing was handled yet.
 */
export function nextSendAfter(input: ScheduleInput, handledOccurrenceDate: string | undefined): NextSendResult {
  const next = nextSend(input);
  if (!next.ok || handledOccurrenceDate === undefined || next.occurrenceDate > handledOccurrenceDate) return next;
  const resolved = resolveRule(input);
  if (!resolved.ok) return resolved; // excluded by nextSend's success; keeps the types honest
  // A once rule has a single occurrence, and it was handled.
  if (resolved.rule.recurrence === 'once') return { ok: false, reason: 'once-rule-in-past' };
  // Occurrence dates strictly increase with the year, and so do their sends: the first year past
  // the handled occurrence is the answer, and its send is later than `next`, so also not before now.
  let year = Number(next.occurrenceDate.slice(0, 4)) + 1;
  let occurrence = yearlyOccurrence(resolved.rule.event, year, resolved.rule.leapDayPolicy);
  while (formatCivil(occurrence) <= handledOccurrenceDate) {
    year++;
    occurrence = yearlyOccurrence(resolved.rule.event, year, resolved.rule.leapDayPolicy);
  }
  return { ok: true, ...sendForOccurrence(resolved.rule, occurrence) };
}
