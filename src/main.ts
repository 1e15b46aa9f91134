// `npm start`: API + worker in one process on embedded defaults (database and Temporal dev
// server started here unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere).
import { codecEndpointSettings, createServiceApp } from './api/service-app';
import { listen } from './api/listen';
import { createApiMetrics } from './api/metrics';
import { createCompanyWithAdmin } from './companies/bootstrap';
import type { Config } from './config';
import { publicBaseUrl, runMain } from './runtime/process';
import { createLogger } from './runtime/logger';
import { startServices } from './runtime/services';
import { connectTemporalClient } from './runtime/temporal-connection';
import { embeddedMailboxKey, mailboxKey } from './security/mailbox-key';
import { payloadDataConverter } from './security/payload-codec';
import { codecToken, embeddedPayloadKeys } from './security/payload-keys';
import { installTemporalRuntime } from './worker/temporal-runtime';
import { runReminderWorker } from './worker/worker';
import { onShutdown } from './runtime/shutdown';

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT, service: 'service' });
  // Once per process, before any worker or native connection exists.
  const runtime = installTemporalRuntime(config, logger);
  // Embedded defaults encrypt payloads too: keys and the codec token are generated into DATA_DIR.
  const payloadKeys = embeddedPayloadKeys(config);
  const codec = codecEndpointSettings({
    keys: payloadKeys,
    token: codecToken(config, { generate: true }),
    corsOrigins: config.CODEC_CORS_ORIGINS ?? [
      `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
      `http://localhost:${config.TEMPORAL_UI_PORT}`,
    ],
    logger,
  });
  // The embedded UI calls the codec with the token in the path: it cannot send headers.
  const uiCodecEndpoint = codec && `${publicBaseUrl(config)}/codec/${codec.token}`;
  const services = await startServices(config, logger, { uiCodecEndpoint });
  const { db } = services.database;

  const mailboxSecretKey = mailboxKey(config) ?? embeddedMailboxKey(config.DATA_DIR);
  const temporal = await connectTemporalClient(
    services.temporalAddress,
    config.TEMPORAL_NAMESPACE,
    payloadDataConverter(payloadKeys),
  );
  const worker = await runReminderWorker({
    config,
    db,
    temporalAddress: services.temporalAddress,
    mailboxSecretKey,
    payloadKeys,
    logger,
  });

  const metrics = createApiMetrics();
  const api = createServiceApp({ config, db, logger, temporal, mailboxSecretKey, metrics, codec });
  const server = await listen(api.app, config.API_HOST, config.API_PORT);
  api.start();

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
  const apiUrl = publicBaseUrl(config);
  process.stdout.write(
    `Metrics:     ${apiUrl}/metrics (API)${runtime.metricsUrl ? `, ${runtime.metricsUrl} (worker)` : ''}\n` +
      `API:         ${apiUrl}\nTemporal UI: ${services.temporalUiUrl ?? '(external cluster)'}\n`,
  );

  onShutdown(logger, async () => {
    await server.close();
    await api.stop();
    await worker.stop();
    await temporal.close();
    await services.stop();
  });
}

runMain(main);
