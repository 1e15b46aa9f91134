// Many client contacts at once, for tests about fan-out and reconciliation.
import type { Db } from '../../src/db/client';

/** `count` clients "Client 0…" with SMS consent, a phone and a birthday from `birthdayOf(i)` ("--MM-DD"). */
export async function seedClients(
  db: Db,
  companyId: string,
  count: number,
  birthdayOf: (i: number) => string,
): Promise<void> {
  await db.contact.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      companyId,
      kind: 'person' as const,
      name: `Client ${i}`,
      smsConsent: true,
      phone: `+1555${String(i).padStart(7, '0')}`,
      fields: { birthday: birthdayOf(i) },
    })),
  });
}
