// Process plumbing for the local cluster: commands run to completion, long-running services with
// a log file each, and stopping them (politely first, by force after a deadline).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';

export type Log = (line: string) => void;

/** Runs a command to completion; rejects with its exit code and the tail of its output. */
export function run(
  command: string,
  args: string[],
  options: SpawnOptions & { input?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin?.end(options.input ?? '');
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/**
 * Starts a long-running process in its own process group (so a Ctrl-C in the terminal reaches
 * only the launcher, which then stops everything in order), appending its output to `logFile`.
 */
export function startLogged(
  command: string,
  args: string[],
  logFile: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  writeSync(fd, `\n--- ${new Date().toISOString()} started: ${command} ${args.join(' ')}\n`);
  try {
    return spawn(command, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function exited(child: ChildProcess): Promise<void> {
  return isRunning(child) ? new Promise((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
}

/** SIGTERM to the process, SIGKILL to its whole group if it has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<'clean' | 'killed'> {
  if (!isRunning(child)) return 'clean';
  const done = exited(child);
  child.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    killGroup(child, 'SIGKILL');
  }, graceMs);
  await done;
  clearTimeout(timer);
  return killed ? 'killed' : 'clean';
}

/** Signals every process of the child's group (it was started detached, as a group leader). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is already gone.
  }
}

/** Direct children of a process (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A free port below 32768. The Temporal server stores its membership ports in a PostgreSQL
 * `smallint` column, so the kernel's ephemeral ports (32768 and up) make it fail at start.
 */
export async function freeLowPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) =>
      server.once('error', () => resolve(false)).listen(port, host, () => resolve(true)),
    );
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error('no free port found between 10000 and 32000');
}

/** Fails fast with a clear message when a configured port is taken (instead of a late bind error). */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  } catch (error) {
    throw new Error(`${what}: port ${host}:${port} is not free (${(error as Error).message}); choose another one`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  options: { intervalMs?: number; abort?: Promise<never> } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await (options.abort ? Promise.race([attempt(), options.abort]) : attempt());
      if (result !== undefined) return result;
    } catch (error) {
      if (options.abort && (error as { abort?: boolean }).abort) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${what} not ready within ${Math.round(timeoutMs / 1000)} s${detail}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

/** A promise that rejects (marked as an abort) when the child exits, for `waitFor`'s `abort`. */
export function abortOnExit(child: ChildProcess, what: string, logFile: string): Promise<never> {
  const aborted = exited(child).then(() => {
    const tail = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .slice(-12)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join('\n');
    throw Object.assign(
      new Error(`${what} exited (${child.signalCode ?? `code ${child.exitCode}`}); log tail:\n${tail}`),
      {
        abort: true,
      },
    );
  });
  aborted.catch(() => undefined);
  return aborted;
}
