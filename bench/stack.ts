// The system under test, started through its public entry points, in one of two forms:
//
// - embedded: `npm start` (API + worker + Temporal dev server + PGlite in one process group), as a
//   user runs it on a fresh machine;
// - postgresql: a Temporal dev server started here (`temporal server start-dev`, the provisioned
//   CLI, the project's search attributes), `npm run api` and one `npm run worker` against a fresh
//   database on the given PostgreSQL server.
//
// Both run the send-rate limits raised out of the way (we measure the engine, not the configured
// throttle) and point the company gateway's SMTP relay at the harness's SMTP sink.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { waitForHealth } from './api-client';
import { freePort, sleep, spawnGroup, entryRss, type Child } from './processes';
import { connectDb, openEmbeddedDb, REPO_ROOT, temporalCliPath, type Db } from './project';

export const TASK_QUEUE = 'reminders';
export const NAMESPACE = 'default';

/** Raised far above any storm, so sends never wait on the per-process limiter. */
export const RAISED_RATE_LIMITS = {
  RATE_LIMIT_SMS_PER_MINUTE: '1000000',
  RATE_LIMIT_WHATSAPP_PER_MINUTE: '1000000',
  RATE_LIMIT_INSTAGRAM_PER_MINUTE: '1000000',
  RATE_LIMIT_EMAIL_PER_MINUTE: '1000000',
};

export interface StackOptions {
  /** PostgreSQL server URL; a fresh database is created on it per run. Absent = embedded. */
  databaseUrl?: string;
  runDir: string;
  smtp: { host: string; port: number };
  /** Fills the database before the service uses it (the embedded one cannot be shared). */
  seed(db: Db): Promise<void>;
}

export interface Restart {
  /** What was restarted. */
  what: string;
  stopMs: number;
  /** From spawning the entry point until GET /health answered 200. */
  toHealthMs: number;
}

export interface Stack {
  mode: 'embedded' | 'postgresql';
  apiUrl: string;
  temporalAddress: string;
  /** A plain client (no payload codec) on the service's Temporal server and namespace. */
  client: Client;
  /** From spawning the service until /health answered 200, on the first start (with seeded data). */
  firstStartMs: number;
  /** Which process `workerRss` reads, in words. */
  workerProcess: string;
  workerRss(): number | undefined;
  restart(): Promise<Restart>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  return options.databaseUrl ? startPostgresStack(options, options.databaseUrl) : startEmbeddedStack(options);
}

/** Environment for the service's processes: the caller's, minus what the harness decides. */
function serviceEnv(options: StackOptions, own: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'PAYLOAD_KEYS', 'CODEC_AUTH_TOKEN', 'PUBLIC_BASE_URL'])
    delete env[key];
  return {
    ...env,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    SMTP_HOST: options.smtp.host,
    SMTP_PORT: String(options.smtp.port),
    SMTP_SECURE: 'false',
    ...RAISED_RATE_LIMITS,
    ...own,
  };
}

