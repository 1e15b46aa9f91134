// The workflow code a worker runs, bundled (webpack) the way Temporal's sandbox loads it. Bundling
// costs seconds at every start, so:
// - `npm run build` writes the bundle ahead of time (WORKFLOW_BUNDLE_PATH, with the hash of the
//   sources it was built from beside it); a production worker (NODE_ENV=production) requires it;
// - otherwise (development, `npm start`) the worker bundles on the fly and caches the result under
//   .cache/workflow-bundle/<hash>.js, keyed by a hash of the workflow sources and the lockfile, so
//   an unchanged tree starts without bundling.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from '../runtime/logger';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WORKFLOWS_ENTRY = path.join(REPO_ROOT, 'src', 'workflows', 'index.ts');
const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'workflow-bundle');

/** What the worker passes as `workflowBundle`. */
export interface WorkflowBundleFile {
  codePath: string;
}

/**
 * Every source file the workflow bundle is made of — the entry and whatever it imports by relative
 * path, transitively (type-only imports included: cheap, and never wrong) — plus the lockfile, which
 * pins the SDK and libraries the bundle includes. Hashed in path order.
 */
export function workflowSourcesHash(entry = WORKFLOWS_ENTRY): string {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const resolved = resolveSource(path.dirname(file), match[1]!);
      if (resolved) pending.push(resolved);
    }
  }
  const hash = createHash('sha256');
  for (const file of [...seen].sort())
    hash.update(path.relative(REPO_ROOT, file)).update('\0').update(readFileSync(file));
  const lockfile = path.join(REPO_ROOT, 'package-lock.json');
  if (existsSync(lockfile)) hash.update(readFileSync(lockfile));
  return hash.digest('hex').slice(0, 24);
}

function resolveSource(dir: string, specifier: string): string | null {
  const base = path.resolve(dir, specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return null;
}

/** Bundles src/workflows (what `npm run build` and the development cache both do). */
export async function buildWorkflowBundle(target: string, logger: Logger): Promise<{ hash: string; path: string }> {
  const out = path.resolve(REPO_ROOT, target);
  const hash = workflowSourcesHash();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: bundlerLogger(logger) });
  mkdirSync(path.dirname(out), { recursive: true });
  // Written beside and renamed: a worker starting meanwhile never reads half a bundle.
  const partial = `${out}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, out);
  writeFileSync(hashFileOf(out), `${hash}\n`);
  return { hash, path: out };
}

function hashFileOf(bundle: string): string {
  return `${bundle}.sha256`;
}

/**
 * The bundle this worker runs. Production: the prebuilt one, or a start-up error naming the command
 * that builds it. Elsewhere: the prebuilt one when it matches the sources, else the cache entry for
 * the sources' hash, bundling once on a miss.
 */
export async function workflowBundleFor(options: {
  nodeEnv: 'development' | 'production' | 'test';
  prebuiltPath: string;
  logger: Logger;
}): Promise<WorkflowBundleFile> {
  const prebuilt = path.resolve(REPO_ROOT, options.prebuiltPath);
  if (options.nodeEnv === 'production') {
    if (!existsSync(prebuilt)) {
      throw new Error(
        `NODE_ENV=production needs the prebuilt workflow bundle ${options.prebuiltPath}: run \`npm run build\` (or set WORKFLOW_BUNDLE_PATH)`,
      );
    }
    if (existsSync(WORKFLOWS_ENTRY) && readHash(prebuilt) !== workflowSourcesHash()) {
      options.logger.warn('the prebuilt workflow bundle was built from other sources than these; run `npm run build`', {
        bundle: options.prebuiltPath,
      });
    }
    return { codePath: prebuilt };
  }
  const hash = workflowSourcesHash();
  if (existsSync(prebuilt) && readHash(prebuilt) === hash) return { codePath: prebuilt };
  const cached = path.join(CACHE_DIR, `${hash}.js`);
  if (existsSync(cached)) {
    options.logger.debug('workflow bundle from the cache', { hash });
    return { codePath: cached };
  }
  const started = Date.now();
  await buildWorkflowBundle(cached, options.logger);
  options.logger.info('workflow code bundled and cached', { hash, ms: Date.now() - started });
  return { codePath: cached };
}

/** Whether the bundle at `target` was built from the current sources (`npm run build` can be skipped). */
export function workflowBundleIsCurrent(target: string): boolean {
  const out = path.resolve(REPO_ROOT, target);
  return existsSync(out) && readHash(out) === workflowSourcesHash();
}

function readHash(bundle: string): string | undefined {
  try {
    return readFileSync(hashFileOf(bundle), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The bundler's chatter (webpack progress) is dropped; its warnings and errors are ours. */
function bundlerLogger(logger: Logger) {
  const quiet = () => undefined;
  return {
    log: quiet,
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (message: string, meta?: Record<string, unknown>) => logger.warn(message, meta),
    error: (message: string, meta?: Record<string, unknown>) => logger.error(message, meta),
  };
}
