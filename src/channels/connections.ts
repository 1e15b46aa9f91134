// A company's own messaging accounts (Twilio, Instagram) as the rest of the service sees them:
// which company an inbound provider event belongs to, with which credentials it is verified, and
// which companies fall back to the process-wide account of a single-company install.
import type { DbClient } from '../db/client';
import type { ChannelConnection, ChannelProvider } from '../generated/prisma/client';
import { decryptSecret } from '../security/secret-box';

/**
 * Which companies an event from a provider account may touch: the one company that connected
 * that account, or — for the process-wide default account — every company without its own
 * connection for that provider (they send from the default account, so its replies are theirs).
 */
export type CompanyScope = { companyId: string } | { defaultOf: ChannelProvider };

/** A `where` fragment restricting rows with a `companyId` (contacts, chats, ledger) to the scope. */
export function inScope(
  scope: CompanyScope,
): { companyId: string } | { company: { channels: { none: { provider: ChannelProvider } } } } {
  return 'companyId' in scope
    ? { companyId: scope.companyId }
    : { company: { channels: { none: { provider: scope.defaultOf } } } };
}

/** Default Twilio account of the process (TWILIO_*), when configured. */
export interface DefaultTwilioAccount {
  accountSid?: string | undefined;
  authToken: string;
}

export interface ResolvedTwilioAccount {
  scope: CompanyScope;
  accountSid?: string | undefined;
  authToken: string;
}

const WHATSAPP_PREFIX = 'whatsapp:';
/** What a connection can hold: an E.164 sender or a Messaging Service SID, an account SID, an
 * Instagram account id, a generated verify token. */
const TWILIO_SENDER = /^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/;
const TWILIO_ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const INSTAGRAM_ACCOUNT_ID = /^\d{1,32}$/;
export const VERIFY_TOKEN = /^[\w-]{1,200}$/;

/** Text as PostgreSQL can store it: without NUL characters (which no provider message needs). */
export const withoutNul = (text: string) => text.replaceAll('\0', '');
export const withoutWhatsAppPrefix = (address: string) =>
  address.startsWith(WHATSAPP_PREFIX) ? address.slice(WHATSAPP_PREFIX.length) : address;

/**
 * The Twilio account an event is for: the connection whose sender is `ourNumber` (the `To` of an
 * inbound message, the `From` of a status callback), else the connection of `accountSid` (a
 * Messaging Service sends from numbers we do not list), else the process-wide default. Undefined
 * when none applies. A connection whose token cannot be unsealed counts as none (its events are
 * refused rather than checked against the wrong key).
 */
export async function resolveTwilioAccount(
  db: DbClient,
  input: { ourNumber?: string | undefined; accountSid?: string | undefined },
  secretKey: Buffer | undefined,
  fallback: DefaultTwilioAccount | undefined,
): Promise<ResolvedTwilioAccount | undefined> {
  // Only well-formed values are looked up: anything else (a NUL byte, which PostgreSQL refuses in
  // text) matches no connection and falls to the default account's signature check.
  const number = input.ourNumber ? withoutWhatsAppPrefix(input.ourNumber) : undefined;
  let connection: ChannelConnection | null = null;
  if (number && TWILIO_SENDER.test(number))
    connection = await db.channelConnection.findFirst({
      where: { provider: 'twilio', OR: [{ smsFrom: number }, { whatsappFrom: number }] },
    });
  if (!connection && input.accountSid && TWILIO_ACCOUNT_SID.test(input.accountSid))
    connection = await db.channelConnection.findUnique({
      where: { provider_accountId: { provider: 'twilio', accountId: input.accountSid } },
    });
  if (connection) {
    const authToken = unseal(connection.secretEncrypted, secretKey);
    return authToken
      ? { scope: { companyId: connection.companyId }, accountSid: connection.accountId, authToken }
      : undefined;
  }
  return fallback ? { scope: { defaultOf: 'twilio' }, ...fallback } : undefined;
}

export interface ResolvedInstagramAccount {
  scope: CompanyScope;
  appSecret: string;
}

/** The Instagram account of a webhook entry (`entry.id`, our business account), or the default. */
export async function resolveInstagramAccount(
  db: DbClient,
  accountId: string | undefined,
  secretKey: Buffer | undefined,
  fallbackAppSecret: string | undefined,
): Promise<ResolvedInstagramAccount | undefined> {
  const connection =
    accountId && INSTAGRAM_ACCOUNT_ID.test(accountId)
      ? await db.channelConnection.findUnique({
          where: { provider_accountId: { provider: 'instagram', accountId } },
        })
      : null;
  if (connection) {
    const appSecret = connection.appSecretEncrypted && unseal(connection.appSecretEncrypted, secretKey);
    return appSecret ? { scope: { companyId: connection.companyId }, appSecret } : undefined;
  }
  return fallbackAppSecret ? { scope: { defaultOf: 'instagram' }, appSecret: fallbackAppSecret } : undefined;
}

/** The plaintext of a sealed secret, or undefined when this server's key cannot open it. */
export function unseal(sealed: string, key: Buffer | undefined): string | undefined {
  if (!key) return undefined;
  try {
    return decryptSecret(sealed, key);
  } catch {
    return undefined;
  }
}
