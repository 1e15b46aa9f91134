// `npm start` serves the web console from web/dist and builds it first when it is missing or
// older than its sources. "Older" is decided by a hash of every build input (web/ sources,
// configs, the lockfile) kept beside the build, so the check costs milliseconds and a checkout
// of other sources (a pull, a branch switch) rebuilds even when file times say otherwise.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './logger';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WEB_DIR = path.join(REPO_ROOT, 'web');
export const CONSOLE_DIST = path.join(WEB_DIR, 'dist');
const STAMP = '.build-inputs';
const VITE = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
/** Build inputs besides everything under web/ (outside the build outputs). */
const ROOT_INPUTS = ['package-lock.json'];
const SKIPPED = new Set(['dist', 'node_modules']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !SKIPPED.has(entry.name) && !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? files(full) : [full];
    })
    .sort();
}

/** Hash of every input of the console build. */
export function consoleInputsHash(): string {
  const hash = createHash('sha256');
  for (const file of [...files(WEB_DIR), ...ROOT_INPUTS.map((f) => path.join(REPO_ROOT, f))]) {
    hash.update(path.relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function builtFrom(dist: string): string | undefined {
  try {
    return readFileSync(path.join(dist, STAMP), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export type ConsoleBuild = 'up to date' | 'built' | 'cannot build';

/**
 * Builds web/dist unless it was built from the current sources. Safe when several processes start
 * at once: each builds into its own folder and swaps it in; a finished identical build wins.
 */
export async function ensureConsoleBuilt(logger: Logger, options: { force?: boolean } = {}): Promise<ConsoleBuild> {
  const inputs = consoleInputsHash();
  if (!options.force && builtFrom(CONSOLE_DIST) === inputs) return 'up to date';
  if (!existsSync(VITE)) {
    // A production install without dev dependencies serves whatever build it was given.
    logger.warn('the web console cannot be built here (vite is not installed); serving the existing build, if any');
    return 'cannot build';
  }
  const started = Date.now();
  process.stdout.write('Building the web console (its sources changed or it was never built)…\n');
  const out = path.join(WEB_DIR, `.dist-${process.pid}-${started}`);
  try {
    await promisify(execFile)(
      process.execPath,
      [
        VITE,
        'build',
        '--config',
        path.join(WEB_DIR, 'vite.config.mts'),
        '--outDir',
        out,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(path.join(out, STAMP), `${inputs}\n`);
    if (builtFrom(CONSOLE_DIST) !== inputs) swapIn(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  logger.info('web console built', { ms: Date.now() - started });
  return 'built';
}

function swapIn(out: string): void {
  const old = path.join(WEB_DIR, `.dist-old-${process.pid}`);
  try {
    renameSync(CONSOLE_DIST, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    renameSync(out, CONSOLE_DIST);
  } catch (error) {
    // Another process swapped its build in between: theirs stays.
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  rmSync(old, { recursive: true, force: true });
}
