// Birthdays relative to today in a company's zone, and when a 09:00 rule sends for them: what the
// reminder route tests arm and expect.
import { DateTime } from 'luxon';

export function birthdayClock(zone: string) {
  return {
    /** --MM-DD of the day `days` from today in the zone. */
    inDays: (days: number) => DateTime.now().setZone(zone).plus({ days }).toFormat('--MM-dd'),
    /** 09:00 in the zone, `days` from today: when a 09:00 rule sends for a birthday then. */
    nineAm: (days: number) =>
      DateTime.now().setZone(zone).plus({ days }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 }),
  };
}
