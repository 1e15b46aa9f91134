// `npm start`: API + worker in one process on embedded defaults (database and Temporal dev
// server started here unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere).
import { codecEndpointSettings, createServiceApp } from './api/service-app';
import { listen } from './api/listen';
import { createApiMetrics } from './api/metrics';
import { repairTotals } from './db/reconcile-runs';
import { createCompanyWithAdmin } from './companies/bootstrap';
import type { Config } from './config';
import { publicBaseUrl, runMain } from './runtime/process';
import { createLogger } from './runtime/logger';
import { startServices } from './runtime/services';
import { CONSOLE_DIST, ensureConsoleBuilt } from './runtime/console-build';
import { connectTemporalClient } from './runtime/temporal-connection';
import { embeddedMailboxKey, mailboxKey } from './security/mailbox-key';
import { payloadDataConverter } from './security/payload-codec';
import { codecToken, embeddedPayloadKeys } from './security/payload-keys';
import { installTemporalRuntime } from './worker/temporal-runtime';
import { runReminderWorker } from './worker/worker';
import { onShutdown } from './runtime/shutdown';

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT, service: 'service' });
  // Registered before anything starts, so a signal during start-up stops what is already running
  // (the HTTP server first, the embedded servers last) instead of being swallowed.
  const running: {
    server?: { close(): Promise<void> };
    api?: { stop(): Promise<void> };
    worker?: { stop(): Promise<void> };
    temporal?: { close(): Promise<void> };
    services?: { stop(): Promise<void> };
  } = {};
  onShutdown(logger, async () => {
    await running.server?.close();
    await running.api?.stop();
    await running.worker?.stop();
    await running.temporal?.close();
    await running.services?.stop();
  });
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
  // Built while the embedded servers start; a failed build leaves the API up (and any older build).
  const consoleBuild = ensureConsoleBuilt(logger).catch((error: unknown) =>
    logger.error('the web console could not be built', {
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  const services = (running.services = await startServices(config, logger, { uiCodecEndpoint }));
  const { db } = services.database;

  const mailboxSecretKey = mailboxKey(config) ?? embeddedMailboxKey(config.DATA_DIR);
  const temporal = (running.temporal = await connectTemporalClient(
    services.temporalAddress,
    config.TEMPORAL_NAMESPACE,
    payloadDataConverter(payloadKeys),
  ));
  // The API first: it needs neither the worker nor its workflow bundle (changes wait in the
  // outbox until a worker runs them), so it answers while the worker is still being built.
  const metrics = createApiMetrics({ repairTotals: () => repairTotals(db) });
  await consoleBuild;
  const api = (running.api = createServiceApp({
    config,
    db,
    logger,
    temporal,
    mailboxSecretKey,
    metrics,
    codec,
    consoleDir: CONSOLE_DIST,
    temporalUiUrl: services.temporalUiUrl,
  }));
  running.server = await listen(api.app, config.API_HOST, config.API_PORT);
  api.start();
  logger.info('API listening', { host: config.API_HOST, port: config.API_PORT, startupMs: startupMs() });

  running.worker = await runReminderWorker({
    config,
    db,
    temporalAddress: services.temporalAddress,
    mailboxSecretKey,
    payloadKeys,
    logger,
  });
  logger.info('worker running', { startupMs: startupMs() });

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
      `Console:     ${apiUrl}/ (sign in with an API key)\n` +
      `API:         ${apiUrl}\nTemporal UI: ${services.temporalUiUrl ?? '(external cluster)'}\n`,
  );
}

/** Milliseconds since this process started (tsx's own start not included). */
function startupMs(): number {
  return Math.round(process.uptime() * 1000);
}

runMain(main);
