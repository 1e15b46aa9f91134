// The SMTP adapter against two real local SMTP servers (smtp-server): a platform gateway that
// accepts unauthenticated submissions, and a "connected mailbox" server that requires AUTH with
// the mailbox's credentials. What arrives is parsed with mailparser.

import { type AddressInfo } from 'node:net';
import util from 'node:util';
import nodemailer from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createSmtpEmailSender, type SmtpEmailSender } from '../../../src/delivery/smtp-adapter';
import { classifyDeliveryFailure, DeliveryError, type SmtpMailbox } from '../../../src/delivery/ports';
import { failureOf } from '../../support/eventually';
import { freePort } from '../../support/stand-ins';

interface Received {
  mailFrom: string | undefined;
  rcptTo: string[];
  user: unknown;
  parsed: ParsedMail;
}

interface TestServer {
  port: number;
  received: Received[];
  logins: Array<{ username: string | undefined; password: string | null | undefined }>;
  close(): Promise<void>;
}

// Recipients whose local part asks the server to refuse them at RCPT TO.
function rcptVerdict(address: string): Error | null {
  const local = address.split('@')[0];
  if (local === 'bounce') return Object.assign(new Error('5.1.1 Mailbox does not exist'), { responseCode: 550 });
  if (local === 'greylist') return Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 });
  return null;
}

