// A rule's outcomes per day from the delivery ledger (the Upcoming screen's chart).
import { DateTime } from 'luxon';
import { z } from 'zod';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { idParams } from '../schemas';
import type { RouteDeps } from './deps';

/** Ledger statuses as the chart counts them; rows still on their way (pending, sending, fell back
 * to another route) are not outcomes yet. */
const OUTCOME_OF: Record<string, 'sent' | 'skipped' | 'failed'> = {
  sent: 'sent',
  delivered: 'sent',
  skipped: 'skipped',
  failed: 'failed',
  undelivered: 'failed',
};

export function ruleStatsRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules/:id/stats',
    tag: 'Notification rules',
    summary:
      "The rule's outcomes per day (sent, skipped, failed) over the last `days` days in the company's time zone, by the day each send was due",
    params: idParams,
    query: z.object({ days: z.coerce.number().int().min(1).max(90).default(30) }),
    response: z.object({
      ruleId: z.string(),
      timeZone: z.string(),
      totals: z.object({ sent: z.number().int(), skipped: z.number().int(), failed: z.number().int() }),
      days: z.array(
        z.object({
          date: z.string(),
          sent: z.number().int(),
          skipped: z.number().int(),
          failed: z.number().int(),
        }),
      ),
    }),
    handler: async ({ db, auth, params, query }) => {
      const rule = await db.notificationRule.findFirst({ where: { id: params.id, companyId: auth.companyId } });
      if (!rule) throw notFound('Notification rule');
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      const today = DateTime.now().setZone(company.timeZone).startOf('day');
      const first = today.minus({ days: query.days - 1 });
      // Counted in the database: a busy rule has a row per contact per occurrence.
      const rows = await db.$queryRaw<Array<{ day: string; status: string; n: bigint }>>`
        SELECT to_char(("scheduledFor" AT TIME ZONE 'UTC') AT TIME ZONE ${company.timeZone}, 'YYYY-MM-DD') AS day,
               status::text AS status, count(*) AS n
        FROM "Notification"
        WHERE "companyId" = ${auth.companyId} AND "ruleId" = ${rule.id}
          AND "scheduledFor" >= ${utcTimestamp(first)}::timestamp
          AND "scheduledFor" < ${utcTimestamp(today.plus({ days: 1 }))}::timestamp
        GROUP BY 1, 2`;
      const days = Array.from({ length: query.days }, (_, i) => ({
        date: first.plus({ days: i }).toISODate()!,
        sent: 0,
        skipped: 0,
        failed: 0,
      }));
      const byDate = new Map(days.map((d) => [d.date, d]));
      const totals = { sent: 0, skipped: 0, failed: 0 };
      for (const row of rows) {
        const outcome = OUTCOME_OF[row.status];
        const day = byDate.get(row.day);
        if (!outcome || !day) continue;
        day[outcome] += Number(row.n);
        totals[outcome] += Number(row.n);
      }
      return { ruleId: rule.id, timeZone: company.timeZone, totals, days };
    },
  });
}

/** The column holds UTC wall time without a zone: compare with the same, whatever the session zone. */
function utcTimestamp(at: DateTime): string {
  return at.toUTC().toISO({ includeOffset: false })!;
}
