// The service's own processes in the cluster: `npm run api` and `npm run worker`, each with its
// own log file. They run as the npm script's command minus npm (`tsx <entry>`): npm → sh → tsx →
// node forwards signals unreliably (a SIGTERM to npm alone leaves node running), so the launcher
// signals the node process itself to stop it cleanly, and the whole group to kill it.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abortOnExit, childPids, isRunning, killGroup, exited, startLogged, waitFor } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const TSX_CLI = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** `node <tsx cli> <entry> [...args]` for a package.json script of the form `tsx <entry>`. */
export function npmScriptCommand(script: string, args: string[] = []): [string, string[]] {
  const scripts = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const entry = /^tsx (\S+)$/.exec(scripts[script] ?? '')?.[1];
  if (!entry) throw new Error(`package.json script "${script}" is not of the form "tsx <entry>": ${scripts[script]}`);
  return [process.execPath, [TSX_CLI, entry, ...args]];
}

export class AppProcess {
  private child?: ChildProcess;
  private nodePid?: number;

  constructor(
    readonly name: string,
    private readonly script: string,
    readonly logFile: string,
    private readonly env: () => NodeJS.ProcessEnv,
  ) {}

  get running(): boolean {
    return this.child !== undefined && isRunning(this.child);
  }

  /** The node process's pid: the Temporal worker's default identity is `<pid>@<hostname>`. */
  get pid(): number | undefined {
    return this.nodePid;
  }

  get identity(): string | undefined {
    return this.nodePid === undefined ? undefined : `${this.nodePid}@${os.hostname()}`;
  }

  /** Starts the process; resolves once `ready` says so (rejects if the process exits first). */
  async start(ready: (self: AppProcess) => Promise<boolean>, timeoutMs: number): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const [command, args] = npmScriptCommand(this.script);
    this.child = startLogged(command, args, this.logFile, { cwd: REPO_ROOT, env: this.env() });
    const abort = abortOnExit(this.child, this.name, this.logFile);
    const tsxPid = this.child.pid!;
    this.nodePid = await waitFor(`${this.name}'s node process`, 10_000, async () => childPids(tsxPid)[0], { abort });
    await waitFor(this.name, timeoutMs, async () => (await ready(this)) || undefined, { abort, intervalMs: 500 });
  }

  /**
   * SIGTERM to node (the service drains and exits); SIGKILL to the group after `graceMs`.
   * 'clean' = exit code 0; 'failed' = exited on its own with another code.
   */
  async stop(graceMs = 30_000): Promise<'clean' | 'failed' | 'killed' | 'not running'> {
    const child = this.child;
    if (!child || !isRunning(child)) return 'not running';
    const done = exited(child);
    try {
      process.kill(this.nodePid ?? child.pid!, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      killGroup(child, 'SIGKILL');
    }, graceMs);
    await done;
    clearTimeout(timer);
    return killed ? 'killed' : child.exitCode === 0 ? 'clean' : 'failed';
  }

  /** The process group (led by the tsx process) while running. */
  get groupId(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** `kill -9` of the whole process (tsx and node): a machine or container dying mid-work. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !isRunning(child)) return;
    const done = exited(child);
    killGroup(child, 'SIGKILL');
    await done;
  }
}