async function startServer(extra: Partial<SMTPServerOptions>): Promise<TestServer> {
  const received: Received[] = [];
  const logins: TestServer['logins'] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'], // plain TCP on localhost; the adapter needs no test-only TLS switch
    allowInsecureAuth: true,
    onRcptTo(address, _session, callback) {
      callback(rcptVerdict(address.address));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            user: session.user,
            parsed,
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
    ...extra,
    ...(extra.onAuth
      ? {
          onAuth(auth, session, callback) {
            logins.push({ username: auth.username, password: auth.password });
            extra.onAuth?.(auth, session, callback);
          },
        }
      : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, logins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const MAILBOX_USER = 'owner@acme.test';
let mailboxPassword = 'mailbox-app-password-1';

describe('smtp adapter', () => {
  let gateway: TestServer;
  let mailboxServer: TestServer;
  let sender: SmtpEmailSender;
  let mailbox: SmtpMailbox;

  beforeAll(async () => {
    gateway = await startServer({ authOptional: true });
    mailboxServer = await startServer({
      authOptional: false,
      onAuth(auth, _session, callback) {
        if (auth.username === MAILBOX_USER && auth.password === mailboxPassword)
          callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
    });
    // A mailbox server on loopback without TLS: both need the explicit allowances (the refusals
    // themselves are tested in smtp-mailbox-security.test.ts).
    sender = createSmtpEmailSender({
      gateway: { host: '127.0.0.1', port: gateway.port, secure: false },
      mailboxHosts: { allowPrivateHosts: true },
    });
    mailbox = {
      host: '127.0.0.1',
      port: mailboxServer.port,
      secure: false,
      user: MAILBOX_USER,
      password: mailboxPassword,
      allowInsecure: true,
    };
  });

  afterAll(async () => {
    sender.close();
    await Promise.all([gateway.close(), mailboxServer.close()]);
  });

  beforeEach(() => {
    gateway.received.length = 0;
    mailboxServer.received.length = 0;
    mailboxServer.logins.length = 0;
  });

  const headers = {
    'List-Unsubscribe': '<https://platform.test/u/tok123>, <mailto:unsubscribe@platform.test?subject=tok123>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };

  it('sends through the gateway with the given Message-ID and List-Unsubscribe headers', async () => {
    const result = await sender.sendEmail({
      from: 'Acme Reminders <reminders@platform.test>',
      to: 'client@example.com',
      subject: 'Your birthday is coming up',
      text: 'Hello Ana,\nsee you soon.',
      messageId: '<rem-123.1@platform.test>',
      headers,
    });

    expect(result).toEqual({ providerMessageId: '<rem-123.1@platform.test>', accepted: true });
    expect(mailboxServer.received).toHaveLength(0);
    expect(gateway.received).toHaveLength(1);
    const [mail] = gateway.received;
    expect(mail?.user).toBeUndefined(); // gateway configured without credentials → no AUTH
    expect(mail?.mailFrom).toBe('reminders@platform.test');
    expect(mail?.rcptTo).toEqual(['client@example.com']);
    expect(mail?.parsed.from?.value[0]).toMatchObject({ address: 'reminders@platform.test', name: 'Acme Reminders' });
    expect(mail?.parsed.subject).toBe('Your birthday is coming up');
    expect(mail?.parsed.text?.trim()).toBe('Hello Ana,\nsee you soon.');
    expect(mail?.parsed.messageId).toBe('<rem-123.1@platform.test>');
    // Long headers arrive folded (RFC 5322 §2.2.3); unfold before comparing.
    const lines = Object.fromEntries(
      mail?.parsed.headerLines.map((h) => [h.key, h.line.replace(/\r?\n(?=[ \t])/g, '')]) ?? [],
    );
    expect(lines['list-unsubscribe']).toBe(`List-Unsubscribe: ${headers['List-Unsubscribe']}`);
    expect(lines['list-unsubscribe-post']).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it("sends through a connected mailbox with the mailbox's own credentials", async () => {
    const result = await sender.sendEmail({
      from: `Acme Salon <${MAILBOX_USER}>`,
      to: 'client@example.com',
      subject: 'See you tomorrow',
      text: 'Reminder text',
      messageId: '<rem-456@acme.test>',
      headers,
      smtp: mailbox,
    });

    expect(result).toEqual({ providerMessageId: '<rem-456@acme.test>', accepted: true });
    expect(gateway.received).toHaveLength(0);
    expect(mailboxServer.logins).toEqual([{ username: MAILBOX_USER, password: mailboxPassword }]);
    expect(mailboxServer.received).toHaveLength(1);
    const [mail] = mailboxServer.received;
    expect(mail?.user).toBe(MAILBOX_USER);
    expect(mail?.parsed.from?.value[0]?.address).toBe(MAILBOX_USER);
    expect(mail?.parsed.messageId).toBe('<rem-456@acme.test>');
    expect(mail?.parsed.headerLines.some((h) => h.key === 'list-unsubscribe')).toBe(true);
  });

  it('reuses one transport per mailbox and replaces it when the password changes', async () => {
    const spy = jest.spyOn(nodemailer, 'createTransport');
    try {
      const own = createSmtpEmailSender({
        gateway: { host: '127.0.0.1', port: gateway.port, secure: false },
        mailboxHosts: { allowPrivateHosts: true },
      });
      const send = (smtp: SmtpMailbox) =>
        own.sendEmail({
          from: MAILBOX_USER,
          to: 'client@example.com',
          subject: 's',
          text: 't',
          messageId: `<m${Math.random()}@acme.test>`,
          smtp,
        });
      const mailboxTransports = () =>
        spy.mock.calls.filter(([opts]) => (opts as { port?: number }).port === mailboxServer.port).length;

      await send(mailbox);
      await send(mailbox);
      expect(mailboxTransports()).toBe(1);

      mailboxPassword = 'mailbox-app-password-2'; // the owner reconnected the mailbox
      await send({ ...mailbox, password: mailboxPassword });
      expect(mailboxTransports()).toBe(2);
      expect(mailboxServer.logins.map((l) => l.password)).toEqual([
        'mailbox-app-password-1',
        'mailbox-app-password-1',
        'mailbox-app-password-2',
      ]);
      own.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('rejected credentials (535) are permanent and the password is not in the error', async () => {
    const wrong = { ...mailbox, password: 'definitely-wrong-password' };
    const err = await failureOf(
      sender.sendEmail({
        from: MAILBOX_USER,
        to: 'client@example.com',
        subject: 's',
        text: 't',
        messageId: '<x1@acme.test>',
        smtp: wrong,
      }),
      DeliveryError,
    );

    expect(err).toMatchObject({ provider: 'smtp', kind: 'permanent', code: '535' });
    for (const rendered of [String(err), JSON.stringify(err), util.inspect(err)]) {
      expect(rendered).not.toContain('definitely-wrong-password');
      expect(rendered).not.toContain(Buffer.from('definitely-wrong-password').toString('base64'));
    }
  });

  it('a recipient refused with 550 is permanent', async () => {
    const err = await failureOf(
      sender.sendEmail({
        from: 'reminders@platform.test',
        to: 'bounce@example.com',
        subject: 's',
        text: 't',
        messageId: '<x2@platform.test>',
      }),
      DeliveryError,
    );
    expect(err).toMatchObject({ provider: 'smtp', kind: 'permanent', code: '550' });
    expect(err.message).toContain('Mailbox does not exist');
  });

  it('a recipient deferred with 451 is transient', async () => {
    const err = await failureOf(
      sender.sendEmail({
        from: 'reminders@platform.test',
        to: 'greylist@example.com',
        subject: 's',
        text: 't',
        messageId: '<x3@platform.test>',
      }),
      DeliveryError,
    );
    expect(err).toMatchObject({ provider: 'smtp', kind: 'transient', code: '451' });
  });

  it('an unreachable server is transient', async () => {
    const closed = createSmtpEmailSender({ gateway: { host: '127.0.0.1', port: await freePort(), secure: false } });
    const err = await failureOf(
      closed.sendEmail({
        from: 'reminders@platform.test',
        to: 'client@example.com',
        subject: 's',
        text: 't',
        messageId: '<x4@platform.test>',
      }),
      DeliveryError,
    );
    expect(err).toMatchObject({ provider: 'smtp', kind: 'transient' });
    closed.close();
  });
});

describe('smtp classification', () => {
  it.each([
    [{ network: true }, 'transient'],
    [{ responseCode: 421 }, 'transient'],
    [{ responseCode: 451 }, 'transient'],
    [{ responseCode: 452 }, 'transient'],
    [{ responseCode: 535 }, 'permanent'],
    [{ responseCode: 550 }, 'permanent'],
    [{ responseCode: 554 }, 'permanent'],
    [{}, 'permanent'],
  ] as const)('%j → %s', (facts, kind) => {
    expect(classifyDeliveryFailure({ provider: 'smtp', ...facts })).toBe(kind);
  });
});
