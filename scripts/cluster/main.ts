// `npm run cluster`: the production topology on this machine, in the foreground — PostgreSQL,
// the real Temporal server, the API and two workers, each process with its own log under
// CLUSTER_DIR/logs. Ctrl-C (or SIGTERM) stops workers, API, Temporal and PostgreSQL, in that order.
// Settings (environment): CLUSTER_DIR (.cache/cluster), CLUSTER_HOST (127.0.0.1), CLUSTER_API_PORT
// (3000), CLUSTER_TEMPORAL_PORT (7233), CLUSTER_POSTGRES_PORT (5433), CLUSTER_WORKERS (2); every
// other variable (LOG_LEVEL, TWILIO_*, SMTP_*, …) reaches the API and the workers as it is.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './app-process';
import { Cluster, provisionServer, type ClusterOptions } from './cluster';
import { connectHost } from './postgres';
import { assertPortFree } from './processes';

const log = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

function intSetting(name: string, fallback: number, max = 65535): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name}=${raw}: must be a whole number from 1 to ${max}`);
  }
  return value;
}

function optionsFromEnv(): ClusterOptions {
  const workers = intSetting('CLUSTER_WORKERS', 2, 16);
  const firstMetricsPort = intSetting('CLUSTER_WORKER_METRICS_PORT', 9464);
  return {
    dir: path.resolve(process.env.CLUSTER_DIR || path.join(REPO_ROOT, '.cache', 'cluster')),
    host: process.env.CLUSTER_HOST || '127.0.0.1',
    ports: {
      api: intSetting('CLUSTER_API_PORT', 3000),
      temporal: intSetting('CLUSTER_TEMPORAL_PORT', 7233),
      postgres: intSetting('CLUSTER_POSTGRES_PORT', 5433),
      workerMetrics: Array.from({ length: workers }, (_, i) => firstMetricsPort + i),
    },
    workers,
    log,
  };
}

async function main(): Promise<void> {
  const options = optionsFromEnv();
  const { host, ports } = options;
  await assertPortFree(host, ports.postgres, 'PostgreSQL (CLUSTER_POSTGRES_PORT)');
  await assertPortFree(host, ports.temporal, 'the Temporal frontend (CLUSTER_TEMPORAL_PORT)');
  await assertPortFree(host, ports.api, 'the API (CLUSTER_API_PORT)');

  claimPidFile(path.join(options.dir, 'launcher.pid'));
  const binaries = await provisionServer(log);
  const cluster = new Cluster(options, binaries);

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return log(`${signal}: already stopping, please wait`);
    log(`${signal}: stopping workers, API, Temporal server and PostgreSQL`);
    stopping = cluster.stop().then(
      () => {
        log('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        log(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));

  try {
    await cluster.start();
  } catch (error) {
    log(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`logs: ${cluster.logDir}`);
    if (!stopping) stop('start failure');
    return;
  }

  // Once per data folder: a first company and its admin key, like `npm start` on a fresh machine.
  const firstCompany = path.join(options.dir, 'first-company-created');
  if (!existsSync(firstCompany)) {
    const created = await cluster.createCompany(process.env.BOOTSTRAP_COMPANY_NAME || 'My company');
    writeFileSync(firstCompany, `${new Date().toISOString()}\n`);
    process.stdout.write(`\n${created.output.trim()}\n`);
  }

  // For workers on other machines (and CLI commands here): the connection settings, kept private.
  const envFile = path.join(options.dir, 'cluster.env');
  const env = cluster.serviceEnv;
  const publicHost = host === '0.0.0.0' ? os.hostname() : host;
  const remote = {
    ...env,
    DATABASE_URL: cluster.postgres.url('reminders', 'reminders', publicHost),
    TEMPORAL_ADDRESS: `${publicHost}:${ports.temporal}`,
  };
  writeFileSync(
    envFile,
    `${Object.entries(remote)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );

  process.stdout.write(
    [
      '',
      `API:               ${cluster.apiUrl}  (health: ${cluster.apiUrl}/health)`,
      `Temporal frontend: ${cluster.temporal.address}  (namespace default; e.g. .cache/temporal/cli/temporal workflow list --address ${cluster.temporal.address})`,
      `PostgreSQL:        ${host}:${ports.postgres}  (databases reminders, temporal, temporal_visibility)`,
      `Workers:           ${cluster.workers.map((w) => w.identity).join(', ')}`,
      `Worker metrics:    ${(ports.workerMetrics ?? []).map((p) => `http://${connectHost(host)}:${p}/metrics`).join(', ')}`,
      `Logs:              ${cluster.logDir}/{postgres,temporal,api,${cluster.workers.map((w) => w.name).join(',')}}.log`,
      `Connection env:    ${envFile}  (DATABASE_URL, TEMPORAL_ADDRESS, MAILBOX_SECRET_KEY, PAYLOAD_KEYS for more workers)`,
      `Payload codec:     ${cluster.apiUrl}/codec  (Authorization: Bearer $CODEC_AUTH_TOKEN from ${envFile})`,
      'Temporal Web UI:   not bundled offline (the dev-server CLI serves its UI only for its own server);',
      '                   with internet: docker run -p 8080:8080 -e TEMPORAL_ADDRESS=host.docker.internal:' +
        `${ports.temporal} temporalio/ui`,
      '',
      `Ctrl-C (or kill ${process.pid}, the pid in ${path.join(options.dir, 'launcher.pid')}) stops everything:`,
      'workers, API, Temporal server, PostgreSQL.',
      '',
    ].join('\n'),
  );
}

/** One launcher per cluster folder; the file also tells other shells whom to signal. */
function claimPidFile(file: string): void {
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    let alive = false;
    try {
      alive = pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cluster');
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`a cluster launcher (pid ${pid}) already runs on ${path.dirname(file)}`);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${process.pid}\n`);
  process.once('exit', () => rmSync(file, { force: true }));
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
