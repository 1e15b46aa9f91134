// One process at a time on a data folder: the embedded database (PGlite) has no lock of its own,
// and two processes opening the same files would corrupt them. Whoever opens the embedded
// database — `npm start`, or an admin command — first takes this lock (proper-lockfile: an
// atomic mkdir of DATA_DIR/service.lock whose mtime the holder refreshes every few seconds).
// A holder killed with SIGKILL leaves the folder behind; it counts as stale once its mtime is
// older than STALE_MS, so it blocks nobody for longer than that.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** A lock not refreshed for this long belongs to a dead process. Long enough that a busy event
 * loop (PGlite runs its queries on it) never makes a live holder look dead. */
export const STALE_MS = 10_000;
const UPDATE_MS = 2_000;

export const LOCK_NAME = 'service.lock';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(readonly dataDir: string) {
    super(
      `the data folder ${dataDir} is in use by another process (\`npm start\` or an admin command holds ${path.join(dataDir, LOCK_NAME)})`,
    );
  }
}

export interface DataDirLockOptions {
  /** Wait for a lock left by a killed process to go stale (the service at start); default:
   * refuse at once (admin commands, which say so). */
  waitForStale?: boolean;
  /** Called if the lock could not be refreshed in time (another process may now take it). */
  onLost?: (error: Error) => void;
}

/** Takes the lock of `dataDir` (created if missing); resolves to its release. */
export async function lockDataDir(dataDir: string, options: DataDirLockOptions = {}): Promise<() => Promise<void>> {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return await lockfile.lock(dir, {
      lockfilePath: path.join(dir, LOCK_NAME),
      stale: STALE_MS,
      update: UPDATE_MS,
      // Waiting: retry about every second until a little past the stale threshold.
      retries: options.waitForStale ? { retries: Math.ceil(STALE_MS / 1000) + 2, factor: 1, minTimeout: 1000 } : 0,
      onCompromised: (error) => options.onLost?.(error),
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ELOCKED') throw new DataDirLockedError(dir);
    throw error;
  }
}
