// Shared start-up of the three entry points: validated config or a clear exit, and one
// place that turns a failed start into a message and exit code 1.
import { ConfigError, loadConfig, type Config } from '../config';

/** The validated config, or exit 1 with the bad variables named (every entry point starts here). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function runMain(main: (config: Config) => Promise<void>): void {
  const config = loadConfigOrExit();
  main(config).catch((error: unknown) => {
    process.stderr.write(`Startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/** Separate API/worker processes share a database and a cluster; they cannot embed them. */
export function requireExternalServices(
  config: Config,
  processName: string,
): { databaseUrl: string; temporalAddress: string } {
  const missing = [!config.DATABASE_URL && 'DATABASE_URL', !config.TEMPORAL_ADDRESS && 'TEMPORAL_ADDRESS'].filter(
    Boolean,
  );
  if (missing.length > 0) {
    throw new Error(
      `${processName} runs against configured services: set ${missing.join(' and ')} (or use \`npm start\` for the embedded defaults)`,
    );
  }
  return { databaseUrl: config.DATABASE_URL!, temporalAddress: config.TEMPORAL_ADDRESS! };
}

export function publicBaseUrl(config: Config): string {
  return config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
}
