// Company settings: time zone, leap-day policy, chat windows, late-delivery grace, gateway sender.
import { z } from 'zod';
import type { RouteDeps } from './deps';
import { email, timeZone } from '../schemas';
import { addRoute } from '../routing';
import { recordReminderChange } from '../../scheduling/outbox';

export const companySchema = z.object({
  id: z.string(),
  name: z.string(),
  timeZone: z.string(),
  leapDayPolicy: z.enum(['feb28', 'mar1']),
  whatsappWindowHours: z.number().int(),
  instagramWindowHours: z.number().int(),
  lateGraceMinutes: z.number().int(),
  gatewayEmail: z.string(),
});

const companyPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    timeZone,
    leapDayPolicy: z.enum(['feb28', 'mar1']),
    whatsappWindowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
    instagramWindowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
    lateGraceMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60),
    gatewayEmail: email,
  })
  .partial();

const CALENDAR_KEYS = ['timeZone', 'leapDayPolicy', 'lateGraceMinutes'] as const;

export function companyRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/company',
    tag: 'Company',
    summary: "The acting user's company settings",
    response: companySchema,
    handler: async ({ db, auth }) => toCompany(await db.company.findUniqueOrThrow({ where: { id: auth.companyId } })),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/company',
    tag: 'Company',
    summary: 'Edit company settings (reminders re-plan when calendar settings change)',
    access: 'admin',
    body: companyPatch,
    response: companySchema,
    handler: async ({ db, auth, body }) => {
      const company = await db.company.update({ where: { id: auth.companyId }, data: body });
      if (CALENDAR_KEYS.some((key) => key in body))
        await recordReminderChange(db, { kind: 'company', companyId: auth.companyId });
      return toCompany(company);
    },
  });
}

function toCompany(c: z.infer<typeof companySchema> & Record<string, unknown>) {
  return companySchema.parse(c);
}
