// A programmatic handle on the production topology for tests: the same Cluster class that
// `npm run cluster` runs (scripts/cluster), on free ports in a fresh folder, plus the faults that
// tests inject — kill -9 a worker, restart the Temporal server, PostgreSQL or the API.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Cluster, NAMESPACE, provisionServer } from '../../scripts/cluster/cluster';
import { freeLowPort } from '../../scripts/cluster/processes';

export interface ClusterHandle {
  cluster: Cluster;
  dir: string;
  apiUrl: string;
  temporalAddress: string;
  /** Prometheus ports of the workers (worker i serves http://127.0.0.1:<port>/metrics). */
  workerMetricsPorts: number[];
  /** DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the keys of this cluster. */
  env: Cluster['serviceEnv'];
  /** A Temporal client on the cluster's namespace (closed by stop()). */
  client(): Promise<Client>;
  /** `npm run company:create`; the new admin's API key. */
  createCompany(name?: string): Promise<string>;
  killWorker(index: number): Promise<void>;
  startWorker(index: number): Promise<void>;
  restartTemporal(): Promise<void>;
  restartPostgres(): Promise<void>;
  /** PostgreSQL stopped (fast shutdown) until startPostgres(): for probing the outage itself. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  restartApi(): Promise<void>;
  /** `kill -9` of the API process (the API host dies); startApi() brings it back. */
  killApi(): Promise<void>;
  startApi(): Promise<void>;
  /** The last lines of one process's log (postgres, temporal, api, worker-1, …), for failure messages. */
  logTail(name: string, lines?: number): string;
  /** Stops everything in order and removes the folder (kept when KEEP_CLUSTER_DIR=1); how each app process ended. */
  stop(): Promise<Record<string, string>>;
}

export async function startCluster(
  options: { workers?: number; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<ClusterHandle> {
  const log = options.log ?? (() => undefined);
  // The server build is cached; CI's cluster phase provisions it before the tests run.
  const binaries = await provisionServer(log);
  const dir = mkdtempSync(path.join(tmpdir(), 'reminders-cluster-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as `postgres` and must reach its folder inside
  const workers = options.workers ?? 2;
  const workerMetricsPorts: number[] = [];
  for (let i = 0; i < workers; i++) workerMetricsPorts.push(await freeLowPort());
  const cluster = new Cluster(
    {
      dir,
      host: '127.0.0.1',
      ports: {
        postgres: await freeLowPort(),
        temporal: await freeLowPort(),
        api: await freeLowPort(),
        workerMetrics: workerMetricsPorts,
      },
      workers,
      env: { LOG_LEVEL: 'info', ...options.env },
      log,
    },
    binaries,
  );
  let connection: Connection | undefined;
  // Jest's sandbox sees no signals or exit events: a guard process cleans up if the runner dies.
  cluster.guardAgainstOwnerDeath();
  const handle: ClusterHandle = {
    cluster,
    dir,
    apiUrl: cluster.apiUrl,
    temporalAddress: cluster.temporal.address,
    workerMetricsPorts,
    env: cluster.serviceEnv,
    async client() {
      connection ??= await Connection.connect({ address: cluster.temporal.address });
      return new Client({ connection, namespace: NAMESPACE });
    },
    createCompany: async (name = 'Cluster test company') => (await cluster.createCompany(name)).apiKey,
    killWorker: (i) => cluster.killWorker(i),
    startWorker: (i) => cluster.startWorker(i),
    restartTemporal: () => cluster.restartTemporal(),
    restartPostgres: () => cluster.restartPostgres(),
    stopPostgres: () => cluster.postgres.stop(),
    startPostgres: async () => {
      await cluster.postgres.start();
    },
    restartApi: () => cluster.restartApi(),
    killApi: () => cluster.api.kill(),
    startApi: () => cluster.startApi(),
    logTail(name, lines = 30) {
      try {
        return readFileSync(path.join(cluster.logDir, `${name}.log`), 'utf8')
          .trim()
          .split('\n')
          .slice(-lines)
          .join('\n');
      } catch {
        return `(no ${name}.log)`;
      }
    },
    async stop() {
      await connection?.close();
      const ended = await cluster.stop();
      if (process.env.KEEP_CLUSTER_DIR !== '1') rmSync(dir, { recursive: true, force: true });
      return ended;
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    const tails = ['temporal', 'api', 'worker-1'].map((n) => `--- ${n}.log\n${handle.logTail(n, 15)}`).join('\n');
    await handle.stop().catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tails}`);
  }
  return handle;
}
