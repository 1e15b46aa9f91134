// Webhooks on a real database, through supertest: Twilio inbound messages and status callbacks
// (signed the way Twilio signs), Instagram's handshake and signed message events, and the email
// unsubscribe link. Every refused request is checked to have changed nothing.
import { createHmac, randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { errorHandler, notFoundHandler } from '../../src/api/errors';
import { webhooksRouter, type WebhooksDeps } from '../../src/api/webhooks';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import type { Db } from '../../src/db/client';
import type { LedgerStatus } from '../../src/ledger/ledger';
import { silentLogger } from '../../src/runtime/logger';
import { createTestDatabase, type TestDatabase } from '../support/database';

const PUBLIC_BASE_URL = 'https://reminders.example.com';
const TWILIO_AUTH_TOKEN = 'twilio-auth-token-for-tests';
const INSTAGRAM_APP_SECRET = 'instagram-app-secret-for-tests';
const INSTAGRAM_VERIFY_TOKEN = 'verify-me';

let testDb: TestDatabase;
let db: Db;
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(() => testDb.close());

/** A tiny app like the real one: webhooks first, a JSON parser after them, the standard errors. */
function appWith(overrides: Partial<WebhooksDeps> = {}) {
  const app = express();
  app.set('query parser', 'simple');
  app.use(
    webhooksRouter({
      db,
      logger: silentLogger,
      publicBaseUrl: PUBLIC_BASE_URL,
      twilioAuthToken: TWILIO_AUTH_TOKEN,
      instagramAppSecret: INSTAGRAM_APP_SECRET,
      instagramVerifyToken: INSTAGRAM_VERIFY_TOKEN,
      ...overrides,
    }),
  );
  app.use(express.json());
  app.use(notFoundHandler);
  app.use(errorHandler({ exposeStack: false, log: () => {} }));
  return app;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

let phoneCounter = 0;
/** A fresh E.164 number per call, so tests sharing the database never see each other's rows. */
const newPhone = () => `+1555${String(1_000_000 + ++phoneCounter).slice(1)}`;

async function newCompany() {
  const { company } = await createCompanyWithAdmin(db, { name: `Acme & <Sons> ${randomUUID().slice(0, 8)}` });
  return company;
}

async function newContact(
  companyId: string,
  data: { phone?: string; email?: string; smsConsent?: boolean; emailConsent?: boolean } = {},
) {
  return db.contact.create({ data: { companyId, kind: 'person', name: 'Ada Client', ...data } });
}

async function newNotification(
  companyId: string,
  contactId: string,
  data: { status: LedgerStatus; channel: string; providerMessageId?: string; reason?: string },
) {
  const field = await db.contactField.findFirstOrThrow({ where: { companyId, key: 'birthday' } });
  const rule = await db.notificationRule.create({
    data: {
      companyId,
      name: 'Birthday',
      kind: 'person',
      eventFieldId: field.id,
      channel: data.channel === 'email' ? 'email' : 'sms',
      sendTime: '09:00',
      bodyTemplate: 'Hi',
    },
  });
  return db.notification.create({
    data: {
      companyId,
      ruleId: rule.id,
      contactId,
      occurrenceDate: '2030-05-01',
      scheduledFor: new Date('2030-05-01T09:00:00Z'),
      sender: 'gateway',
      ...data,
    },
  });
}

/** Everything a webhook could change, for "nothing changed" checks. */
async function snapshot() {
  const [contacts, chats, messages, notifications, activities] = await Promise.all([
    db.contact.findMany({ orderBy: { id: 'asc' }, select: { id: true, smsConsent: true, emailConsent: true } }),
    db.chat.findMany({ orderBy: { id: 'asc' }, select: { id: true, lastInboundAt: true } }),
    db.chatMessage.count(),
    db.notification.findMany({ orderBy: { id: 'asc' }, select: { id: true, status: true, providerErrorCode: true } }),
    db.activityEntry.count(),
  ]);
  return { contacts, chats, messages, notifications, activities };
}

// ---------------------------------------------------------------------------------------------
// Twilio

/** Twilio's algorithm, written out independently: HMAC-SHA1 over the URL followed by each
 * parameter name and value in name order, base64. */
function twilioSignature(url: string, params: Record<string, string>, token = TWILIO_AUTH_TOKEN): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf-8')).digest('base64');
}

function twilioPost(
  path: string,
  params: Record<string, string>,
  signature: string | null = twilioSignature(PUBLIC_BASE_URL + path, params),
  app = appWith(),
) {
  const req = request(app).post(path).type('form').send(params);
  return signature === null ? req : req.set('X-Twilio-Signature', signature);
}

function inbound(from: string, body: string, extra: Record<string, string> = {}) {
  return {
    MessageSid: `SM${randomUUID().replace(/-/g, '')}`,
    AccountSid: 'AC00000000000000000000000000000000',
    From: from,
    To: '+15550000000',
    Body: body,
    NumMedia: '0',
    ...extra,
  };
}

function expectEmptyTwiml(res: request.Response) {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/xml/);
  expect(res.text).toMatch(/<Response\/>$/);
}

