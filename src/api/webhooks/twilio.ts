// Twilio webhooks: inbound SMS/WhatsApp messages and message status callbacks.
//
// Outside /v1 and without API keys: Twilio proves itself with X-Twilio-Signature, an HMAC of the
// URL it requested plus the sorted form parameters, keyed with the account's auth token (one
// Twilio account serves every company, so the token comes from config). A request whose
// signature does not verify is answered 403 before anything is read or written.
import express, { Router, type RequestHandler } from 'express';
import twilio from 'twilio';
import type { Db } from '../../db/client';
import type { Logger } from '../../runtime/logger';
import { recordInboundChatMessage } from '../../chats/inbound';
import { applyProviderReport, isKnownProviderStatus } from '../../ledger/ledger';
import { forbidden } from '../errors';

export interface TwilioWebhooksDeps {
  db: Db;
  /** TWILIO_AUTH_TOKEN: the key Twilio signs its webhook requests with. */
  authToken: string;
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
  const verified = verifyTwilioSignature(deps.authToken, deps.publicBaseUrl);

  router.post('/webhooks/twilio/inbound', form, verified, async (req, res) => {
    const params = formParams(req.body);
    const from = params.From ?? '';
    const isWhatsApp = from.startsWith(WHATSAPP_PREFIX);
    const phone = isWhatsApp ? from.slice(WHATSAPP_PREFIX.length) : from;
    if (!E164.test(phone)) {
      logger.warn('twilio inbound: sender is not an E.164 number; ignored', { messageSid: params.MessageSid });
      return void res.type('text/xml').send(EMPTY_TWIML);
    }
    const body = params.Body ?? '';
    const messageSid = params.MessageSid ?? params.SmsSid;

    if (isWhatsApp) {
      // WhatsApp's 24-hour window opens when the client writes to us. Only existing chats count:
      // an unknown sender is not matched to a contact by phone (it could be anyone's).
      await recordInboundChatMessage(db, logger, {
        channel: 'whatsapp',
        address: phone,
        at: new Date(),
        text: body,
        providerMessageId: messageSid,
      });
    }

    const consent = smsConsentChange({ isWhatsApp, body, optOutType: params.OptOutType });
    if (consent !== undefined) await setSmsConsent(db, phone, consent, isWhatsApp ? 'WhatsApp' : 'SMS');

    res.type('text/xml').send(EMPTY_TWIML);
  });

  router.post('/webhooks/twilio/status', form, verified, async (req, res) => {
    const params = formParams(req.body);
    const sid = params.MessageSid ?? params.SmsSid;
    const reported = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
    // Our StatusCallback URLs carry the ledger row's id, so a report can settle a send whose
    // answer a crash cut off (the row has no MessageSid yet). The signature covers the query too.
    const notificationId = typeof req.query.notificationId === 'string' ? req.query.notificationId : undefined;
    if (sid && isKnownProviderStatus(reported)) {
      await applyProviderReport(db, {
        providerMessageId: sid,
        status: reported,
        ...(notificationId && UUID.test(notificationId) ? { notificationId } : {}),
        ...(params.ErrorCode ? { errorCode: params.ErrorCode } : {}),
      });
    } else logger.debug('twilio status callback ignored', { messageSid: sid, status: reported });
    // Unknown sids and statuses are acknowledged too: Twilio has nothing to retry.
    res.type('text/xml').send(EMPTY_TWIML);
  });

  return router;
}

/** 403 unless X-Twilio-Signature matches publicBaseUrl + the requested path and the form parameters. */
function verifyTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  const origin = publicBaseUrl.replace(/\/+$/, '');
  return (req, _res, next) => {
    const signature = req.get('X-Twilio-Signature');
    const url = origin + req.originalUrl;
    const params =
      req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)
        ? (req.body as Record<string, unknown>)
        : {};
    if (!signature || !twilio.validateRequest(authToken, signature, url, params)) {
      return next(forbidden('Invalid or missing X-Twilio-Signature'));
    }
    next();
  };
}

/** The form's single-valued parameters as strings (Twilio never repeats the ones read here). */
function formParams(body: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (typeof value === 'string') out[key] = value;
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

/**
 * Sets smsConsent on every contact with that phone number, in every company: the opt-out list is
 * the shared Twilio sender's, so it applies to all of them. Each contact whose consent actually
 * changes gets a feed entry.
 */
async function setSmsConsent(db: Db, phone: string, consent: boolean, via: string): Promise<void> {
  const contacts = await db.contact.findMany({
    where: { phone, smsConsent: !consent },
    select: { id: true, companyId: true },
  });
  for (const contact of contacts) {
    await db.$transaction(async (tx) => {
      const changed = await tx.contact.updateMany({
        where: { id: contact.id, smsConsent: !consent },
        data: { smsConsent: consent },
      });
      if (changed.count === 0) return;
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
    });
  }
}
