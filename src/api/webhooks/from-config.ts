import type { Config } from '../../config';
import type { Db } from '../../db/client';
import { createTwilioMessageClock } from '../../delivery/twilio-adapter';
import type { Logger } from '../../runtime/logger';
import { publicBaseUrl } from '../../runtime/process';
import { webhooksRouter } from './index';

/** The webhook routes as configured: the process-wide provider accounts as the default, the
 * companies' own connections unsealed with `secretKey` (MAILBOX_SECRET_KEY). */
export function webhooksFromConfig(config: Config, db: Db, logger: Logger, secretKey?: Buffer) {
  return webhooksRouter({
    db,
    logger,
    publicBaseUrl: publicBaseUrl(config),
    secretKey,
    twilioAuthToken: config.TWILIO_AUTH_TOKEN,
    twilioAccountSid: config.TWILIO_ACCOUNT_SID,
    twilioMessageCreatedAt: createTwilioMessageClock({ baseUrl: config.TWILIO_API_BASE_URL }),
    instagramAppSecret: config.INSTAGRAM_APP_SECRET,
    instagramVerifyToken: config.INSTAGRAM_VERIFY_TOKEN,
  });
}