describe('Twilio inbound', () => {
  test('an SMS "STOP" withdraws SMS consent from every contact with that number, with a feed entry each; "START" gives it back', async () => {
    const phone = newPhone();
    const [a, b] = [await newCompany(), await newCompany()];
    const ca = await newContact(a.id, { phone, smsConsent: true });
    const cb = await newContact(b.id, { phone, smsConsent: true });
    const other = await newContact(a.id, { phone: newPhone(), smsConsent: true });

    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, '  stop ')));
    expect((await db.contact.findUniqueOrThrow({ where: { id: ca.id } })).smsConsent).toBe(false);
    expect((await db.contact.findUniqueOrThrow({ where: { id: cb.id } })).smsConsent).toBe(false);
    expect((await db.contact.findUniqueOrThrow({ where: { id: other.id } })).smsConsent).toBe(true);
    const withdrawn = await db.activityEntry.findMany({ where: { contactId: { in: [ca.id, cb.id] } } });
    expect(withdrawn.map((e) => [e.contactId, e.kind, e.channel]).sort()).toEqual(
      [
        [ca.id, 'consent.sms.withdrawn', 'sms'],
        [cb.id, 'consent.sms.withdrawn', 'sms'],
      ].sort(),
    );

    // A second STOP changes nothing and writes no second entry.
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'UNSUBSCRIBE')));
    expect(await db.activityEntry.count({ where: { contactId: ca.id } })).toBe(1);

    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'Start')));
    expect((await db.contact.findUniqueOrThrow({ where: { id: ca.id } })).smsConsent).toBe(true);
    expect((await db.contact.findUniqueOrThrow({ where: { id: cb.id } })).smsConsent).toBe(true);
    expect(await db.activityEntry.count({ where: { contactId: ca.id, kind: 'consent.sms.given' } })).toBe(1);
  });

  test.each(['STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'stop.'])(
    '"%s" is an opt-out keyword',
    async (word) => {
      const phone = newPhone();
      const company = await newCompany();
      const contact = await newContact(company.id, { phone, smsConsent: true });
      expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, word)));
      expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(false);
    },
  );

  test.each(['UNSTOP', 'yes'])('"%s" is an opt-in keyword', async (word) => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: false });
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, word)));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(true);
  });

  test('a message that only contains a keyword among other words changes nothing', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'please do not stop the reminders')));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(true);
  });

  test('OptOutType from Twilio Advanced Opt-Out wins over the message text (custom keywords)', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'ARRET', { OptOutType: 'STOP' })));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(false);
    expectEmptyTwiml(
      await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'REPRENDRE', { OptOutType: 'START' })),
    );
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(true);
    // HELP is neither.
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'INFO', { OptOutType: 'HELP' })));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(true);
  });

  test('WhatsApp: an inbound message opens the window of the existing chat and is stored once, even when redelivered', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    const chat = await db.chat.create({
      data: {
        companyId: company.id,
        contactId: contact.id,
        channel: 'whatsapp',
        address: phone,
        lastInboundAt: new Date('2020-01-01T00:00:00Z'),
      },
    });

    const params = inbound(`whatsapp:${phone}`, 'Hello, see you Tuesday');
    const before = Date.now();
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', params));
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', params)); // Twilio retrying the same message

    const after = await db.chat.findUniqueOrThrow({ where: { id: chat.id } });
    expect(after.lastInboundAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(after.lastInboundAt!.getTime()).toBeLessThanOrEqual(Date.now());
    const messages = await db.chatMessage.findMany({ where: { chatId: chat.id } });
    expect(messages).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        text: 'Hello, see you Tuesday',
        providerMessageId: params.MessageSid,
      }),
    ]);
    // An ordinary WhatsApp message is not a consent change.
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(true);
  });

  test('WhatsApp: "yes" in a chat does not opt in to SMS, but "STOP" opts out', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: false });
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(`whatsapp:${phone}`, 'Yes')));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(false);
    await db.contact.update({ where: { id: contact.id }, data: { smsConsent: true } });
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(`whatsapp:${phone}`, 'STOP')));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(false);
  });

  test('WhatsApp: an unknown sender is acknowledged and ignored (no chat is created)', async () => {
    const phone = newPhone();
    const before = await snapshot();
    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(`whatsapp:${phone}`, 'Who is this?')));
    expect(await snapshot()).toEqual(before);
    expect(await db.chat.count({ where: { address: phone } })).toBe(0);
  });

  test('WhatsApp: a number that is a chat in two companies opens both windows; the text goes only to the chat we wrote to last', async () => {
    const phone = newPhone();
    const [a, b] = [await newCompany(), await newCompany()];
    const chatA = await db.chat.create({
      data: { companyId: a.id, contactId: (await newContact(a.id, { phone })).id, channel: 'whatsapp', address: phone },
    });
    const chatB = await db.chat.create({
      data: { companyId: b.id, contactId: (await newContact(b.id, { phone })).id, channel: 'whatsapp', address: phone },
    });
    await db.chatMessage.create({
      data: { chatId: chatA.id, direction: 'outbound', text: 'old', createdAt: new Date('2030-01-01T00:00:00Z') },
    });
    await db.chatMessage.create({
      data: { chatId: chatB.id, direction: 'outbound', text: 'newer', createdAt: new Date('2030-01-02T00:00:00Z') },
    });

    expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', inbound(`whatsapp:${phone}`, 'Thanks!')));
    const chats = await db.chat.findMany({ where: { address: phone } });
    expect(chats.every((c) => c.lastInboundAt !== null)).toBe(true);
    expect(await db.chatMessage.count({ where: { chatId: chatA.id, direction: 'inbound' } })).toBe(0);
    expect(await db.chatMessage.count({ where: { chatId: chatB.id, direction: 'inbound' } })).toBe(1);
  });

  test('a wrong, missing or tampered signature is 403 with the standard error body, and nothing changes', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    await db.chat.create({
      data: { companyId: company.id, contactId: contact.id, channel: 'whatsapp', address: phone },
    });
    const before = await snapshot();

    const stop = inbound(`whatsapp:${phone}`, 'STOP');
    const signedStop = twilioSignature(`${PUBLIC_BASE_URL}/webhooks/twilio/inbound`, stop);
    const refused = [
      await twilioPost(
        '/webhooks/twilio/inbound',
        stop,
        twilioSignature(`${PUBLIC_BASE_URL}/webhooks/twilio/inbound`, stop, 'another-token'),
      ),
      await twilioPost('/webhooks/twilio/inbound', stop, null),
      await twilioPost('/webhooks/twilio/inbound', { ...stop, Body: 'STOPALL' }, signedStop), // body changed after signing
      await twilioPost(
        '/webhooks/twilio/inbound',
        stop,
        twilioSignature('https://elsewhere.example.com/webhooks/twilio/inbound', stop),
      ), // signed for another URL
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: 'forbidden', message: 'Invalid or missing X-Twilio-Signature' } });
    }
    expect(await snapshot()).toEqual(before);
  });

  test('the signed URL includes the query string Twilio was given', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    const params = inbound(phone, 'STOP');
    const path = '/webhooks/twilio/inbound?source=messaging-service';
    expectEmptyTwiml(await twilioPost(path, params, twilioSignature(PUBLIC_BASE_URL + path, params)));
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).smsConsent).toBe(false);
  });
});

