// Prisma client over the `pg` driver adapter: Prisma's WebAssembly query compiler, no native
// engine binary, the same code path for the embedded database and a real PostgreSQL server.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

export type Db = PrismaClient;
/** What a query needs: the client itself or the transaction it runs in. */
export type DbClient = Prisma.TransactionClient;
export { Prisma } from '../generated/prisma/client';

/**
 * `poolSize` 1 for the embedded PGlite server: its socket front end (pglite-socket 0.2) can
 * interleave the extended-protocol messages of concurrent connections, so one connection's
 * statement runs with another's parameters or returns another's rows (electric-sql/pglite#1046).
 * PGlite executes one query at a time anyway, so a single connection costs no throughput.
 */
export function createDb(databaseUrl: string, poolSize = 10): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}
