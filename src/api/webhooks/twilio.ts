// Twilio webhooks: inbound SMS/WhatsApp messages and message status callbacks.
//
// Outside /v1 and without API keys: Twilio proves itself with X-Twilio-Signature, an HMAC of the
// URL it requested plus the sorted form parameters, keyed with the auth token of the account
// that sent it. Each company may connect its own Twilio account; the request says which by the
// number it concerns (`To` of an inbound message, `From` of a status callback — our sender) or
// its AccountSid, and is verified with THAT account's token and applied to that company's rows
// only. Events of the process-wide default account (TWILIO_*) concern the companies without
// their own connection. A request whose signature does not verify is answered 403 before
// anything is written.
//
// Inbound messages are applied once per MessageSid (a replay or redelivery changes nothing), and
// SMS consent changes in the order of Twilio's own message times.
import express, { Router, type Request } from 'express';
import twilio from 'twilio';
import type { Db } from '../../db/client';
import type { Logger } from '../../runtime/logger';
import { recordInboundChatMessage } from '../../chats/inbound';
import { applyProviderReport, isKnownProviderStatus } from '../../ledger/ledger';
import { applySmsConsent, firstDelivery } from '../../channels/consent';
import {
  inScope,
  resolveTwilioAccount,
  withoutNul,
  type DefaultTwilioAccount,
  type ResolvedTwilioAccount,
} from '../../channels/connections';
import { forbidden, HttpError } from '../errors';

export interface TwilioWebhooksDeps {
  db: Db;
  /** The process-wide account (TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID), if any. */
  defaultAccount?: DefaultTwilioAccount | undefined;
  /** Unseals the tokens of the companies' own connections (MAILBOX_SECRET_KEY). */
  secretKey?: Buffer | undefined;
  /**
   * When Twilio created a message (its own clock), read back from Twilio's Messages API: the
   * inbound webhook carries no timestamp of its own. Without it (or when Twilio cannot be asked)
   * the time the webhook arrived is used.
   */
  messageCreatedAt?: (account: { accountSid: string; authToken: string }, messageSid: string) => Promise<Date>;
  /**
   * Origin Twilio calls (PUBLIC_BASE_URL), e.g. `https://reminders.example.com`. The signature
   * covers the URL exactly as Twilio requested it, so behind a proxy this must be the public
   * origin, not the address the process listens on.
   */
  publicBaseUrl: string;
  logger: Logger;
}

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const WHATSAPP_PREFIX = 'whatsapp:';
const E164 = /^\+[1-9]\d{6,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Twilio's standard opt-out / opt-in keywords (single-word messages, case-insensitive).
const OPT_OUT_KEYWORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const OPT_IN_KEYWORDS = new Set(['START', 'UNSTOP', 'YES']);

export function twilioWebhooksRouter(deps: TwilioWebhooksDeps): Router {
  const { db, logger } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });
  const origin = deps.publicBaseUrl.replace(/\/+$/, '');

  /** The account the request is for, its signature checked with that account's token. */
  async function verifiedAccount(req: Request, ourNumber: string | undefined): Promise<ResolvedTwilioAccount> {
    const params = formParams(req.body);
    const account = await resolveTwilioAccount(
      db,
      { ourNumber, accountSid: params.AccountSid },
      deps.secretKey,
      deps.defaultAccount,
    );
    if (!account && !deps.defaultAccount)
      throw new HttpError(
        404,
        'not_found',
        'Twilio webhooks are not configured: no company connected this number; set TWILIO_AUTH_TOKEN for the default account',
      );
    const signature = req.get('X-Twilio-Signature');
    const body =
      req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)
        ? (req.body as Record<string, unknown>)
        : {};
    if (!account || !signature || !twilio.validateRequest(account.authToken, signature, origin + req.originalUrl, body))
      throw forbidden('Invalid or missing X-Twilio-Signature');
    return account;
  }

  router.post('/webhooks/twilio/inbound', form, async (req, res) => {
    const params = formParams(req.body);
    const account = await verifiedAccount(req, params.To);
    const from = params.From ?? '';
    const isWhatsApp = from.startsWith(WHATSAPP_PREFIX);
    const phone = isWhatsApp ? from.slice(WHATSAPP_PREFIX.length) : from;
    if (!E164.test(phone)) {
      logger.warn('twilio inbound: sender is not an E.164 number; ignored', { messageSid: params.MessageSid });
      return void res.type('text/xml').send(EMPTY_TWIML);
    }
    const messageSid = params.MessageSid ?? params.SmsSid;
    const receivedAt = new Date();
    const consent = smsConsentChange({ isWhatsApp, body: params.Body ?? '', optOutType: params.OptOutType });
    // Read before the transaction: it waits on Twilio.
    const consentAt =
      consent !== undefined && messageSid ? await messageTime(deps, account, messageSid, receivedAt) : receivedAt;

    await db.$transaction(async (tx) => {
      if (messageSid && !(await firstDelivery(tx, 'twilio', messageSid))) {
        logger.info('twilio inbound: message already handled; ignored', { messageSid });
        return;
      }
      if (isWhatsApp) {
        // WhatsApp's 24-hour window opens when the client writes to us. Only existing chats count:
        // an unknown sender is not matched to a contact by phone (it could be anyone's).
        await recordInboundChatMessage(
          tx,
          logger,
          {
            channel: 'whatsapp',
            address: phone,
            at: receivedAt,
            text: params.Body ?? '',
            providerMessageId: messageSid,
          },
          inScope(account.scope),
        );
      }
      if (consent !== undefined)
        await applySmsConsent(tx, {
          scope: account.scope,
          phone,
          consent,
          at: consentAt,
          via: isWhatsApp ? 'WhatsApp' : 'SMS',
        });
    });
    res.type('text/xml').send(EMPTY_TWIML);
  });

  router.post('/webhooks/twilio/status', form, async (req, res) => {
    const params = formParams(req.body);
    const account = await verifiedAccount(req, params.From);
    const sid = params.MessageSid ?? params.SmsSid;
    const reported = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
    // Our StatusCallback URLs carry the ledger row's id, so a report can settle a send whose
    // answer a crash cut off (the row has no MessageSid yet). The signature covers the query too.
    const notificationId = typeof req.query.notificationId === 'string' ? req.query.notificationId : undefined;
    if (sid && isKnownProviderStatus(reported)) {
      await applyProviderReport(
        db,
        {
          providerMessageId: sid,
          status: reported,
          ...(notificationId && UUID.test(notificationId) ? { notificationId } : {}),
          ...(params.ErrorCode ? { errorCode: params.ErrorCode } : {}),
        },
        // Only the rows of the companies this account serves.
        inScope(account.scope),
      );
    } else logger.debug('twilio status callback ignored', { messageSid: sid, status: reported });
    // Unknown sids and statuses are acknowledged too: Twilio has nothing to retry.
    res.type('text/xml').send(EMPTY_TWIML);
  });

  return router;
}

