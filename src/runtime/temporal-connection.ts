// Client-side Temporal connection and the health probe the API reports.
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  check(): Promise<void>;
  close(): Promise<void>;
}

export async function connectTemporalClient(
  address: string,
  namespace: string,
  /** Encrypting payload codec (security/payload-codec.ts), when payload keys are configured. */
  dataConverter?: DataConverter,
): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) });
  return {
    client,
    connection,
    async check() {
      await connection.workflowService.describeNamespace({ namespace });
    },
    close: () => connection.close(),
  };
}
