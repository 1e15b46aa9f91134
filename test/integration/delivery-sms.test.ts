// The delivery of one occurrence on the SMS channel: the real delivery activity
// (`deliverOccurrence`, in MockActivityEnvironment) on a real database, with the real Twilio
// adapter against Prism serving Twilio's OpenAPI spec — and, for Twilio's error codes, which Prism
// cannot produce, against canned Twilio answers. Also the ledger's idempotency: the activity run
// again, after a crash at each point, never sends twice.
import type { DeliveryPorts } from '../../src/activities';
import { deliver as orchestrate, deliverySteps } from '../../src/activities/delivery';
import type { Db } from '../../src/db/client';
import { sharedChannels } from '../../src/delivery/ports';
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
} from '../support/delivery-fixtures';
import { failureOf } from '../support/eventually';
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
  activitiesFor(db, ports, publicBaseUrl ? { publicBaseUrl } : {});

const ledgerRow = (fx: DeliveryFixture) =>
  db.notification.findUniqueOrThrow({
    where: {
      ruleId_contactId_occurrenceDate: { ruleId: fx.ruleId, contactId: fx.contactId, occurrenceDate: OCCURRENCE_DATE },
    },
  });

describe('SMS through Twilio (Prism)', () => {
  test('a consenting client with a phone: sent, the Prism sid on the ledger, the text in the feed, the status callback carries the row id', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging }), fx.ref);

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
      // The row's id lets a later status callback settle a send whose answer a crash cut off.
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status?notificationId=${step.notificationId}`,
    });
    expect(await ledgerRow(fx)).toMatchObject({
      id: step.notificationId,
      status: 'sent',
      channel: 'sms',
      reason: null,
      providerMessageId: sid,
      providerErrorCode: null,
      scheduledFor: new Date(SCHEDULED_FOR),
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

    const step = await deliver(activitiesWith({ sms: messaging }, null), fx.ref);

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

    const step = await deliver(activitiesWith({ sms: messaging }), fx.ref);

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
    const step = await deliver(activitiesWith({}), fx.ref);
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

      const step = await deliver(activities, fx.ref);

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

      // The activity run again (a retry, a second run) answers from the ledger instead of calling Twilio.
      expect(await deliver(activities, fx.ref)).toEqual(step);
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

      const err = await failureOf(runActivity(activitiesWith({ sms: failing.messaging }).deliverOccurrence, fx.ref));
      expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'TransientDeliveryError', nonRetryable: false });
      expect(err.message).toContain(`error ${code}`);
      expect(err.message).not.toContain(TWILIO_TEST_ACCOUNT.authToken);
      expect(await ledgerRow(fx)).toMatchObject({ status: 'pending', channel: null, providerMessageId: null });
      expect(await contactFeed(db, fx.contactId)).toEqual([]);

      // Temporal's retry, once Twilio is back.
      const { messaging, exchanges } = prismTwilioMessaging(prism);
      const retried = await deliver(activitiesWith({ sms: messaging }), fx.ref);
      expect(retried.outcome).toMatchObject({
        status: 'sent',
        channel: 'sms',
        providerMessageId: expect.stringMatching(/^SM/),
      });
      expect(exchanges).toHaveLength(1);
      expect(await ledgerRow(fx)).toMatchObject({
        status: 'sent',
        providerMessageId: retried.outcome.providerMessageId,
      });
    },
  );
});

describe('idempotency of the ledger', () => {
  test('delivered twice: one row, one send, one feed entry, the same outcome; the next plan is past the occurrence', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging });

    const first = await runActivity(activities.deliverOccurrence, fx.ref);
    const second = await runActivity(activities.deliverOccurrence, fx.ref);
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      kind: 'handled',
      outcome: { status: 'sent', channel: 'sms', providerMessageId: expect.stringMatching(/^SM/) },
      nextPlan: { active: true, handled: { occurrenceDate: OCCURRENCE_DATE, sendAt: SCHEDULED_FOR } },
    });
    expect(exchanges).toHaveLength(1);
    expect(await db.notification.count({ where: { ruleId: fx.ruleId } })).toBe(1);
    expect(await contactFeed(db, fx.contactId)).toHaveLength(1);
  });

  test('a retried delivery after a status callback moved the row to delivered reports sent, and the feed keeps one entry', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging });
    const sent = await deliver(activities, fx.ref);
    // The attempt's completion was lost; meanwhile Twilio called back "delivered".
    await db.notification.update({ where: { id: sent.notificationId }, data: { status: 'delivered' } });

    const retried = await deliver(activities, fx.ref);
    expect(retried.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      providerMessageId: sent.outcome.providerMessageId,
    });
    expect(exchanges).toHaveLength(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms: ${defaultBodyFor(fx)}`,
    ]);
    expect((await ledgerRow(fx)).status).toBe('delivered');
  });

  test('a text left `sending` by an attempt that died mid-call is not sent again: failed, interrupted-during-dispatch', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const steps = deliverySteps({
      db,
      channels: sharedChannels({ sms: messaging }),
      now: () => new Date(SCHEDULED_FOR),
    });
    // The worker dies right after the provider accepted: nothing records the answer.
    const crashing = {
      ...steps,
      async send(...args: Parameters<typeof steps.send>) {
        await steps.send(...args);
        throw new Error('simulated: worker killed after the provider accepted');
      },
    };
    await expect(runActivity(() => orchestrate(crashing, fx.ref))).rejects.toThrow('worker killed');
    expect(exchanges).toHaveLength(1);
    // `release` ran in the catch: a real kill -9 leaves the claim, which is what the retry finds.
    await db.notification.update({
      where: { id: (await ledgerRow(fx)).id },
      data: { status: 'sending', channel: 'sms' },
    });

    const retried = await deliver(activitiesWith({ sms: messaging }), fx.ref);

    expect(retried.outcome).toEqual({
      status: 'failed',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      reason: 'interrupted-during-dispatch',
    });
    expect(exchanges).toHaveLength(1);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'failed', reason: 'interrupted-during-dispatch' });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} failed via sms: interrupted-during-dispatch`,
    ]);
  });

  test('a failure after the claim and before the provider call releases the claim; the retry sends once', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const steps = deliverySteps({
      db,
      channels: sharedChannels({ sms: messaging }),
      now: () => new Date(SCHEDULED_FOR),
    });
    let failNext = true;
    const flaky = {
      ...steps,
      async send(...args: Parameters<typeof steps.send>) {
        if (failNext) {
          failNext = false;
          throw new Error('simulated: connection terminated');
        }
        return steps.send(...args);
      },
    };

    await expect(runActivity(() => orchestrate(flaky, fx.ref))).rejects.toThrow('simulated: connection terminated');
    expect(await ledgerRow(fx)).toMatchObject({ status: 'pending', channel: null });
    expect(exchanges).toHaveLength(0);

    expect(await runActivity(() => orchestrate(flaky, fx.ref))).toMatchObject({ outcome: { status: 'sent' } });
    expect(exchanges).toHaveLength(1);
  });

  test('recording the outcome fails after the send (database gone): the retry finds the claim and does not send the text again', async () => {
    const fx = await createDeliveryFixture(db, { rule: { channel: 'sms' } });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const steps = deliverySteps({
      db,
      channels: sharedChannels({ sms: messaging }),
      now: () => new Date(SCHEDULED_FOR),
    });
    const flaky = {
      ...steps,
      async record(...args: Parameters<typeof steps.record>) {
        if (args[2].status === 'sent') throw new Error('simulated: connection lost after the send');
        return steps.record(...args);
      },
    };

    await expect(runActivity(() => orchestrate(flaky, fx.ref))).rejects.toThrow('connection lost after the send');
    expect(await ledgerRow(fx)).toMatchObject({ status: 'sending', channel: 'sms' });
    const retried = await runActivity(() => orchestrate(flaky, fx.ref));
    expect(retried).toMatchObject({ outcome: { status: 'failed', reason: 'interrupted-during-dispatch' } });
    expect(exchanges).toHaveLength(1);
  });
});
