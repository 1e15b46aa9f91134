// Child processes of the harness: the service's entry points (`npm start`, `npm run api`,
// `npm run worker`) and the Temporal dev server, each in its own process group with its output in
// a log file; plus free ports and the RSS of a process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Child {
  name: string;
  pid: number;
  /** When spawn() was called (ms since epoch). */
  spawnedAt: number;
  exited: Promise<number | null>;
  running(): boolean;
  /** Stops the whole group (npm → sh → tsx → node, and the dev server it started) as Ctrl-C
   * does, SIGKILL after `graceMs`; resolves once no process of the group is left. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `command` detached, so it leads its own process group: `npm run x` is npm → sh → tsx →
 * node, and a signal to npm alone leaves the service running; the group gets every signal.
 */
export function spawnGroup(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): Child {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const spawnedAt = Date.now();
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  // A harness that dies must not leave services behind holding ports and CPU.
  const killOnExit = () => signalGroup(child.pid!, 'SIGKILL');
  process.once('exit', killOnExit);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid!,
    spawnedAt,
    exited,
    running,
    async stop(graceMs = 30_000) {
      process.off('exit', killOnExit);
      // SIGINT to the group is what Ctrl-C in a terminal does: every process of it gets the signal.
      signalGroup(child.pid!, 'SIGINT');
      const deadline = Date.now() + graceMs;
      // npm exits at once; the service behind it is only done when its whole group is gone.
      while (groupAlive(child.pid!) && Date.now() < deadline) await sleep(50);
      signalGroup(child.pid!, 'SIGKILL');
      await exited;
      while (groupAlive(child.pid!)) await sleep(50);
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Process ids of a process group, from /proc. */
function groupPids(groupPid: number): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name "(…)": state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie has exited; only its parent's wait() is missing.
      if (Number(fields[2]) === groupPid && fields[0] !== 'Z') pids.push(Number(pid));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function groupAlive(groupPid: number): boolean {
  return groupPids(groupPid).length > 0;
}

/**
 * RSS in bytes of the process of group `groupPid` whose command line names `entry` (e.g.
 * `src/worker/main.ts`), the largest if several do (tsx's launcher names it too, and is small).
 * Other processes of the group, such as the Temporal dev server `npm start` runs, are left out.
 */
export function entryRss(groupPid: number, entry: string): number | undefined {
  let best: number | undefined;
  for (const pid of groupPids(groupPid)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmdline.includes(entry)) continue;
      const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (Number.isFinite(rssKb) && (best === undefined || rssKb * 1024 > best)) best = rssKb * 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return best;
}
