// What a plain Temporal server lacks before the service can use it: the namespace and the
// project's search attributes (wire names from src/shared/search-attributes.ts). Shared by the
// cluster launcher and docker-compose's `temporal-setup` service (`npm run temporal:setup`).
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../../src/runtime/register-search-attributes';

/** How long closed workflows stay visible (the dev server keeps them one day). */
const RETENTION = '7 days';
const NOT_FOUND = 5;

/** Idempotent: registers the namespace only if missing (registering twice is an error). */
export async function prepareNamespace(
  connection: Connection,
  namespace: string,
  log: (line: string) => void,
): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if ((error as { code?: number }).code !== NOT_FOUND) throw error;
    log(`Temporal: registering namespace ${namespace}`);
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(RETENTION),
    });
  }
  // A new namespace reaches every service's namespace cache only on its next refresh (~10 s):
  // until then the operator API answers NOT_FOUND.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await registerSearchAttributes(connection, namespace);
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== NOT_FOUND || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
