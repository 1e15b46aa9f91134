// Prisma CLI configuration. Migrate runs on Prisma's WebAssembly schema engine through the `pg`
// driver adapter, so no native engine binary is ever downloaded (see README, "Offline").
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// Workaround for prisma/orm#27403: the schema engine reads catalog columns of type `name`
// (oid 19) and `"char"` (oid 18), which the pg adapter refuses to deserialize. Inside the CLI
// process only, report those columns (and their arrays) as text so migrate can read them.
const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;
const RETYPED: Record<number, number> = { 18: TEXT_OID, 19: TEXT_OID, 1002: TEXT_ARRAY_OID, 1003: TEXT_ARRAY_OID };

type Field = { dataTypeID: number };
function retypeFields(result: unknown): unknown {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as Array<{ fields?: Field[] }>) {
    for (const field of r?.fields ?? []) {
      const replacement = RETYPED[field.dataTypeID];
      if (replacement !== undefined) field.dataTypeID = replacement;
    }
  }
  return result;
}

function patchQuery(proto: { query: (...args: unknown[]) => unknown }): void {
  const original = proto.query;
  proto.query = function patchedQuery(this: unknown, ...args: unknown[]) {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) =>
        (last as (e: unknown, r: unknown) => void)(err, err ? res : retypeFields(res));
      return original.apply(this, args);
    }
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      return (out as Promise<unknown>).then(retypeFields);
    }
    return out;
  };
}
patchQuery(pg.Client.prototype as never);
patchQuery(pg.Pool.prototype as never);

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL must be set for Prisma CLI commands');
    return new PrismaPg({ connectionString });
  },
});