async function connectClient(address: string, timeoutMs: number): Promise<{ client: Client; connection: Connection }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      const client = new Client({ connection, namespace: NAMESPACE });
      // The namespace and visibility answer: the server is ready for the harness's queries.
      await client.workflow.count('ExecutionStatus = "Running"');
      return { client, connection };
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} not ready: ${String(error)}`);
      await sleep(500);
    }
  }
}

/** Waits until a worker polls the reminders task queue (the service is ready to run reminders). */
async function waitForPoller(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: NAMESPACE,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((res.pollers ?? []).length > 0) return;
    if (Date.now() > deadline) throw new Error(`no worker polled task queue ${TASK_QUEUE} within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function startEmbeddedStack(options: StackOptions): Promise<Stack> {
  const dataDir = path.join(options.runDir, 'data');
  // Seed first: PGlite serves one process, so the harness fills it before `npm start` opens it.
  const seeding = await openEmbeddedDb(dataDir);
  try {
    await options.seed(seeding.db);
  } finally {
    await seeding.close();
  }

  const [apiPort, devPort, uiPort, metricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env = serviceEnv(options, {
    DATA_DIR: dataDir,
    API_PORT: String(apiPort),
    TEMPORAL_DEV_PORT: String(devPort),
    TEMPORAL_UI_PORT: String(uiPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  let generation = 0;
  const launch = () =>
    spawnGroup('npm start', 'npm', ['start'], {
      cwd: REPO_ROOT,
      env,
      logFile: path.join(options.runDir, `npm-start-${++generation}.log`),
    });

  let service: Child = launch();
  // The first start may provision the Temporal binaries.
  const firstStartMs = (await waitForHealth(apiUrl, 300_000, () => service.running())) - service.spawnedAt;
  const temporalAddress = `127.0.0.1:${devPort}`;
  const { client, connection } = await connectClient(temporalAddress, 60_000);
  await waitForPoller(client, 60_000);

  return {
    mode: 'embedded',
    apiUrl,
    temporalAddress,
    client,
    firstStartMs,
    workerProcess: '`npm start` (API and worker in one node process; the Temporal dev server it starts is not counted)',
    workerRss: () => entryRss(service.pid, 'src/main.ts'),
    async restart() {
      const stopStarted = Date.now();
      await service.stop();
      const stopMs = Date.now() - stopStarted;
      service = launch();
      const toHealthMs = (await waitForHealth(apiUrl, 300_000, () => service.running())) - service.spawnedAt;
      await waitForPoller(client, 120_000);
      return { what: '`npm start` (embedded database and Temporal dev server, all data kept)', stopMs, toHealthMs };
    },
    async stop() {
      await connection.close();
      await service.stop();
    },
  };
}

async function startPostgresStack(options: StackOptions, serverUrl: string): Promise<Stack> {
  const database = await createDatabase(serverUrl, `bench_${path.basename(options.runDir).replace(/\W/g, '_')}`);
  const children: Child[] = [];
  const stopAll = async () => {
    for (const child of children.reverse()) await child.stop();
    await database.drop();
  };
  try {
    const devPort = await freePort();
    const temporalServer = spawnGroup(
      'temporal server start-dev',
      await temporalCliPath(),
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(devPort),
        '--headless',
        '--namespace',
        NAMESPACE,
        // A file, like the one `npm start` keeps under data/, rather than the in-memory default.
        '--db-filename',
        path.join(options.runDir, 'temporal.sqlite'),
        '--log-level',
        'warn',
        ...['CompanyId=Keyword', 'RuleId=Keyword', 'ContactId=Keyword', 'NextSendAt=Datetime'].flatMap((flag) => [
          '--search-attribute',
          flag,
        ]),
      ],
      { cwd: options.runDir, env: process.env, logFile: path.join(options.runDir, 'temporal.log') },
    );
    children.push(temporalServer);
    const temporalAddress = `127.0.0.1:${devPort}`;
    const { client, connection } = await connectClient(temporalAddress, 60_000);

    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const env = serviceEnv(options, {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporalAddress,
      DATA_DIR: path.join(options.runDir, 'data'),
      API_PORT: String(apiPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      // Encrypted payloads, as `npm start` has them, so both forms pay for the codec.
      PAYLOAD_KEYS: `bench:${randomBytes(32).toString('hex')}`,
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    let apiGeneration = 0;
    const launchApi = () =>
      spawnGroup('npm run api', 'npm', ['run', 'api'], {
        cwd: REPO_ROOT,
        env,
        logFile: path.join(options.runDir, `api-${++apiGeneration}.log`),
      });
    let api = launchApi();
    children.push(api);
    // The API migrates the database; the harness seeds it once the tables exist.
    const firstStartMs = (await waitForHealth(apiUrl, 180_000, () => api.running())) - api.spawnedAt;
    const seeding = connectDb(database.url);
    try {
      await options.seed(seeding.db);
    } finally {
      await seeding.close();
    }
    const worker = spawnGroup('npm run worker', 'npm', ['run', 'worker'], {
      cwd: REPO_ROOT,
      env,
      logFile: path.join(options.runDir, 'worker.log'),
    });
    children.push(worker);
    await waitForPoller(client, 120_000);

    return {
      mode: 'postgresql',
      apiUrl,
      temporalAddress,
      client,
      firstStartMs,
      workerProcess: '`npm run worker` (the worker alone)',
      workerRss: () => entryRss(worker.pid, 'src/worker/main.ts'),
      async restart() {
        const stopStarted = Date.now();
        await api.stop();
        const stopMs = Date.now() - stopStarted;
        children.splice(children.indexOf(api), 1);
        api = launchApi();
        children.push(api);
        const toHealthMs = (await waitForHealth(apiUrl, 180_000, () => api.running())) - api.spawnedAt;
        return { what: '`npm run api` (PostgreSQL server; worker and Temporal keep running)', stopMs, toHealthMs };
      },
      async stop() {
        await connection.close();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A fresh database on the server for one run (the URL's user needs CREATEDB), dropped afterwards. */
async function createDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await admin(`CREATE DATABASE "${name}"`);
  } catch (error) {
    throw new Error(
      `could not create database ${name} on the --database-url server (its user needs CREATEDB): ${(error as Error).message}`,
    );
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
