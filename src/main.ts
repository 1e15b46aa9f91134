// `npm start`: API + worker in one process on embedded defaults (database and Temporal dev
// server started here unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere).
import { createServiceApp } from './api/service-app';
import { listen } from './api/listen';
import { createCompanyWithAdmin } from './companies/bootstrap';
import type { Config } from './config';
import { publicBaseUrl, runMain } from './runtime/process';
import { createLogger } from './runtime/logger';
import { startServices } from './runtime/services';
import { connectTemporalClient } from './runtime/temporal-connection';
import { embeddedMailboxKey, mailboxKey } from './security/mailbox-key';
import { runReminderWorker } from './worker/worker';
import { onShutdown } from './runtime/shutdown';

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const services = await startServices(config, logger);
  const { db } = services.database;

  const mailboxSecretKey = mailboxKey(config) ?? embeddedMailboxKey(config.DATA_DIR);
  const temporal = await connectTemporalClient(services.temporalAddress, config.TEMPORAL_NAMESPACE);
  const worker = await runReminderWorker({ config, db, temporalAddress: services.temporalAddress, mailboxSecretKey });

  const app = createServiceApp({ config, db, logger, temporal, mailboxSecretKey });
  const server = await listen(app, config.API_HOST, config.API_PORT);

  if ((await db.company.count()) === 0) {
    const created = await createCompanyWithAdmin(db, {
      name: config.BOOTSTRAP_COMPANY_NAME,
      timeZone: config.BOOTSTRAP_TIME_ZONE,
    });
    // Printed once, on the first start with an empty database; only its hash is stored.
    process.stdout.write(
      `\nFirst start: created company "${created.company.name}".\nAdmin API key (shown once, keep it): ${created.apiKey}\n\n`,
    );
  }
  process.stdout.write(
    `API:         ${publicBaseUrl(config)}\nTemporal UI: ${services.temporalUiUrl ?? '(external cluster)'}\n`,
  );

  onShutdown(logger, async () => {
    await server.close();
    await worker.stop();
    await temporal.close();
    await services.stop();
  });
}

runMain(main);
