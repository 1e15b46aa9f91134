// GET /health: reachability of the two things the service cannot work without, and which
// workers poll its task queue.
import { Router } from 'express';
import type { WorkersReport } from '../runtime/task-queue-pollers';

export interface HealthChecks {
  database(): Promise<void>;
  temporal(): Promise<void>;
  /**
   * Reported but not part of the status code: the API serves without workers (docker-compose
   * starts them once the API is healthy), and monitoring alerts on `checks.workers.ok` instead.
   */
  workers?(): Promise<WorkersReport>;
}

const CHECK_TIMEOUT_MS = 3000;

export function healthRouter(checks: HealthChecks): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [database, temporal, workers] = await Promise.all([
      run(checks.database),
      run(checks.temporal),
      checks.workers ? run(checks.workers) : undefined,
    ]);
    const ok = database.ok && temporal.ok;
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'unavailable', checks: { database, temporal, ...(workers && { workers }) } });
  });
  return router;
}

type CheckResult = { ok: boolean; error?: string } & Partial<WorkersReport>;

/** A check's own report (or `{ ok: true }`), or `{ ok: false, error }` if it failed or timed out. */
async function run(check: () => Promise<void | WorkersReport>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      check(),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)),
      ),
    ]);
    return details ?? { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
