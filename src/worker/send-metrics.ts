// Send metrics observed from outside the delivery code: an activity interceptor reads the outcome
// that the delivery activity returns and counts it by channel, outcome and reason, and for sent
// messages records the send lag (actual send − planned instant). The series go through the
// Temporal runtime's metric meter, so they share the worker's one Prometheus endpoint with the
// SDK's own metrics (WORKER_METRICS_ADDRESS).
import type { MetricMeter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../runtime/logger';
import type { DeliveryOutcome } from '../shared/reminder-contract';

/** Series names as Prometheus shows them (the dashboard in ops/grafana queries these). */
export const SEND_SERIES = {
  sends: 'reminders_sends_total',
  lag: 'reminders_send_lag_seconds',
} as const;

/** From "on time" to "a day late"; the company's late-fire grace is 6 h by default. */
export const SEND_LAG_BUCKETS_SECONDS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600];

interface ObservedDelivery {
  outcome: DeliveryOutcome;
  /** ISO instant the send was planned for. */
  plannedAt?: string;
}

const STATUSES = new Set<string>(['sent', 'skipped', 'failed']);

function asOutcome(value: unknown): DeliveryOutcome | undefined {
  const v = value as Partial<DeliveryOutcome> | null | undefined;
  return v && typeof v === 'object' && typeof v.status === 'string' && STATUSES.has(v.status)
    ? (v as DeliveryOutcome)
    : undefined;
}

function plannedInstant(input: unknown): string | undefined {
  const i = input as { scheduledFor?: unknown; sendAt?: unknown } | null | undefined;
  const value = i?.scheduledFor ?? i?.sendAt;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Activities (wire names) whose result is the final outcome of one occurrence, and how to read
 * it. `recordOutcome` closes today's delivery; `deliverOccurrence` is the single delivery activity
 * of the engine rework, returning the outcome (alone or beside the next plan).
 */
export const DELIVERY_ACTIVITIES: Record<string, (args: unknown[], result: unknown) => ObservedDelivery | undefined> = {
  recordOutcome: (args, result) => {
    const outcome = asOutcome(result);
    return outcome && { outcome, plannedAt: plannedInstant(args[0]) };
  },
  deliverOccurrence: (args, result) => {
    const outcome = asOutcome(result) ?? asOutcome((result as { outcome?: unknown } | null)?.outcome);
    return outcome && { outcome, plannedAt: plannedInstant(args[0]) };
  },
};

/** Provider codes ride along in reasons ("whatsapp-transient (63016)"): keep the label's values
 * a small fixed set. */
export function reasonLabel(reason: string | undefined): string {
  if (!reason) return 'none';
  const head = /^[a-z0-9][a-z0-9-]*/.exec(reason.toLowerCase())?.[0];
  return head ? head.slice(0, 48) : 'other';
}

export function sendMetricsInterceptors(options: {
  meter: MetricMeter;
  logger: Logger;
  /** Epoch ms of "now"; the wall clock outside tests. */
  now?: () => number;
}): ActivityInterceptorsFactory {
  const now = options.now ?? Date.now;
  const sends = options.meter.createCounter(
    SEND_SERIES.sends,
    '1',
    'Reminder occurrences handled, by channel, outcome (sent, skipped, failed) and reason',
  );
  const lag = options.meter.createHistogram(
    SEND_SERIES.lag,
    'float',
    's',
    'Seconds between the planned send instant and the actual send, for sent reminders',
  );
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const read = DELIVERY_ACTIVITIES[ctx.info.activityType];
        if (!read) return result;
        try {
          const observed = read(input.args, result);
          if (observed) {
            const { outcome, plannedAt } = observed;
            sends.add(1, {
              channel: outcome.channel ?? 'none',
              outcome: outcome.status,
              reason: reasonLabel(outcome.reason),
            });
            const planned = plannedAt ? Date.parse(plannedAt) : NaN;
            // A send before its planned instant can only be clock skew between hosts: count it as 0.
            if (outcome.status === 'sent' && Number.isFinite(planned)) {
              lag.record(Math.max(0, now() - planned) / 1000, { channel: outcome.channel ?? 'none' });
            }
          }
        } catch (error) {
          // Metrics never fail a delivery.
          options.logger.warn('send metrics: could not record a delivery outcome', {
            activityType: ctx.info.activityType,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        return result;
      },
    },
  });
}