describe('replays and ordering (issue 9, item 4)', () => {
  // Twilio's own creation time of each message, as its Messages API would report it.
  const createdAt = new Map<string, Date>();
  const appWithClock = () =>
    appWith({
      twilioAccountSid: 'AC00000000000000000000000000000000',
      twilioMessageCreatedAt: async (_account, messageSid) => {
        const at = createdAt.get(messageSid);
        if (!at) throw new Error(`no such message ${messageSid}`);
        return at;
      },
    });
  const send = (params: Record<string, string>) =>
    twilioPost(
      '/webhooks/twilio/inbound',
      params,
      twilioSignature(`${PUBLIC_BASE_URL}/webhooks/twilio/inbound`, params),
      appWithClock(),
    );
  const consentOf = async (id: string) => (await db.contact.findUniqueOrThrow({ where: { id } })).smsConsent;

  test('a correctly signed STOP replayed after a START changes nothing: consent stays given, no feed entry', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    const stop = inbound(phone, 'STOP');
    const start = inbound(phone, 'START');
    createdAt.set(stop.MessageSid, new Date(Date.now() - 60_000));
    createdAt.set(start.MessageSid, new Date(Date.now() - 30_000));
    expectEmptyTwiml(await send(stop));
    expectEmptyTwiml(await send(start));
    expect(await consentOf(contact.id)).toBe(true);
    const entries = await db.activityEntry.count({ where: { contactId: contact.id } });

    expectEmptyTwiml(await send(stop)); // the replay
    expect(await consentOf(contact.id)).toBe(true);
    expect(await db.activityEntry.count({ where: { contactId: contact.id } })).toBe(entries);
    expect(
      await db.processedWebhookMessage.count({ where: { messageId: { in: [stop.MessageSid, start.MessageSid] } } }),
    ).toBe(2);
  });

  test('a START replayed after a STOP does not give consent back', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: false });
    const start = inbound(phone, 'START');
    const stop = inbound(phone, 'STOP');
    createdAt.set(start.MessageSid, new Date(Date.now() - 60_000));
    createdAt.set(stop.MessageSid, new Date(Date.now() - 30_000));
    await send(start);
    await send(stop);
    await send(start);
    expect(await consentOf(contact.id)).toBe(false);
  });

  test("a late STOP (a new MessageSid, but older by Twilio's clock than the START already applied) does not undo it", async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: false });
    const start = inbound(phone, 'START');
    const lateStop = inbound(phone, 'STOP');
    createdAt.set(lateStop.MessageSid, new Date(Date.now() - 120_000));
    createdAt.set(start.MessageSid, new Date(Date.now() - 60_000));
    await send(start);
    expect(await consentOf(contact.id)).toBe(true);
    expectEmptyTwiml(await send(lateStop));
    expect(await consentOf(contact.id)).toBe(true);
    expect(await db.activityEntry.count({ where: { contactId: contact.id, kind: 'consent.sms.withdrawn' } })).toBe(0);

    // A STOP that is really newer still applies.
    const newStop = inbound(phone, 'STOP');
    createdAt.set(newStop.MessageSid, new Date(Date.now() - 1_000));
    await send(newStop);
    expect(await consentOf(contact.id)).toBe(false);
  });

  test('a consent change made in the API after the message was written wins over that late message', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone, smsConsent: true });
    const stop = inbound(phone, 'STOP');
    createdAt.set(stop.MessageSid, new Date(Date.now() - 60_000));
    // The client re-subscribed by phone and a user ticked the box a moment ago.
    await db.contact.update({ where: { id: contact.id }, data: { smsConsent: true, smsConsentChangedAt: new Date() } });
    await send(stop);
    expect(await consentOf(contact.id)).toBe(true);
  });

  test('a replayed WhatsApp message does not move the chat window nor store the text twice', async () => {
    const phone = newPhone();
    const company = await newCompany();
    const contact = await newContact(company.id, { phone });
    const chat = await db.chat.create({
      data: { companyId: company.id, contactId: contact.id, channel: 'whatsapp', address: phone },
    });
    const params = inbound(`whatsapp:${phone}`, 'Thanks, see you');
    expectEmptyTwiml(await send(params));
    const opened = (await db.chat.findUniqueOrThrow({ where: { id: chat.id } })).lastInboundAt!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expectEmptyTwiml(await send(params)); // replayed later
    expect((await db.chat.findUniqueOrThrow({ where: { id: chat.id } })).lastInboundAt).toEqual(opened);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(1);
  });
});

