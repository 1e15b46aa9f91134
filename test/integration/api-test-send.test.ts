// "Send test" from the notification dialog: the draft rendered and sent to an address or phone the
// user types, through the real twilio client against Prism and the real nodemailer adapter against
// a real SMTP server, from the company's own Twilio account when it connected one (the worker's
// ChannelDirectory), else the default. Never recorded in the ledger or a feed; rate-limited per user.
import { databaseChannels } from '../../src/channels/directory';
import { createSmtpEmailSender, type SmtpEmailSender } from '../../src/delivery/smtp-adapter';
import { TEST_SENDS_PER_MINUTE } from '../../src/api/routes/test-send';
import { createApiFixture, TEST_MAILBOX_KEY, type ApiFixture } from '../support/api';
import {
  prismTwilioMessaging,
  RecordingTwilioClient,
  TWILIO_TEST_ACCOUNT,
  startSmtpStandIn,
  startTwilioPrism,
  type PrismStandIn,
  type SmtpStandIn,
  type TwilioExchange,
} from '../support/stand-ins';

jest.setTimeout(120_000);

let f: ApiFixture;
let prism: PrismStandIn;
let smtp: SmtpStandIn;
let email: SmtpEmailSender;
let exchanges: TwilioExchange[];
/** What the companies' own Twilio accounts sent (the default account's go to `exchanges`). */
let ownExchanges: TwilioExchange[];
let birthdayId: string;
let adaId: string;

beforeAll(async () => {
  [prism, smtp] = await Promise.all([startTwilioPrism(), startSmtpStandIn()]);
  const twilio = prismTwilioMessaging(prism);
  exchanges = twilio.exchanges;
  email = createSmtpEmailSender({ gateway: { host: smtp.host, port: smtp.port, secure: false } });
  const ownClient = new RecordingTwilioClient();
  ownExchanges = ownClient.exchanges;
  // The API resolves each company's senders as the worker does: its own connection over the default.
  f = await createApiFixture({
    channels: (db) =>
      databaseChannels({
        db,
        secretKey: TEST_MAILBOX_KEY,
        defaults: { sms: twilio.messaging, email },
        twilio: { baseUrl: prism.baseUrl, httpClient: ownClient },
      }),
  });
  const fields = await f.a.api.get('/v1/contact-fields?kind=person');
  birthdayId = fields.body.items.find((x: { key: string }) => x.key === 'birthday').id;
  adaId = (
    await f.a.api.post('/v1/contacts', { kind: 'person', name: 'Ada Lovelace', fields: { birthday: '--12-10' } })
  ).body.id;
});
afterAll(async () => {
  email?.close();
  await Promise.all([f?.close(), prism?.close(), smtp?.close()]);
});

const draft = (over: object = {}) => ({
  kind: 'person',
  eventFieldId: birthdayId,
  channel: 'sms',
  sendTime: '09:00',
  bodyTemplate: 'Happy birthday, {{contactName}}! — {{companyName}}',
  ...over,
});

async function nothingRecorded(): Promise<void> {
  expect(await f.db.notification.count()).toBe(0);
  expect(await f.db.activityEntry.count()).toBe(0);
}

