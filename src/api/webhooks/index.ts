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
import { HttpError } from '../errors';
import { instagramWebhooksRouter } from './instagram';
import { twilioWebhooksRouter } from './twilio';
import { unsubscribeRouter } from './unsubscribe';

export interface WebhooksDeps {
  db: Db;
  logger: Logger;
  /** PUBLIC_BASE_URL (or its default): the origin providers call; Twilio signs the full URL. */
  publicBaseUrl: string;
  /** TWILIO_AUTH_TOKEN; unset = Twilio webhooks answer 404. */
  twilioAuthToken?: string | undefined;
  /** INSTAGRAM_APP_SECRET and INSTAGRAM_VERIFY_TOKEN; either unset = Instagram webhooks answer 404. */
  instagramAppSecret?: string | undefined;
  instagramVerifyToken?: string | undefined;
}

export function webhooksRouter(deps: WebhooksDeps): Router {
  const router = Router();

  if (deps.twilioAuthToken) {
    router.use(
      twilioWebhooksRouter({
        db: deps.db,
        authToken: deps.twilioAuthToken,
        publicBaseUrl: deps.publicBaseUrl,
        logger: deps.logger,
      }),
    );
  } else {
    router.use('/webhooks/twilio', notConfigured('Twilio', ['TWILIO_AUTH_TOKEN']));
  }

  if (deps.instagramAppSecret && deps.instagramVerifyToken) {
    router.use(
      instagramWebhooksRouter({
        db: deps.db,
        appSecret: deps.instagramAppSecret,
        verifyToken: deps.instagramVerifyToken,
        logger: deps.logger,
      }),
    );
  } else {
    const missing = [
      !deps.instagramAppSecret && 'INSTAGRAM_APP_SECRET',
      !deps.instagramVerifyToken && 'INSTAGRAM_VERIFY_TOKEN',
    ].filter((v): v is string => !!v);
    router.use('/webhooks/instagram', notConfigured('Instagram', missing));
  }

  router.use(unsubscribeRouter({ db: deps.db }));
  return router;
}

function notConfigured(provider: string, missing: string[]) {
  const message = `${provider} webhooks are not configured: set ${missing.join(' and ')}`;
  return () => {
    throw new HttpError(404, 'not_found', message);
  };
}
