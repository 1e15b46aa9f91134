// How the SMTP adapter connects to a company's mailbox (issue 9, item 2): only to public
// addresses unless the operator allows private ones, to the address it checked (one lookup per
// connection), with the certificate checked against the host name, and never logging in without
// TLS unless the mailbox allows it. Real smtp-server instances on 127.0.0.1, one with STARTTLS
// and a certificate made for the test by openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { DeliveryError, type SmtpMailbox } from '../../../src/delivery/ports';
import { isPublicAddress, resolveAllowedHost } from '../../../src/delivery/public-host';
import { createSmtpEmailSender, verifyMailboxConnection } from '../../../src/delivery/smtp-adapter';

const USER = 'office@acme.test';
const PASSWORD = 'mailbox-secret-password';
const CERT_NAME = 'mail.acme.test';

interface Server {
  port: number;
  logins: Array<{ password: string | undefined; secure: boolean }>;
  connections: number;
  close(): Promise<void>;
}

async function startServer(tls?: { key: Buffer; cert: Buffer }): Promise<Server> {
  const logins: Server['logins'] = [];
  const state = { connections: 0 };
  const server = new SMTPServer({
    logger: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ['STARTTLS'] }),
    allowInsecureAuth: true,
    onConnect(_session, callback) {
      state.connections++;
      callback();
    },
    onAuth(auth, session, callback) {
      logins.push({ password: auth.password ?? undefined, secure: session.secure });
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    logins,
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let certDir: string;
let tls: { key: Buffer; cert: Buffer };
let plain: Server;
let withTls: Server;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'smtp-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${CERT_NAME}`,
      '-addext',
      `subjectAltName=DNS:${CERT_NAME}`,
      '-keyout',
      path.join(certDir, 'key.pem'),
      '-out',
      path.join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  tls = { key: readFileSync(path.join(certDir, 'key.pem')), cert: readFileSync(path.join(certDir, 'cert.pem')) };
  [plain, withTls] = await Promise.all([startServer(), startServer(tls)]);
});
afterAll(async () => {
  await Promise.all([plain?.close(), withTls?.close()]);
  rmSync(certDir, { recursive: true, force: true });
});

/** A resolver that answers every name with loopback and counts its calls. */
function loopbackResolver() {
  const calls: string[] = [];
  return {
    calls,
    lookup: async (host: string) => {
      calls.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    },
  };
}

const message = (smtp: SmtpMailbox) => ({
  from: USER,
  to: 'client@example.com',
  subject: 's',
  text: 't',
  messageId: `<m${Math.random()}@acme.test>`,
  smtp,
});

async function failureOf(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(DeliveryError);
    return error as DeliveryError;
  }
  throw new Error('expected a failure');
}

describe('which hosts a mailbox may connect to', () => {
  test.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false], // cloud metadata
    ['100.64.0.1', false], // carrier-grade NAT
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:127.0.0.1', false], // loopback in IPv6 clothing
    ['8.8.8.8', true],
    ['2001:4860:4860::8888', true],
  ])('%s public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  test('a name is refused when ANY of its addresses is internal, and allowed with the operator setting', async () => {
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await expect(
      resolveAllowedHost('mail.mixed.test', { allowPrivateHosts: false, lookup: mixed }),
    ).rejects.toMatchObject({
      reason: 'not-public',
    });
    await expect(resolveAllowedHost('mail.mixed.test', { allowPrivateHosts: true, lookup: mixed })).resolves.toBe(
      '93.184.216.34',
    );
  });

  test('at send time a mailbox on loopback is refused before any connection: permanent, password never sent', async () => {
    const sender = createSmtpEmailSender({ gateway: { host: '127.0.0.1', port: plain.port, secure: false } });
    const before = plain.connections;
    const error = await failureOf(
      sender.sendEmail(
        message({
          host: '127.0.0.1',
          port: plain.port,
          secure: false,
          user: USER,
          password: PASSWORD,
          allowInsecure: true,
        }),
      ),
    );
    expect(error).toMatchObject({ kind: 'permanent', code: 'host-not-public' });
    // A name that now resolves to loopback (DNS changed after the mailbox was saved): refused too.
    const rebound = createSmtpEmailSender({
      gateway: { host: '127.0.0.1', port: plain.port, secure: false },
      mailboxHosts: { allowPrivateHosts: false, lookup: loopbackResolver().lookup },
    });
    const again = await failureOf(
      rebound.sendEmail(
        message({
          host: 'smtp.rebound.test',
          port: plain.port,
          secure: false,
          user: USER,
          password: PASSWORD,
          allowInsecure: true,
        }),
      ),
    );
    expect(again).toMatchObject({ kind: 'permanent', code: 'host-not-public' });
    expect(again.message).toContain('127.0.0.1');
    expect(plain.connections).toBe(before);
    expect(plain.logins).toHaveLength(0);
    sender.close();
    rebound.close();
  });
});

describe('TLS for mailbox logins', () => {
  test('without TLS on offer the login is not attempted unless the mailbox allows clear text', async () => {
    const sender = createSmtpEmailSender({
      gateway: { host: '127.0.0.1', port: plain.port, secure: false },
      mailboxHosts: { allowPrivateHosts: true },
    });
    const mailbox = { host: '127.0.0.1', port: plain.port, secure: false, user: USER, password: PASSWORD };
    const refused = await failureOf(sender.sendEmail(message(mailbox)));
    expect(refused.kind).toBe('permanent');
    expect(plain.logins).toHaveLength(0);

    await sender.sendEmail(message({ ...mailbox, allowInsecure: true }));
    expect(plain.logins).toEqual([{ password: PASSWORD, secure: false }]);
    plain.logins.length = 0;
    sender.close();
  });

  test('STARTTLS: one lookup, connection to the checked address, certificate checked against the host name', async () => {
    const resolver = loopbackResolver();
    const connect = {
      hosts: { allowPrivateHosts: true, lookup: resolver.lookup },
      transportDefaults: { tls: { ca: [tls.cert] } },
    };
    const sender = createSmtpEmailSender({
      gateway: { host: '127.0.0.1', port: plain.port, secure: false },
      mailboxHosts: connect.hosts,
      transportDefaults: connect.transportDefaults,
    });
    const mailbox = { host: CERT_NAME, port: withTls.port, secure: false, user: USER, password: PASSWORD };
    await sender.sendEmail(message(mailbox));
    expect(resolver.calls).toEqual([CERT_NAME]);
    expect(withTls.logins).toEqual([{ password: PASSWORD, secure: true }]);

    // The same server under another name: the certificate does not match, nothing is sent.
    const wrongName = await failureOf(sender.sendEmail(message({ ...mailbox, host: 'other.acme.test' })));
    expect(wrongName.message).toMatch(/altnames|certificate|Hostname/i);
    expect(withTls.logins).toHaveLength(1);

    // The connection test does the same handshake and login, and sends nothing.
    await verifyMailboxConnection(mailbox, connect);
    expect(withTls.logins).toHaveLength(2);
    const bad = await verifyMailboxConnection(
      { ...mailbox, host: '127.0.0.1' },
      { hosts: { allowPrivateHosts: false } },
    ).catch((error: unknown) => error);
    expect(bad).toMatchObject({ code: 'host-not-public' });
    sender.close();
  });
});
