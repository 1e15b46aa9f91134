// Shared request/response schemas (zod drives validation and the OpenAPI document).
import { z } from 'zod';
import { isValidSendTime, isValidTimeZone } from '../calendar/schedule';

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const uuid = z.uuid('must be a UUID');
export const idParams = z.object({ id: uuid });

export const pagingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}

export const contactKind = z.enum(['person', 'organization']);
export const contactRole = z.enum(['client', 'employee']);
export const fieldType = z.enum(['text', 'number', 'date', 'boolean', 'email', 'phone']);

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number like +15551234567');
export const email = z.email('must be an email address').max(254);
export const timeZone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin');
export const sendTime = z.string().refine(isValidSendTime, 'must be a 24-hour time HH:mm');
export const isoInstant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant' });

/** One page of a list: the rows of the window and the total, in the shape of `page(item)`. */
export async function pageOf<T, R>(
  paging: { limit: number; offset: number },
  rows: (window: { take: number; skip: number }) => Promise<T[]>,
  count: () => Promise<number>,
  toItem: (row: T) => R,
) {
  const [items, total] = await Promise.all([rows({ take: paging.limit, skip: paging.offset }), count()]);
  return { items: items.map(toItem), total, limit: paging.limit, offset: paging.offset };
}

/** A list's `where`: the caller's company plus the filters the query gave (absent ones dropped). */
export function companyWhere<F extends Record<string, unknown>>(
  companyId: string,
  filters: F,
): { companyId: string } & Partial<F> {
  const given = Object.entries(filters).filter(([, value]) => value !== undefined);
  return { companyId, ...(Object.fromEntries(given) as Partial<F>) };
}
