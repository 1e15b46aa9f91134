// The production topology on one machine: PostgreSQL, the real Temporal server on it, the API
// and N workers, each a process of its own with its own log. `npm run cluster` (main.ts) runs it
// in the foreground; test/support/cluster.ts drives the same class to inject faults.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createLogger } from '../../src/runtime/logger';
import { describeWorkerPollers, type WorkersReport } from '../../src/runtime/task-queue-pollers';
import { buildWorkflowBundle, workflowBundleIsCurrent } from '../../src/worker/workflow-bundle';
import { AppProcess, npmScriptCommand, REPO_ROOT } from './app-process';
import { connectHost, Postgres } from './postgres';
import { run, type Log } from './processes';
import { TemporalServer, type ServerBinaries } from './temporal-server';

export interface ClusterPorts {
  postgres: number;
  /** The Temporal frontend (gRPC), what TEMPORAL_ADDRESS names. */
  temporal: number;
  api: number;
  /** Prometheus endpoints of the workers, one per worker (missing: port 0, the OS picks one). */
  workerMetrics?: number[];
}

export interface ClusterOptions {
  /** Data, secrets and logs; kept between starts (a second start reuses them). */
  dir: string;
  /** Interface PostgreSQL, the Temporal frontend and the API listen on (0.0.0.0 for other machines). */
  host: string;
  ports: ClusterPorts;
  workers: number;
  /** Extra environment for the API and workers (provider credentials, LOG_LEVEL, …). */
  env?: NodeJS.ProcessEnv;
  log: Log;
}

interface Secrets {
  temporalPassword: string;
  appPassword: string;
  mailboxSecretKey: string;
  /** PAYLOAD_KEYS (`id:hex`): API, workers and CLI encrypt workflow payloads with it. */
  payloadKeys: string;
  /** CODEC_AUTH_TOKEN for the codec endpoint operators point the Temporal UI/CLI at. */
  codecToken: string;
}

export const NAMESPACE = 'default';
const APP_ROLE = 'reminders';
const APP_DATABASE = 'reminders';
const PROVISION_SCRIPT = path.join(REPO_ROOT, 'scripts', 'provision-temporal-server.sh');

/** Builds (or finds in the cache) the Temporal server and its schema tool. */
export async function provisionServer(log: Log): Promise<ServerBinaries> {
  const started = Date.now();
  log('Temporal server: provisioning (scripts/provision-temporal-server.sh; the first build takes minutes)');
  const { stdout, stderr } = await run('bash', [PROVISION_SCRIPT]);
  for (const line of stderr.split('\n').filter((l) => l.startsWith('[provision'))) log(line);
  const found = (label: string) => {
    const value = new RegExp(`^${label}: (.+)$`, 'm').exec(stdout)?.[1];
    if (!value) throw new Error(`provision-temporal-server.sh did not print "${label}:"`);
    return value.trim();
  };
  log(`Temporal server: ready in ${Date.now() - started} ms`);
  return { server: found('temporal-server'), sqlTool: found('temporal-sql-tool'), configDir: found('config') };
}

export class Cluster {
  readonly postgres: Postgres;
  readonly temporal: TemporalServer;
  readonly api: AppProcess;
  readonly workers: AppProcess[];
  private readonly secrets: Secrets;
  private connection?: Connection;
  private guard?: ChildProcess;

  constructor(
    private readonly options: ClusterOptions,
    binaries: ServerBinaries,
  ) {
    const { dir, host, ports, log } = options;
    mkdirSync(this.logDir, { recursive: true });
    this.secrets = loadSecrets(path.join(dir, 'secrets.json'));
    this.postgres = new Postgres({
      dir: path.join(dir, 'postgres'),
      logFile: path.join(this.logDir, 'postgres.log'),
      host,
      port: ports.postgres,
      roles: {
        temporal: { password: this.secrets.temporalPassword, createdb: true },
        [APP_ROLE]: { password: this.secrets.appPassword },
      },
      databases: { [APP_DATABASE]: APP_ROLE },
      log,
    });
    this.temporal = new TemporalServer({
      binaries,
      dir: path.join(dir, 'temporal'),
      logFile: path.join(this.logDir, 'temporal.log'),
      host,
      port: ports.temporal,
      namespace: NAMESPACE,
      database: {
        host: connectHost(host),
        port: ports.postgres,
        user: 'temporal',
        password: this.secrets.temporalPassword,
      },
      log,
    });
    this.api = new AppProcess('api', 'api', path.join(this.logDir, 'api.log'), () => this.appEnv());
    this.workers = Array.from(
      { length: options.workers },
      (_, i) =>
        new AppProcess(`worker-${i + 1}`, 'worker', path.join(this.logDir, `worker-${i + 1}.log`), () => ({
          ...this.appEnv(),
          // Each worker process serves its own Prometheus endpoint.
          WORKER_METRICS_ADDRESS: `127.0.0.1:${this.options.ports.workerMetrics?.[i] ?? 0}`,
        })),
    );
  }

