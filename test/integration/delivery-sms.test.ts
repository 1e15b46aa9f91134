// The delivery step on the SMS channel: the real delivery activities (MockActivityEnvironment) on
// a real database, with the real Twilio adapter against Prism serving Twilio's OpenAPI spec — and,
// for Twilio's error codes, which Prism cannot produce, against canned Twilio answers.
// Also the ledger's idempotency: dispatch, beginDelivery and recordOutcome called twice.
import { createReminderActivities, type DeliveryPorts } from '../../src/activities';
import type { Db } from '../../src/db/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  contactFeed,
  createDeliveryFixture,
  defaultBodyFor,
  deliverStep,
  failureOf,
  OCCURRENCE_DATE,
  runActivity,
  type DeliveryFixture,
} from '../support/delivery-fixtures';
import {
  cannedTwilioMessaging,
  prismTwilioMessaging,
  startTwilioPrism,
  TWILIO_TEST_ACCOUNT,
  type PrismStandIn,
} from '../support/stand-ins';

const PUBLIC_BASE_URL = 'https://reminders.example.test';

let testDb: TestDatabase;
let db: Db;
let prism: PrismStandIn;

beforeAll(async () => {
  [testDb, prism] = await Promise.all([createTestDatabase(), startTwilioPrism()]);
  db = testDb.db;
});
afterAll(async () => {
  await Promise.all([prism?.close(), testDb?.close()]);
});

const activitiesWith = (ports: DeliveryPorts, publicBaseUrl: string | null = PUBLIC_BASE_URL) =>
  createReminderActivities({ db, ports, ...(publicBaseUrl ? { publicBaseUrl } : {}) });

const ledgerRow = (fx: DeliveryFixture) =>
  db.notification.findUniqueOrThrow({
    where: {
      ruleId_contactId_occurrenceDate: { ruleId: fx.ruleId, contactId: fx.contactId, occurrenceDate: OCCURRENCE_DATE },
    },
  });

describe('SMS through Twilio (Prism)', () => {
  test('a consenting client with a phone: sent, the Prism sid on the ledger, the text in the feed, the status callback passed', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliverStep(activitiesWith({ sms: messaging }), fx.ref);

    const sid = step.outcome.providerMessageId;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/i);
    expect(step.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      providerMessageId: sid,
    });
    // Exactly one request, valid against Twilio's spec (Prism --errors answered 201), carrying what we meant.
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({
      statusCode: 201,
      uri: `${prism.baseUrl}/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.accountSid}/Messages.json`,
    });
    expect(exchanges[0]?.data).toEqual({
      To: '+15551234567',
      From: TWILIO_TEST_ACCOUNT.smsFrom,
      Body: defaultBodyFor(fx),
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status`,
    });
    expect(await ledgerRow(fx)).toMatchObject({
      id: step.notificationId,
      status: 'sent',
      channel: 'sms',
      reason: null,
      providerMessageId: sid,
      providerErrorCode: null,
    });
    expect(await contactFeed(db, fx.contactId)).toEqual([
      {
        kind: 'notification.sent',
        text: `Reminder for ${OCCURRENCE_DATE} sent via sms: ${defaultBodyFor(fx)}`,
        channel: 'sms',
        sender: null,
        chatId: null,
        notificationId: step.notificationId,
      },
    ]);
  });

  test('without a public base URL no status callback is requested', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliverStep(activitiesWith({ sms: messaging }, null), fx.ref);

    expect(step.outcome.status).toBe('sent');
    expect(exchanges[0]?.statusCode).toBe(201);
    expect(exchanges[0]?.data).not.toHaveProperty('StatusCallback');
  });

  test.each([
    ['no-sms-consent', { smsConsent: false }],
    ['no-phone', { phone: null }],
  ] as const)('nothing to do is a result: %s → skipped, no Twilio call, a feed entry', async (reason, contact) => {
    const fx = await createDeliveryFixture(db, { contact, rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliverStep(activitiesWith({ sms: messaging }), fx.ref);

    expect(step.outcome).toEqual({ status: 'skipped', occurrenceDate: OCCURRENCE_DATE, channel: 'sms', reason });
    expect(exchanges).toHaveLength(0);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'skipped', reason, providerMessageId: null });
    expect(await contactFeed(db, fx.contactId)).toEqual([
      {
        kind: 'notification.skipped',
        text: `Reminder for ${OCCURRENCE_DATE} skipped via sms: ${reason}`,
        channel: 'sms',
        sender: null,
        chatId: null,
        notificationId: step.notificationId,
      },
    ]);
  });

  test('no SMS port configured: recorded as failed with that reason', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const step = await deliverStep(activitiesWith({}), fx.ref);
    expect(step.outcome).toEqual({
      status: 'failed',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      reason: 'sms-not-configured',
    });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} failed via sms: sms-not-configured`,
    ]);
  });
});

