// Provider webhooks and the email unsubscribe link, mounted at the app root (outside /v1) and
// without API-key auth: Twilio and Meta prove themselves with request signatures, an unsubscribe
// link with its unguessable notification id.
//
// Each route brings its own body parser (form for Twilio and unsubscribe, raw bytes for
// Instagram, whose signature covers the exact body). Mount this router BEFORE the app-wide
// express.json(): a JSON parser that runs first consumes the Instagram body.
import { Router } from 'express';
import type { Db } from '../../db/client';
import type { Logger } from '../../runtime/logger';
import { instagramWebhooksRouter } from './instagram';
import { twilioWebhooksRouter, type TwilioWebhooksDeps } from './twilio';
import { unsubscribeRouter } from './unsubscribe';

export interface WebhooksDeps {
  db: Db;
  logger: Logger;
  /** PUBLIC_BASE_URL (or its default): the origin providers call; Twilio signs the full URL. */
  publicBaseUrl: string;
  /** Unseals the companies' own channel credentials (MAILBOX_SECRET_KEY). */
  secretKey?: Buffer | undefined;
  /** The process-wide Twilio account: TWILIO_AUTH_TOKEN (and TWILIO_ACCOUNT_SID); unset = only
   * companies' own connections. */
  twilioAuthToken?: string | undefined;
  twilioAccountSid?: string | undefined;
  /** Reads a message's creation time from Twilio (for ordering consent changes). */
  twilioMessageCreatedAt?: TwilioWebhooksDeps['messageCreatedAt'];
  /** The process-wide Instagram app: INSTAGRAM_APP_SECRET and INSTAGRAM_VERIFY_TOKEN. */
  instagramAppSecret?: string | undefined;
  instagramVerifyToken?: string | undefined;
}

export function webhooksRouter(deps: WebhooksDeps): Router {
  const router = Router();
  router.use(
    twilioWebhooksRouter({
      db: deps.db,
      defaultAccount: deps.twilioAuthToken
        ? { authToken: deps.twilioAuthToken, accountSid: deps.twilioAccountSid }
        : undefined,
      secretKey: deps.secretKey,
      messageCreatedAt: deps.twilioMessageCreatedAt,
      publicBaseUrl: deps.publicBaseUrl,
      logger: deps.logger,
    }),
  );
  router.use(
    instagramWebhooksRouter({
      db: deps.db,
      appSecret: deps.instagramAppSecret,
      verifyToken: deps.instagramVerifyToken,
      secretKey: deps.secretKey,
      logger: deps.logger,
    }),
  );
  router.use(unsubscribeRouter({ db: deps.db }));
  return router;
}
