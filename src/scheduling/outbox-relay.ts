// The outbox relay: applies recorded reminder changes (outbox.ts) to Temporal through the
// ReminderScheduler port, deletes what it applied and retries what failed. It runs in every API
// process; several of them share the table safely:
// - a pass claims a batch in id order with FOR UPDATE SKIP LOCKED and leases it (leasedUntil), so
//   a crashed relay's rows come back once its lease expires;
// - claims take turns (a transaction-level advisory lock) and skip subjects another relay holds,
//   so one subject's changes are applied by one relay at a time, in order;
// - rows of the same subject are coalesced: one application re-reads the current rows and covers
//   every older row of that subject.
// A nudge after each committed write keeps latency low; a poll covers the rest (other processes'
// writes, backed-off rows, expired leases).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isGrpcServiceError } from '@temporalio/client';
import type { Db } from '../db/client';
import type { ContactKind, ReminderChangeKind } from '../generated/prisma/client';
import type { Logger } from '../runtime/logger';
import { noopEngineMetrics, type EngineMetrics } from '../runtime/metrics';
import type { ReminderScheduler } from './scheduler';

export interface OutboxRelayOptions {
  /** Rows claimed per pass. */
  batchSize: number;
  /** Subjects applied at once within a pass. */
  concurrency: number;
  /** How often to look for rows when nothing nudges (other processes' writes, retries). */
  pollIntervalMs: number;
  /** Longest wait before a failed row is tried again (the wait doubles from 1 s per failure). */
  retryMaxMs: number;
}

export const DEFAULT_RELAY_OPTIONS: OutboxRelayOptions = {
  batchSize: 100,
  concurrency: 8,
  pollIntervalMs: 1000,
  retryMaxMs: 5 * 60_000,
};

/** How long a claimed row stays with its relay. Far above one application (a fan-out start or a
 * few signals; about 20 s when Temporal is down, the client's own retries), and what a crashed
 * relay's rows wait before another relay (or the restarted one) takes them. */
const LEASE_MS = 30_000;
/** Between probes while Temporal is unreachable (each probe itself waits out the client's retries). */
const OUTAGE_PAUSE_MS = 1000;
const RETRY_BASE_MS = 1000;
/** The backlog gauges are refreshed at most this often (one count query). */
const BACKLOG_REFRESH_MS = 1000;
/** Any constant: the key of the advisory lock that makes claims take turns. */
const CLAIM_LOCK_KEY = 0x72656d69;
const MAX_ERROR_LENGTH = 500;

export interface OutboxBacklog {
  /** Rows waiting (leased ones included). */
  rows: number;
  /** Age of the oldest waiting row in seconds, 0 when none. */
  oldestAgeSeconds: number;
  /** Rows that failed at least once (they wait for their retry). */
  failing: number;
}

export interface OutboxRelay {
  /** Starts the loop (idempotent). */
  start(): void;
  /** A write committed: look for new rows now instead of at the next poll. */
  nudge(): void;
  /** Stops the loop, waits a bounded time for the pass in flight and releases this relay's leases. */
  stop(): Promise<void>;
  backlog(): Promise<OutboxBacklog>;
  /** Whether the last application failed because Temporal did not answer (until one succeeds). */
  readonly temporalUnreachable: boolean;
}

interface ClaimedRow {
  id: bigint;
  companyId: string;
  kind: ReminderChangeKind;
  subjectId: string;
  ruleKind: ContactKind | null;
  attempts: number;
}

interface Subject {
  key: string;
  rows: ClaimedRow[];
}

type Outcome = 'applied' | 'failed' | 'unreachable' | 'skipped';

