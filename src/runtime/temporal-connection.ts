// Client-side Temporal connection and the health probe the API reports.
import { Client, Connection } from '@temporalio/client';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  check(): Promise<void>;
  close(): Promise<void>;
}

export async function connectTemporalClient(address: string, namespace: string): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    connection,
    async check() {
      await connection.workflowService.describeNamespace({ namespace });
    },
    close: () => connection.close(),
  };
}
