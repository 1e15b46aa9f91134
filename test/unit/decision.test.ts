// The delivery decision (src/chats/decision.ts): one pure function for the send and the preview.
// Consent of the rule's channel on every route, the chat included (issue 9 item 7); the owner's
// mailbox access (item 8); reasons that say what happened (item 11); the per-rule unsubscribe.
import { decideRoute, lastChatOf, type DecisionInput } from '../../src/chats/decision';

const NOW = new Date('2030-05-17T08:00:00.000Z');
const HOUR = 3_600_000;

function input(
  overrides: Partial<Omit<DecisionInput, 'contact'>> & { contact?: Partial<DecisionInput['contact']> } = {},
): DecisionInput {
  const { contact, ...rest } = overrides;
  return {
    rule: { channel: 'sms', tryLastChatFirst: true },
    lastChat: { id: 'chat-1', channel: 'whatsapp', open: true, lastInboundAt: new Date(NOW.getTime() - 2 * HOUR) },
    windows: { whatsappWindowHours: 24, instagramWindowHours: 168 },
    senderAccess: true,
    channels: { sms: true, whatsapp: true, instagram: true, email: true },
    now: NOW,
    ...rest,
    contact: {
      smsConsent: true,
      emailConsent: true,
      phone: '+15551234567',
      email: 'ada@example.com',
      unsubscribedFromRule: false,
      ...contact,
    },
  };
}

test('an open chat takes the reminder, with the rule channel as its fallback', () => {
  expect(decideRoute(input())).toEqual({
    route: 'chat',
    chatId: 'chat-1',
    channel: 'whatsapp',
    fallback: { route: 'sms' },
  });
});

test('no consent for the rule channel: nothing is sent, not even through an open chat', () => {
  expect(decideRoute(input({ contact: { smsConsent: false } }))).toEqual({
    route: 'none',
    status: 'skipped',
    reason: 'no-sms-consent',
    channel: 'sms',
  });
  expect(
    decideRoute(input({ rule: { channel: 'email', tryLastChatFirst: true }, contact: { emailConsent: false } })),
  ).toMatchObject({ route: 'none', reason: 'no-email-consent' });
});

test('unsubscribed from this rule: skipped on every route', () => {
  expect(decideRoute(input({ contact: { unsubscribedFromRule: true } }))).toMatchObject({
    route: 'none',
    status: 'skipped',
    reason: 'unsubscribed-from-rule',
  });
});

test.each([
  ['no-chat', { lastChat: null }],
  [
    'chat-closed',
    { lastChat: { id: 'c', channel: 'whatsapp', open: false, lastInboundAt: new Date(NOW.getTime() - HOUR) } },
  ],
  [
    'chat-window-closed',
    { lastChat: { id: 'c', channel: 'whatsapp', open: true, lastInboundAt: new Date(NOW.getTime() - 25 * HOUR) } },
  ],
  ['chat-window-closed', { lastChat: { id: 'c', channel: 'instagram', open: true, lastInboundAt: null } }],
  ['whatsapp-not-configured', { channels: { sms: true, whatsapp: false, instagram: true, email: true } }],
] as const)('the chat is not used (%s): the rule channel, with the reason', (chatNotUsed, change) => {
  expect(decideRoute(input(change as Partial<DecisionInput>))).toEqual({ route: 'sms', chatNotUsed });
});

test('the rule channel has nothing to do: skipped or failed with what happened, and why the chat was not used', () => {
  expect(decideRoute(input({ lastChat: null, contact: { phone: null } }))).toEqual({
    route: 'none',
    status: 'skipped',
    reason: 'no-phone',
    channel: 'sms',
    chatNotUsed: 'no-chat',
  });
  expect(
    decideRoute(
      input({
        rule: { channel: 'sms', tryLastChatFirst: false },
        channels: { sms: false, whatsapp: true, instagram: true, email: true },
      }),
    ),
  ).toEqual({ route: 'none', status: 'failed', reason: 'sms-not-configured', channel: 'sms' });
});

test("email: the owner's mailbox access is required (sender-access-revoked), and an address", () => {
  const email = { rule: { channel: 'email' as const, tryLastChatFirst: false } };
  expect(decideRoute(input(email))).toEqual({ route: 'email' });
  expect(decideRoute(input({ ...email, senderAccess: false }))).toEqual({
    route: 'none',
    status: 'skipped',
    reason: 'sender-access-revoked',
    channel: 'email',
  });
  expect(decideRoute(input({ ...email, contact: { email: null } }))).toMatchObject({ reason: 'no-email-address' });
  // An open chat still takes an email rule's reminder; its fallback is where the access counts.
  expect(decideRoute(input({ rule: { channel: 'email', tryLastChatFirst: true }, senderAccess: false }))).toMatchObject(
    {
      route: 'chat',
      fallback: { route: 'none', reason: 'sender-access-revoked' },
    },
  );
});

test('the last chat is the one the client wrote in last (closed ones included), then the newest', () => {
  const at = (h: number) => new Date(NOW.getTime() - h * HOUR);
  const chats = [
    { id: 'old', lastInboundAt: at(48), createdAt: at(100) },
    { id: 'recent-closed', lastInboundAt: at(1), createdAt: at(90) },
    { id: 'never-wrote', lastInboundAt: null, createdAt: at(0) },
  ];
  expect(lastChatOf(chats)?.id).toBe('recent-closed');
  expect(lastChatOf([chats[2]!, { id: 'older-never', lastInboundAt: null, createdAt: at(5) }])?.id).toBe('never-wrote');
  expect(lastChatOf([])).toBeNull();
});
