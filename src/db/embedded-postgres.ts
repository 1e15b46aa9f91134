// Embedded PostgreSQL for machines with no database server: PGlite (Postgres compiled to
// WebAssembly) served over the Postgres wire protocol, so Prisma, `pg` and the Prisma CLI
// talk to it exactly as they talk to a real server.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** Connection string for Prisma / pg / the Prisma CLI. */
  url: string;
  /** A tarball of the whole data directory, to clone a migrated database quickly. */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** A folder that keeps the data across restarts; omitted = in memory. */
  dataDir?: string;
  /** A data directory tarball (from `dump()`) to start from instead of an empty database. */
  loadDataDir?: Blob;
  port?: number;
}

// The socket server serialises queries anyway; several connections only let a pool keep a
// transaction on its own connection while others wait (a pool of 1 would deadlock Prisma).
const MAX_CONNECTIONS = 20;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
  });
  const port = options.port ?? (await findFreePort());
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: MAX_CONNECTIONS });
  await server.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    dump: () => db.dumpDataDir('none') as Promise<Blob>,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