describe('Twilio errors (canned Twilio answers through the real client)', () => {
  test.each([
    [400, 21610, 'twilio-opted-out', false],
    [400, 21211, 'twilio-permanent', true],
    [400, 21612, 'twilio-permanent', true],
    [401, 20003, 'twilio-permanent', true],
  ] as const)(
    'HTTP %i / %i → failed (%s), not retried; SMS consent afterwards: %s',
    async (status, code, reason, consentAfter) => {
      const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
      const { messaging, requests } = cannedTwilioMessaging(status, code);
      const activities = activitiesWith({ sms: messaging });

      const step = await deliverStep(activities, fx.ref);

      expect(step.outcome).toEqual({ status: 'failed', occurrenceDate: OCCURRENCE_DATE, channel: 'sms', reason });
      expect(requests).toHaveLength(1);
      expect(await ledgerRow(fx)).toMatchObject({
        status: 'failed',
        reason,
        providerErrorCode: String(code),
        providerMessageId: null,
      });
      expect((await db.contact.findUniqueOrThrow({ where: { id: fx.contactId } })).smsConsent).toBe(consentAfter);
      expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
        `Reminder for ${OCCURRENCE_DATE} failed via sms: ${reason} [code ${code}]`,
      ]);

      // A repeated dispatch (a retry) answers from the ledger instead of calling Twilio again.
      const again = await runActivity(activities.dispatch, {
        ...fx.ref,
        notificationId: step.notificationId,
        route: { kind: 'rule-channel' },
      });
      expect(again).toEqual({ status: 'failed', channel: 'sms', reason, providerErrorCode: String(code) });
      expect(requests).toHaveLength(1);
    },
  );

  test.each([
    [429, 20429],
    [503, 20503],
  ] as const)(
    'HTTP %i / %i: the activity throws a retryable failure and releases the ledger row, so the retry sends',
    async (status, code) => {
      const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
      const failing = cannedTwilioMessaging(status, code);
      const ledger = await runActivity(activitiesWith({ sms: failing.messaging }).beginDelivery, fx.ref);
      const input = { ...fx.ref, notificationId: ledger.notificationId, route: { kind: 'rule-channel' } as const };

      const err = await failureOf(runActivity(activitiesWith({ sms: failing.messaging }).dispatch, input));
      expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'TransientDeliveryError', nonRetryable: false });
      expect(err.message).toContain(`error ${code}`);
      expect(err.message).not.toContain(TWILIO_TEST_ACCOUNT.authToken);
      expect(await ledgerRow(fx)).toMatchObject({ status: 'pending', channel: null, providerMessageId: null });
      expect(await contactFeed(db, fx.contactId)).toEqual([]);

      // Temporal's retry, once Twilio is back.
      const { messaging, exchanges } = prismTwilioMessaging(prism);
      const retried = await runActivity(activitiesWith({ sms: messaging }).dispatch, input);
      expect(retried).toMatchObject({
        status: 'sent',
        channel: 'sms',
        providerMessageId: expect.stringMatching(/^SM/),
      });
      expect(exchanges).toHaveLength(1);
      expect(await ledgerRow(fx)).toMatchObject({ status: 'sent', providerMessageId: retried.providerMessageId });
    },
  );
});

