// "Try the last chat first": the real delivery activities (MockActivityEnvironment) on a real
// database, sending WhatsApp through the real Twilio adapter against Prism (Twilio's OpenAPI
// spec) and Instagram through the real adapter against a local Graph API stand-in; falling back
// to the rule's channel (SMS, Prism) when the window is closed or the provider refuses the chat.
import { createReminderActivities, type DeliveryPorts } from '../../src/activities';
import type { Db } from '../../src/db/client';
import { createInstagramMessaging } from '../../src/delivery/instagram-adapter';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  addChat,
  addWorkOrder,
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
const NOW = new Date('2030-05-14T08:00:00.000Z');
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
const activitiesWith = (ports: DeliveryPorts) =>
  createReminderActivities({ db, ports, publicBaseUrl: PUBLIC_BASE_URL });
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

    const step = await deliverStep(activitiesWith({ sms: messaging, whatsapp: messaging }), fx.ref, NOW);

    const sid = step.outcome.providerMessageId;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/i);
    expect(step.dispatches.map((d) => d.route)).toEqual(['chat']); // the rule's SMS is not sent
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
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status`,
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

    const step = await deliverStep(activitiesWith({ sms: messaging, instagram: instagram() }), fx.ref, NOW);

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

  test('only the most recent chat counts, and closed chats are not used', async () => {
    const fx = await chatRule();
    await addChat(db, fx, { channel: 'instagram', address: 'igsid-older', lastInboundAt: hoursAgo(48) });
    await addChat(db, fx, { channel: 'whatsapp', address: '+15550000001', lastInboundAt: hoursAgo(30) }); // newest, window (24 h) closed
    await addChat(db, fx, { channel: 'whatsapp', address: '+15550000002', lastInboundAt: hoursAgo(1), open: false });
    const activities = activitiesWith({});

    expect(
      await runActivity(activities.checkChatWindow, {
        companyId: fx.companyId,
        ruleId: fx.ruleId,
        contactId: fx.contactId,
        at: NOW.toISOString(),
      }),
    ).toBeNull();
  });
});

describe('falling back to the rule’s channel', () => {
  test('WhatsApp window closed (last inbound 25 h ago): no chat attempt, SMS sent, the reason in the feed', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876543', lastInboundAt: hoursAgo(25) });
    await addWorkOrder(db, fx, { title: 'Repair' });
    const { messaging, exchanges } = prismTwilioMessaging(prism);

    const step = await deliverStep(activitiesWith({ sms: messaging, whatsapp: messaging }), fx.ref, NOW);

    expect(step.dispatches.map((d) => d.route)).toEqual(['rule-channel']);
    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(exchanges.map((e) => e.data?.To)).toEqual(['+15551234567']);
    expect((await contactFeed(db, fx.contactId)).map((e) => [e.channel, e.chatId, e.text])).toEqual([
      [
        'sms',
        null,
        `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: no-open-chat): ${defaultBodyFor(fx)}`,
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

    const step = await deliverStep(activitiesWith({ sms: messaging, whatsapp: refused.messaging }), fx.ref, NOW);

    expect(step.dispatches).toEqual([
      {
        route: 'chat',
        result: {
          status: 'fallback',
          channel: 'whatsapp',
          chatId: chat.id,
          sender: 'whatsapp',
          reason: 'whatsapp-window-closed (63016)',
          providerErrorCode: '63016',
        },
      },
      {
        route: 'rule-channel',
        result: { status: 'sent', channel: 'sms', providerMessageId: expect.stringMatching(/^SM/) },
      },
    ]);
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

    const step = await deliverStep(activities, fx.ref, NOW);

    expect(step.fallbackReason).toBe('instagram-window-closed (10/2018278)');
    expect(step.outcome).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(graph.requests).toHaveLength(1);
    expect(exchanges).toHaveLength(1);
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} sent via sms (chat not used: instagram-window-closed (10/2018278)): ${defaultBodyFor(fx)}`,
    ]);
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(0);
  });

  test('fallback to a rule channel that has nothing to do: skipped, with both reasons in the feed', async () => {
    const fx = await createDeliveryFixture(db, {
      contact: { smsConsent: false },
      rule: { channel: 'sms', tryLastChatFirst: true },
    });
    await addChat(db, fx, { channel: 'instagram', address: 'igsid-window-2', lastInboundAt: hoursAgo(2) });
    graph.answers.set('igsid-window-2', GRAPH_OUTSIDE_WINDOW);

    const step = await deliverStep(
      activitiesWith({ sms: prismTwilioMessaging(prism).messaging, instagram: instagram() }),
      fx.ref,
      NOW,
    );

    expect(step.outcome).toEqual({
      status: 'skipped',
      occurrenceDate: OCCURRENCE_DATE,
      channel: 'sms',
      reason: 'no-sms-consent',
    });
    expect((await contactFeed(db, fx.contactId)).map((e) => e.text)).toEqual([
      `Reminder for ${OCCURRENCE_DATE} skipped via sms: no-sms-consent (chat not used: instagram-window-closed (10/2018278))`,
    ]);
  });

  test('a chat deleted between the window check and the send: fallback (chat-not-found), then SMS', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'whatsapp', address: '+15559876000', lastInboundAt: hoursAgo(1) });
    const { messaging, exchanges } = prismTwilioMessaging(prism);
    const activities = activitiesWith({ sms: messaging, whatsapp: messaging });
    const { notificationId } = await runActivity(activities.beginDelivery, fx.ref);
    await db.chat.delete({ where: { id: chat.id } });

    const viaChat = await runActivity(activities.dispatch, {
      ...fx.ref,
      notificationId,
      route: { kind: 'chat', chatId: chat.id },
    });
    expect(viaChat).toEqual({ status: 'fallback', reason: 'chat-not-found' });
    expect((await ledgerRow(fx)).status).toBe('fell-back');
    expect(
      await runActivity(activities.dispatch, { ...fx.ref, notificationId, route: { kind: 'rule-channel' } }),
    ).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(exchanges.map((e) => e.data?.To)).toEqual(['+15551234567']);
  });
});

