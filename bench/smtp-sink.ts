// The storm's local stand-in for the company gateway's mail relay: a real SMTP server
// (`smtp-server`, as in test/support/stand-ins.ts) that accepts everything and only counts, so the
// service's real nodemailer adapter does a real SMTP exchange per reminder.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  host: string;
  port: number;
  /** Accepted messages per recipient address (a duplicate send shows as a count above 1). */
  received: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received = new Map<string, number>();
  let total = 0;
  const server = new SMTPServer({
    logger: false,
    // Plain TCP on loopback: the gateway settings (SMTP_SECURE=false) need no certificate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    // A storm opens many connections at once; the default backlog limits are for the internet.
    maxClients: 10_000,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        total++;
        for (const rcpt of session.envelope.rcptTo) received.set(rcpt.address, (received.get(rcpt.address) ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    received,
    total: () => total,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