/** Twilio's creation time of the message, or `fallback` when Twilio cannot tell us. */
async function messageTime(
  deps: TwilioWebhooksDeps,
  account: ResolvedTwilioAccount,
  messageSid: string,
  fallback: Date,
): Promise<Date> {
  if (!deps.messageCreatedAt || !account.accountSid) return fallback;
  try {
    const at = await deps.messageCreatedAt(
      { accountSid: account.accountSid, authToken: account.authToken },
      messageSid,
    );
    // A clock ahead of ours must not make an opt-out "newer" than changes still to come.
    return Number.isNaN(at.getTime()) ? fallback : new Date(Math.min(at.getTime(), fallback.getTime()));
  } catch (error) {
    deps.logger.warn('twilio inbound: message time unavailable; using the arrival time', {
      messageSid,
      error: error instanceof Error ? error.message : String(error),
    });
    return fallback;
  }
}

/** The form's single-valued parameters as strings (Twilio never repeats the ones read here). */
function formParams(body: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      // NUL characters are dropped: PostgreSQL cannot store them, and no Twilio value has one.
      if (typeof value === 'string') out[key] = withoutNul(value);
    }
  }
  return out;
}

/**
 * What an inbound message says about SMS consent: false (opt out), true (opt in) or nothing.
 * `OptOutType` — sent by Twilio Advanced Opt-Out after matching its (possibly custom) keywords,
 * which Twilio already enforces on the number — wins over our own keyword match. Without it, an
 * opt-out keyword withdraws SMS consent from any channel (withdrawing must be easy), but only an
 * SMS can give it: "yes" is an ordinary WhatsApp answer, not a request for SMS reminders.
 */
export function smsConsentChange(input: {
  isWhatsApp: boolean;
  body: string;
  optOutType?: string | undefined;
}): boolean | undefined {
  const type = input.optOutType?.trim().toUpperCase();
  if (type === 'STOP') return false;
  if (type === 'START') return true;
  const word = input.body
    .trim()
    .replace(/[\s.!]+$/, '')
    .toUpperCase();
  if (OPT_OUT_KEYWORDS.has(word)) return false;
  if (!input.isWhatsApp && OPT_IN_KEYWORDS.has(word)) return true;
  return undefined;
}
