// Rows of the caller's company, or a 404: another company's id reads exactly like a missing one.
import type { DbClient } from '../../db/client';
import { notFound } from '../errors';

export async function companyContact(db: DbClient, companyId: string, contactId: string) {
  const contact = await db.contact.findFirst({ where: { id: contactId, companyId } });
  if (!contact) throw notFound('Contact');
  return contact;
}
