// "Send test" from the notification dialog: the draft rendered and sent to an address or phone the
// user types, through the real twilio client against Prism and the real nodemailer adapter against
// a real SMTP server. Never recorded in the ledger or a feed; rate-limited per user.
import { createSmtpEmailSender, type SmtpEmailSender } from '../../src/delivery/smtp-adapter';
import { TEST_SENDS_PER_MINUTE } from '../../src/api/routes/test-send';
import { createApiFixture, type ApiFixture } from '../support/api';
import {
  prismTwilioMessaging,
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
let birthdayId: string;
let adaId: string;

beforeAll(async () => {
  [prism, smtp] = await Promise.all([startTwilioPrism(), startSmtpStandIn()]);
  const twilio = prismTwilioMessaging(prism);
  exchanges = twilio.exchanges;
  email = createSmtpEmailSender({ gateway: { host: smtp.host, port: smtp.port, secure: false } });
  f = await createApiFixture({ delivery: { sms: twilio.messaging, email } });
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
