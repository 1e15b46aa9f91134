// Shared plumbing of the admin commands (`npm run company:create`, `npm run demo:seed`):
// argument parsing with messages that name the argument, exit codes, and opening the database
// the service uses (refusing clearly while a running `npm start` holds the embedded one's lock).
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config';
import { loadConfigOrExit } from '../runtime/process';
import type { Db } from '../db/client';
import { DataDirLockedError, STALE_MS } from '../db/data-dir-lock';
import { openDatabase, type Database } from '../db/database';

/** Exit codes: 0 done, 1 failed (database, conflict…), 2 bad command line. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong command line: printed with the usage text, exit code 2, never a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the user can act on (no stack trace): exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CliOutput {
  /** Results (stdout). */
  out(text: string): void;
  /** Errors and hints about errors (stderr). */
  err(text: string): void;
}

export interface CliDeps extends CliOutput {
  /** The database, or how to open it (opened only once the arguments are valid). */
  db: Db | (() => Promise<Db>);
  /** Print stack traces of unexpected errors (PRINT_STACK_TRACES). */
  stackTraces?: boolean;
}

export interface Command<A> {
  name: string;
  usage: string;
  /** Parses argv; throws UsageError naming the argument. Returns null for --help. */
  parse(argv: string[]): A | null;
  execute(args: A, ctx: CliOutput & { db: Db }): Promise<void>;
}

/** Parses, runs and maps every outcome to an exit code and a message; never throws. */
export async function runCommand<A>(command: Command<A>, argv: string[], deps: CliDeps): Promise<number> {
  let args: A | null;
  try {
    args = command.parse(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      deps.err(`${command.name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (args === null) {
    deps.out(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    const db = typeof deps.db === 'function' ? await deps.db() : deps.db;
    await command.execute(args, { db, out: deps.out, err: deps.err });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      deps.err(`${command.name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      deps.err(`${command.name}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    const detail =
      error instanceof Error ? (deps.stackTraces && error.stack ? error.stack : error.message) : String(error);
    deps.err(`${command.name} failed: ${detail}\n`);
    return EXIT_FAILED;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with strict checking, its errors rewritten to name the argument
 * ("unknown option --nmae", "--name needs a value"). Positional arguments are refused.
 */
export function parseOptions<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const message = e.message ?? String(error);
    const option = /'(-{1,2}[^'\s]+)/.exec(message)?.[1];
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${option ?? message}`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const name = /--([A-Za-z][\w-]*)/.exec(message)?.[0];
        throw new UsageError(
          message.includes('does not take an argument')
            ? `${name ?? 'an option'} does not take a value`
            : `${name ?? 'an option'} needs a value`,
        );
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        // `npm run x --name Acme` (no `--`) hands npm the option and us only the value.
        throw new UsageError(
          `unexpected argument "${/'([^']*)'/.exec(message)?.[1] ?? ''}" (options take the form --option value; through npm, put -- before them)`,
        );
      default:
        throw new UsageError(message);
    }
  }
}

/** A string option's value, trimmed; `required` refuses it missing or blank. */
export function stringOption(values: Record<string, unknown>, name: string, required: true): string;
export function stringOption(values: Record<string, unknown>, name: string, required?: false): string | undefined;
export function stringOption(values: Record<string, unknown>, name: string, required = false): string | undefined {
  const raw = values[name];
  if (raw === undefined) {
    if (required)
      throw new UsageError(`missing --${name} (through npm, options go after --: npm run <script> -- --${name} …)`);
    return undefined;
  }
  const value = String(raw).trim();
  if (value === '') throw new UsageError(`--${name} must not be empty`);
  return value;
}

/** An integer option within [min, max]. */
export function integerOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * Entry point of a command file: config, the database (opened lazily, closed at the end) and
 * the exit code. A bad environment is exit 1 with the variable named (as for `npm start`).
 */
export function cliMain<A>(command: Command<A> | ((config: Config) => Command<A>)): void {
  const config = loadConfigOrExit();
  let database: Database | undefined;
  const deps: CliDeps = {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stackTraces: config.PRINT_STACK_TRACES === true,
    db: async () => {
      database = await openServiceDatabase(config);
      return database.db;
    },
  };
  void (async () => {
    let code: number;
    try {
      code = await runCommand(typeof command === 'function' ? command(config) : command, process.argv.slice(2), deps);
    } finally {
      await database?.close().catch(() => undefined);
    }
    process.exitCode = code;
  })();
}

/** Where the API of this configuration listens (for hints printed by the commands). */
export function localApiUrl(config: Config): string {
  const host = config.API_HOST === '0.0.0.0' || config.API_HOST === '::' ? '127.0.0.1' : config.API_HOST;
  return `http://${host}:${config.API_PORT}`;
}

/** Opens the service's database: DATABASE_URL, or the embedded one under DATA_DIR/postgres —
 * refused, saying so, while another process (`npm start`) holds the data folder's lock. */
export async function openServiceDatabase(config: Config): Promise<Database> {
  try {
    return await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR) });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      throw new CommandError(
        `the embedded database in ${path.resolve(config.DATA_DIR, 'postgres')} is in use: \`npm start\` (or another ` +
          `admin command) is running on this data folder (${error.dataDir}). The embedded database serves one ` +
          'process at a time; stop `npm start` (Ctrl+C) and run this command again, or use the API while it runs. ' +
          `(A process killed without stopping holds it for ${STALE_MS / 1000} s more. With a PostgreSQL server, ` +
          'set DATABASE_URL and both can run together.)',
      );
    }
    const where = config.DATABASE_URL
      ? 'the database at DATABASE_URL'
      : `the embedded database in ${path.resolve(config.DATA_DIR, 'postgres')}`;
    throw new CommandError(`could not open ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
