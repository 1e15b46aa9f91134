// The one place that reads process.env. Every setting is validated here, so a wrong value stops
// the process at start with a message naming the variable, never later in the middle of a send.
import { z } from 'zod';

const PORT_MESSAGE = 'must be a port number (1-65535)';
const port = z.coerce.number({ error: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233');
const postgresUrl = z
  .string()
  .url('must be a URL')
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgresql:// or postgres://');

const perMinute = z.coerce.number().positive('must be a positive number of messages per minute');

const PAYLOAD_KEY = /^([A-Za-z0-9._-]{1,32}):([0-9a-fA-F]{64})$/;
/** `id:hex,id:hex`: the first key encrypts, every key decrypts (rotation keeps old ids listed).
 * Also parses the key file `npm start` generates (security/payload-keys.ts). */
export const payloadKeysSchema = z.string().transform((value, ctx) => {
  const keys = value.split(',').map((entry) => entry.trim());
  const parsed = keys.map((entry) => PAYLOAD_KEY.exec(entry));
  if (parsed.some((match) => match === null)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be a comma-separated list of id:key, each id 1-32 of A-Z a-z 0-9 . _ - and each key 64 hex characters',
    });
    return z.NEVER;
  }
  const list = parsed.map((match) => ({ id: match![1]!, keyHex: match![2]!.toLowerCase() }));
  if (new Set(list.map((k) => k.id)).size !== list.length) {
    ctx.addIssue({ code: 'custom', message: 'key ids must be unique' });
    return z.NEVER;
  }
  return list;
});
const origins = z.string().transform((value, ctx) => {
  const list = value.split(',').map((entry) => entry.trim());
  for (const origin of list) {
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin (scheme://host[:port], no path)` });
      return z.NEVER;
    }
  }
  return list;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_BASE_URL: z.string().url('must be a URL').optional(),
  DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: postgresUrl.optional(),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('reminders'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** The Temporal UI the console links reminders to; `npm start` knows its embedded one. */
  TEMPORAL_UI_URL: z.string().url('must be a URL').optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
  TEMPORAL_CACHE_DIR: z.string().min(1).optional(),
  MAILBOX_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (a 256-bit key)')
    .optional(),
  // Mailbox SMTP hosts on loopback/private/link-local addresses (refused unless set).
  MAILBOX_ALLOW_PRIVATE_HOSTS: bool.default(false),
  PAYLOAD_KEYS: payloadKeysSchema.optional(),
  CODEC_AUTH_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,256}$/, 'must be 32-256 characters of A-Z a-z 0-9 _ -')
    .optional(),
  CODEC_CORS_ORIGINS: origins.optional(),
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^(off|[A-Za-z0-9.-]+:\d{1,5})$/, 'must be host:port (e.g. 0.0.0.0:9464) or off')
    .default('127.0.0.1:9464'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID (AC + 32 hex)')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_SMS_FROM: z
    .string()
    .regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID')
    .optional(),
  TWILIO_WHATSAPP_FROM: z
    .string()
    .regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/, 'must be an E.164 number')
    .optional(),
  TWILIO_API_BASE_URL: z.string().url('must be a URL').optional(),
  INSTAGRAM_ACCOUNT_ID: z.string().regex(/^\d+$/, 'must be the numeric Instagram account id').optional(),
  INSTAGRAM_PAGE_ACCESS_TOKEN: z.string().min(1).optional(),
  INSTAGRAM_APP_SECRET: z.string().min(1).optional(),
  INSTAGRAM_VERIFY_TOKEN: z.string().min(1).optional(),
  INSTAGRAM_GRAPH_BASE_URL: z.string().url('must be a URL').optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: port.default(587),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  RATE_LIMIT_SMS_PER_MINUTE: perMinute.default(600),
  RATE_LIMIT_WHATSAPP_PER_MINUTE: perMinute.default(60),
  RATE_LIMIT_INSTAGRAM_PER_MINUTE: perMinute.default(60),
  RATE_LIMIT_EMAIL_PER_MINUTE: perMinute.default(600),
  // Must stay well below the delivery activity's 2-minute start-to-close timeout (retry-policies.ts).
  RATE_LIMIT_MAX_WAIT_SECONDS: z.coerce.number().min(0).max(45).default(10),
  // Workflow runs a worker keeps in memory. Sleeping reminders need none (a woken one replays its
  // few dozen events), so a bounded cache keeps memory flat however many reminders sleep.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0, 'must be 0 or more').default(500),
  // Prebuilt workflow bundle (`npm run build`); required with NODE_ENV=production.
  WORKFLOW_BUNDLE_PATH: z.string().min(1).default('dist/workflow-bundle.js'),
  // Minutes between runs of the periodic reconciler (a Temporal Schedule); 0 turns it off.
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(0, 'must be 0 (off) or more minutes').default(10),
  // Reminder starts/signals in flight at once per fan-out page.
  FAN_OUT_CONCURRENCY: z.coerce.number().int().min(1, 'must be at least 1').max(1000).default(64),
  // The outbox relay (in every API process): rows claimed per pass, subjects applied at once, how
  // often it looks for rows nobody nudged it about, and the longest wait before a failed row is
  // retried (the wait doubles from 1 s per failure).
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1, 'must be at least 1').max(1000).default(100),
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1, 'must be at least 1').max(100).default(8),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50, 'must be at least 50 ms').max(60_000).default(1000),
  OUTBOX_RETRY_MAX_SECONDS: z.coerce.number().int().min(1, 'must be at least 1 second').max(86_400).default(300),
  BOOTSTRAP_COMPANY_NAME: z.string().min(1).default('My company'),
  BOOTSTRAP_TIME_ZONE: z.string().min(1).default('UTC'),
  PRINT_STACK_TRACES: bool.optional(),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (process.env by default); throws ConfigError naming each bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" (as docker-compose and .env files often write them).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return result.data;
}

/** The keys this service reads, for documentation checks (.env.example must list each). */
export const CONFIG_KEYS = Object.keys(schema.shape) as Array<keyof Config>;
