// GET /health: reachability of what the service depends on, which workers poll its task queue,
// and the reminder changes still waiting in the outbox.
//
// Status code: 503 only when the database does not answer (nothing works without it). With
// Temporal down the API still takes every write (changes wait in the outbox and are applied once
// Temporal answers), so the answer stays 200 with `status: "degraded"`; `checks.temporal` and
// `checks.outbox` say what is waiting. Monitoring alerts on `status`, a load balancer on the code.
import { Router } from 'express';
import type { WorkersReport } from '../runtime/task-queue-pollers';

export interface OutboxReport {
  /** Changes waiting to be applied to Temporal. */
  rows: number;
  /** Age of the oldest waiting change in seconds (0 when none). */
  oldestAgeSeconds: number;
  /** Waiting changes whose application failed at least once. */
  failing: number;
}

export interface HealthChecks {
  database(): Promise<void>;
  temporal(): Promise<void>;
  /**
   * Reported but not part of the status code: the API serves without workers (docker-compose
   * starts them once the API is healthy), and monitoring alerts on `checks.workers.ok` instead.
   */
  workers?(): Promise<WorkersReport>;
  /** The outbox backlog (reported, not part of the status code). */
  outbox?(): Promise<OutboxReport>;
}

const CHECK_TIMEOUT_MS = 3000;

export function healthRouter(checks: HealthChecks): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [database, temporal, workers, outbox] = await Promise.all([
      run(checks.database),
      run(checks.temporal),
      checks.workers ? run(checks.workers) : undefined,
      checks.outbox ? run(checks.outbox) : undefined,
    ]);
    const status = !database.ok ? 'unavailable' : temporal.ok ? 'ok' : 'degraded';
    res
      .status(database.ok ? 200 : 503)
      .json({ status, checks: { database, temporal, ...(workers && { workers }), ...(outbox && { outbox }) } });
  });
  return router;
}

type CheckResult = { ok: boolean; error?: string } & Partial<WorkersReport> & Partial<OutboxReport>;

/** A check's own report (`{ ok: true, ... }`), or `{ ok: false, error }` if it failed or timed out. */
async function run(check: () => Promise<void | WorkersReport | OutboxReport>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      check(),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)),
      ),
    ]);
    if (!details) return { ok: true };
    return 'ok' in details ? details : { ok: true, ...details };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
