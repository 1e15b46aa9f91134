// Structured one-line JSON logs through pino, behind a small interface so call sites stay
// `logger.info(message, fields)`. Callers pass fields explicitly and never whole request bodies
// or configs; the redact paths below are a second line of defence for anything that slips in.
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The process logger: the Logger interface plus children with bound fields and the pino
 * instance itself (pino-http and the Temporal runtime log through it). */
export interface ServiceLogger extends Logger {
  child(bindings: Record<string, unknown>): ServiceLogger;
  readonly pino: pino.Logger;
}

/** Values at these paths are replaced by "[redacted]" in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  ...[
    'authorization',
    'cookie',
    'password',
    'smtpPassword',
    'token',
    'accessToken',
    'authToken',
    'apiKey',
    'secret',
  ].flatMap((key) => [key, `*.${key}`]),
];

export interface LoggerOptions {
  level?: Level;
  /** `pretty` for people at a terminal (pino-pretty, a dev dependency); JSON otherwise. */
  format?: 'json' | 'pretty';
  /** Which process writes the line: `api`, `worker` or `service` (both in one). */
  service?: string;
  /** Where lines go (tests capture them); stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(level: Level = 'info', options: Omit<LoggerOptions, 'level'> = {}): ServiceLogger {
  const instance = pino(
    {
      level,
      base: { service: options.service ?? 'service', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? prettyOrStdout(options.format),
  );
  return wrap(instance);
}

function prettyOrStdout(format: LoggerOptions['format']): DestinationStream {
  if (format === 'pretty') {
    try {
      // Loaded only when asked: pino-pretty is a dev dependency, absent from production installs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pretty = require('pino-pretty') as (options: object) => DestinationStream;
      return pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
    } catch {
      process.stderr.write('LOG_FORMAT=pretty needs the dev dependency pino-pretty; logging JSON\n');
    }
  }
  return pino.destination({ dest: 1, sync: true });
}

function wrap(instance: pino.Logger): ServiceLogger {
  const at =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void =>
      fields ? instance[level](fields, message) : instance[level](message);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(instance.child(bindings)),
    pino: instance,
  };
}

const noop = () => undefined;
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

const TEMPORAL_LEVELS: Record<TemporalLogLevel, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger interface on top of ours, for `Runtime.install({ logger })`: the
 * SDK's own lines, workflow/activity context logs and forwarded Core logs become JSON lines with
 * their metadata (workflowId, activityType, sdkComponent, …) as fields. */
export function asTemporalLogger(logger: ServiceLogger): TemporalLogger {
  const sdk = logger.pino.child({ component: 'temporal' });
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata) =>
    meta ? sdk[TEMPORAL_LEVELS[level]](meta, message) : sdk[TEMPORAL_LEVELS[level]](message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
