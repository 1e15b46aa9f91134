// The API as the service runs it (`npm start` and `npm run api`): the app wired to the real
// database, the Temporal scheduler and the provider webhooks of this configuration.
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Logger } from '../runtime/logger';
import { describeWorkerPollers } from '../runtime/task-queue-pollers';
import type { TemporalClientHandle } from '../runtime/temporal-connection';
import { AesGcmPayloadCodec, type PayloadKeyRing } from '../security/payload-codec';
import { createTemporalScheduler } from '../scheduling/temporal-scheduler';
import { createApp } from './app';
import type { ApiMetrics } from './metrics';
import { webhooksFromConfig } from './webhooks/from-config';

export function createServiceApp(input: {
  config: Config;
  db: Db;
  logger: Logger;
  temporal: TemporalClientHandle;
  mailboxSecretKey?: Buffer;
  metrics?: ApiMetrics;
  /** With payload keys and a codec token, the codec endpoint for the Temporal UI is served. */
  codec?: { keys: PayloadKeyRing; token: string; corsOrigins: string[] };
}) {
  const { config, db, logger, temporal, codec } = input;
  return createApp({
    metrics: input.metrics,
    codec: codec && { codec: new AesGcmPayloadCodec(codec.keys), token: codec.token, corsOrigins: codec.corsOrigins },
    db,
    logger,
    scheduler: createTemporalScheduler({ db, client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
    mailboxSecretKey: input.mailboxSecretKey,
    publicRouters: [webhooksFromConfig(config, db, logger)],
    exposeStackTraces: config.NODE_ENV === 'development' && config.PRINT_STACK_TRACES === true,
    health: {
      database: async () => void (await db.$queryRaw`SELECT 1`),
      temporal: temporal.check,
      workers: () => describeWorkerPollers(temporal.connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE),
    },
  });
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