  get logDir(): string {
    return path.join(this.options.dir, 'logs');
  }

  get apiUrl(): string {
    return `http://${connectHost(this.options.host)}:${this.options.ports.api}`;
  }

  /** What the API, the workers and the CLI commands need to reach this cluster. */
  get serviceEnv(): {
    DATABASE_URL: string;
    TEMPORAL_ADDRESS: string;
    TEMPORAL_NAMESPACE: string;
    MAILBOX_SECRET_KEY: string;
    PAYLOAD_KEYS: string;
    CODEC_AUTH_TOKEN: string;
  } {
    return {
      DATABASE_URL: this.postgres.url(APP_ROLE, APP_DATABASE),
      TEMPORAL_ADDRESS: this.temporal.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      MAILBOX_SECRET_KEY: this.secrets.mailboxSecretKey,
      PAYLOAD_KEYS: this.secrets.payloadKeys,
      CODEC_AUTH_TOKEN: this.secrets.codecToken,
    };
  }

  /** PostgreSQL → schemas → Temporal → API (it migrates the database) → workers. */
  async start(): Promise<void> {
    const { log } = this.options;
    let step = Date.now();
    const done = (what: string) => {
      log(`${what} (${Date.now() - step} ms)`);
      step = Date.now();
    };
    await this.postgres.start();
    done(`PostgreSQL: listening on ${this.options.host}:${this.options.ports.postgres}`);
    await this.temporal.setupSchemas();
    done('Temporal: schemas up to date');
    await this.startTemporal();
    done(`Temporal: serving on ${this.temporal.address}, namespace ${NAMESPACE}, search attributes registered`);
    await this.startApi();
    done(`API: healthy on ${this.apiUrl}`);
    await this.buildWorkflowBundle();
    await Promise.all(this.workers.map((_, i) => this.startWorker(i)));
    done(`workers: ${this.workers.map((w) => w.identity).join(', ')} polling`);
  }

  /** Production workers run a prebuilt bundle (what `npm run build` writes); built only when the sources changed. */
  private async buildWorkflowBundle(): Promise<void> {
    if (workflowBundleIsCurrent(this.workflowBundlePath)) return;
    const started = Date.now();
    await buildWorkflowBundle(this.workflowBundlePath, createLogger('warn', { service: 'cluster' }));
    this.options.log(`workflow bundle built into ${this.workflowBundlePath} (${Date.now() - started} ms)`);
  }

  private get workflowBundlePath(): string {
    return path.join(this.options.dir, 'workflow-bundle.js');
  }

  /**
   * Workers → API → Temporal → PostgreSQL, each waited for; the order keeps in-flight work safe.
   * Returns how each app process ended ('clean' = drained and exited 0).
   */
  async stop(): Promise<Record<string, string>> {
    const { log } = this.options;
    const ended: Record<string, string> = {};
    await Promise.all(this.workers.map(async (w) => (ended[w.name] = await w.stop())));
    log(`stopped ${this.workers.map((w) => `${w.name} ${ended[w.name]}`).join(', ')}`);
    ended.api = await this.api.stop();
    log(`stopped api ${ended.api}`);
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
    await this.temporal.stop();
    log('stopped the Temporal server');
    await this.postgres.stop();
    log('stopped PostgreSQL');
    this.guard?.kill();
    this.guard = undefined;
    return ended;
  }