describe('POST /v1/notification-rules/test-send', () => {
  test('SMS: the draft rendered for the chosen contact goes to the typed phone through Twilio (Prism); the answer carries the provider id; nothing in the ledger or a feed', async () => {
    const res = await f.a.api.post('/v1/notification-rules/test-send', {
      rule: draft(),
      to: '+15550109999',
      contactId: adaId,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      test: true,
      channel: 'sms',
      to: '+15550109999',
      body: 'Happy birthday, Ada Lovelace! — Company A',
    });
    expect(res.body.providerMessageId).toMatch(/\S/);
    const sent = exchanges.at(-1)!;
    expect(sent.statusCode).toBe(201);
    expect(sent.data).toMatchObject({ To: '+15550109999', Body: 'Happy birthday, Ada Lovelace! — Company A' });
    await nothingRecorded();
  });

  test('Email: sent from the gateway address with a [Test] subject to the typed address (real SMTP server), sample values without a contact', async () => {
    smtp.clear();
    await f.a.api.patch('/v1/company', { gatewayEmail: 'gateway@company-a.example' });
    const res = await f.a.api.post('/v1/notification-rules/test-send', {
      rule: draft({ channel: 'email', subjectTemplate: '{{eventLabel}} soon', emailSender: 'gateway' }),
      to: 'me@company-a.example',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: 'gateway@company-a.example', subject: '[Test] Birthday soon' });
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.rcptTo).toEqual(['me@company-a.example']);
    expect(mail.parsed.subject).toBe('[Test] Birthday soon');
    expect(mail.parsed.text?.trim()).toBe('Happy birthday, Test contact! — Company A');
    expect(mail.headers['x-reminders-test']).toBe('X-Reminders-Test: true');
    await nothingRecorded();
  });

  test.each([
    // Built when the test runs: the event field's id is known only then.
    ['an SMS test to an email address', () => ({ rule: draft(), to: 'me@example.com' }), 'body.to'],
    ['an email test to a phone number', () => ({ rule: draft({ channel: 'email' }), to: '+15550109999' }), 'body.to'],
    [
      'an unknown variable',
      () => ({ rule: draft({ bodyTemplate: 'Hi {{nope}}' }), to: '+15550109999' }),
      'body.rule.bodyTemplate',
    ],
  ])('%s is a 400 naming the field, and nothing is sent', async (_name, body, path) => {
    const before = exchanges.length;
    const res = await f.a.api.post('/v1/notification-rules/test-send', body());
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(exchanges.length).toBe(before);
  });

  test("SMS from a company with its own Twilio connection goes out under that company's account SID and sender; once removed, the default account again", async () => {
    const own = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'company-b-token', smsFrom: '+15550200001' };
    expect((await f.b.api.put('/v1/channel-connections/twilio', own)).status).toBe(200);
    const listed = await f.b.api.get('/v1/channel-connections');
    expect(listed.body.senders).toEqual({ sms: 'own', whatsapp: 'none', instagram: 'none' });
    const messagesOf = (sid: string) => `${prism.baseUrl}/2010-04-01/Accounts/${sid}/Messages.json`;
    const draftB = async () =>
      draft({ eventFieldId: (await f.b.api.get('/v1/contact-fields?kind=person')).body.items[0].id });

    const [ownBefore, defaultBefore] = [ownExchanges.length, exchanges.length];
    const res = await f.b.api.post('/v1/notification-rules/test-send', { rule: await draftB(), to: '+15550109999' });
    expect(res.status).toBe(200);
    expect(ownExchanges).toHaveLength(ownBefore + 1);
    expect(ownExchanges.at(-1)).toMatchObject({ statusCode: 201, uri: messagesOf(own.accountSid) });
    expect(ownExchanges.at(-1)!.data).toMatchObject({ From: own.smsFrom, To: '+15550109999' });
    expect(exchanges).toHaveLength(defaultBefore);

    expect((await f.b.api.delete('/v1/channel-connections/twilio')).status).toBe(204);
    expect((await f.b.api.get('/v1/channel-connections')).body.senders).toEqual({
      sms: 'default',
      whatsapp: 'none',
      instagram: 'none',
    });
    const again = await f.b.api.post('/v1/notification-rules/test-send', { rule: await draftB(), to: '+15550109999' });
    expect(again.status).toBe(200);
    expect(ownExchanges).toHaveLength(ownBefore + 1);
    expect(exchanges.at(-1)).toMatchObject({ statusCode: 201, uri: messagesOf(TWILIO_TEST_ACCOUNT.accountSid) });
  });

  test('a company whose own Twilio connection has no SMS sender cannot send an SMS test (it never borrows the default)', async () => {
    const own = { accountSid: `AC${'c'.repeat(32)}`, authToken: 'company-b-token', whatsappFrom: '+15550200002' };
    expect((await f.b.api.put('/v1/channel-connections/twilio', own)).status).toBe(200);
    const before = exchanges.length + ownExchanges.length;
    const res = await f.b.api.post('/v1/notification-rules/test-send', {
      rule: draft({ eventFieldId: (await f.b.api.get('/v1/contact-fields?kind=person')).body.items[0].id }),
      to: '+15550109999',
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ path: 'body.rule.channel', message: 'sms-not-configured' }]);
    expect(exchanges.length + ownExchanges.length).toBe(before);
    expect((await f.b.api.delete('/v1/channel-connections/twilio')).status).toBe(204);
  });

  test('another company’s contact is a 404', async () => {
    const res = await f.b.api.post('/v1/notification-rules/test-send', {
      rule: draft({ eventFieldId: (await f.b.api.get('/v1/contact-fields?kind=person')).body.items[0].id }),
      to: '+15550109999',
      contactId: adaId,
    });
    expect(res.status).toBe(404);
  });

  test(`at most ${TEST_SENDS_PER_MINUTE} tests per user per minute: the next is a 429 with Retry-After and is not sent; another user is not held back`, async () => {
    const send = (api: ApiFixture['a']['api']) =>
      api.post('/v1/notification-rules/test-send', { rule: draft(), to: '+15550109999' });
    // Two were sent above by this user.
    for (let i = 2; i < TEST_SENDS_PER_MINUTE; i++) expect((await send(f.a.api)).status).toBe(200);
    const before = exchanges.length;
    const refused = await send(f.a.api);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(exchanges.length).toBe(before);
    const b = await f.b.api.post('/v1/notification-rules/test-send', {
      rule: draft({ eventFieldId: (await f.b.api.get('/v1/contact-fields?kind=person')).body.items[0].id }),
      to: '+15550109999',
    });
    expect(b.status).toBe(200);
  });
});
