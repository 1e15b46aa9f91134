// The delivery of one occurrence on the email channel: the real delivery activity
// (`deliverOccurrence`, MockActivityEnvironment) on a real database, with the real nodemailer adapter against two real SMTP servers started here
// (smtp-server, parsed with mailparser): the platform gateway, which takes unauthenticated
// submissions, and a company's connected mailbox, which requires AUTH with its own credentials.
import { randomBytes } from 'node:crypto';
import { deliver as orchestrate, deliverySteps } from '../../src/activities/delivery';
import type { Db } from '../../src/db/client';
import { sharedChannels } from '../../src/delivery/ports';
import { createSmtpEmailSender, type SmtpEmailSender } from '../../src/delivery/smtp-adapter';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  activitiesFor,
  contactFeed,
  createDeliveryFixture,
  defaultBodyFor,
  deliver,
  OCCURRENCE_DATE,
  runActivity,
  SCHEDULED_FOR,
  type DeliveryFixture,
  type DeliveryFixtureOptions,
} from '../support/delivery-fixtures';
import { failureOf } from '../support/eventually';
import { startSmtpStandIn, type SmtpStandIn } from '../support/stand-ins';

const PUBLIC_BASE_URL = 'https://reminders.example.test';
const GATEWAY_EMAIL = 'reminders@gateway.example.test';
const MAILBOX_KEY = randomBytes(32);
const MAILBOX = {
  address: 'front-desk@acme.example.test',
  user: 'front-desk@acme.example.test',
  password: 'mailbox-app-password-0123',
};

let testDb: TestDatabase;
let db: Db;
let gateway: SmtpStandIn;
let mailboxServer: SmtpStandIn;
let email: SmtpEmailSender;

beforeAll(async () => {
  [testDb, gateway, mailboxServer] = await Promise.all([
    createTestDatabase(),
    startSmtpStandIn(),
    startSmtpStandIn({ auth: { user: MAILBOX.user, password: MAILBOX.password } }),
  ]);
  db = testDb.db;
  email = createSmtpEmailSender({
    gateway: { host: gateway.host, port: gateway.port, secure: false },
    mailboxHosts: { allowPrivateHosts: true },
  });
});
afterAll(async () => {
  email?.close();
  await Promise.all([gateway?.close(), mailboxServer?.close(), testDb?.close()]);
});
beforeEach(() => {
  gateway.clear();
  mailboxServer.clear();
});

const activitiesWith = (options: { publicBaseUrl?: string | null; mailboxSecretKey?: Buffer | null } = {}) =>
  activitiesFor(
    db,
    { email },
    {
      ...(options.publicBaseUrl === null ? {} : { publicBaseUrl: options.publicBaseUrl ?? PUBLIC_BASE_URL }),
      ...(options.mailboxSecretKey === null ? {} : { mailboxSecretKey: options.mailboxSecretKey ?? MAILBOX_KEY }),
    },
  );

const gatewayFixture = (options: Partial<DeliveryFixtureOptions> = {}) =>
  createDeliveryFixture(db, {
    company: { gatewayEmail: GATEWAY_EMAIL },
    ...options,
    rule: { channel: 'email', ...options.rule },
  });

const mailboxFixture = (password = MAILBOX.password, key = MAILBOX_KEY) =>
  createDeliveryFixture(db, {
    company: { gatewayEmail: GATEWAY_EMAIL },
    rule: {
      channel: 'email',
      mailbox: { ...MAILBOX, password, key, host: mailboxServer.host, port: mailboxServer.port },
    },
  });

const ledgerRow = (fx: DeliveryFixture) =>
  db.notification.findUniqueOrThrow({
    where: {
      ruleId_contactId_occurrenceDate: { ruleId: fx.ruleId, contactId: fx.contactId, occurrenceDate: OCCURRENCE_DATE },
    },
  });
const unsubscribeUrl = (notificationId: string) => `${PUBLIC_BASE_URL}/webhooks/unsubscribe/${notificationId}`;