export function createOutboxRelay(deps: {
  db: Db;
  scheduler: ReminderScheduler;
  logger: Logger;
  metrics?: EngineMetrics;
  options?: Partial<OutboxRelayOptions>;
}): OutboxRelay {
  const { db, scheduler, logger } = deps;
  const metrics = deps.metrics ?? noopEngineMetrics;
  const options = { ...DEFAULT_RELAY_OPTIONS, ...deps.options };
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  let loop: Promise<void> | undefined;
  let stopping = false;
  let nudged = false;
  let unreachable = false;
  let backlogRefreshedAt = 0;

  /** The wait in progress: a nudge ends it when `byNudge`, stop() always. */
  let waiting: { end(): void; byNudge: boolean } | undefined;
  const sleep = (ms: number, byNudge: boolean) =>
    new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        waiting = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      waiting = { end, byNudge };
    });

  /** Leases up to `limit` due rows, oldest first, skipping subjects another relay holds. */
  const claim = (limit: number) =>
    db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(${CLAIM_LOCK_KEY})) AS turn`;
      return tx.$queryRaw<ClaimedRow[]>`
        WITH due AS (
          SELECT c.id FROM "ReminderChange" c
          WHERE c."availableAt" <= timezone('UTC', now())
            AND (c."leasedUntil" IS NULL OR c."leasedUntil" <= timezone('UTC', now()))
            AND NOT EXISTS (
              SELECT 1 FROM "ReminderChange" held
              WHERE held.kind = c.kind AND held."subjectId" = c."subjectId"
                AND held."leasedUntil" > timezone('UTC', now()))
          ORDER BY c.id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE "ReminderChange" r
        SET "leasedUntil" = timezone('UTC', now()) + ${LEASE_MS} * interval '1 millisecond', "leasedBy" = ${owner}
        FROM due WHERE r.id = due.id
        RETURNING r.id, r."companyId", r.kind, r."subjectId", r."ruleKind", r.attempts`;
    });

  /** One call of the port, chosen from the subject's current state. */
  const applySubject = async (row: ClaimedRow): Promise<void> => {
    switch (row.kind) {
      case 'contact':
        return scheduler.contactChanged(row.companyId, row.subjectId);
      case 'company':
        return scheduler.companyChanged(row.companyId);
      case 'rule': {
        const rule = await db.notificationRule.findFirst({ where: { id: row.subjectId }, select: { id: true } });
        if (rule) return scheduler.ruleChanged({ id: row.subjectId, companyId: row.companyId });
        // ruleKind is written with every rule row; a row without it cannot end anything.
        if (!row.ruleKind) return;
        return scheduler.ruleDeleted({ id: row.subjectId, companyId: row.companyId, kind: row.ruleKind });
      }
    }
  };

  // Only the claimed rows go: they were all committed before the application read the current
  // rows. A row of the same subject that commits meanwhile stays for the next pass.
  const applied = (subject: Subject) =>
    db.reminderChange.deleteMany({ where: { id: { in: subject.rows.map((r) => r.id) }, leasedBy: owner } });

  const release = (ids: bigint[], lastError?: string) =>
    db.reminderChange.updateMany({
      where: { id: { in: ids }, leasedBy: owner },
      data: { leasedUntil: null, leasedBy: null, ...(lastError !== undefined ? { lastError } : {}) },
    });

  const failed = async (subject: Subject, error: string) => {
    const attempts = Math.max(...subject.rows.map((r) => r.attempts)) + 1;
    const delay = Math.min(options.retryMaxMs, RETRY_BASE_MS * 2 ** (attempts - 1));
    await db.reminderChange.updateMany({
      where: { id: { in: subject.rows.map((r) => r.id) }, leasedBy: owner },
      data: {
        attempts,
        lastError: error,
        availableAt: new Date(Date.now() + delay),
        leasedUntil: null,
        leasedBy: null,
      },
    });
    return { attempts, delay };
  };

  const applyOne = async (subject: Subject, abandon: () => boolean): Promise<Outcome> => {
    if (abandon()) return 'skipped';
    const row = subject.rows[0]!;
    try {
      await applySubject(row);
    } catch (error) {
      const message = describe(error);
      if (isTemporalUnreachable(error)) {
        // Not the row's fault: no attempt is charged; the relay probes until Temporal answers.
        await release(
          subject.rows.map((r) => r.id),
          message,
        );
        return 'unreachable';
      }
      const { attempts, delay } = await failed(subject, message);
      logger.warn('outbox: applying a reminder change failed; it will be retried', {
        kind: row.kind,
        subjectId: row.subjectId,
        companyId: row.companyId,
        attempts,
        retryInMs: delay,
        error: message,
      });
      return 'failed';
    }
    await applied(subject);
    return 'applied';
  };

  /** One pass: claim, apply per subject, settle. Returns how many rows it claimed. */
  const pass = async (): Promise<number> => {
    const rows = await claim(unreachable ? 1 : options.batchSize);
    if (rows.length === 0) return 0;
    const started = Date.now();
    const subjects = groupBySubject(rows);
    let stopApplying = false;
    const outcomes = await mapWithConcurrency(subjects, options.concurrency, async (subject) => {
      const outcome = await applyOne(subject, () => stopApplying || stopping);
      if (outcome === 'unreachable') stopApplying = true;
      return outcome;
    });
    const skipped = subjects.filter((_, i) => outcomes[i] === 'skipped').flatMap((s) => s.rows.map((r) => r.id));
    if (skipped.length > 0) await release(skipped);

    const count = (outcome: Outcome) => outcomes.filter((o) => o === outcome).length;
    const wasUnreachable = unreachable;
    unreachable = count('unreachable') > 0;
    if (unreachable && !wasUnreachable)
      logger.warn('outbox: Temporal is unreachable; changes wait in the outbox and are applied once it answers');
    if (!unreachable && wasUnreachable && count('applied') > 0) logger.info('outbox: Temporal answers again');
    if (count('applied') > 0 || count('failed') > 0)
      logger.info('outbox: applied reminder changes', {
        rows: rows.length,
        subjects: subjects.length,
        applied: count('applied'),
        failed: count('failed'),
        ms: Date.now() - started,
      });
    return rows.length;
  };

  const refreshBacklog = async (force = false) => {
    if (!force && Date.now() - backlogRefreshedAt < BACKLOG_REFRESH_MS) return;
    backlogRefreshedAt = Date.now();
    const backlog = await readBacklog(db);
    metrics.outboxBacklog.set(backlog.rows);
    metrics.outboxOldestAgeSeconds.set(backlog.oldestAgeSeconds);
  };

  const run = async () => {
    let databaseFailures = 0;
    while (!stopping) {
      nudged = false;
      let claimed = 0;
      try {
        claimed = await pass();
        await refreshBacklog(claimed === 0);
        databaseFailures = 0;
      } catch (error) {
        // The database itself failed (a claim or a settle): wait longer each time, keep going.
        databaseFailures += 1;
        logger.warn('outbox: relay pass failed', { error: describe(error), failuresInARow: databaseFailures });
      }
      if (stopping) break;
      if (databaseFailures > 0) await sleep(Math.min(30_000, options.pollIntervalMs * 2 ** databaseFailures), false);
      else if (unreachable) await sleep(OUTAGE_PAUSE_MS, false);
      else if (claimed === 0 && !nudged) await sleep(options.pollIntervalMs, true);
    }
  };

  return {
    get temporalUnreachable() {
      return unreachable;
    },
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
    },
    nudge() {
      nudged = true;
      if (waiting?.byNudge) waiting.end();
    },
    async stop() {
      if (!loop) return;
      stopping = true;
      waiting?.end();
      // An application in flight while Temporal is down can take the client's whole retry time;
      // its rows are released below either way (and would come back when the lease expires).
      await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      loop = undefined;
      await db.reminderChange
        .updateMany({ where: { leasedBy: owner }, data: { leasedUntil: null, leasedBy: null } })
        .catch(() => undefined);
    },
    backlog: () => readBacklog(db),
  };
}

export async function readBacklog(db: Db): Promise<OutboxBacklog> {
  const [row] = await db.$queryRaw<Array<{ rows: bigint; failing: bigint; oldest: Date | null; now: Date }>>`
    SELECT count(*) AS rows, count(*) FILTER (WHERE attempts > 0) AS failing, min("createdAt") AS oldest,
           timezone('UTC', now()) AS now
    FROM "ReminderChange"`;
  const oldest = row?.oldest;
  return {
    rows: Number(row?.rows ?? 0),
    failing: Number(row?.failing ?? 0),
    oldestAgeSeconds: oldest && row ? Math.max(0, (row.now.getTime() - oldest.getTime()) / 1000) : 0,
  };
}

function groupBySubject(rows: ClaimedRow[]): Subject[] {
  const subjects = new Map<string, Subject>();
  for (const row of [...rows].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const key = `${row.kind}:${row.subjectId}`;
    const subject = subjects.get(key) ?? { key, rows: [] };
    subject.rows.push(row);
    subjects.set(key, subject);
  }
  return [...subjects.values()];
}

async function mapWithConcurrency<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Temporal did not answer at all (down, unreachable, overloaded): gRPC UNAVAILABLE or
 * DEADLINE_EXCEEDED anywhere in the cause chain. */
export function isTemporalUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && (e.code === 14 || e.code === 4)) return true;
  }
  return false;
}

/** The error and its causes on one line (the Temporal client's own message rarely says why). */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ').slice(0, MAX_ERROR_LENGTH);
}
