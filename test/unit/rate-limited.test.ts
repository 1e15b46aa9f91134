// Send-rate limiting in front of the delivery ports. Jest's modern fake timers replace both
// setTimeout and Date, which is all the limiter library reads, so every timing here is exact.
import { DeliveryError, type EmailSender, type SmsSender, type WhatsAppSender } from '../../src/delivery/ports';
import {
  createSendLimiter,
  DEFAULT_RATES_PER_MINUTE,
  rateLimited,
  rateLimitedPorts,
  type SendLimiter,
} from '../../src/delivery/rate-limited';

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

const t0 = new Date('2030-01-01T00:00:00Z').getTime();

/** An SMS port that records, relative to t0, when each message reached the "vendor". */
function recordingSms() {
  const calls: Array<{ to: string; at: number }> = [];
  const port: SmsSender = {
    async sendSms(msg) {
      calls.push({ to: msg.to, at: Date.now() - t0 });
      return { providerMessageId: `SM${calls.length}`, status: 'queued' };
    },
  };
  return { port, calls };
}

/** Settles a promise without letting an early rejection go unhandled while timers advance. */
function settle<T>(promise: Promise<T>) {
  const outcome: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(outcome, { value, done: true }),
    (error: unknown) => Object.assign(outcome, { error, done: true }),
  );
  return outcome;
}

test('sends are spaced one interval apart, in arrival order', async () => {
  const { port, calls } = recordingSms();
  const sms = rateLimited(
    port,
    createSendLimiter({ name: 'whatsapp', provider: 'twilio', perMinute: 60, maxWaitMs: 5_000 }),
  );

  const results = ['+1', '+2', '+3', '+4'].map((to) => settle(sms.sendSms({ to, body: 'hi' })));
  await jest.advanceTimersByTimeAsync(0);
  expect(calls).toEqual([{ to: '+1', at: 0 }]);

  await jest.advanceTimersByTimeAsync(999);
  expect(calls).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(calls).toHaveLength(2);

  await jest.advanceTimersByTimeAsync(2_000);
  expect(calls).toEqual([
    { to: '+1', at: 0 },
    { to: '+2', at: 1_000 },
    { to: '+3', at: 2_000 },
    { to: '+4', at: 3_000 },
  ]);
  expect(results.map((r) => r.value?.providerMessageId)).toEqual(['SM1', 'SM2', 'SM3', 'SM4']);
});

test('a send whose turn is further away than maxWaitMs fails at once with a transient DeliveryError, without reaching the vendor', async () => {
  const { port, calls } = recordingSms();
  // 1/s and at most 3 s of waiting: one sends now, three wait 1, 2 and 3 s, the fifth is refused.
  const sms = rateLimited(
    port,
    createSendLimiter({ name: 'whatsapp', provider: 'twilio', perMinute: 60, maxWaitMs: 3_000 }),
  );

  const results = ['+1', '+2', '+3', '+4', '+5'].map((to) => settle(sms.sendSms({ to, body: 'hi' })));
  await jest.advanceTimersByTimeAsync(0);
  const refused = results[4]!;
  expect(refused.done).toBe(true);
  expect(refused.error).toBeInstanceOf(DeliveryError);
  const error = refused.error as DeliveryError;
  expect(error).toMatchObject({ kind: 'transient', provider: 'twilio', code: 'rate-limited' });
  expect(error.retryable).toBe(true);
  expect(error.message).toMatch(/whatsapp send rate limit \(60\/min\)/);

  await jest.advanceTimersByTimeAsync(3_000);
  expect(calls.map((c) => c.to)).toEqual(['+1', '+2', '+3', '+4']);
  expect(calls.map((c) => c.at)).toEqual([0, 1_000, 2_000, 3_000]);
});

test('once the queue drains, new sends are accepted again and still respect the spacing', async () => {
  const { port, calls } = recordingSms();
  const sms = rateLimited(
    port,
    createSendLimiter({ name: 'sms', provider: 'twilio', perMinute: 60, maxWaitMs: 1_000 }),
  );

  const first = [
    settle(sms.sendSms({ to: '+1', body: '' })),
    settle(sms.sendSms({ to: '+2', body: '' })),
    settle(sms.sendSms({ to: '+3', body: '' })),
  ];
  await jest.advanceTimersByTimeAsync(0);
  expect(first.map((r) => r.error instanceof DeliveryError)).toEqual([false, false, true]);

  await jest.advanceTimersByTimeAsync(1_500); // +2 went at 1000; its slot lasts until 2000
  const late = settle(sms.sendSms({ to: '+4', body: '' }));
  await jest.advanceTimersByTimeAsync(499);
  expect(late.done).toBe(false);
  await jest.advanceTimersByTimeAsync(1);
  expect(late.error).toBeUndefined();
  expect(calls).toEqual([
    { to: '+1', at: 0 },
    { to: '+2', at: 1_000 },
    { to: '+4', at: 2_000 },
  ]);
});