describe('email from the gateway', () => {
  test('From the company gateway address, rendered subject and body, Message-ID from the ledger row, one-click unsubscribe', async () => {
    const fx = await gatewayFixture();

    const step = await deliver(activitiesWith(), fx.ref);

    const messageId = `<notification-${step.notificationId}@reminders.local>`;
    expect(step.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'email',
      providerMessageId: messageId,
    });
    expect(mailboxServer.received).toHaveLength(0);
    expect(gateway.received).toHaveLength(1);
    const [mail] = gateway.received;
    expect(mail?.user).toBeUndefined(); // the gateway relay is used without AUTH here
    expect(mail?.mailFrom).toBe(GATEWAY_EMAIL);
    expect(mail?.rcptTo).toEqual(['ada@example.com']);
    expect(mail?.parsed.from?.value).toEqual([{ address: GATEWAY_EMAIL, name: '' }]);
    expect(mail?.parsed.subject).toBe(`Birthday reminder from ${fx.companyName}`);
    // The link is in the body's footer as well: many mail clients never show the header's button.
    expect(mail?.parsed.text?.trim()).toBe(
      `${defaultBodyFor(fx)}\n\n-- \nTo stop these reminders, or all email from us: ${unsubscribeUrl(step.notificationId)}`,
    );
    expect(mail?.parsed.messageId).toBe(messageId);
    expect(mail?.headers['list-unsubscribe']).toBe(`List-Unsubscribe: <${unsubscribeUrl(step.notificationId)}>`);
    expect(mail?.headers['list-unsubscribe-post']).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    expect(await ledgerRow(fx)).toMatchObject({
      status: 'sent',
      channel: 'email',
      sender: GATEWAY_EMAIL,
      providerMessageId: messageId,
      reason: null,
    });
    expect(await contactFeed(db, fx.contactId)).toEqual([
      {
        kind: 'notification.sent',
        text: `Reminder for ${OCCURRENCE_DATE} sent via email: ${defaultBodyFor(fx)}`,
        channel: 'email',
        sender: GATEWAY_EMAIL,
        chatId: null,
        notificationId: step.notificationId,
      },
    ]);
  });

  test('a rule without a subject template gets the default subject (as the preview shows it); no public URL → no unsubscribe headers', async () => {
    const fx = await gatewayFixture({
      rule: {
        channel: 'email',
        subjectTemplate: null,
        bodyTemplate: 'Dear {{contactName}}, see you on {{eventDate}}.',
      },
    });

    await deliver(activitiesWith({ publicBaseUrl: null }), fx.ref);

    const [mail] = gateway.received;
    expect(mail?.parsed.subject).toBe(`Birthday: ${OCCURRENCE_DATE}`);
    expect(mail?.parsed.text?.trim()).toBe(`Dear Ada Lovelace, see you on ${OCCURRENCE_DATE}.`);
    expect(mail?.headers).not.toHaveProperty('list-unsubscribe');
    expect(mail?.headers).not.toHaveProperty('list-unsubscribe-post');
  });

  test.each([
    ['no-email-consent', { emailConsent: false }],
    ['no-email-address', { email: null }],
  ] as const)('nothing to do is a result: %s → skipped, no SMTP session, a feed entry', async (reason, contact) => {
    const fx = await gatewayFixture({ contact });

    const step = await deliver(activitiesWith(), fx.ref);

    expect(step.outcome).toEqual({ status: 'skipped', occurrenceDate: OCCURRENCE_DATE, channel: 'email', reason });
    expect(gateway.rcptAttempts).toEqual([]);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'skipped', reason });
    expect((await contactFeed(db, fx.contactId)).map((e) => [e.kind, e.text])).toEqual([
      ['notification.skipped', `Reminder for ${OCCURRENCE_DATE} skipped via email: ${reason}`],
    ]);
  });
});

