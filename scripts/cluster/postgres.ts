// The cluster's PostgreSQL: Debian's server binaries on a data folder of our own (not the
// system's cluster), on its own port and socket folder. initdb refuses to run as root, so as root
// every server command runs as the `postgres` user on folders it owns.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { run, type Log } from './processes';

export interface PostgresOptions {
  /** Folder for data, socket and log (created on the first start). */
  dir: string;
  logFile: string;
  host: string;
  port: number;
  /** Roles created (or their passwords reset) on every start: name → password. */
  roles: Record<string, { password: string; createdb?: boolean }>;
  /** Databases created if missing: name → owner role. */
  databases: Record<string, string>;
  log: Log;
}

/** Debian's PostgreSQL server binaries: CLUSTER_PG_BIN, else version 15, else the newest installed. */
export function postgresBinDir(override = process.env.CLUSTER_PG_BIN): string {
  if (override) return override;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)) : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  }
  const chosen = versions.includes('15') ? '15' : versions.sort((a, b) => Number(b) - Number(a))[0]!;
  return `${root}/${chosen}/bin`;
}

const asRoot = process.getuid?.() === 0;

export class Postgres {
  readonly dataDir: string;
  readonly socketDir: string;
  private readonly bin = postgresBinDir();

  constructor(private readonly options: PostgresOptions) {
    this.dataDir = path.join(options.dir, 'data');
    this.socketDir = path.join(options.dir, 'run');
  }

  /** A connection URL for one of the roles (over TCP, as the other processes connect). */
  url(role: string, database: string, host = connectHost(this.options.host)): string {
    const { port, roles } = this.options;
    return `postgresql://${role}:${encodeURIComponent(roles[role]!.password)}@${host}:${port}/${database}`;
  }

  /** initdb on the first start; then start the server and create the roles and databases. */
  async start(): Promise<{ created: boolean }> {
    const created = await this.initIfNeeded();
    if (await this.isRunning()) {
      // Left over from a launcher that was killed: restart it with this start's settings.
      this.options.log('PostgreSQL: stopping a server left running on this data folder');
      await this.stop();
    }
    const { host, port, logFile } = this.options;
    this.ownedByServer(logFile);
    this.allowRemoteLoginsIfListening();
    // pg_ctl's own session (detached): a Ctrl-C in the terminal must not shut PostgreSQL down
    // before the processes that use it.
    await run(
      ...this.serverCommand(path.join(this.bin, 'pg_ctl'), [
        'start',
        '-D',
        this.dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -k ${this.socketDir} -c listen_addresses=${host}`,
      ]),
      { detached: true },
    );
    await this.ensureRolesAndDatabases();
    return { created };
  }

  /** Listening beyond loopback (workers on other machines): password logins from anywhere. */
  private allowRemoteLoginsIfListening(): void {
    const { host } = this.options;
    const hba = path.join(this.dataDir, 'pg_hba.conf');
    const marker = '# Added by the cluster launcher: CLUSTER_HOST is not loopback.';
    if (host === '127.0.0.1' || host === 'localhost' || readFileSync(hba, 'utf8').includes(marker)) return;
    appendFileSync(hba, `\n${marker}\nhost all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n`);
  }

  async stop(): Promise<void> {
    if (!(await this.isRunning())) return;
    // "fast": disconnect clients and stop; the data is consistent (a checkpoint is written).
    await run(...this.serverCommand(path.join(this.bin, 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'fast', '-w']));
  }

  /** The command that shuts the server down at once (no checkpoint; crash recovery on next start). */
  stopImmediateCommand(): [string, string[]] {
    return this.serverCommand(path.join(this.bin, 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'immediate']);
  }

  async isRunning(): Promise<boolean> {
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) return false;
    try {
      await run(...this.serverCommand(path.join(this.bin, 'pg_ctl'), ['status', '-D', this.dataDir]));
      return true;
    } catch {
      return false;
    }
  }

  /** A superuser session over the private socket (trusted: only its owner, and root, can reach it). */
  async superuser<T>(work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const client = new Client({ host: this.socketDir, port: this.options.port, user: 'postgres', database });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  private async initIfNeeded(): Promise<boolean> {
    if (existsSync(path.join(this.dataDir, 'PG_VERSION'))) return false;
    const { dir, log } = this.options;
    log(`PostgreSQL: initdb ${this.dataDir} (${this.bin})`);
    if (asRoot) await this.assertReachableByServerUser(path.dirname(dir));
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    for (const folder of [dir, this.dataDir, this.socketDir]) this.ownedByServer(folder);
    await run(
      ...this.serverCommand(path.join(this.bin, 'initdb'), [
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-instructions',
      ]),
    );
    // The Temporal server keeps ~45 connections; the API and two workers a pool each.
    const conf = path.join(this.dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\nmax_connections = 200\n`);
    return true;
  }

  private async ensureRolesAndDatabases(): Promise<void> {
    const { roles, databases } = this.options;
    await this.superuser(async (client) => {
      for (const [role, { password, createdb }] of Object.entries(roles)) {
        const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount! > 0;
        const escaped = (await client.query('SELECT quote_ident($1) AS r, quote_literal($2) AS p', [role, password]))
          .rows[0] as { r: string; p: string };
        await client.query(
          `${exists ? 'ALTER' : 'CREATE'} ROLE ${escaped.r} LOGIN ${createdb ? 'CREATEDB' : ''} PASSWORD ${escaped.p}`,
        );
      }
      for (const [database, owner] of Object.entries(databases)) {
        const exists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount! > 0;
        if (!exists) await client.query(`CREATE DATABASE ${database} OWNER ${owner}`);
      }
    });
  }

  private async assertReachableByServerUser(folder: string): Promise<void> {
    try {
      await run('runuser', ['-u', 'postgres', '--', 'test', '-x', folder]);
    } catch {
      throw new Error(
        `the postgres user cannot enter ${folder} (a parent folder is private); set CLUSTER_DIR to a folder it can reach, e.g. /var/tmp/reminders-cluster`,
      );
    }
  }

  /** The command, run as `postgres` when we are root (initdb and the server refuse root). */
  private serverCommand(command: string, args: string[]): [string, string[]] {
    return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  }

  private ownedByServer(file: string): void {
    if (!asRoot) return;
    if (!existsSync(file)) writeFileSync(file, '');
    const [uid, gid] = postgresIds();
    chownSync(file, uid, gid);
  }
}

/** Where clients on this machine connect when the server listens on every interface. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function postgresIds(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error("no `postgres` user on this machine (it comes with Debian's postgresql package)");
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}