test('maxWaitMs shorter than one interval: only a free slot sends, everything else is handed back to Temporal', async () => {
  const { port, calls } = recordingSms();
  const sms = rateLimited(
    port,
    createSendLimiter({ name: 'instagram', provider: 'instagram', perMinute: 30, maxWaitMs: 0 }),
  );
  const a = settle(sms.sendSms({ to: '+1', body: '' }));
  const b = settle(sms.sendSms({ to: '+2', body: '' }));
  await jest.advanceTimersByTimeAsync(0);
  expect(a.error).toBeUndefined();
  expect(b.error).toMatchObject({ kind: 'transient', provider: 'instagram' });
  await jest.advanceTimersByTimeAsync(2_000); // 30/min = one every 2 s
  const c = settle(sms.sendSms({ to: '+3', body: '' }));
  await jest.advanceTimersByTimeAsync(0);
  expect(c.error).toBeUndefined();
  expect(calls.map((x) => x.at)).toEqual([0, 2_000]);
});

test('vendor failures pass through unchanged, and the token is still spent', async () => {
  const vendorError = new DeliveryError({
    kind: 'permanent',
    provider: 'twilio',
    message: 'invalid number',
    code: '21211',
  });
  const taken: number[] = [];
  const limiter: SendLimiter = { name: 'test', take: async () => void taken.push(Date.now() - t0) };
  const sms = rateLimited<SmsSender>({ sendSms: async () => Promise.reject(vendorError) }, limiter);
  await expect(sms.sendSms({ to: '+1', body: '' })).rejects.toBe(vendorError);
  expect(taken).toEqual([0]);
});

test('only send methods are limited; other members (close) are the port own, bound to it', async () => {
  const takes: string[] = [];
  const limiter: SendLimiter = { name: 'email', take: async () => void takes.push('take') };
  class Mailer implements EmailSender {
    closed = false;
    readonly #secret = 'own-state';
    async sendEmail() {
      return { providerMessageId: this.#secret, accepted: true };
    }
    close() {
      this.closed = true;
    }
  }
  const mailer = new Mailer();
  const limited = rateLimited(mailer, limiter);
  const sent = await limited.sendEmail();
  expect(sent.providerMessageId).toBe('own-state');
  expect(takes).toEqual(['take']);
  limited.close();
  expect(mailer.closed).toBe(true);
  expect(takes).toEqual(['take']);
  expect(limited.sendEmail).toBe(limited.sendEmail); // stable identity
});

test('rateLimitedPorts gives each channel its own limiter, even when one object serves two channels', async () => {
  const calls: string[] = [];
  const twilio: SmsSender & WhatsAppSender = {
    sendSms: async () => (calls.push(`sms@${Date.now() - t0}`), { providerMessageId: 'SM', status: 'queued' }),
    sendWhatsApp: async () => (calls.push(`wa@${Date.now() - t0}`), { providerMessageId: 'SM', status: 'queued' }),
  };
  const ports = rateLimitedPorts(
    { sms: twilio, whatsapp: twilio },
    { perMinute: { sms: 120, whatsapp: 60 }, maxWaitMs: 5_000 },
  );
  const pending = [
    settle(ports.whatsapp!.sendWhatsApp({ to: '+1', body: '' })),
    settle(ports.whatsapp!.sendWhatsApp({ to: '+1', body: '' })),
    settle(ports.sms!.sendSms({ to: '+1', body: '' })),
    settle(ports.sms!.sendSms({ to: '+1', body: '' })),
  ];
  await jest.advanceTimersByTimeAsync(1_000);
  expect(pending.every((p) => p.done && p.error === undefined)).toBe(true);
  expect(calls.sort()).toEqual(['sms@0', 'sms@500', 'wa@0', 'wa@1000']);
});

test('defaults: WhatsApp and Instagram 1/s, SMS and email 10/s', () => {
  expect(DEFAULT_RATES_PER_MINUTE).toEqual({ whatsapp: 60, instagram: 60, sms: 600, email: 600 });
});

test('nonsense rates are refused at construction', () => {
  expect(() => createSendLimiter({ name: 'sms', provider: 'twilio', perMinute: 0, maxWaitMs: 1000 })).toThrow(
    /positive/,
  );
  expect(() => createSendLimiter({ name: 'sms', provider: 'twilio', perMinute: 10, maxWaitMs: -1 })).toThrow(
    /non-negative/,
  );
});
