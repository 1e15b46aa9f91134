// The cluster's Temporal server: the real server (all four services in one process) on the
// cluster's PostgreSQL, from the module's own config template for PostgreSQL with our ports and
// credentials; SQL visibility, the `default` namespace and the project's search attributes.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { prepareNamespace } from './namespace';
import { abortOnExit, freeLowPort, isRunning, run, startLogged, stopProcess, waitFor, type Log } from './processes';

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  /** The module's config folder (development-postgres12.yaml, dynamicconfig/development-sql.yaml). */
  configDir: string;
}

export interface TemporalServerOptions {
  binaries: ServerBinaries;
  /** Folder for the rendered config. */
  dir: string;
  logFile: string;
  /** Interface and port of the frontend (gRPC), the one port clients use. */
  host: string;
  port: number;
  namespace: string;
  database: { host: string; port: number; user: string; password: string };
  log: Log;
}

const DATABASES = { temporal: 'postgresql/v12/temporal', temporal_visibility: 'postgresql/v12/visibility' };

export class TemporalServer {
  private child?: ChildProcess;

  constructor(private readonly options: TemporalServerOptions) {}

  get address(): string {
    const { host, port } = this.options;
    return `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  /**
   * Creates the two databases and brings both schemas to the versions embedded in this server
   * build (postgresql/v12). Every step is idempotent, so each start runs them all: a newer server
   * build migrates an existing database.
   */
  async setupSchemas(): Promise<void> {
    const { binaries, database } = this.options;
    const env = {
      ...process.env,
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: database.host,
      SQL_PORT: String(database.port),
      SQL_USER: database.user,
      SQL_PASSWORD: database.password,
    };
    for (const [db, schema] of Object.entries(DATABASES)) {
      await run(binaries.sqlTool, ['--db', db, 'create-database'], { env });
      await run(binaries.sqlTool, ['--db', db, 'setup-schema', '-v', '0.0'], { env });
      await run(binaries.sqlTool, ['--db', db, 'update-schema', '--schema-name', schema], { env });
    }
  }

  async start(): Promise<void> {
    const configFile = await this.renderConfig();
    this.child = startLogged(
      this.options.binaries.server,
      ['--allow-no-auth', '--config-file', configFile, 'start'],
      this.options.logFile,
    );
    const abort = abortOnExit(this.child, 'the Temporal server', this.options.logFile);
    const connection = await waitFor('the Temporal frontend', 60_000, () => this.connect(), { abort });
    try {
      await waitFor('the Temporal server', 60_000, async () => (await isServing(connection)) || undefined, { abort });
      await prepareNamespace(connection, this.options.namespace, this.options.log);
    } finally {
      await connection.close();
    }
  }

  /** SIGTERM: the server drains and exits within seconds. */
  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 20_000);
    this.child = undefined;
  }

  /** The server's process group while running. */
  get groupId(): number | undefined {
    return this.child && isRunning(this.child) ? this.child.pid : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async connect(): Promise<Connection> {
    return Connection.connect({ address: this.address, connectTimeout: 2000 });
  }

  /**
   * The module's development-postgres12.yaml with: our database and credentials; the frontend on
   * the configured interface/port and every other listener on a free loopback port below 32768 (stored as smallint) (the internal
   * services find each other through the membership table, so these may change between starts);
   * pprof off; an absolute dynamic-config path.
   */
  private async renderConfig(): Promise<string> {
    const { binaries, dir, host, port, database } = this.options;
    mkdirSync(dir, { recursive: true });
    const config = parse(readFileSync(path.join(binaries.configDir, 'development-postgres12.yaml'), 'utf8'));

    for (const store of Object.values(config.persistence.datastores) as Array<{ sql: Record<string, unknown> }>) {
      store.sql.connectAddr = `${database.host}:${database.port}`;
      store.sql.user = database.user;
      store.sql.password = database.password;
    }
    config.global.pprof.port = 0;
    config.global.metrics.prometheus.listenAddress = `127.0.0.1:${await freeLowPort()}`;
    const httpPort = await freeLowPort();
    for (const [name, service] of Object.entries(config.services) as Array<
      [string, { rpc: Record<string, unknown> }]
    >) {
      const rpc = service.rpc;
      rpc.membershipPort = await freeLowPort();
      if (name === 'frontend') {
        rpc.grpcPort = port;
        rpc.httpPort = httpPort;
        if (host !== '127.0.0.1' && host !== 'localhost') {
          delete rpc.bindOnLocalHost;
          rpc.bindOnIP = host;
        }
      } else {
        rpc.grpcPort = await freeLowPort();
      }
    }
    config.clusterMetadata.clusterInformation.active.rpcAddress = this.address;

    const dynamicConfig = readFileSync(path.join(binaries.configDir, 'dynamicconfig', 'development-sql.yaml'), 'utf8')
      // Nexus completion callbacks go to the frontend's HTTP port.
      .replace('http://localhost:7243/', `http://127.0.0.1:${httpPort}/`);
    const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, dynamicConfig);
    config.dynamicConfigClient.filepath = dynamicConfigFile;

    const configFile = path.join(dir, 'config.yaml');
    // It holds the database password.
    writeFileSync(configFile, stringify(config), { mode: 0o600 });
    return configFile;
  }
}

async function isServing(connection: Connection): Promise<boolean> {
  const { status } = await connection.healthService.check({});
  return status === 1; // SERVING
}
