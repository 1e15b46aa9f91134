// `npm run bench`: the service measured from outside, beside raw Temporal on the same server
// and database. Prints a table and writes the JSON under bench/results/ (see README, Performance).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parseOptions, USAGE, type Options } from './options';
import { REPO_ROOT } from './project';
import { gitCommit, machine, table } from './report';
import { runOnce, type RunResult } from './run';
import { RAISED_RATE_LIMITS } from './stack';

function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function resultsFile(options: Options, commit: string, mode: string): string {
  if (options.out) return path.resolve(options.out);
  const name = `${new Date().toISOString().slice(0, 10)}-${commit}-${mode}.json`;
  // Smoke runs only prove the harness works; their figures are not kept in git.
  return path.join(REPO_ROOT, 'bench', 'results', ...(options.smoke ? ['smoke'] : []), name);
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // An interrupted bench (Ctrl-C, CI's timeout) exits through 'exit', whose handlers kill the
  // services it started (they run in process groups of their own and would outlive it).
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping the services and exiting`);
      process.exit(130);
    });
  // The raw baselines' workers log through the SDK; only their problems are worth a line.
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const mode = options.databaseUrl ? 'postgresql' : 'embedded';
  const git = gitCommit();
  const host = machine();
  log(
    `bench: ${mode} mode, ${options.contacts} contacts, storm of ${options.storm}, phases ${[...options.phases].join(',')}, ` +
      `${options.repeat} run(s); commit ${git.commit}${git.dirty ? ' (dirty)' : ''}`,
  );
  log(`machine: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB RAM, load ${host.loadAverage.join(' ')}`);
  log(
    `send-rate limits raised for the run (we measure the engine, not the throttle): ${Object.entries(RAISED_RATE_LIMITS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );

  const runs: RunResult[] = [];
  for (let i = 0; i < options.repeat; i++) {
    log(`run ${i + 1} of ${options.repeat}`);
    runs.push(await runOnce(options, i, log));
  }

  const file = resultsFile(options, git.commit, mode);
  mkdirSync(path.dirname(file), { recursive: true });
  const { databaseUrl, phases, ...rest } = options;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        bench: 'contact-event-reminders',
        createdAt: new Date().toISOString(),
        git,
        machine: { ...host, loadAverageAtEnd: machine().loadAverage },
        mode,
        // The server URL may hold a password: only whether one was used is kept.
        options: { ...rest, phases: [...phases], databaseUrl: databaseUrl ? '(set)' : undefined },
        rateLimits: RAISED_RATE_LIMITS,
        definitions: DEFINITIONS,
        runs,
      },
      null,
      2,
    )}\n`,
  );

  process.stdout.write(`\n${table(options, runs)}\n\n`);
  for (const [name, text] of Object.entries(DEFINITIONS)) process.stdout.write(`${name}: ${text}\n`);
  if (runs[0]?.workerProcess) process.stdout.write(`worker RSS: ${runs[0].workerProcess}\n`);
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  const failed = runs.flatMap((r) => r.checks.filter((c) => !c.ok));
  for (const c of failed) process.stdout.write(`FAILED: ${c.name}: ${c.detail}\n`);
  return failed.length > 0 ? 1 : 0;
}

/** What each figure means; printed under the table and kept in the JSON. */
const DEFINITIONS = {
  'fan-out':
    'POST of a rule → visibility counts `RuleId = X AND NextSendAt IS NOT NULL AND ExecutionStatus = "Running"` (polled every 0.5 s) ' +
    'reaching the eligible clients. Raw: a bare client starting N workflows that upsert NextSendAt and sleep a year, on a plain worker, ' +
    'detected by the same query; the best of the concurrencies tried. ratio = project rate / raw rate.',
  storm:
    'M clients due in one minute, email through the company gateway to a local SMTP server; due minute → last ledger outcome ' +
    '(Notification.updatedAt of the M-th sent/delivered/skipped/failed/undelivered row, read through GET /v1/notifications). ' +
    'Raw: M workflows whose timers fire at one instant, then one no-op activity each; instant → last activity ran. ratio = raw time / project time.',
  history:
    "events of the run that handled a storm reminder's occurrence (start, plan, sleep, delivery, continue-as-new; wft = workflow tasks, " +
    "act = activities, la = local-activity markers); re-arm = the next run's events up to its first TimerStarted.",
  rss: 'median of 5 samples of the worker process\'s VmRSS, 10 s after the preceding phase; "seen" = the company\'s sleeping reminders by visibility.',
  api: '20 concurrent clients in a closed loop, bounded by request count and duration; PATCH toggles sendTime of a rule of a company without contacts.',
  restart: 'spawning the entry point again with all data kept → first GET /health 200.',
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
