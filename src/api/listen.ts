import type { Express } from 'express';
import type { Server } from 'node:http';

export interface RunningServer {
  server: Server;
  close(): Promise<void>;
}

/** Starts listening; close() stops accepting and waits for in-flight requests. */
export async function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
