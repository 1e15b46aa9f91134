// Creating a company: its admin user, a first API key and the system contact fields.
import type { Db } from '../db/client';
import { generateApiKey } from '../security/api-keys';

/** System fields every contact form has; they cannot be deleted. */
export const SYSTEM_FIELDS = [{ kind: 'person', key: 'birthday', label: 'Birthday', type: 'date' }] as const;

export interface NewCompany {
  name: string;
  timeZone?: string;
  adminName?: string;
  adminEmail?: string;
}

export async function createCompanyWithAdmin(db: Db, input: NewCompany) {
  const apiKey = generateApiKey();
  return db.$transaction(async (tx) => {
    const company = await tx.company.create({ data: { name: input.name, timeZone: input.timeZone ?? 'UTC' } });
    await tx.contactField.createMany({
      data: SYSTEM_FIELDS.map((field) => ({ ...field, companyId: company.id, system: true })),
    });
    const user = await tx.user.create({
      data: {
        companyId: company.id,
        name: input.adminName ?? 'Admin',
        email: input.adminEmail ?? 'admin@example.com',
        isAdmin: true,
      },
    });
    await tx.apiKey.create({ data: { userId: user.id, keyHash: apiKey.hash, prefix: apiKey.prefix } });
    return { company, user, apiKey: apiKey.key };
  });
}