  /**
   * Last resort when the owning process dies without stop() (a test runner killed by its
   * timeout): a small detached shell that waits for `ownerPid` to vanish, then SIGKILLs the
   * process groups this cluster runs now and shuts PostgreSQL down immediately. stop() ends it.
   */
  guardAgainstOwnerDeath(ownerPid = process.pid): void {
    const groups = path.join(this.options.dir, 'process-groups');
    const [pgCtl, pgArgs] = this.postgres.stopImmediateCommand();
    const script = [
      `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done`,
      `for g in $(cat '${groups}' 2>/dev/null); do /bin/kill -s KILL -- "-$g" 2>/dev/null; done`,
      `${[pgCtl, ...pgArgs].map((a) => `'${a}'`).join(' ')} >/dev/null 2>&1`,
    ].join('\n');
    this.guard = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    this.guard.unref();
    this.recordGroups();
  }

  /** The process groups (one per app process and the Temporal server) the guard would kill. */
  private recordGroups(): void {
    if (!this.guard) return;
    const pids = [...this.workers.map((w) => w.groupId), this.api.groupId, this.temporal.groupId];
    writeFileSync(path.join(this.options.dir, 'process-groups'), `${pids.filter(Boolean).join('\n')}\n`);
  }

  async startTemporal(): Promise<void> {
    try {
      await this.temporal.start();
    } finally {
      this.recordGroups();
    }
  }

  async restartTemporal(): Promise<void> {
    await this.temporal.stop();
    await this.startTemporal();
  }

  async restartPostgres(): Promise<void> {
    await this.postgres.stop();
    await this.postgres.start();
  }

  async startApi(): Promise<void> {
    try {
      await this.api.start(
        async () => (await fetch(`${this.apiUrl}/health`).catch(() => undefined))?.ok === true,
        120_000,
      );
    } finally {
      this.recordGroups();
    }
  }

  async restartApi(): Promise<void> {
    await this.api.stop();
    await this.startApi();
  }

  /** Starts worker i (0-based) and waits until Temporal lists it polling both task queues. */
  async startWorker(i: number): Promise<void> {
    const worker = this.workers[i]!;
    try {
      await worker.start(async (self) => {
        const { pollers } = await this.pollers();
        const mine = pollers.find((p) => p.identity === self.identity);
        return mine !== undefined && mine.live && mine.taskQueueTypes.length === 2;
      }, 180_000);
    } finally {
      this.recordGroups();
    }
  }

  /** `kill -9` of worker i: the machine it runs on dies. */
  async killWorker(i: number): Promise<void> {
    await this.workers[i]!.kill();
  }

  /** The task queue's pollers as Temporal reports them (what /health shows). */
  async pollers(): Promise<WorkersReport> {
    this.connection ??= await Connection.connect({ address: this.temporal.address });
    return describeWorkerPollers(this.connection, NAMESPACE, this.appEnv().TEMPORAL_TASK_QUEUE ?? 'reminders');
  }

  /** `npm run company:create` against the cluster; returns the new admin's API key. */
  async createCompany(name: string, timeZone = 'UTC'): Promise<{ apiKey: string; output: string }> {
    const [command, args] = npmScriptCommand('company:create');
    const { stdout } = await run(command, [...args, '--name', name, '--time-zone', timeZone], {
      cwd: REPO_ROOT,
      env: this.appEnv(),
    });
    const apiKey = /Admin API key \(shown once, keep it\): (\S+)/.exec(stdout)?.[1];
    if (!apiKey) throw new Error(`company:create printed no API key:\n${stdout}`);
    return { apiKey, output: stdout };
  }

  private appEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      NODE_ENV: 'production',
      ...this.options.env,
      ...this.serviceEnv,
      API_HOST: this.options.host,
      API_PORT: String(this.options.ports.api),
      DATA_DIR: path.join(this.options.dir, 'data'),
      WORKFLOW_BUNDLE_PATH: this.workflowBundlePath,
    };
  }
}

/** Generated on the first start and kept (mode 600): database passwords and the mailbox key. */
function loadSecrets(file: string): Secrets {
  const generated: Secrets = {
    temporalPassword: randomBytes(18).toString('base64url'),
    appPassword: randomBytes(18).toString('base64url'),
    mailboxSecretKey: randomBytes(32).toString('hex'),
    payloadKeys: `k1:${randomBytes(32).toString('hex')}`,
    codecToken: randomBytes(32).toString('base64url'),
  };
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>) : {};
  // Keys a newer version added are generated once; existing ones are never replaced.
  const secrets = { ...generated, ...stored };
  if (Object.keys(secrets).length !== Object.keys(stored).length) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
