// Channel connections per company (issue 9, item 6): each company connects its own Twilio account
// and senders and its own Instagram account through the API (admin-only, secrets sealed and never
// returned); webhooks find the company by the receiving number or account, verify with THAT
// company's secret and touch only its contacts; the worker's ChannelDirectory sends from the
// company's own account (real twilio client against Prism) with a rate limit per connected sender.
import { createHmac, randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { errorHandler, notFoundHandler } from '../../src/api/errors';
import { webhooksRouter } from '../../src/api/webhooks';
import { databaseChannels } from '../../src/channels/directory';
import { DeliveryError } from '../../src/delivery/ports';
import { createTwilioMessageClock } from '../../src/delivery/twilio-adapter';
import { silentLogger } from '../../src/runtime/logger';
import { encryptSecret } from '../../src/security/secret-box';
import { activitiesFor, createDeliveryFixture, deliver } from '../support/delivery-fixtures';
import { createApiFixture, TEST_MAILBOX_KEY, type ApiFixture } from '../support/api';
import {
  prismTwilioMessaging,
  RecordingTwilioClient,
  startTwilioPrism,
  TWILIO_TEST_ACCOUNT,
  type PrismStandIn,
} from '../support/stand-ins';

const PUBLIC_BASE_URL = 'https://reminders.example.com';
const DEFAULT_TOKEN = 'default-account-token';

const ACCOUNT_A = {
  sid: `AC${'a'.repeat(32)}`,
  token: 'company-a-auth-token',
  sms: '+15550100001',
  wa: '+15550100002',
};
const ACCOUNT_B = { sid: `AC${'b'.repeat(32)}`, token: 'company-b-auth-token', sms: '+15550200001' };
const IG_A = { accountId: '17840000000000001', pageAccessToken: 'EAAG-page-token-a', appSecret: 'ig-app-secret-a' };

let f: ApiFixture;
let prism: PrismStandIn;
beforeAll(async () => {
  [f, prism] = await Promise.all([createApiFixture(), startTwilioPrism()]);
});
afterAll(async () => {
  await Promise.all([prism?.close(), f?.close()]);
});

async function clerkOf(company: ApiFixture['a']) {
  const res = await company.api.post('/v1/users', { name: 'Clerk', email: `clerk-${randomUUID()}@x.example` });
  expect(res.status).toBe(201);
  return f.as(res.body.apiKey as string);
}

const webhookApp = () => {
  const app = express();
  app.use(
    webhooksRouter({
      db: f.db,
      logger: silentLogger,
      publicBaseUrl: PUBLIC_BASE_URL,
      secretKey: TEST_MAILBOX_KEY,
      twilioAuthToken: DEFAULT_TOKEN,
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler({ exposeStack: false, log: () => {} }));
  return app;
};

function twilioSignature(url: string, params: Record<string, string>, token: string): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf-8')).digest('base64');
}
const twilioInbound = (params: Record<string, string>, token: string) =>
  request(webhookApp())
    .post('/webhooks/twilio/inbound')
    .type('form')
    .set('X-Twilio-Signature', twilioSignature(`${PUBLIC_BASE_URL}/webhooks/twilio/inbound`, params, token))
    .send(params);
const sid = () => `SM${randomUUID().replace(/-/g, '')}`;

describe('routes', () => {
  test('an admin connects Twilio and Instagram; the answers and the listing never contain a secret; the database holds them sealed', async () => {
    const put = await f.a.api.put('/v1/channel-connections/twilio', {
      accountSid: ACCOUNT_A.sid,
      authToken: ACCOUNT_A.token,
      smsFrom: ACCOUNT_A.sms,
      whatsappFrom: ACCOUNT_A.wa,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      provider: 'twilio',
      accountId: ACCOUNT_A.sid,
      smsFrom: ACCOUNT_A.sms,
      whatsappFrom: ACCOUNT_A.wa,
    });
    const ig = await f.a.api.put('/v1/channel-connections/instagram', IG_A);
    expect(ig.status).toBe(200);
    expect(ig.body.verifyToken).toMatch(/^[\w-]{32}$/);

    const listed = await f.a.api.get('/v1/channel-connections');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((c: { provider: string }) => c.provider)).toEqual(['twilio', 'instagram']);
    for (const text of [JSON.stringify(put.body), JSON.stringify(ig.body), JSON.stringify(listed.body)]) {
      expect(text).not.toContain(ACCOUNT_A.token);
      expect(text).not.toContain(IG_A.pageAccessToken);
      expect(text).not.toContain(IG_A.appSecret);
      expect(text).not.toMatch(/Encrypted/);
    }
    const rows = await f.db.channelConnection.findMany({ where: { companyId: f.a.company.id } });
    expect(JSON.stringify(rows)).not.toContain(ACCOUNT_A.token);
    expect(JSON.stringify(rows)).not.toContain(IG_A.appSecret);
  });

  test('a non-admin user is refused (403) and changes nothing; listing without secrets is open to users', async () => {
    const clerk = await clerkOf(f.a);
    const before = await f.db.channelConnection.findMany({ orderBy: { id: 'asc' } });
    const refused = [
      await clerk.put('/v1/channel-connections/twilio', {
        accountSid: ACCOUNT_A.sid,
        authToken: 'x',
        smsFrom: '+15550109999',
      }),
      await clerk.put('/v1/channel-connections/instagram', { ...IG_A, appSecret: 'x' }),
      await clerk.delete('/v1/channel-connections/twilio'),
      await clerk.delete('/v1/channel-connections/instagram'),
    ];
    for (const res of refused) expect(res.status).toBe(403);
    expect(await f.db.channelConnection.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
    expect((await clerk.get('/v1/channel-connections')).status).toBe(200);
  });

  test("companies are isolated: B sees none of A's connections, cannot take A's number or account (409), cannot delete A's", async () => {
    expect((await f.b.api.get('/v1/channel-connections')).body.items).toEqual([]);
    const taken = await f.b.api.put('/v1/channel-connections/twilio', {
      accountSid: ACCOUNT_B.sid,
      authToken: ACCOUNT_B.token,
      smsFrom: ACCOUNT_A.sms,
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('conflict');
    expect((await f.b.api.put('/v1/channel-connections/instagram', IG_A)).status).toBe(409);
    expect((await f.b.api.delete('/v1/channel-connections/twilio')).status).toBe(404);
    expect(await f.db.channelConnection.count({ where: { companyId: f.a.company.id } })).toBe(2);

    const own = await f.b.api.put('/v1/channel-connections/twilio', {
      accountSid: ACCOUNT_B.sid,
      authToken: ACCOUNT_B.token,
      smsFrom: ACCOUNT_B.sms,
    });
    expect(own.status).toBe(200);
  });

  test('bad input is a 400 naming the field', async () => {
    const res = await f.a.api.put('/v1/channel-connections/twilio', { accountSid: 'nope', authToken: 't' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toContain('accountSid');
    const none = await f.a.api.put('/v1/channel-connections/twilio', { accountSid: ACCOUNT_A.sid, authToken: 't' });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body.error.details)).toContain('smsFrom');
  });
  test('a secret left out keeps the saved one for the same account only; for another account it is a 400 naming the field', async () => {
    const row = (provider: 'twilio' | 'instagram') =>
      f.db.channelConnection.findUniqueOrThrow({
        where: { companyId_provider: { companyId: f.a.company.id, provider } },
      });
    const [twilioBefore, igBefore] = [await row('twilio'), await row('instagram')];
    const kept = await f.a.api.put('/v1/channel-connections/twilio', {
      accountSid: ACCOUNT_A.sid,
      smsFrom: ACCOUNT_A.sms,
      whatsappFrom: ACCOUNT_A.wa,
    });
    expect(kept.status).toBe(200);
    expect((await row('twilio')).secretEncrypted).toBe(twilioBefore.secretEncrypted);
    const keptIg = await f.a.api.put('/v1/channel-connections/instagram', { accountId: IG_A.accountId });
    expect(keptIg.status).toBe(200);
    expect(await row('instagram')).toMatchObject({
      secretEncrypted: igBefore.secretEncrypted,
      appSecretEncrypted: igBefore.appSecretEncrypted,
    });

    const otherAccount = await f.a.api.put('/v1/channel-connections/twilio', {
      accountSid: `AC${'d'.repeat(32)}`,
      smsFrom: ACCOUNT_A.sms,
    });
    expect(otherAccount.status).toBe(400);
    expect(otherAccount.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.authToken']);
    const otherIg = await f.a.api.put('/v1/channel-connections/instagram', {
      accountId: '17840000000000009',
      appSecret: 'x',
    });
    expect(otherIg.status).toBe(400);
    expect(otherIg.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.pageAccessToken']);
    expect(await row('twilio')).toMatchObject({
      accountId: ACCOUNT_A.sid,
      secretEncrypted: twilioBefore.secretEncrypted,
    });
    expect((await row('instagram')).accountId).toBe(IG_A.accountId);
  });
});

describe('webhooks with two companies on their own accounts', () => {
  // Runs after "routes": A is connected to ACCOUNT_A (+ Instagram IG_A), B to ACCOUNT_B.
  async function samePhoneInBoth() {
    const phone = `+1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    const data = { kind: 'person' as const, name: 'Shared Client', phone, smsConsent: true };
    const ca = await f.db.contact.create({ data: { ...data, companyId: f.a.company.id } });
    const cb = await f.db.contact.create({ data: { ...data, companyId: f.b.company.id } });
    return { phone, ca, cb };
  }
  const consentOf = async (id: string) => (await f.db.contact.findUniqueOrThrow({ where: { id } })).smsConsent;

  test("a STOP to A's number, signed with A's token, withdraws consent in A only", async () => {
    const { phone, ca, cb } = await samePhoneInBoth();
    const params = { MessageSid: sid(), AccountSid: ACCOUNT_A.sid, From: phone, To: ACCOUNT_A.sms, Body: 'STOP' };
    expect((await twilioInbound(params, ACCOUNT_A.token)).status).toBe(200);
    expect(await consentOf(ca.id)).toBe(false);
    expect(await consentOf(cb.id)).toBe(true);
    expect(await f.db.activityEntry.count({ where: { contactId: cb.id } })).toBe(0);
  });

  test("a STOP to B's number signed with A's token (or the default's) is refused and changes nothing", async () => {
    const { phone, ca, cb } = await samePhoneInBoth();
    const params = { MessageSid: sid(), AccountSid: ACCOUNT_B.sid, From: phone, To: ACCOUNT_B.sms, Body: 'STOP' };
    for (const token of [ACCOUNT_A.token, DEFAULT_TOKEN]) {
      const res = await twilioInbound(params, token);
      expect(res.status).toBe(403);
    }
    expect(await consentOf(ca.id)).toBe(true);
    expect(await consentOf(cb.id)).toBe(true);
    expect((await twilioInbound(params, ACCOUNT_B.token)).status).toBe(200);
    expect(await consentOf(ca.id)).toBe(true);
    expect(await consentOf(cb.id)).toBe(false);
  });

  test('the default account (a number nobody connected) touches neither company that has its own account', async () => {
    const { phone, ca, cb } = await samePhoneInBoth();
    const params = {
      MessageSid: sid(),
      AccountSid: `AC${'0'.repeat(32)}`,
      From: phone,
      To: '+15559990000',
      Body: 'STOP',
    };
    expect((await twilioInbound(params, DEFAULT_TOKEN)).status).toBe(200);
    expect(await consentOf(ca.id)).toBe(true);
    expect(await consentOf(cb.id)).toBe(true);
  });

  test("WhatsApp to A's sender opens only A's chat with that number", async () => {
    const { phone, ca, cb } = await samePhoneInBoth();
    const chatA = await f.db.chat.create({
      data: { companyId: f.a.company.id, contactId: ca.id, channel: 'whatsapp', address: phone },
    });
    const chatB = await f.db.chat.create({
      data: { companyId: f.b.company.id, contactId: cb.id, channel: 'whatsapp', address: phone },
    });
    const params = {
      MessageSid: sid(),
      AccountSid: ACCOUNT_A.sid,
      From: `whatsapp:${phone}`,
      To: `whatsapp:${ACCOUNT_A.wa}`,
      Body: 'See you then',
    };
    expect((await twilioInbound(params, ACCOUNT_A.token)).status).toBe(200);
    expect((await f.db.chat.findUniqueOrThrow({ where: { id: chatA.id } })).lastInboundAt).not.toBeNull();
    expect((await f.db.chat.findUniqueOrThrow({ where: { id: chatB.id } })).lastInboundAt).toBeNull();
    expect(await f.db.chatMessage.count({ where: { chatId: chatB.id } })).toBe(0);
  });

  test("Instagram: an entry for A's account is verified with A's app secret and reaches only A's chat", async () => {
    const igsid = `ig-${randomUUID()}`;
    const ca = await f.db.contact.create({ data: { companyId: f.a.company.id, kind: 'person', name: 'IG' } });
    const cb = await f.db.contact.create({ data: { companyId: f.b.company.id, kind: 'person', name: 'IG' } });
    const chatA = await f.db.chat.create({
      data: { companyId: f.a.company.id, contactId: ca.id, channel: 'instagram', address: igsid },
    });
    const chatB = await f.db.chat.create({
      data: { companyId: f.b.company.id, contactId: cb.id, channel: 'instagram', address: igsid },
    });
    const body = JSON.stringify({
      object: 'instagram',
      entry: [
        {
          id: IG_A.accountId,
          time: Date.now(),
          messaging: [
            {
              sender: { id: igsid },
              recipient: { id: IG_A.accountId },
              timestamp: Date.now(),
              message: { mid: `m_${randomUUID()}`, text: 'hi' },
            },
          ],
        },
      ],
    });
    const post = (secret: string) =>
      request(webhookApp())
        .post('/webhooks/instagram')
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)
        .send(body);
    expect((await post('some-other-secret')).status).toBe(403);
    expect((await f.db.chat.findUniqueOrThrow({ where: { id: chatA.id } })).lastInboundAt).toBeNull();
    expect((await post(IG_A.appSecret)).status).toBe(200);
    expect((await f.db.chat.findUniqueOrThrow({ where: { id: chatA.id } })).lastInboundAt).not.toBeNull();
    expect((await f.db.chat.findUniqueOrThrow({ where: { id: chatB.id } })).lastInboundAt).toBeNull();
    expect(await f.db.chatMessage.count({ where: { chatId: chatA.id, direction: 'inbound' } })).toBe(1);
  });

  test("Instagram's handshake accepts the verify token generated for A's connection", async () => {
    const token = (
      await f.db.channelConnection.findFirstOrThrow({ where: { companyId: f.a.company.id, provider: 'instagram' } })
    ).verifyToken!;
    const res = await request(webhookApp())
      .get('/webhooks/instagram')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': 'c-123' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('c-123');
    const wrong = await request(webhookApp())
      .get('/webhooks/instagram')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'c-123' });
    expect(wrong.status).toBe(403);
  });
});

describe('the ChannelDirectory the worker sends through', () => {
  function directory(rateLimits?: Parameters<typeof databaseChannels>[0]['rateLimits']) {
    const httpClient = new RecordingTwilioClient();
    const defaults = prismTwilioMessaging(prism);
    const channels = databaseChannels({
      db: f.db,
      secretKey: TEST_MAILBOX_KEY,
      defaults: { sms: defaults.messaging },
      twilio: { baseUrl: prism.baseUrl, httpClient },
      ...(rateLimits ? { rateLimits } : {}),
    });
    return { channels, own: httpClient.exchanges, shared: defaults.exchanges };
  }
  const messagesPath = (accountSid: string) => `${prism.baseUrl}/2010-04-01/Accounts/${accountSid}/Messages.json`;

  test("a company's SMS goes out through its own Twilio account and sender; a company without one uses the default", async () => {
    const { channels, own, shared } = directory();
    const { id: companyC } = await f.db.company.create({ data: { name: 'Company C without a connection' } });

    const a = await channels.portsFor(f.a.company.id);
    await a.sms!.sendSms({ to: '+15551234567', body: 'from A' });
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ statusCode: 201, uri: messagesPath(ACCOUNT_A.sid) });
    expect(own[0]!.data).toMatchObject({ From: ACCOUNT_A.sms, To: '+15551234567' });
    await a.whatsapp!.sendWhatsApp({ to: '+15551234567', body: 'wa from A' });
    expect(own[1]!.data).toMatchObject({ From: `whatsapp:${ACCOUNT_A.wa}` });

    const b = await channels.portsFor(f.b.company.id);
    await b.sms!.sendSms({ to: '+15551234567', body: 'from B' });
    expect(own[2]).toMatchObject({ statusCode: 201, uri: messagesPath(ACCOUNT_B.sid) });
    // B connected no WhatsApp sender: it has none, rather than the shared default's.
    expect(b.whatsapp).toBeUndefined();

    const c = await channels.portsFor(companyC);
    await c.sms!.sendSms({ to: '+15551234567', body: 'from C' });
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({ uri: messagesPath(TWILIO_TEST_ACCOUNT.accountSid) });
    expect(own).toHaveLength(3);
  });

  test('a changed connection is used on the next lookup; a removed one falls back to the default', async () => {
    const { channels, own, shared } = directory();
    const newSid = `AC${'c'.repeat(32)}`;
    expect(
      (
        await f.b.api.put('/v1/channel-connections/twilio', {
          accountSid: newSid,
          authToken: 'rotated-token',
          smsFrom: ACCOUNT_B.sms,
        })
      ).status,
    ).toBe(200);
    await (await channels.portsFor(f.b.company.id)).sms!.sendSms({ to: '+15551234567', body: 'x' });
    expect(own.at(-1)!.uri).toBe(messagesPath(newSid));

    expect((await f.b.api.delete('/v1/channel-connections/twilio')).status).toBe(204);
    await (await channels.portsFor(f.b.company.id)).sms!.sendSms({ to: '+15551234567', body: 'y' });
    expect(shared.at(-1)!.uri).toBe(messagesPath(TWILIO_TEST_ACCOUNT.accountSid));
  });

  test("rate limits are per connected sender: A's full queue does not hold back B's", async () => {
    expect(
      (
        await f.b.api.put('/v1/channel-connections/twilio', {
          accountSid: ACCOUNT_B.sid,
          authToken: ACCOUNT_B.token,
          smsFrom: ACCOUNT_B.sms,
        })
      ).status,
    ).toBe(200);
    const { channels, own } = directory({ perMinute: { sms: 1 }, maxWaitMs: 0 });
    const a = await channels.portsFor(f.a.company.id);
    await a.sms!.sendSms({ to: '+15551234567', body: 'first' });
    const second = await a.sms!.sendSms({ to: '+15551234567', body: 'second' }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(DeliveryError);
    expect(second).toMatchObject({ kind: 'transient', code: 'rate-limited' });
    // The same company's next lookup shares the limiter (it is per sender, not per lookup).
    const again = await (
      await channels.portsFor(f.a.company.id)
    )
      .sms!.sendSms({ to: '+15551234567', body: 'third' })
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'rate-limited' });
    await (await channels.portsFor(f.b.company.id)).sms!.sendSms({ to: '+15551234567', body: 'B is not held' });
    expect(own.map((e) => e.uri)).toEqual([messagesPath(ACCOUNT_A.sid), messagesPath(ACCOUNT_B.sid)]);
  });

  test('credentials this server cannot unseal fail as a permanent error saying so, without calling Twilio', async () => {
    const httpClient = new RecordingTwilioClient();
    const channels = databaseChannels({
      db: f.db,
      secretKey: Buffer.alloc(32, 9),
      defaults: {},
      twilio: { baseUrl: prism.baseUrl, httpClient },
    });
    const err = await (
      await channels.portsFor(f.a.company.id)
    )
      .sms!.sendSms({ to: '+15551234567', body: 'x' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'permanent', code: 'credentials-unreadable' });
    expect(String((err as Error).message)).not.toContain(ACCOUNT_A.token);
    expect(httpClient.exchanges).toHaveLength(0);
  });
});

test("the webhooks read a message's creation time from Twilio's Messages API (the real client against Prism), with the account's own credentials", async () => {
  const httpClient = new RecordingTwilioClient();
  const clock = createTwilioMessageClock({ baseUrl: prism.baseUrl, httpClient });
  const messageSid = `SM${'0123456789abcdef'.repeat(2)}`;
  const at = await clock({ accountSid: ACCOUNT_A.sid, authToken: ACCOUNT_A.token }, messageSid);
  expect(at).toBeInstanceOf(Date);
  expect(Number.isNaN(at.getTime())).toBe(false);
  expect(httpClient.exchanges).toEqual([
    expect.objectContaining({
      statusCode: 200,
      uri: `${prism.baseUrl}/2010-04-01/Accounts/${ACCOUNT_A.sid}/Messages/${messageSid}.json`,
    }),
  ]);
});

test("the delivery activity sends a company's reminder through its own Twilio account and number (Prism); another company's through the default", async () => {
  const own = await createDeliveryFixture(f.db, { rule: { channel: 'sms' } });
  const other = await createDeliveryFixture(f.db, { rule: { channel: 'sms' } });
  const account = { sid: `AC${'d'.repeat(32)}`, sms: '+15550400001' };
  await f.db.channelConnection.create({
    data: {
      companyId: own.companyId,
      provider: 'twilio',
      accountId: account.sid,
      secretEncrypted: encryptSecret('own-company-token', TEST_MAILBOX_KEY),
      smsFrom: account.sms,
    },
  });
  const httpClient = new RecordingTwilioClient();
  const shared = prismTwilioMessaging(prism);
  const channels = databaseChannels({
    db: f.db,
    secretKey: TEST_MAILBOX_KEY,
    defaults: { sms: shared.messaging },
    twilio: { baseUrl: prism.baseUrl, httpClient },
  });
  const activities = activitiesFor(f.db, {}, { channels, publicBaseUrl: PUBLIC_BASE_URL });

  const sent = await deliver(activities, own.ref);
  expect(sent.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
  expect(httpClient.exchanges).toHaveLength(1);
  expect(httpClient.exchanges[0]).toMatchObject({
    statusCode: 201,
    uri: `${prism.baseUrl}/2010-04-01/Accounts/${account.sid}/Messages.json`,
  });
  expect(httpClient.exchanges[0]!.data).toMatchObject({ From: account.sms, To: '+15551234567' });
  expect(shared.exchanges).toHaveLength(0);

  expect((await deliver(activities, other.ref)).outcome).toMatchObject({ status: 'sent' });
  expect(shared.exchanges).toHaveLength(1);
  expect(shared.exchanges[0]!.uri).toBe(
    `${prism.baseUrl}/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.accountSid}/Messages.json`,
  );
  expect(httpClient.exchanges).toHaveLength(1);
});
