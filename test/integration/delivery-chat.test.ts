// "Try the last chat first": the real delivery activity (`deliverOccurrence`, in
// MockActivityEnvironment) on a real database, sending WhatsApp through the real Twilio adapter against Prism (Twilio's OpenAPI
// spec) and Instagram through the real adapter against a local Graph API stand-in; falling back
// to the rule's channel (SMS, Prism) when the window is closed or the provider refuses the chat.
import type { DeliveryPorts } from '../../src/activities';
import { CHAT_ATTEMPTS_BEFORE_FALLBACK, deliver as orchestrate, deliverySteps } from '../../src/activities/delivery';
import type { Db } from '../../src/db/client';
import { createInstagramMessaging } from '../../src/delivery/instagram-adapter';
import { sharedChannels } from '../../src/delivery/ports';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  activitiesFor,
  addChat,
  addWorkOrder,
  contactFeed,
  createDeliveryFixture,
  defaultBodyFor,
  deliver,
  OCCURRENCE_DATE,
  runActivity,
  runAttempt,
  SCHEDULED_FOR,
  type DeliveryFixture,
} from '../support/delivery-fixtures';
import { failureOf } from '../support/eventually';
import {
  cannedTwilioMessaging,
  graphError,
  GRAPH_OUTSIDE_WINDOW,
  prismTwilioMessaging,
  startGraphStandIn,
  startTwilioPrism,
  TWILIO_TEST_ACCOUNT,
  type GraphStandIn,
  type PrismStandIn,
} from '../support/stand-ins';

const PUBLIC_BASE_URL = 'https://reminders.example.test';
const HOUR = 3_600_000;
// The send instant: chats' windows are judged at the moment the reminder goes out.
const NOW = new Date(SCHEDULED_FOR);
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * HOUR);

let testDb: TestDatabase;
let db: Db;
let prism: PrismStandIn;
let graph: GraphStandIn;

beforeAll(async () => {
  [testDb, prism, graph] = await Promise.all([createTestDatabase(), startTwilioPrism(), startGraphStandIn()]);
  db = testDb.db;
});
afterAll(async () => {
  await Promise.all([prism?.close(), graph?.close(), testDb?.close()]);
});
beforeEach(() => graph.clear());

const instagram = () =>
  createInstagramMessaging({
    igUserId: graph.igUserId,
    pageAccessToken: graph.pageAccessToken,
    graphBaseUrl: graph.graphBaseUrl,
  });
const activitiesWith = (ports: DeliveryPorts) => activitiesFor(db, ports, { publicBaseUrl: PUBLIC_BASE_URL, now: NOW });
const chatRule = () => createDeliveryFixture(db, { rule: { channel: 'sms', tryLastChatFirst: true } });
const ledgerRow = (fx: DeliveryFixture) =>
  db.notification.findUniqueOrThrow({
    where: {
      ruleId_contactId_occurrenceDate: { ruleId: fx.ruleId, contactId: fx.contactId, occurrenceDate: OCCURRENCE_DATE },
    },
  });

