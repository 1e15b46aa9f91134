// The API as the service runs it (`npm start` and `npm run api`): the app wired to the real
// database, the Temporal scheduler and the provider webhooks of this configuration.
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Logger } from '../runtime/logger';
import type { TemporalClientHandle } from '../runtime/temporal-connection';
import { createTemporalScheduler } from '../scheduling/temporal-scheduler';
import { createApp } from './app';
import { webhooksFromConfig } from './webhooks/from-config';

export function createServiceApp(input: {
  config: Config;
  db: Db;
  logger: Logger;
  temporal: TemporalClientHandle;
  mailboxSecretKey?: Buffer;
}) {
  const { config, db, logger, temporal } = input;
  return createApp({
    db,
    logger,
    scheduler: createTemporalScheduler({ db, client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
    mailboxSecretKey: input.mailboxSecretKey,
    publicRouters: [webhooksFromConfig(config, db, logger)],
    exposeStackTraces: config.NODE_ENV === 'development' && config.PRINT_STACK_TRACES === true,
    health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal: temporal.check },
  });
}
