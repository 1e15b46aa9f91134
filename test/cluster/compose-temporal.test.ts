// docker-compose's Temporal services, run for real without a Docker engine: the same server
// version, built locally, given the compose file's own commands and environment. The server image
// runs `temporal-server start` on the config template embedded in the binary, which this test
// exercises with the compose `temporal` service's variables (only hosts and ports are moved to
// this machine); the schema job runs its compose command under `sh`; `temporal-setup` runs its
// npm script. Proves the compose settings for these services, which `docker compose config` cannot.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { parse } from 'yaml';
import { npmScriptCommand, REPO_ROOT } from '../../scripts/cluster/app-process';
import { provisionServer } from '../../scripts/cluster/cluster';
import { Postgres } from '../../scripts/cluster/postgres';
import { freeLowPort, run, startLogged, stopProcess, waitFor } from '../../scripts/cluster/processes';
import type { ServerBinaries } from '../../scripts/cluster/temporal-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/shared/search-attributes';

jest.setTimeout(240_000);

interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  volumes?: string[];
}
const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const service = (name: string) => compose.services[name]!;
/** Compose turns `$$` into `$` before the shell sees the command. */
const unescape = (text: string) => text.replaceAll('$$', '$');

let dir: string;
let binaries: ServerBinaries;
let postgres: Postgres | undefined;
let server: ChildProcess | undefined;

beforeAll(async () => {
  binaries = await provisionServer(() => undefined);
  dir = mkdtempSync(path.join(tmpdir(), 'reminders-compose-'));
  chmodSync(dir, 0o755);
});

afterAll(async () => {
  if (server) await stopProcess(server, 20_000);
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('compose images match the server version the cluster builds', () => {
  const version = /^go-proxy go\.temporal\.io\/server@v(.+)$/m.exec(
    readFileSync(path.join(path.dirname(path.dirname(binaries.server)), '.provisioned'), 'utf8'),
  )?.[1];
  expect(service('temporal').image).toBe(`temporalio/server:${version}`);
  expect(service('temporal-schema').image).toBe(`temporalio/admin-tools:${version}`);
});

test("compose's schema job, Temporal server settings and temporal-setup bring up a server with the namespace and search attributes", async () => {
  const db = service('postgres').environment;
  postgres = new Postgres({
    dir: path.join(dir, 'postgres'),
    logFile: path.join(dir, 'postgres.log'),
    host: '127.0.0.1',
    port: await freeLowPort(),
    // The postgres image makes POSTGRES_USER a superuser; CREATEDB is all the schema job needs.
    roles: { [db.POSTGRES_USER!]: { password: db.POSTGRES_PASSWORD!, createdb: true } },
    databases: {},
    log: () => undefined,
  });
  await postgres.start();
  const pgPort = String(new URL(postgres.url(db.POSTGRES_USER!, 'postgres')).port);

  // temporal-schema: its entrypoint and command, with the tool on PATH under the image's name.
  const schema = service('temporal-schema');
  expect(schema.environment.SQL_HOST).toBe('postgres');
  await run(schema.entrypoint![0]!, [...schema.entrypoint!.slice(1), unescape(schema.command![0]!)], {
    env: {
      ...process.env,
      ...schema.environment,
      SQL_HOST: '127.0.0.1',
      SQL_PORT: pgPort,
      PATH: `${path.dirname(binaries.sqlTool)}:${process.env.PATH}`,
    },
  });

  // temporal: the image's `temporal-server start` (embedded template) with the compose variables.
  const temporal = service('temporal');
  const [source, target] = temporal.volumes![0]!.split(':') as [string, string];
  expect(temporal.environment.DYNAMIC_CONFIG_FILE_PATH).toBe(target);
  expect(temporal.environment.POSTGRES_SEEDS).toBe('postgres');
  const ports: Record<string, string> = {};
  for (const name of ['FRONTEND_GRPC', 'FRONTEND_HTTP', 'FRONTEND_MEMBERSHIP', 'HISTORY_GRPC', 'HISTORY_MEMBERSHIP']
    .concat(['MATCHING_GRPC', 'MATCHING_MEMBERSHIP', 'WORKER_GRPC', 'WORKER_MEMBERSHIP'])
    .map((p) => `${p}_PORT`))
    ports[name] = String(await freeLowPort());
  const logFile = path.join(dir, 'temporal.log');
  server = startLogged(binaries.server, ['start'], logFile, {
    cwd: dir,
    env: {
      ...process.env,
      ...temporal.environment,
      ...ports,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: pgPort,
      BIND_ON_IP: '127.0.0.1',
      DYNAMIC_CONFIG_FILE_PATH: path.resolve(REPO_ROOT, source),
    },
  });
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
  const connection = await waitFor('the compose-configured Temporal server', 90_000, async () => {
    const c = await Connection.connect({ address, connectTimeout: 2000 });
    if ((await c.healthService.check({})).status === 1) return c;
    await c.close();
    return undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n${readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`);
  });

  try {
    // temporal-setup: its npm script with its environment.
    const setup = service('temporal-setup');
    expect(setup.command).toEqual(['npm', 'run', 'temporal:setup']);
    const [command, args] = npmScriptCommand('temporal:setup');
    const { stdout } = await run(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...setup.environment, TEMPORAL_ADDRESS: address },
    });
    expect(stdout).toContain(`namespace ${setup.environment.TEMPORAL_NAMESPACE} ready`);

    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: setup.environment.TEMPORAL_NAMESPACE,
    });
    for (const flag of SEARCH_ATTRIBUTE_FLAGS) expect(Object.keys(customAttributes)).toContain(flag.split('=')[0]);
  } finally {
    await connection.close();
  }
});