describe('the chat inside its window takes the reminder', () => {
  test('WhatsApp: sent through Twilio with whatsapp: addresses; chat message; feed entries on the contact and each open work order', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876543', lastInboundAt: hoursAgo(23) });
    const [open1, open2] = [
      await addWorkOrder(db, fx, { title: 'Repair #1' }),
      await addWorkOrder(db, fx, { title: 'Repair #2' }),
    ];
    const closed = await addWorkOrder(db, fx, { title: 'Old repair', status: 'closed' });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, whatsapp: messaging }), fx.ref);

    const sid = step.outcome.providerMessageId;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/i);
    expect(step.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'whatsapp',
      providerMessageId: sid,
    });
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]?.statusCode).toBe(201);
    expect(exchanges[0]?.data).toEqual({
      To: 'whatsapp:+15559876543',
      From: `whatsapp:${TWILIO_TEST_ACCOUNT.whatsappFrom}`,
      Body: defaultBodyFor(fx),
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status?notificationId=${step.notificationId}`,
    });
    expect(await ledgerRow(fx)).toMatchObject({ status: 'sent', channel: 'whatsapp', providerMessageId: sid });

    const messages = await db.chatMessage.findMany({ where: { chatId: chat.id } });
    expect(
      messages.map((m) => ({ direction: m.direction, text: m.text, providerMessageId: m.providerMessageId })),
    ).toEqual([{ direction: 'outbound', text: defaultBodyFor(fx), providerMessageId: sid }]);
    const text = `Reminder for ${OCCURRENCE_DATE} sent via whatsapp: ${defaultBodyFor(fx)}`;
    expect(await contactFeed(db, fx.contactId)).toEqual([
      {
        kind: 'notification.sent',
        text,
        channel: 'whatsapp',
        sender: 'whatsapp',
        chatId: chat.id,
        notificationId: step.notificationId,
      },
    ]);
    const orderEntries = await db.activityEntry.findMany({ where: { workOrder: { contactId: fx.contactId } } });
    expect(orderEntries.map((e) => e.workOrderId).sort()).toEqual([open1.id, open2.id].sort());
    expect(orderEntries.every((e) => e.chatId === chat.id && e.text === text && e.kind === 'notification.sent')).toBe(
      true,
    );
    expect(orderEntries.some((e) => e.workOrderId === closed.id)).toBe(false);
  });

  test('Instagram: sent through the Graph stand-in to the chat’s IGSID', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'instagram', address: 'igsid-ada', lastInboundAt: hoursAgo(6 * 24) }); // inside 168 h
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, instagram: instagram() }), fx.ref);

    expect(step.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'instagram',
      providerMessageId: 'mid.stand-in.1',
    });
    expect(exchanges).toHaveLength(0);
    expect(graph.requests).toEqual([
      {
        method: 'POST',
        url: `/v21.0/${graph.igUserId}/messages`,
        authorization: `Bearer ${graph.pageAccessToken}`,
        body: { recipient: { id: 'igsid-ada' }, message: { text: defaultBodyFor(fx) } },
      },
    ]);
    expect(
      await db.chatMessage.count({
        where: { chatId: chat.id, direction: 'outbound', providerMessageId: 'mid.stand-in.1' },
      }),
    ).toBe(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => [e.channel, e.chatId])).toEqual([['instagram', chat.id]]);
  });

  test.each([
    // The newest conversation was closed in the CRM: an older open chat is not where the client is.
    ['chat-closed', { channel: 'whatsapp', address: '+15550000002', lastInboundAt: hoursAgo(1), open: false }],
    // The newest conversation's window (24 h on WhatsApp) has closed.
    ['chat-window-closed', { channel: 'whatsapp', address: '+15550000003', lastInboundAt: hoursAgo(30) }],
  ] as const)('only the last chat counts: %s → the rule channel, the reason in the feed', async (reason, last) => {
    const fx = await chatRule();
    await addChat(db, fx, { channel: 'instagram', address: `igsid-older-${reason}`, lastInboundAt: hoursAgo(48) });
    await addChat(db, fx, last);
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, whatsapp: messaging, instagram: instagram() }), fx.ref);

    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(graph.requests).toHaveLength(0);
    expect(exchanges.map((e) => e.data?.To)).toEqual(['+15551234567']);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: ${reason}): ${defaultBodyFor(fx)}`,
    ]);
  });
});