describe('idempotency of the ledger', () => {
  test('beginDelivery twice: one row; dispatch twice: one send, the same result; recordOutcome twice: one feed entry', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging });

    const first = await runActivity(activities.beginDelivery, fx.ref);
    const second = await runActivity(activities.beginDelivery, fx.ref);
    expect(second).toEqual(first);
    expect(first).toEqual({ notificationId: expect.any(String), tryLastChatFirst: false, existingOutcome: undefined });
    expect(await db.notification.count({ where: { ruleId: fx.ruleId } })).toBe(1);

    const input = { ...fx.ref, notificationId: first.notificationId, route: { kind: 'rule-channel' } as const };
    const sent = await runActivity(activities.dispatch, input);
    const resent = await runActivity(activities.dispatch, input);
    expect(exchanges).toHaveLength(1);
    expect(sent).toEqual({ status: 'sent', channel: 'sms', providerMessageId: expect.stringMatching(/^SM/) });
    expect(resent).toEqual(sent);

    const outcome = await runActivity(activities.recordOutcome, {
      ...fx.ref,
      notificationId: first.notificationId,
      result: sent,
    });
    const outcomeAgain = await runActivity(activities.recordOutcome, {
      ...fx.ref,
      notificationId: first.notificationId,
      result: resent,
    });
    expect(outcomeAgain).toEqual(outcome);
    expect(await contactFeed(db, fx.contactId)).toHaveLength(1);

    // The next run of the workflow (a reset, a replayed continue-as-new) finds the outcome.
    expect(await runActivity(activities.beginDelivery, fx.ref)).toEqual({
      notificationId: first.notificationId,
      tryLastChatFirst: false,
      existingOutcome: outcome,
    });
  });

  test('a retried dispatch after a status callback moved the row to delivered reports sent, and the feed still gets the text', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging });
    const { notificationId } = await runActivity(activities.beginDelivery, fx.ref);
    const input = { ...fx.ref, notificationId, route: { kind: 'rule-channel' } as const };
    const sent = await runActivity(activities.dispatch, input);
    // The attempt's completion was lost; meanwhile Twilio called back "delivered".
    await db.notification.update({ where: { id: notificationId }, data: { status: 'delivered' } });

    const retried = await runActivity(activities.dispatch, input);
    expect(retried).toEqual(sent);
    expect(exchanges).toHaveLength(1);
    const outcome = await runActivity(activities.recordOutcome, { ...fx.ref, notificationId, result: retried });
    expect(outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      providerMessageId: sent.providerMessageId,
    });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms: ${defaultBodyFor(fx)}`,
    ]);
    expect((await ledgerRow(fx)).status).toBe('delivered');
  });

  test('a row left claimed by an attempt that died mid-send is not sent again: failed, interrupted-during-dispatch', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging });
    const { notificationId } = await runActivity(activities.beginDelivery, fx.ref);
    await db.notification.update({ where: { id: notificationId }, data: { status: 'dispatching:rule-channel' } });

    const result = await runActivity(activities.dispatch, {
      ...fx.ref,
      notificationId,
      route: { kind: 'rule-channel' },
    });

    expect(result).toEqual({ status: 'failed', reason: 'interrupted-during-dispatch' });
    expect(exchanges).toHaveLength(0);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'failed', reason: 'interrupted-during-dispatch' });
    // The workflow's outcome agrees with the feed (a row left 'dispatching:…' used to read as sent).
    expect(await runActivity(activities.recordOutcome, { ...fx.ref, notificationId, result })).toEqual({
      status: 'failed',
      occurrenceDate: OCCURRENCE_DATE,
      reason: 'interrupted-during-dispatch',
    });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} failed: interrupted-during-dispatch`,
    ]);
  });

  test('a database failure while composing, before any provider call, releases the claim', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    let failNext = false;
    // The real client, except that the next rule lookup fails like a dropped connection.
    const flaky = new Proxy(db, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop === 'notificationRule') {
          return new Proxy(value as object, {
            get(delegate, method) {
              const fn: unknown = Reflect.get(delegate, method, delegate);
              if (method === 'findFirstOrThrow' && failNext) {
                failNext = false;
                return async () => {
                  throw new Error('simulated: connection terminated');
                };
              }
              return typeof fn === 'function' ? (fn as (...a: unknown[]) => unknown).bind(delegate) : fn;
            },
          });
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const activities = createReminderActivities({
      db: flaky,
      ports: { sms: messaging },
      publicBaseUrl: PUBLIC_BASE_URL,
    });
    const { notificationId } = await runActivity(activities.beginDelivery, fx.ref);
    const input = { ...fx.ref, notificationId, route: { kind: 'rule-channel' } as const };

    failNext = true;
    await expect(runActivity(activities.dispatch, input)).rejects.toThrow('simulated: connection terminated');
    expect((await ledgerRow(fx)).status).toBe('pending');

    expect(await runActivity(activities.dispatch, input)).toMatchObject({ status: 'sent' });
    expect(exchanges).toHaveLength(1);
  });
});