describe('Twilio status callbacks', () => {
  async function sentNotification(channel = 'sms') {
    const company = await newCompany();
    const contact = await newContact(company.id, { phone: newPhone(), smsConsent: true });
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    const notification = await newNotification(company.id, contact.id, {
      status: 'sent',
      channel,
      providerMessageId: sid,
    });
    return { sid, notification, contact };
  }
  const status = (sid: string, messageStatus: string, extra: Record<string, string> = {}) =>
    twilioPost('/webhooks/twilio/status', {
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: messageStatus,
      SmsStatus: messageStatus,
      AccountSid: 'AC00000000000000000000000000000000',
      ...extra,
    });
  const ledger = async (id: string) => db.notification.findUniqueOrThrow({ where: { id } });

  test('in order: queued and sending do not move a sent row back; delivered moves it on', async () => {
    const { sid, notification, contact } = await sentNotification();
    for (const s of ['queued', 'sending', 'sent']) {
      expect((await status(sid, s)).status).toBe(200);
      expect((await ledger(notification.id)).status).toBe('sent');
    }
    expect((await status(sid, 'delivered')).status).toBe(200);
    expect((await ledger(notification.id)).status).toBe('delivered');
    expect(await db.activityEntry.count({ where: { contactId: contact.id } })).toBe(0);
  });

  test('out of order: delivered then sent stays delivered; a terminal state never changes', async () => {
    const { sid, notification } = await sentNotification();
    await status(sid, 'delivered');
    await status(sid, 'sent');
    await status(sid, 'sending');
    expect((await ledger(notification.id)).status).toBe('delivered');
    await status(sid, 'undelivered', { ErrorCode: '30005' });
    await status(sid, 'failed', { ErrorCode: '30008' });
    expect(await ledger(notification.id)).toMatchObject({ status: 'delivered', providerErrorCode: null });
  });

  test('WhatsApp "read" counts as delivered', async () => {
    const { sid, notification } = await sentNotification('whatsapp');
    await status(sid, 'read');
    expect((await ledger(notification.id)).status).toBe('delivered');
  });

  test.each(['undelivered', 'failed'])(
    '%s stores the error code and writes one feed entry on the contact',
    async (outcome) => {
      const { sid, notification, contact } = await sentNotification();
      expect((await status(sid, outcome, { ErrorCode: '30003' })).status).toBe(200);
      expect(await ledger(notification.id)).toMatchObject({ status: outcome, providerErrorCode: '30003' });
      await status(sid, outcome, { ErrorCode: '30003' }); // Twilio repeating itself
      await status(sid, 'delivered');
      expect((await ledger(notification.id)).status).toBe(outcome);
      const entries = await db.activityEntry.findMany({ where: { contactId: contact.id } });
      expect(entries).toEqual([
        expect.objectContaining({
          kind: `delivery.${outcome}`,
          channel: 'sms',
          companyId: notification.companyId,
          text: expect.stringContaining('[code 30003]'),
        }),
      ]);
    },
  );

  test.each([
    ['left sending by a crash', 'sending', undefined],
    ['recorded as interrupted-during-dispatch', 'failed', 'interrupted-during-dispatch'],
  ] as const)(
    'a send %s is settled as sent by a callback carrying its row id (then moves on as usual)',
    async (_, ledgerStatus, reason) => {
      const company = await newCompany();
      const contact = await newContact(company.id, { phone: newPhone(), smsConsent: true });
      const notification = await newNotification(company.id, contact.id, {
        status: ledgerStatus,
        channel: 'sms',
        ...(reason ? { reason } : {}),
      });
      const sid = `SM${randomUUID().replace(/-/g, '')}`;
      const path = `/webhooks/twilio/status?notificationId=${notification.id}`;
      const params = { MessageSid: sid, MessageStatus: 'sent', AccountSid: 'AC00000000000000000000000000000000' };

      expect((await twilioPost(path, params)).status).toBe(200);
      expect(await ledger(notification.id)).toMatchObject({
        status: 'sent',
        reason: null,
        providerMessageId: sid,
        providerStatus: 'sent',
      });
      expect((await twilioPost(path, { ...params, MessageStatus: 'delivered' })).status).toBe(200);
      expect((await ledger(notification.id)).status).toBe('delivered');
      const entries = await db.activityEntry.findMany({ where: { contactId: contact.id } });
      expect(entries.map((e) => e.kind)).toEqual(['delivery.confirmed']);
    },
  );

  test('a callback carrying the id of a row that was settled otherwise changes nothing', async () => {
    const { notification } = await sentNotification();
    await db.notification.update({
      where: { id: notification.id },
      data: { status: 'skipped', providerMessageId: null },
    });
    const before = await snapshot();
    const res = await twilioPost(`/webhooks/twilio/status?notificationId=${notification.id}`, {
      MessageSid: 'SMelsewhere',
      MessageStatus: 'delivered',
    });
    expect(res.status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  test('an unknown message sid or status is acknowledged and ignored', async () => {
    const { sid } = await sentNotification();
    const before = await snapshot();
    expect((await status('SMdoesnotexist', 'delivered')).status).toBe(200);
    expect((await status(sid, 'canceled')).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  test('a bad signature is 403 and the ledger is unchanged', async () => {
    const { sid, notification } = await sentNotification();
    const params = { MessageSid: sid, MessageStatus: 'failed', ErrorCode: '30003' };
    const res = await twilioPost(
      '/webhooks/twilio/status',
      params,
      twilioSignature(`${PUBLIC_BASE_URL}/webhooks/twilio/status`, { ...params, MessageStatus: 'delivered' }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await ledger(notification.id)).toMatchObject({ status: 'sent', providerErrorCode: null });
  });
});

test('without TWILIO_AUTH_TOKEN, a number no company connected is 404 naming the missing variable', async () => {
  const res = await twilioPost(
    '/webhooks/twilio/inbound',
    inbound(newPhone(), 'STOP'),
    null,
    appWith({ twilioAuthToken: undefined }),
  );
  expect(res.status).toBe(404);
  expect(res.body).toEqual({
    error: {
      code: 'not_found',
      message:
        'Twilio webhooks are not configured: no company connected this number; set TWILIO_AUTH_TOKEN for the default account',
    },
  });
});

// ---------------------------------------------------------------------------------------------
// Instagram

const hubSignature = (raw: string, secret = INSTAGRAM_APP_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

function instagramPost(raw: string, signature: string | null = hubSignature(raw), app = appWith()) {
  const req = request(app).post('/webhooks/instagram').set('Content-Type', 'application/json').send(raw);
  return signature === null ? req : req.set('X-Hub-Signature-256', signature);
}

function messagingPayload(
  events: Array<{ sender: string; timestamp: number; text?: string; mid?: string; isEcho?: boolean }>,
) {
  return JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: '17841400000000000',
        time: Date.now(),
        messaging: events.map((e) => ({
          sender: { id: e.sender },
          recipient: { id: '17841400000000000' },
          timestamp: e.timestamp,
          message: { mid: e.mid ?? `mid.${randomUUID()}`, text: e.text, ...(e.isEcho ? { is_echo: true } : {}) },
        })),
      },
    ],
  });
}

describe('Instagram', () => {
  test('the verification handshake echoes hub.challenge as text/plain for the right token', async () => {
    const res = await request(appWith())
      .get('/webhooks/instagram')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': INSTAGRAM_VERIFY_TOKEN, 'hub.challenge': '1158201444' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('1158201444');
  });

  test.each([
    ['a wrong token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'x' }],
    ['no token', { 'hub.mode': 'subscribe', 'hub.challenge': 'x' }],
    ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': INSTAGRAM_VERIFY_TOKEN, 'hub.challenge': 'x' }],
  ])('the handshake with %s is 403', async (_what, query) => {
    const res = await request(appWith()).get('/webhooks/instagram').query(query);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  test('a signed message event opens the chat window at its timestamp and stores the message; echoes and strangers are ignored', async () => {
    const igsid = `${Date.now()}${phoneCounter++}`;
    const company = await newCompany();
    const contact = await newContact(company.id);
    const chat = await db.chat.create({
      data: { companyId: company.id, contactId: contact.id, channel: 'instagram', address: igsid },
    });
    const sentAt = Date.now() - 60_000;

    const raw = messagingPayload([
      { sender: igsid, timestamp: sentAt, text: 'Is my order ready?', mid: 'mid.customer-1' },
      { sender: igsid, timestamp: sentAt + 1000, text: 'our own reply', isEcho: true },
      { sender: 'someone-else', timestamp: sentAt, text: 'hi' },
    ]);
    const res = await instagramPost(raw);
    expect(res.status).toBe(200);
    await instagramPost(raw); // Meta redelivering

    expect((await db.chat.findUniqueOrThrow({ where: { id: chat.id } })).lastInboundAt).toEqual(new Date(sentAt));
    expect(await db.chatMessage.findMany({ where: { chatId: chat.id } })).toEqual([
      expect.objectContaining({
        direction: 'inbound',
        text: 'Is my order ready?',
        providerMessageId: 'mid.customer-1',
        createdAt: new Date(sentAt),
      }),
    ]);
    expect(await db.chat.count({ where: { address: 'someone-else' } })).toBe(0);

    // An older event arriving late does not move the window back.
    await instagramPost(messagingPayload([{ sender: igsid, timestamp: sentAt - 3_600_000, text: 'earlier' }]));
    expect((await db.chat.findUniqueOrThrow({ where: { id: chat.id } })).lastInboundAt).toEqual(new Date(sentAt));
  });

  test('unsigned, wrongly signed or altered payloads are 403 and change nothing', async () => {
    const igsid = `${Date.now()}${phoneCounter++}`;
    const company = await newCompany();
    const contact = await newContact(company.id);
    await db.chat.create({
      data: { companyId: company.id, contactId: contact.id, channel: 'instagram', address: igsid },
    });
    const raw = messagingPayload([{ sender: igsid, timestamp: Date.now(), text: 'hello' }]);
    const before = await snapshot();

    const refused = [
      await instagramPost(raw, null),
      await instagramPost(raw, hubSignature(raw, 'not-the-secret')),
      await instagramPost(raw, hubSignature(raw).replace('sha256=', 'sha1=')),
      await instagramPost(raw, 'sha256=zz'),
      await instagramPost(raw.replace('hello', 'HELLO'), hubSignature(raw)),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: 'forbidden', message: 'Invalid or missing X-Hub-Signature-256' } });
    }
    expect(await snapshot()).toEqual(before);
  });

  test('a signed body that is not JSON is 400', async () => {
    const res = await instagramPost('{not json');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
  });

  test('without the app secret or verify token, and no company connection, the Instagram routes are 404 naming what is missing', async () => {
    const res = await request(appWith({ instagramAppSecret: undefined }))
      .get('/webhooks/instagram')
      .query({ 'hub.mode': 'subscribe' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: {
        code: 'not_found',
        message:
          'Instagram webhooks are not configured: no company connected this account; set INSTAGRAM_APP_SECRET for the default account',
      },
    });
    const both = await instagramPost(
      '{}',
      null,
      appWith({ instagramAppSecret: undefined, instagramVerifyToken: undefined }),
    );
    expect(both.body.error.message).toBe(
      'Instagram webhooks are not configured: no company connected this account; set INSTAGRAM_APP_SECRET and INSTAGRAM_VERIFY_TOKEN for the default account',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Unsubscribe

describe('unsubscribe link', () => {
  async function emailed() {
    const company = await newCompany();
    const contact = await newContact(company.id, { email: 'ada@example.com', emailConsent: true });
    const notification = await newNotification(company.id, contact.id, { status: 'sent', channel: 'email' });
    return { company, contact, notification };
  }

  test('GET shows a page with two choices (only these reminders, all email) and changes nothing (mail scanners prefetch links)', async () => {
    const { company, contact, notification } = await emailed();
    const before = await snapshot();
    const res = await request(appWith()).get(`/webhooks/unsubscribe/${notification.id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    // Two choices: only these reminders (the rule), or all email.
    expect(res.text.match(/<form method="post">/g)).toHaveLength(2);
    expect(res.text).toContain('<input type="hidden" name="scope" value="rule">');
    expect(res.text).toContain('<input type="hidden" name="scope" value="all">');
    expect(res.text).toContain('Only these reminders');
    expect(res.text).toContain('All email');
    expect(res.text).toContain(company.name.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;'));
    expect(res.text).not.toContain('<Sons>');
    expect(await snapshot()).toEqual(before);
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).emailConsent).toBe(true);
  });

  test('the RFC 8058 one-click POST withdraws email consent with one feed entry, however often it is sent', async () => {
    const { contact, notification } = await emailed();
    for (let i = 0; i < 2; i++) {
      const res = await request(appWith())
        .post(`/webhooks/unsubscribe/${notification.id}`)
        .type('form')
        .send('List-Unsubscribe=One-Click');
      expect(res.status).toBe(200);
      expect(res.text).toContain('You are unsubscribed');
    }
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).emailConsent).toBe(false);
    const entries = await db.activityEntry.findMany({ where: { contactId: contact.id } });
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'consent.email.withdrawn', channel: 'email', companyId: notification.companyId }),
    ]);

    const page = await request(appWith()).get(`/webhooks/unsubscribe/${notification.id}`);
    expect(page.text).not.toContain('<form');
  });

  test('"only these reminders" opts the contact out of that rule alone (one row, one feed entry), keeping email consent', async () => {
    const { contact, notification } = await emailed();
    for (let i = 0; i < 2; i++) {
      const res = await request(appWith())
        .post(`/webhooks/unsubscribe/${notification.id}`)
        .type('form')
        .send('scope=rule');
      expect(res.status).toBe(200);
      expect(res.text).toContain('You are unsubscribed from the reminders');
    }
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).emailConsent).toBe(true);
    expect(await db.ruleUnsubscribe.findMany({ where: { contactId: contact.id } })).toEqual([
      expect.objectContaining({ ruleId: notification.ruleId }),
    ]);
    expect(await db.activityEntry.findMany({ where: { contactId: contact.id } })).toEqual([
      expect.objectContaining({ kind: 'consent.rule.withdrawn', channel: 'email' }),
    ]);
    // The page now offers only "all email".
    const page = await request(appWith()).get(`/webhooks/unsubscribe/${notification.id}`);
    expect(page.text).toContain('You no longer receive the reminders');
    expect(page.text).not.toContain('value="rule"');
    expect(page.text).toContain('value="all"');
  });

  test('"all email" from the page withdraws email consent and stamps when', async () => {
    const { contact, notification } = await emailed();
    const res = await request(appWith())
      .post(`/webhooks/unsubscribe/${notification.id}`)
      .type('form')
      .send('scope=all');
    expect(res.status).toBe(200);
    const after = await db.contact.findUniqueOrThrow({ where: { id: contact.id } });
    expect(after.emailConsent).toBe(false);
    expect(after.emailConsentChangedAt).toBeInstanceOf(Date);
    expect(await db.ruleUnsubscribe.count({ where: { contactId: contact.id } })).toBe(0);
  });

  test('a POST without the one-click body is 400 and changes nothing', async () => {
    const { contact, notification } = await emailed();
    const res = await request(appWith()).post(`/webhooks/unsubscribe/${notification.id}`).type('form').send('foo=bar');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).emailConsent).toBe(true);
  });

  test('an unknown notification id is 404 with the standard body, for GET and POST', async () => {
    const before = await snapshot();
    for (const res of [
      await request(appWith()).get(`/webhooks/unsubscribe/${randomUUID()}`),
      await request(appWith())
        .post(`/webhooks/unsubscribe/${randomUUID()}`)
        .type('form')
        .send('List-Unsubscribe=One-Click'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: 'Unsubscribe link not found' } });
    }
    expect(await snapshot()).toEqual(before);
  });
});

test('NUL bytes (which PostgreSQL refuses in text; found by fuzzing) are a 4xx or ignored, never a 500', async () => {
  const phone = newPhone();
  const company = await newCompany();
  await newContact(company.id, { phone, smsConsent: true });
  const unsigned = await twilioPost('/webhooks/twilio/inbound', inbound(phone, 'STOP', { To: '\u0000+1555' }), null);
  expect(unsigned.status).toBe(403);
  const signed = inbound(phone, 'hello\u0000', { To: '+1555\u00000000', MessageSid: 'SM\u0000abc' });
  expectEmptyTwiml(await twilioPost('/webhooks/twilio/inbound', signed));
  const handshake = await request(appWith())
    .get('/webhooks/instagram')
    .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'a\u0000b', 'hub.challenge': 'x' });
  expect(handshake.status).toBe(403);
  const raw = JSON.stringify({ object: 'instagram', entry: [{ id: '1\u00002', messaging: [] }] });
  expect((await instagramPost(raw, null)).status).toBe(403);
  const noDefault = await instagramPost(raw, null, appWith({ instagramAppSecret: undefined }));
  expect(noDefault.status).toBe(404);
});
