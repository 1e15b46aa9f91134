// Send-rate limits per channel, in front of the vendor adapters: each send takes a token first.
//
// The limiter is in-process (rate-limiter-flexible's memory limiter behind its FIFO queue), so
// the cap holds per worker process: N workers send at up to N times the configured rate. A
// cluster-wide cap belongs to Temporal instead: run the dispatch activities on their own task
// queue and set the worker option `maxTaskQueueActivitiesPerSecond`, which the Temporal server
// enforces across every worker polling that queue (`maxActivitiesPerSecond` is the per-worker
// equivalent). Both can be combined: Temporal for the account-wide ceiling, this for smoothing.
//
// A send never waits longer than `maxWaitMs` for its turn: when the queue ahead of it is too
// long, the wrapper throws a transient DeliveryError before calling the vendor, the dispatch
// activity releases its ledger claim, and Temporal retries it later with backoff — instead of an
// activity blocking until its start-to-close timeout. Keep `maxWaitMs` well below that timeout
// (1 minute for dispatch), leaving time for the provider call itself.

import { RateLimiterMemory, RateLimiterQueue, RateLimiterQueueError } from 'rate-limiter-flexible';
import { DeliveryError, type DeliveryPorts, type DeliveryProvider } from './ports';

export type RateLimitedChannel = 'sms' | 'whatsapp' | 'instagram' | 'email';

/** Sustained rates when no configuration says otherwise (messages per minute). */
export const DEFAULT_RATES_PER_MINUTE: Readonly<Record<RateLimitedChannel, number>> = {
  whatsapp: 60, // 1 message/s
  instagram: 60, // 1 message/s
  sms: 600, // 10 messages/s
  email: 600, // 10 messages/s
};

/** Longest a send waits for a token before giving the attempt back to Temporal. */
export const DEFAULT_MAX_WAIT_MS = 10_000;

const PROVIDER: Readonly<Record<RateLimitedChannel, DeliveryProvider>> = {
  sms: 'twilio',
  whatsapp: 'twilio',
  instagram: 'instagram',
  email: 'smtp',
};

/** The vendor-calling methods of the ports; anything else (e.g. `close`) passes through untouched. */
const SEND_METHODS = new Set<PropertyKey>(['sendSms', 'sendWhatsApp', 'sendInstagram', 'sendEmail']);

export interface SendLimiterOptions {
  /** Used in error messages, e.g. `whatsapp`. */
  name: string;
  /** Provider named in the DeliveryError thrown when the wait would be too long. */
  provider: DeliveryProvider;
  /** Sustained rate. Sends are spaced evenly, 60 000 / perMinute ms apart (no bursts). */
  perMinute: number;
  /** A send whose turn is further away than this fails at once with a transient DeliveryError. */
  maxWaitMs: number;
}

export interface SendLimiter {
  readonly name: string;
  /** Resolves when the caller may send; rejects with a transient DeliveryError when the wait would exceed maxWaitMs. */
  take(): Promise<void>;
}

export function createSendLimiter(opts: SendLimiterOptions): SendLimiter {
  if (!Number.isFinite(opts.perMinute) || opts.perMinute <= 0)
    throw new Error(`${opts.name} rate limit must be a positive number per minute`);
  if (!Number.isFinite(opts.maxWaitMs) || opts.maxWaitMs < 0)
    throw new Error(`${opts.name} rate limit wait must be a non-negative number of milliseconds`);
  const intervalMs = 60_000 / opts.perMinute;
  // One token per interval: a fixed window of `interval` holding a single point is an even spacing.
  const bucket = new RateLimiterMemory({ points: 1, duration: intervalMs / 1000 });
  // FIFO waiters. A request that finds k requests queued is served about (k + 1) intervals later
  // at most, so capping the queue at floor(maxWait / interval) bounds every wait by maxWait.
  const maxQueueSize = Math.floor(opts.maxWaitMs / intervalMs);
  const queue = new RateLimiterQueue(bucket, { maxQueueSize });

  return {
    name: opts.name,
    async take() {
      try {
        await queue.removeTokens(1);
      } catch (error) {
        if (error instanceof RateLimiterQueueError) {
          throw new DeliveryError({
            kind: 'transient',
            provider: opts.provider,
            code: 'rate-limited',
            message: `${opts.name} send rate limit (${opts.perMinute}/min): next free slot is more than ${Math.round(opts.maxWaitMs / 1000)} s away; retry later`,
          });
        }
        throw error;
      }
    },
  };
}

/**
 * The same port, with every send method (`sendSms`, `sendWhatsApp`, `sendInstagram`,
 * `sendEmail`) taking a token from `limiter` before calling the vendor. Other members are the
 * port's own, bound to it.
 */
export function rateLimited<T extends object>(port: T, limiter: SendLimiter): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const fn = value as (...args: unknown[]) => unknown;
        wrapper = SEND_METHODS.has(prop)
          ? async (...args: unknown[]) => {
              await limiter.take();
              return fn.apply(target, args);
            }
          : fn.bind(target);
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
}

export interface RateLimitOptions {
  /** Messages per minute by channel; missing channels use DEFAULT_RATES_PER_MINUTE. */
  perMinute?: Partial<Record<RateLimitedChannel, number | undefined>>;
  maxWaitMs?: number;
}

/** Wraps each configured port with its own channel limiter (one limiter per channel and process). */
export function rateLimitedPorts<P extends DeliveryPorts>(ports: P, options: RateLimitOptions = {}): P {
  const out: DeliveryPorts = { ...ports };
  for (const channel of ['sms', 'whatsapp', 'instagram', 'email'] as const) {
    const port = ports[channel];
    if (!port) continue;
    const limiter = createSendLimiter({
      name: channel,
      provider: PROVIDER[channel],
      perMinute: options.perMinute?.[channel] ?? DEFAULT_RATES_PER_MINUTE[channel],
      maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    });
    (out as Record<string, object>)[channel] = rateLimited(port, limiter);
  }
  return out as P;
}