describe('email from a connected mailbox', () => {
  test("From the mailbox, through the mailbox's server with its decrypted credentials, with the unsubscribe link too", async () => {
    const fx = await mailboxFixture();
    // The password is stored sealed, never in clear.
    const stored = await db.mailbox.findUniqueOrThrow({ where: { id: fx.mailboxId! } });
    expect(stored.smtpPasswordEncrypted).not.toContain(MAILBOX.password);

    const step = await deliver(activitiesWith(), fx.ref);

    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'email' });
    expect(gateway.received).toHaveLength(0);
    expect(mailboxServer.logins).toEqual([{ username: MAILBOX.user, password: MAILBOX.password }]);
    expect(mailboxServer.received).toHaveLength(1);
    const [mail] = mailboxServer.received;
    expect(mail?.user).toBe(MAILBOX.user);
    expect(mail?.mailFrom).toBe(MAILBOX.address);
    expect(mail?.parsed.from?.value).toEqual([{ address: MAILBOX.address, name: '' }]);
    expect(mail?.parsed.messageId).toBe(`<notification-${step.notificationId}@reminders.local>`);
    // The link withdraws the same emailConsent that gates mailbox sends, so mailbox mail carries it as well.
    expect(mail?.headers['list-unsubscribe']).toBe(`List-Unsubscribe: <${unsubscribeUrl(step.notificationId)}>`);
    expect(mail?.headers['list-unsubscribe-post']).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mail?.parsed.text).toContain(
      `-- \nTo stop these reminders, or all email from us: ${unsubscribeUrl(step.notificationId)}`,
    );
    expect(await ledgerRow(fx)).toMatchObject({ status: 'sent', sender: MAILBOX.address });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.sender)).toEqual([MAILBOX.address]);
  });

  test('the mailbox server refuses the credentials (535): failed, permanent, the password nowhere in the ledger', async () => {
    const fx = await mailboxFixture('an-outdated-password');

    const step = await deliver(activitiesWith(), fx.ref);

    expect(step.outcome).toEqual({
      status: 'failed',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'email',
      reason: 'smtp-permanent',
    });
    expect(mailboxServer.logins).toEqual([{ username: MAILBOX.user, password: 'an-outdated-password' }]);
    expect(mailboxServer.received).toHaveLength(0);
    const row = await ledgerRow(fx);
    expect(row).toMatchObject({ status: 'failed', providerErrorCode: '535' });
    expect(JSON.stringify(row)).not.toContain('an-outdated-password');
  });

  test.each([
    ['mailbox-key-not-configured', () => activitiesWith({ mailboxSecretKey: null })],
    ['mailbox-password-unreadable', () => activitiesWith({ mailboxSecretKey: randomBytes(32) })],
  ] as const)(
    '%s: recorded as a failed send (not a workflow-ending error), nothing sent',
    async (reason, activities) => {
      const fx = await mailboxFixture();

      const step = await deliver(activities(), fx.ref);

      expect(step.outcome).toEqual({ status: 'failed', occurrenceDate: OCCURRENCE_DATE, channel: 'email', reason });
      expect(mailboxServer.logins).toEqual([]);
      expect(gateway.rcptAttempts).toEqual([]);
      expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
        `Reminder for ${OCCURRENCE_DATE} failed via email: ${reason}`,
      ]);
    },
  );
});