describe('falling back to the rule’s channel', () => {
  test('WhatsApp window closed (last inbound 25 h ago): no chat attempt, SMS sent, chat-window-closed in the feed', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876543', lastInboundAt: hoursAgo(25) });
    await addWorkOrder(db, fx, { title: 'Repair' });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, whatsapp: messaging }), fx.ref);

    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(exchanges.map((e) => e.data?.To)).toEqual(['+15551234567']);
    expect((await contactFeed(db, fx.contactId)).map((e) => [e.channel, e.chatId, e.text])).toEqual([
      [
        'sms',
        null,
        `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: chat-window-closed): ${defaultBodyFor(fx)}`,
      ],
    ]);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(0);
    expect(await db.activityEntry.count({ where: { workOrder: { contactId: fx.contactId } } })).toBe(0);
  });

  test('Twilio refuses the WhatsApp message (63016, outside the window): fallback, then SMS, the reason in the feed', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876543', lastInboundAt: hoursAgo(2) });
    const refused = cannedTwilioMessaging(
      400,
      63016,
      'Failed to send freeform message because you are outside the allowed window.',
    );
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, whatsapp: refused.messaging }), fx.ref);

    expect(step.outcome).toMatchObject({
      status: 'sent',
      channel: 'sms',
      providerMessageId: expect.stringMatching(/^SM/),
    });
    expect(refused.requests.map((r) => r?.To)).toEqual(['whatsapp:+15559876543']);
    expect(exchanges.map((e) => e.data?.To)).toEqual(['+15551234567']);
    expect(await ledgerRow(fx)).toMatchObject({ status: 'sent', channel: 'sms' });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: whatsapp-window-closed (63016)): ${defaultBodyFor(fx)}`,
    ]);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(0);
  });

  test('Graph answers 10/2018278 (outside the allowed window): fallback, then SMS, the reason in the feed', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'instagram', address: 'igsid-window', lastInboundAt: hoursAgo(2) });
    graph.answers.set('igsid-window', GRAPH_OUTSIDE_WINDOW);
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging, instagram: instagram() });

    const step = await deliver(activities, fx.ref);

    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(graph.requests).toHaveLength(1);
    expect(exchanges).toHaveLength(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: instagram-window-closed (10/2018278)): ${defaultBodyFor(fx)}`,
    ]);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(0);
  });

  test('the chat refuses and the rule channel has nothing to do (no phone): skipped, with both reasons in the feed', async () => {
    const fx = await createDeliveryFixture(db, {
      contact: { phone: null },
      rule: { channel: 'sms', tryLastChatFirst: true },
    });
    await addChat(db, fx, { channel: 'instagram', address: 'igsid-window-2', lastInboundAt: hoursAgo(2) });
    graph.answers.set('igsid-window-2', GRAPH_OUTSIDE_WINDOW);

    const step = await deliver(
      activitiesWith({ sms: prismTwilioMessaging(prism).messaging, instagram: instagram() }),
      fx.ref,
    );

    expect(step.outcome).toEqual({
      status: 'skipped',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      reason: 'no-phone',
    });
    expect(graph.requests).toHaveLength(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} skipped via sms: no-phone (chat not used: instagram-window-closed (10/2018278))`,
    ]);
  });

  test('no consent for the rule channel: nothing goes out, not even through the open chat (issue 9 item 7)', async () => {
    const fx = await createDeliveryFixture(db, {
      contact: { smsConsent: false, emailConsent: false },
      rule: { channel: 'sms', tryLastChatFirst: true },
    });
    await addChat(db, fx, { channel: 'whatsapp', address: '+15559870001', lastInboundAt: hoursAgo(2) });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliver(activitiesWith({ sms: messaging, whatsapp: messaging }), fx.ref);

    expect(step.outcome).toEqual({
      status: 'skipped',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      reason: 'no-sms-consent',
    });
    expect(exchanges).toHaveLength(0);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} skipped via sms: no-sms-consent`,
    ]);
  });

  test('a chat deleted while its message is on the way: the message counts as sent, the feed keeps no link to the deleted chat', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876000', lastInboundAt: hoursAgo(1) });
    await addWorkOrder(db, fx, { title: 'Repair' });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const steps = deliverySteps({
      db,
      channels: sharedChannels({ sms: messaging, whatsapp: messaging }),
      now: () => NOW,
    });
    const deleting = {
      ...steps,
      async send(...args: Parameters<typeof steps.send>) {
        await db.chat.delete({ where: { id: chat.id } });
        return steps.send(...args);
      },
    };

    const result = await runActivity(() => orchestrate(deleting, fx.ref));

    expect(result).toMatchObject({ kind: 'handled', outcome: { status: 'sent', channel: 'whatsapp' } });
    expect(exchanges.map((e) => e.data?.To)).toEqual(['whatsapp:+15559876000']);
    expect((await contactFeed(db, fx.contactId)).map((e) => [e.channel, e.chatId])).toEqual([['whatsapp', null]]);
    expect(await db.activityEntry.count({ where: { workOrder: { contactId: fx.contactId } } })).toBe(1);
  });
});

describe('chat retries', () => {
  test('Graph throttling (613) is transient: the activity throws retryably, the row is released, and the retry sends via Instagram', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'instagram', address: 'igsid-busy', lastInboundAt: hoursAgo(2) });
    await addWorkOrder(db, fx, { title: 'Repair' });
    graph.answers.set('igsid-busy', graphError(400, 613, 'Calls to this api have exceeded the rate limit.'));
    const activities = activitiesWith({ instagram: instagram() });

    const err = await failureOf(runActivity(activities.deliverOccurrence, fx.ref));
    expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'TransientDeliveryError', nonRetryable: false });
    expect(err.message).not.toContain(graph.pageAccessToken);
    expect((await ledgerRow(fx)).status).toBe('pending');

    graph.answers.delete('igsid-busy');
    const sent = await deliver(activities, fx.ref);
    expect(sent.outcome).toEqual({
      status: 'sent',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'instagram',
      providerMessageId: 'mid.stand-in.1',
    });
    // The same call once more (its completion lost): the recorded outcome, no second send.
    expect(await deliver(activities, fx.ref)).toEqual(sent);
    expect(graph.requests).toHaveLength(2);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(1);
    expect(await db.activityEntry.count({ where: { workOrder: { contactId: fx.contactId }, chatId: chat.id } })).toBe(
      1,
    );
  });

  test(`a chat still failing transiently at attempt ${CHAT_ATTEMPTS_BEFORE_FALLBACK}: the rule channel takes the reminder`, async () => {
    const fx = await chatRule();
    await addChat(db, fx, { channel: 'instagram', address: 'igsid-down', lastInboundAt: hoursAgo(2) });
    graph.answers.set('igsid-down', graphError(400, 613, 'Calls to this api have exceeded the rate limit.'));
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging, instagram: instagram() });

    const result = await runAttempt(CHAT_ATTEMPTS_BEFORE_FALLBACK, activities.deliverOccurrence, fx.ref);

    expect(result).toMatchObject({ kind: 'handled', outcome: { status: 'sent', channel: 'sms' } });
    expect(exchanges).toHaveLength(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: instagram-transient (613)): ${defaultBodyFor(fx)}`,
    ]);
  });
});
