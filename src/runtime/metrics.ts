// The engine's metrics as the API's `/metrics` shows them (prom-client): the outbox relay reports
// its backlog through the small EngineMetrics port (tests and tools get the no-op), and the
// reconciler repairs counter is read from the runs the reconciler records in the database, so it
// shows repairs made by any worker and survives worker restarts.
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
}

const noop = () => undefined;
export const noopEngineMetrics: EngineMetrics = {
  outboxBacklog: { set: noop },
  outboxOldestAgeSeconds: { set: noop },
};

const HELP = {
  outboxBacklog: 'Reminder changes waiting in the outbox to be applied to Temporal',
  outboxOldestAge: 'Age of the oldest reminder change waiting in the outbox, in seconds',
  reconcilerRepairs:
    'Reminders the periodic reconciler repaired, by kind of repair (every run recorded in the database; each API process reports the same totals)',
};

/**
 * prom-client gauges in `registry`, and the repairs counter filled at each scrape from
 * `repairTotals` (all-time totals by kind); without it the counter has no samples.
 */
export function promEngineMetrics(
  registry: Registry,
  repairTotals?: () => Promise<Record<string, number>>,
): EngineMetrics {
  const backlog = new Gauge({ name: ENGINE_SERIES.outboxBacklog, help: HELP.outboxBacklog, registers: [registry] });
  const age = new Gauge({ name: ENGINE_SERIES.outboxOldestAge, help: HELP.outboxOldestAge, registers: [registry] });
  new Counter({
    name: ENGINE_SERIES.reconcilerRepairs,
    help: HELP.reconcilerRepairs,
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      if (!repairTotals) return;
      let totals: Record<string, number>;
      try {
        totals = await repairTotals();
      } catch {
        // The database is unreachable: keep the last totals rather than fail the whole scrape.
        return;
      }
      this.reset();
      for (const [kind, total] of Object.entries(totals)) this.inc({ kind }, total);
    },
  });
  return {
    outboxBacklog: { set: (rows) => backlog.set(rows) },
    outboxOldestAgeSeconds: { set: (seconds) => age.set(seconds) },
  };
}
