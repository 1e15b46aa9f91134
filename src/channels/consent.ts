// Consent changes that come from providers (opt-out/opt-in replies) and replays of their
// webhooks. Each contact keeps the time of its last consent change per channel; a change applies
// only if it is at least as new, so a late or replayed STOP cannot undo a newer START (nor the
// other way round). Provider message ids already handled are recorded, so a redelivered webhook
// changes nothing at all the second time.
import type { DbClient } from '../db/client';
import type { ChannelProvider } from '../generated/prisma/client';
import { inScope, type CompanyScope } from './connections';

/** Records a provider message id; false when it was recorded before (a redelivery or a replay).
 * Call inside the transaction that applies the message, so both commit together. */
export async function firstDelivery(tx: DbClient, provider: ChannelProvider, messageId: string): Promise<boolean> {
  const inserted = await tx.processedWebhookMessage.createMany({
    data: [{ provider, messageId }],
    skipDuplicates: true,
  });
  return inserted.count === 1;
}

/**
 * Sets smsConsent of the contacts with this phone in the scope, as of `at` (the provider's time
 * of the message): contacts whose consent changed later keep it. The change time moves to `at`
 * even where the value was already right, so an even older opposite message stays ignored. Each
 * contact whose consent actually flips gets a feed entry. Returns how many flipped.
 */
export async function applySmsConsent(
  tx: DbClient,
  input: { scope: CompanyScope; phone: string; consent: boolean; at: Date; via: string },
): Promise<number> {
  const { scope, phone, consent, at, via } = input;
  const notNewer = { OR: [{ smsConsentChangedAt: null }, { smsConsentChangedAt: { lte: at } }] };
  const contacts = await tx.contact.findMany({
    where: { ...inScope(scope), phone, ...notNewer },
    select: { id: true, companyId: true, smsConsent: true },
  });
  let flipped = 0;
  for (const contact of contacts) {
    // Conditional on the row still being "not newer": a concurrent change may have moved it on.
    const changed = await tx.contact.updateMany({
      where: { id: contact.id, ...notNewer },
      data: { smsConsent: consent, smsConsentChangedAt: at },
    });
    if (changed.count === 0 || contact.smsConsent === consent) continue;
    flipped++;
    await tx.activityEntry.create({
      data: {
        companyId: contact.companyId,
        contactId: contact.id,
        kind: consent ? 'consent.sms.given' : 'consent.sms.withdrawn',
        text: consent
          ? `SMS consent given: the client replied to opt in by ${via}`
          : `SMS consent withdrawn: the client replied to opt out by ${via}`,
        channel: 'sms',
      },
    });
  }
  return flipped;
}
