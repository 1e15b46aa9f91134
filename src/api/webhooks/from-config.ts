import type { Config } from '../../config';
import type { Db } from '../../db/client';
import type { Logger } from '../../runtime/logger';
import { publicBaseUrl } from '../../runtime/process';
import { webhooksRouter } from './index';

/** The webhook routes as configured (a provider without its secrets answers 404 saying which). */
export function webhooksFromConfig(config: Config, db: Db, logger: Logger) {
  return webhooksRouter({
    db,
    logger,
    publicBaseUrl: publicBaseUrl(config),
    twilioAuthToken: config.TWILIO_AUTH_TOKEN,
    instagramAppSecret: config.INSTAGRAM_APP_SECRET,
    instagramVerifyToken: config.INSTAGRAM_VERIFY_TOKEN,
  });
}
