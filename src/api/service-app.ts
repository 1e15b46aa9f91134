// The API as the service runs it (`npm start` and `npm run api`): the app wired to the real
// database and the provider webhooks of this configuration, and the outbox relay that applies
// recorded reminder changes to Temporal (started and stopped with the API).
import type { Config } from '../config';
import type { Db } from '../db/client';
import { databaseChannelsFromConfig } from '../channels/directory';
import type { Logger } from '../runtime/logger';
import { describeWorkerPollers } from '../runtime/task-queue-pollers';
import type { TemporalClientHandle } from '../runtime/temporal-connection';
import { AesGcmPayloadCodec, type PayloadKeyRing } from '../security/payload-codec';
import { createOutboxRelay, type OutboxRelay } from '../scheduling/outbox-relay';
import { createTemporalReminderStates } from '../scheduling/temporal-reminder-states';
import { createTemporalScheduler } from '../scheduling/temporal-scheduler';
import { createApp } from './app';
import { deleteExpiredIdempotencyKeys } from './idempotency';
import { consoleBuilt } from './console';
import type { ApiMetrics } from './metrics';
import { webhooksFromConfig } from './webhooks/from-config';

/** How often expired Idempotency-Keys are deleted (lookups ignore them anyway). */
const KEY_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface ServiceApi {
  app: ReturnType<typeof createApp>;
  relay: OutboxRelay;
  /** Starts the relay and the key sweep; call once the HTTP server listens. */
  start(): void;
  /** Stops them (after the HTTP server stopped taking requests). */
  stop(): Promise<void>;
}

export function createServiceApp(input: {
  config: Config;
  db: Db;
  logger: Logger;
  temporal: TemporalClientHandle;
  mailboxSecretKey?: Buffer;
  metrics?: ApiMetrics;
  /** With payload keys and a codec token, the codec endpoint for the Temporal UI is served. */
  codec?: { keys: PayloadKeyRing; token: string; corsOrigins: string[] };
  /** The built web console, served at `/` when it exists. */
  consoleDir: string;
  /** The embedded Temporal UI, when this process started one (TEMPORAL_UI_URL wins). */
  temporalUiUrl?: string;
}): ServiceApi {
  const { config, db, logger, temporal, codec } = input;
  const built = consoleBuilt(input.consoleDir);
  const temporalUiUrl = config.TEMPORAL_UI_URL ?? input.temporalUiUrl;
  if (!built) logger.warn('the web console is not built (run `npm run web:build`); `/` serves nothing');
  const relay = createOutboxRelay({
    db,
    scheduler: createTemporalScheduler({ db, client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
    logger,
    metrics: input.metrics?.engine,
    options: {
      batchSize: config.OUTBOX_BATCH_SIZE,
      concurrency: config.OUTBOX_CONCURRENCY,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      retryMaxMs: config.OUTBOX_RETRY_MAX_SECONDS * 1000,
    },
  });
  const app = createApp({
    consoleDir: built ? input.consoleDir : undefined,
    metrics: input.metrics,
    codec: codec && { codec: new AesGcmPayloadCodec(codec.keys), token: codec.token, corsOrigins: codec.corsOrigins },
    db,
    logger,
    relay,
    mailboxSecretKey: input.mailboxSecretKey,
    mailboxConnect: { hosts: { allowPrivateHosts: config.MAILBOX_ALLOW_PRIVATE_HOSTS } },
    // Its own senders (and send-rate limiters) for the notification dialog's test sends, resolved
    // per company as the worker does.
    channels: databaseChannelsFromConfig(config, db, input.mailboxSecretKey),
    temporalUi: temporalUiUrl ? { url: temporalUiUrl, namespace: config.TEMPORAL_NAMESPACE } : undefined,
    reminderStates: createTemporalReminderStates({ client: temporal.client }),
    publicRouters: [webhooksFromConfig(config, db, logger, input.mailboxSecretKey)],
    exposeStackTraces: config.NODE_ENV === 'development' && config.PRINT_STACK_TRACES === true,
    health: {
      database: async () => void (await db.$queryRaw`SELECT 1`),
      temporal: temporal.check,
      workers: () => describeWorkerPollers(temporal.connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE),
      outbox: () => relay.backlog(),
    },
  });
  let sweep: NodeJS.Timeout | undefined;
  const sweepKeys = () =>
    void deleteExpiredIdempotencyKeys(db).then(
      (deleted) => deleted > 0 && logger.info('expired idempotency keys deleted', { deleted }),
      (error: unknown) =>
        logger.warn('deleting expired idempotency keys failed', {
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  return {
    app,
    relay,
    start() {
      relay.start();
      sweep = setInterval(sweepKeys, KEY_SWEEP_INTERVAL_MS);
      sweep.unref();
    },
    async stop() {
      clearInterval(sweep);
      await relay.stop();
    },
  };
}

/** The codec endpoint's settings, or why there is none (logged at start). */
export function codecEndpointSettings(input: {
  keys: PayloadKeyRing | undefined;
  token: string | undefined;
  corsOrigins: string[];
  logger: Logger;
}): { keys: PayloadKeyRing; token: string; corsOrigins: string[] } | undefined {
  const { keys, token, corsOrigins, logger } = input;
  if (!keys) {
    logger.warn('payloads are not encrypted: set PAYLOAD_KEYS (histories and the Temporal UI show contact names)');
    return undefined;
  }
  if (!token) {
    logger.warn('the codec endpoint is off: set CODEC_AUTH_TOKEN so the Temporal UI can decode payloads');
    return undefined;
  }
  return { keys, token, corsOrigins };
}
