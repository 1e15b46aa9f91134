// `npm run temporal:setup`: prepares a plain Temporal server for this service (namespace
// TEMPORAL_NAMESPACE and the search attributes), waiting up to a minute for it to answer.
// docker-compose runs it once the server is healthy; `npm run cluster` does the same in-process.
import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../src/runtime/process';
import { prepareNamespace } from './cluster/namespace';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.TEMPORAL_ADDRESS) throw new Error('set TEMPORAL_ADDRESS (host:port of the Temporal frontend)');
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    try {
      connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2000 });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    await prepareNamespace(connection, config.TEMPORAL_NAMESPACE, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`Temporal at ${config.TEMPORAL_ADDRESS}: namespace ${config.TEMPORAL_NAMESPACE} ready\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`temporal:setup failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