describe('SMTP errors', () => {
  test('550 at RCPT TO: failed with the code, and a repeated delivery does not try again', async () => {
    const fx = await gatewayFixture({ contact: { email: 'bounce@example.com' } });
    const activities = activitiesWith();

    const step = await deliver(activities, fx.ref);

    expect(step.outcome).toEqual({
      status: 'failed',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'email',
      reason: 'smtp-permanent',
    });
    expect(await ledgerRow(fx)).toMatchObject({
      status: 'failed',
      reason: 'smtp-permanent',
      providerErrorCode: '550',
      sender: GATEWAY_EMAIL,
    });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} failed via email: smtp-permanent [code 550]`,
    ]);
    expect(gateway.rcptAttempts).toEqual(['bounce@example.com']);

    expect(await deliver(activities, fx.ref)).toEqual(step);
    expect(gateway.rcptAttempts).toEqual(['bounce@example.com']);
  });

  test('451 at RCPT TO: a retryable activity failure, the ledger row released, and the retry sends once the server accepts', async () => {
    const fx = await gatewayFixture({ contact: { email: 'ada@greylisting.example.com' } });
    gateway.refuse.set('ada@greylisting.example.com', { code: 451, message: '4.7.1 Greylisted, try again later' });
    const activities = activitiesWith();

    const err = await failureOf(runActivity(activities.deliverOccurrence, fx.ref));
    expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'TransientDeliveryError', nonRetryable: false });
    expect(err.message).toContain('Greylisted');
    expect(await ledgerRow(fx)).toMatchObject({ status: 'pending', providerErrorCode: null });
    expect(gateway.received).toHaveLength(0);
    expect(await contactFeed(db, fx.contactId)).toEqual([]);

    gateway.refuse.delete('ada@greylisting.example.com');
    const retried = await deliver(activities, fx.ref);
    expect(retried.outcome).toMatchObject({
      status: 'sent',
      providerMessageId: `<notification-${retried.notificationId}@reminders.local>`,
    });
    expect(gateway.received).toHaveLength(1);
    expect(gateway.rcptAttempts).toEqual(['ada@greylisting.example.com', 'ada@greylisting.example.com']);
  });
});

describe('checked again at every send', () => {
  test("the rule's owner lost access to the mailbox: skipped as sender-access-revoked (ledger and feed), nothing sent", async () => {
    const fx = await mailboxFixture();
    await db.mailboxAccess.deleteMany({ where: { mailboxId: fx.mailboxId!, userId: fx.userId } });

    const step = await deliver(activitiesWith(), fx.ref);

    expect(step.outcome).toEqual({
      status: 'skipped',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'email',
      reason: 'sender-access-revoked',
    });
    expect(mailboxServer.logins).toEqual([]);
    expect(mailboxServer.received).toHaveLength(0);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'skipped', reason: 'sender-access-revoked' });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} skipped via email: sender-access-revoked`,
    ]);
  });

  test('the contact unsubscribed from this rule only: skipped as unsubscribed-from-rule; other rules still send', async () => {
    const fx = await gatewayFixture();
    const other = await gatewayFixture();
    await db.ruleUnsubscribe.create({ data: { ruleId: fx.ruleId, contactId: fx.contactId } });

    expect((await deliver(activitiesWith(), fx.ref)).outcome).toMatchObject({
      status: 'skipped',
      reason: 'unsubscribed-from-rule',
    });
    expect((await deliver(activitiesWith(), other.ref)).outcome).toMatchObject({ status: 'sent' });
    expect(gateway.rcptAttempts).toEqual(['ada@example.com']);
  });
});

describe('a crash between the SMTP answer and the ledger', () => {
  test('an email left `sending` is sent again with the same Message-ID, which mailbox providers de-duplicate', async () => {
    const fx = await gatewayFixture();
    const steps = deliverySteps({
      db,
      channels: sharedChannels({ email }),
      now: () => new Date(SCHEDULED_FOR),
      publicBaseUrl: PUBLIC_BASE_URL,
    });
    const crashing = {
      ...steps,
      async record(...args: Parameters<typeof steps.record>) {
        if (args[2].status === 'sent') throw new Error('simulated: worker killed before recording the send');
        return steps.record(...args);
      },
    };
    await expect(runActivity(() => orchestrate(crashing, fx.ref))).rejects.toThrow('worker killed');
    expect(await ledgerRow(fx)).toMatchObject({ status: 'sending', channel: 'email' });

    const retried = await deliver(activitiesWith(), fx.ref);

    expect(retried.outcome).toMatchObject({ status: 'sent', channel: 'email' });
    expect(gateway.received).toHaveLength(2);
    const ids = gateway.received.map((m) => m.parsed.messageId);
    expect(ids).toEqual([
      `<notification-${retried.notificationId}@reminders.local>`,
      `<notification-${retried.notificationId}@reminders.local>`,
    ]);
    expect(await contactFeed(db, fx.contactId)).toHaveLength(1);
  });
});
