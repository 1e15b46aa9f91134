// The database-backed ChannelDirectory: where one company's messages go out. A company that
// connected its own Twilio account sends SMS and WhatsApp from its own senders, one that connected
// its own Instagram account sends from it; everything else (and email's gateway) uses the
// process-wide ports of a single-company install. Adapters are built once per connection, each
// with its own send-rate limiters (a limit per connected sender), and rebuilt when the connection
// changes (its updatedAt), which every lookup re-reads — so an edit in the API reaches a worker
// on its next send.
import type { Config } from '../config';
import type { Db } from '../db/client';
import { buildDeliveryPorts, rateLimitsFromConfig } from '../delivery/from-config';
import type { ChannelConnection } from '../generated/prisma/client';
import { createInstagramMessaging } from '../delivery/instagram-adapter';
import { DeliveryError, type ChannelDirectory, type DeliveryPorts, type DeliveryProvider } from '../delivery/ports';
import { rateLimitedPorts, type RateLimitOptions } from '../delivery/rate-limited';
import { createTwilioMessaging, type TwilioMessagingOptions } from '../delivery/twilio-adapter';
import { unseal } from './connections';

export interface DatabaseChannelsOptions {
  db: Db;
  /** Unseals the connections' secrets (MAILBOX_SECRET_KEY). */
  secretKey?: Buffer | undefined;
  /** The process-wide ports, already rate-limited: the default for what a company did not
   * connect itself, and email. */
  defaults: DeliveryPorts;
  /** Limits for each connection's own senders. */
  rateLimits?: RateLimitOptions;
  /** Twilio client options (TWILIO_API_BASE_URL in tests, an HTTP client). */
  twilio?: Pick<TwilioMessagingOptions, 'baseUrl' | 'httpClient' | 'timeoutMs'>;
  /** Graph API root (INSTAGRAM_GRAPH_BASE_URL in tests). */
  instagram?: { graphBaseUrl?: string | undefined; timeoutMs?: number };
}

type OwnPorts = Pick<DeliveryPorts, 'sms' | 'whatsapp' | 'instagram'>;

/** The worker's directory: the configuration's senders as the default, the companies' own
 * connections (unsealed with MAILBOX_SECRET_KEY) with the same RATE_LIMIT_* per sender. */
export function databaseChannelsFromConfig(config: Config, db: Db, secretKey: Buffer | undefined): ChannelDirectory {
  return databaseChannels({
    db,
    secretKey,
    defaults: buildDeliveryPorts(config),
    rateLimits: rateLimitsFromConfig(config),
    twilio: { baseUrl: config.TWILIO_API_BASE_URL },
    instagram: { graphBaseUrl: config.INSTAGRAM_GRAPH_BASE_URL },
  });
}

export function databaseChannels(options: DatabaseChannelsOptions): ChannelDirectory {
  const { db, defaults } = options;
  // Per company and provider: the connection version the adapters were built from.
  const built = new Map<string, { id: string; updatedAt: number; ports: OwnPorts }>();

  function portsOf(row: ChannelConnection): OwnPorts {
    const key = `${row.companyId}:${row.provider}`;
    const cached = built.get(key);
    if (cached && cached.id === row.id && cached.updatedAt === row.updatedAt.getTime()) return cached.ports;
    const ports = build(row, options);
    built.set(key, { id: row.id, updatedAt: row.updatedAt.getTime(), ports });
    return ports;
  }

  return {
    async portsFor(companyId) {
      const rows = await db.channelConnection.findMany({ where: { companyId } });
      const ports: DeliveryPorts = { ...defaults };
      for (const row of rows) {
        const own = portsOf(row);
        // A company with its own account uses only it on that provider: a sender it did not
        // connect is "not configured", never the shared default's.
        if (row.provider === 'twilio') {
          ports.sms = own.sms;
          ports.whatsapp = own.whatsapp;
        } else ports.instagram = own.instagram;
      }
      return ports;
    },
  };
}

function build(row: ChannelConnection, options: DatabaseChannelsOptions): OwnPorts {
  const secret = unseal(row.secretEncrypted, options.secretKey);
  if (row.provider === 'twilio') {
    if (!secret) return unreadable('twilio', { sms: row.smsFrom, whatsapp: row.whatsappFrom });
    const messaging = createTwilioMessaging({
      accountSid: row.accountId,
      authToken: secret,
      smsFrom: row.smsFrom ?? '',
      whatsappFrom: row.whatsappFrom ?? '',
      ...options.twilio,
    });
    return rateLimitedPorts(
      { ...(row.smsFrom ? { sms: messaging } : {}), ...(row.whatsappFrom ? { whatsapp: messaging } : {}) },
      options.rateLimits,
    );
  }
  if (!secret) return unreadable('instagram', { instagram: row.accountId });
  return rateLimitedPorts(
    {
      instagram: createInstagramMessaging({
        igUserId: row.accountId,
        pageAccessToken: secret,
        ...(options.instagram?.graphBaseUrl ? { graphBaseUrl: options.instagram.graphBaseUrl } : {}),
        ...(options.instagram?.timeoutMs ? { timeoutMs: options.instagram.timeoutMs } : {}),
      }),
    },
    options.rateLimits,
  );
}

/** Senders for a connection whose secret this server's key cannot unseal: every send fails as a
 * permanent error saying so (a retry will not help; re-entering the credentials will). */
function unreadable(provider: DeliveryProvider, senders: Record<string, string | null>): OwnPorts {
  const fail = async (): Promise<never> => {
    throw new DeliveryError({
      kind: 'permanent',
      provider,
      code: 'credentials-unreadable',
      message: `The company's ${provider} credentials cannot be unsealed with this server's MAILBOX_SECRET_KEY; connect the account again`,
    });
  };
  return {
    ...(senders.sms ? { sms: { sendSms: fail } } : {}),
    ...(senders.whatsapp ? { whatsapp: { sendWhatsApp: fail } } : {}),
    ...(senders.instagram ? { instagram: { sendInstagram: fail } } : {}),
  };
}
