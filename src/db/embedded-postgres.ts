// Embedded PostgreSQL for machines with no database server: PGlite (Postgres compiled to
// WebAssembly) served over the Postgres wire protocol, so Prisma, `pg` and the Prisma CLI
// talk to it exactly as they talk to a real server.
//
// PGlite accepts any user name and password as its superuser, so it must not be reachable by
// anyone but this service: it listens on a Unix socket (no TCP port at all) in a folder only the
// service's OS user may enter (mode 0700) — DATA_DIR/run for the service's database, a private
// temporary folder otherwise. Other local users cannot connect; the service's own user can, as
// it can read the data files anyway.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** Connection string for Prisma / pg / the Prisma CLI (`host=` names the socket folder). */
  url: string;
  /** The folder holding the socket `.s.PGSQL.5432`. */
  socketDir: string;
  /** A tarball of the whole data directory, to clone a migrated database quickly. */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** A folder that keeps the data across restarts; omitted = in memory. */
  dataDir?: string;
  /** A data directory tarball (from `dump()`) to start from instead of an empty database. */
  loadDataDir?: Blob;
  /** Where the socket goes (created with mode 0700); omitted = a private temporary folder. The
   * caller must hold the folder's lock: a socket file found there is a dead process's. */
  socketDir?: string;
}

// The socket server serialises queries anyway; several connections only let a pool keep a
// transaction on its own connection while others wait (a pool of 1 would deadlock Prisma).
const MAX_CONNECTIONS = 20;
/** libpq and `pg` look for `<host dir>/.s.PGSQL.<port>`; the port is only part of the name. */
const SOCKET_NAME = '.s.PGSQL.5432';
/** sun_path is 108 bytes on Linux (104 on macOS), terminating NUL included. */
const MAX_SOCKET_PATH = 100;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const socketDir = privateSocketDir(options.socketDir);
  const socketPath = path.join(socketDir.dir, SOCKET_NAME);
  const db = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
  });
  rmSync(socketPath, { force: true });
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
    chmodSync(socketPath, 0o600);
  } catch (error) {
    await db.close();
    socketDir.remove();
    throw error;
  }
  return {
    url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir.dir)}&sslmode=disable`,
    socketDir: socketDir.dir,
    dump: () => db.dumpDataDir('none') as Promise<Blob>,
    async stop() {
      await server.stop();
      await db.close();
      try {
        unlinkSync(socketPath);
      } catch {
        // already gone
      }
      socketDir.remove();
    },
  };
}

/** The socket folder, owner-only: the requested one when its socket path fits, else a new
 * temporary one (removed on stop). */
function privateSocketDir(requested: string | undefined): { dir: string; remove(): void } {
  if (requested && path.resolve(requested, SOCKET_NAME).length <= MAX_SOCKET_PATH) {
    const dir = path.resolve(requested);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return { dir, remove: () => undefined };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reminders-pg-'));
  chmodSync(dir, 0o700);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