describe('chat retries', () => {
  test('Graph throttling (613) is transient: the activity throws retryably, the row is released, and the retry sends via Instagram', async () => {
    const fx = await chatRule();
    const chat = await addChat(db, fx, { channel: 'instagram', address: 'igsid-busy', lastInboundAt: hoursAgo(2) });
    await addWorkOrder(db, fx, { title: 'Repair' });
    graph.answers.set('igsid-busy', graphError(400, 613, 'Calls to this api have exceeded the rate limit.'));
    const activities = activitiesWith({ instagram: instagram() });
    const { notificationId } = await runActivity(activities.beginDelivery, fx.ref);
    const input = { ...fx.ref, notificationId, route: { kind: 'chat', chatId: chat.id } as const };

    const err = await failureOf(runActivity(activities.dispatch, input));
    expect(err).toMatchObject({ name: 'ApplicationFailure', type: 'TransientDeliveryError', nonRetryable: false });
    expect(err.message).not.toContain(graph.pageAccessToken);
    expect((await ledgerRow(fx)).status).toBe('pending');

    graph.answers.delete('igsid-busy');
    const sent = await runActivity(activities.dispatch, input);
    expect(sent).toEqual({
      status: 'sent',
      channel: 'instagram',
      chatId: chat.id,
      sender: 'instagram',
      providerMessageId: 'mid.stand-in.1',
    });
    // The same call once more (its completion lost): the recorded result, chat included, no second send.
    const again = await runActivity(activities.dispatch, input);
    expect(again).toEqual(sent);
    expect(graph.requests).toHaveLength(2);

    await runActivity(activities.recordOutcome, { ...fx.ref, notificationId, result: again });
    expect(await db.chatMessage.count({ where: { chatId: chat.id } })).toBe(1);
    expect(await db.activityEntry.count({ where: { workOrder: { contactId: fx.contactId }, chatId: chat.id } })).toBe(
      1,
    );
  });
});
