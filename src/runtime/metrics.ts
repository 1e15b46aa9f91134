// The engine's metrics port: the outbox relay and the reconciler report through these few
// functions and never know which exporter is behind them. The API process backs them with
// prom-client (its `/metrics`), the worker process with the Temporal runtime's meter (the worker's
// Prometheus endpoint); tests and tools get the no-op.
import type { MetricMeter } from '@temporalio/common';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Series names as Prometheus shows them (the dashboard in ops/grafana queries these). */
export const ENGINE_SERIES = {
  outboxBacklog: 'reminders_outbox_backlog',
  outboxOldestAge: 'reminders_outbox_oldest_age_seconds',
  reconcilerRepairs: 'reminders_reconciler_repairs_total',
} as const;

export interface EngineMetrics {
  /** Rows waiting in the outbox right now (set after every relay pass). */
  outboxBacklog: { set(rows: number): void };
  /** Age in seconds of the oldest waiting row, 0 when empty (set after every relay pass). */
  outboxOldestAgeSeconds: { set(seconds: number): void };
  /** Reminders the reconciler repaired, by kind (e.g. `started`, `replanned`, `orphan-ended`). */
  reconcilerRepairs: { inc(kind: string, count?: number): void };
}

const noop = () => undefined;
export const noopEngineMetrics: EngineMetrics = {
  outboxBacklog: { set: noop },
  outboxOldestAgeSeconds: { set: noop },
  reconcilerRepairs: { inc: noop },
};

const HELP = {
  outboxBacklog: 'Reminder changes waiting in the outbox to be applied to Temporal',
  outboxOldestAge: 'Age of the oldest reminder change waiting in the outbox, in seconds',
  reconcilerRepairs: 'Reminders the periodic reconciler repaired, by kind of repair',
};

/** prom-client gauges and counter in `registry` (the API's `/metrics`). */
export function promEngineMetrics(registry: Registry): EngineMetrics {
  const backlog = new Gauge({ name: ENGINE_SERIES.outboxBacklog, help: HELP.outboxBacklog, registers: [registry] });
  const age = new Gauge({ name: ENGINE_SERIES.outboxOldestAge, help: HELP.outboxOldestAge, registers: [registry] });
  const repairs = new Counter({
    name: ENGINE_SERIES.reconcilerRepairs,
    help: HELP.reconcilerRepairs,
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    outboxBacklog: { set: (rows) => backlog.set(rows) },
    outboxOldestAgeSeconds: { set: (seconds) => age.set(seconds) },
    reconcilerRepairs: { inc: (kind, count = 1) => repairs.inc({ kind }, count) },
  };
}

/** The same port on a Temporal metric meter (`Runtime.instance().metricMeter` in a worker). */
export function meterEngineMetrics(meter: MetricMeter): EngineMetrics {
  const backlog = meter.createGauge(ENGINE_SERIES.outboxBacklog, 'int', '1', HELP.outboxBacklog);
  const age = meter.createGauge(ENGINE_SERIES.outboxOldestAge, 'float', 's', HELP.outboxOldestAge);
  const repairs = meter.createCounter(ENGINE_SERIES.reconcilerRepairs, '1', HELP.reconcilerRepairs);
  return {
    outboxBacklog: { set: (rows) => backlog.set(rows) },
    outboxOldestAgeSeconds: { set: (seconds) => age.set(seconds) },
    reconcilerRepairs: { inc: (kind, count = 1) => repairs.add(count, { kind }) },
  };
}
