// `npm start`: API + worker in one process on embedded defaults (database and Temporal dev
// server started here unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere).
import { NativeConnection } from '@temporalio/worker';
import { createApp } from './api/app';
import { listen } from './api/listen';
import { createCompanyWithAdmin } from './companies/bootstrap';
import type { Config } from './config';
import { publicBaseUrl, runMain } from './process';
import { createLogger } from './logger';
import { startServices } from './services';
import { connectTemporalClient } from './temporal/connection';
import { buildDeliveryPorts, embeddedMailboxKey, mailboxKey } from './worker/delivery-ports';
import { createTemporalScheduler } from './temporal/reminder-scheduler';
import { webhooksFromConfig } from './api/webhooks/from-config';
import { createReminderWorker } from './worker/worker';
import { onShutdown } from './shutdown';

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const services = await startServices(config, logger);
  const { db } = services.database;

  const mailboxSecretKey = mailboxKey(config) ?? embeddedMailboxKey(config.DATA_DIR);
  const temporal = await connectTemporalClient(services.temporalAddress, config.TEMPORAL_NAMESPACE);
  const workerConnection = await NativeConnection.connect({ address: services.temporalAddress });
  const worker = await createReminderWorker({
    connection: workerConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db,
      ports: buildDeliveryPorts(config),
      publicBaseUrl: publicBaseUrl(config),
      mailboxSecretKey,
      temporal: { client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE },
    },
  });
  const workerRun = worker.run();

  const app = createApp({
    db,
    logger,
    scheduler: createTemporalScheduler({ db, client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }),
    mailboxSecretKey,
    publicRouters: [webhooksFromConfig(config, db, logger)],
    exposeStackTraces: config.NODE_ENV === 'development' && config.PRINT_STACK_TRACES === true,
    health: { database: async () => void (await db.$queryRaw`SELECT 1`), temporal: temporal.check },
  });
  const server = await listen(app, config.API_HOST, config.API_PORT);

  if ((await db.company.count()) === 0) {
    const created = await createCompanyWithAdmin(db, { name: config.BOOTSTRAP_COMPANY_NAME, timeZone: config.BOOTSTRAP_TIME_ZONE });
    // Printed once, on the first start with an empty database; only its hash is stored.
    process.stdout.write(`\nFirst start: created company "${created.company.name}".\nAdmin API key (shown once, keep it): ${created.apiKey}\n\n`);
  }
  process.stdout.write(`API:         ${publicBaseUrl(config)}\nTemporal UI: ${services.temporalUiUrl ?? '(external cluster)'}\n`);

  onShutdown(logger, async () => {
    await server.close();
    // The SDK also reacts to SIGINT/SIGTERM by itself; only ask once.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await workerConnection.close();
    await temporal.close();
    await services.stop();
  });
}

runMain(main);
