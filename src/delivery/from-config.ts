// Chooses the provider adapters from the config. A channel whose credentials are not
// configured has no adapter; sends on it are recorded as failed ("…-not-configured").
// Call once per process: every call creates new rate limiters.
import type { Config } from '../config';
import { createInstagramMessaging } from './instagram-adapter';
import { createSmtpEmailSender } from './smtp-adapter';
import { rateLimitedPorts, type RateLimitOptions } from './rate-limited';
import type { DeliveryPorts } from './ports';
import { createTwilioMessaging } from './twilio-adapter';

export function buildDeliveryPorts(config: Config): DeliveryPorts {
  const ports: DeliveryPorts = {};
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    const twilio = createTwilioMessaging({
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      smsFrom: config.TWILIO_SMS_FROM ?? '',
      whatsappFrom: config.TWILIO_WHATSAPP_FROM ?? '',
      baseUrl: config.TWILIO_API_BASE_URL,
    });
    if (config.TWILIO_SMS_FROM) ports.sms = twilio;
    if (config.TWILIO_WHATSAPP_FROM) ports.whatsapp = twilio;
  }
  if (config.INSTAGRAM_ACCOUNT_ID && config.INSTAGRAM_PAGE_ACCESS_TOKEN) {
    ports.instagram = createInstagramMessaging({
      igUserId: config.INSTAGRAM_ACCOUNT_ID,
      pageAccessToken: config.INSTAGRAM_PAGE_ACCESS_TOKEN,
      graphBaseUrl: config.INSTAGRAM_GRAPH_BASE_URL,
    });
  }
  if (config.SMTP_HOST) {
    ports.email = createSmtpEmailSender({
      gateway: {
        host: config.SMTP_HOST,
        port: config.SMTP_PORT,
        secure: config.SMTP_SECURE,
        user: config.SMTP_USER,
        password: config.SMTP_PASSWORD,
      },
      mailboxHosts: { allowPrivateHosts: config.MAILBOX_ALLOW_PRIVATE_HOSTS },
    });
  }
  return rateLimitedPorts(ports, rateLimitsFromConfig(config));
}

/** The send-rate limits of RATE_LIMIT_*: for the default senders and for each company's own. */
export function rateLimitsFromConfig(config: Config): RateLimitOptions {
  return {
    perMinute: {
      sms: config.RATE_LIMIT_SMS_PER_MINUTE,
      whatsapp: config.RATE_LIMIT_WHATSAPP_PER_MINUTE,
      instagram: config.RATE_LIMIT_INSTAGRAM_PER_MINUTE,
      email: config.RATE_LIMIT_EMAIL_PER_MINUTE,
    },
    maxWaitMs: config.RATE_LIMIT_MAX_WAIT_SECONDS * 1000,
  };
}
