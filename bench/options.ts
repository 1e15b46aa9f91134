// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';

export const PHASES = ['fanout', 'rss', 'storm', 'history', 'api', 'restart'] as const;
export type Phase = (typeof PHASES)[number];

export interface Options {
  contacts: number;
  storm: number;
  /** Size of the rule that gives the first non-zero RSS point ("1k sleeping"). */
  rssContacts: number;
  concurrencies: number[];
  databaseUrl?: string;
  phases: Set<Phase>;
  smoke: boolean;
  repeat: number;
  apiRequests: number;
  apiSeconds: number;
  /** Shortest lead of a storm's due instant (a couple of minutes; less in smoke runs). */
  minStormLeadMs: number;
  out?: string;
  keep: boolean;
}

export const USAGE = `npm run bench -- [options]

Measures the service (fan-out, firing storm, history events, worker RSS, API latency, restart)
against raw Temporal baselines on the same server; prints a table and writes JSON.

  --contacts N          clients of the fan-out rule (default 2000; smoke 200)
  --storm M             reminders due in the same minute (default 1000; smoke 100)
  --rss-contacts K      reminders of the first worker-RSS point (default 1000; smoke 100)
  --concurrency LIST    raw start concurrencies to try, best one reported (default 8,32,128)
  --database-url URL    PostgreSQL server (default: $DATABASE_URL; unset = embedded npm start);
                        the bench creates and drops a database of its own on it (needs CREATEDB)
  --only LIST           phases: ${PHASES.join(',')} (history implies storm)
  --smoke               small sizes and short API runs (CI)
  --repeat R            whole runs in a row, each on a fresh stack (default 1)
  --api-requests N      per API call measured (default 1000; smoke 200)
  --api-seconds S       time bound per API call measured (default 30; smoke 10)
  --out FILE            where to write the JSON (default bench/results/<date>-<commit>-<mode>.json)
  --keep                keep each run's folder (logs, data) even when it succeeded
`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      contacts: { type: 'string' },
      storm: { type: 'string' },
      'rss-contacts': { type: 'string' },
      concurrency: { type: 'string' },
      'database-url': { type: 'string' },
      only: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      repeat: { type: 'string' },
      'api-requests': { type: 'string' },
      'api-seconds': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const smoke = values.smoke ?? false;

  const phases = new Set<Phase>(PHASES);
  if (values.only !== undefined) {
    phases.clear();
    for (const name of values.only.split(',').map((s) => s.trim())) {
      if (!(PHASES as readonly string[]).includes(name))
        throw new Error(`--only: unknown phase "${name}" (phases: ${PHASES.join(', ')})`);
      phases.add(name as Phase);
    }
    // The history read is of a reminder that handled an occurrence: the storm's.
    if (phases.has('history')) phases.add('storm');
  }
  const concurrencies = (values.concurrency ?? '8,32,128')
    .split(',')
    .map((s) => positiveInt('concurrency', s.trim(), 0));
  const databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new Error('--database-url must start with postgresql:// or postgres://');

  return {
    contacts: positiveInt('contacts', values.contacts, smoke ? 200 : 2000),
    storm: positiveInt('storm', values.storm, smoke ? 100 : 1000),
    rssContacts: positiveInt('rss-contacts', values['rss-contacts'], smoke ? 100 : 1000),
    concurrencies,
    databaseUrl,
    phases,
    smoke,
    repeat: positiveInt('repeat', values.repeat, 1),
    apiRequests: positiveInt('api-requests', values['api-requests'], smoke ? 200 : 1000),
    apiSeconds: positiveInt('api-seconds', values['api-seconds'], smoke ? 10 : 30),
    minStormLeadMs: smoke ? 60_000 : 120_000,
    out: values.out,
    keep: values.keep ?? false,
  };
}
