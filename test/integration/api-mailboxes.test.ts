// Connected mailboxes (issue 9, item 2): the stored password only goes where it was entered,
// TLS unless an admin allows clear text, no internal hosts unless the operator allows them, and
// a connection test for the mailbox page — against a real SMTP server.
import { decryptSecret } from '../../src/security/secret-box';
import { createApiFixture, TEST_MAILBOX_KEY, type ApiFixture } from '../support/api';
import { startSmtpStandIn, type SmtpStandIn } from '../support/stand-ins';

let f: ApiFixture;
let local: ApiFixture;
let smtp: SmtpStandIn;
const PASSWORD = 'stored-app-password';

beforeAll(async () => {
  // One embedded database at a time: two starting side by side in one process starve each other's
  // first transaction on a loaded machine.
  f = await createApiFixture();
  // An operator who allows mailboxes on the company network.
  local = await createApiFixture({ mailboxConnect: { hosts: { allowPrivateHosts: true } } });
  smtp = await startSmtpStandIn({ auth: { user: 'office', password: PASSWORD } });
});
afterAll(async () => {
  await Promise.all([f?.close(), local?.close(), smtp?.close()]);
});

const mailbox = (extra: object = {}) => ({
  address: `office-${Math.random().toString(36).slice(2, 8)}@a.example`,
  smtpHost: 'smtp.a.example',
  smtpPort: 587,
  smtpUser: 'office',
  smtpPassword: PASSWORD,
  ...extra,
});

const storedPassword = async (db: ApiFixture['db'], id: string) =>
  decryptSecret((await db.mailbox.findUniqueOrThrow({ where: { id } })).smtpPasswordEncrypted, TEST_MAILBOX_KEY);

describe('changing where the password goes requires the password again', () => {
  test.each([
    [{ smtpHost: 'smtp.elsewhere.example' }, 'smtpHost'],
    [{ smtpPort: 2525 }, 'smtpPort'],
    [{ smtpUser: 'someone-else' }, 'smtpUser'],
    [{ smtpSecure: true }, 'smtpSecure'],
    [{ allowInsecure: true }, 'allowInsecure'],
  ])('%j without smtpPassword is a 400 naming body.smtpPassword; nothing changes', async (change, key) => {
    const created = await f.a.api.post('/v1/mailboxes', mailbox());
    expect(created.status).toBe(201);
    const before = await f.db.mailbox.findUniqueOrThrow({ where: { id: created.body.id } });
    const res = await f.a.api.patch(`/v1/mailboxes/${created.body.id}`, change);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'body.smtpPassword', message: expect.stringContaining(key) }]);
    expect(await f.db.mailbox.findUniqueOrThrow({ where: { id: created.body.id } })).toEqual(before);
  });

  test('with the password the change is saved (and the new password with it); same values need none', async () => {
    const created = await f.a.api.post('/v1/mailboxes', mailbox());
    const moved = await f.a.api.patch(`/v1/mailboxes/${created.body.id}`, {
      smtpHost: 'smtp.elsewhere.example',
      smtpPassword: 'new-password',
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ smtpHost: 'smtp.elsewhere.example', allowInsecure: false });
    expect(await storedPassword(f.db, created.body.id)).toBe('new-password');
    const same = await f.a.api.patch(`/v1/mailboxes/${created.body.id}`, { smtpHost: 'smtp.elsewhere.example' });
    expect(same.status).toBe(200);
  });
});

describe('TLS', () => {
  test('port 465 is implicit TLS by default; STARTTLS on 465 is refused naming smtpSecure', async () => {
    const implicit = await f.a.api.post('/v1/mailboxes', mailbox({ smtpPort: 465 }));
    expect(implicit.status).toBe(201);
    expect(implicit.body).toMatchObject({ smtpSecure: true, allowInsecure: false });
    const wrong = await f.a.api.post('/v1/mailboxes', mailbox({ smtpPort: 465, smtpSecure: false }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([expect.objectContaining({ path: 'body.smtpSecure' })]);
    const starttls = await f.a.api.post('/v1/mailboxes', mailbox());
    expect(starttls.body).toMatchObject({ smtpPort: 587, smtpSecure: false, allowInsecure: false });
  });
});

describe('internal hosts', () => {
  test.each(['127.0.0.1', 'localhost', '10.0.0.8', '169.254.169.254', '::1'])(
    '%s is refused as smtpHost (400 naming the field) unless the operator allows private hosts',
    async (host) => {
      const refused = await f.a.api.post('/v1/mailboxes', mailbox({ smtpHost: host }));
      if (host === '::1') {
        // Not a host name by the field's pattern: refused by validation already.
        expect(refused.status).toBe(400);
        return;
      }
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([
        { path: 'body.smtpHost', message: expect.stringContaining('not a public address') },
      ]);
      const created = await f.a.api.post('/v1/mailboxes', mailbox());
      const patched = await f.a.api.patch(`/v1/mailboxes/${created.body.id}`, { smtpHost: host, smtpPassword: 'x' });
      expect(patched.status).toBe(400);
      expect((await local.a.api.post('/v1/mailboxes', mailbox({ smtpHost: host }))).status).toBe(201);
    },
  );
});

describe('test the connection', () => {
  test('logs in over the real SMTP protocol and reports what happened; a bad password or internal host is reported', async () => {
    const created = await local.a.api.post(
      '/v1/mailboxes',
      mailbox({ smtpHost: smtp.host, smtpPort: smtp.port, allowInsecure: true }),
    );
    expect(created.status).toBe(201);
    const ok = await local.a.api.post(`/v1/mailboxes/${created.body.id}/test`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, message: expect.stringContaining(`as office`) });
    expect(smtp.logins).toEqual([{ username: 'office', password: PASSWORD }]);
    expect(smtp.received).toHaveLength(0);

    await local.a.api.patch(`/v1/mailboxes/${created.body.id}`, { smtpPassword: 'wrong' });
    const denied = await local.a.api.post(`/v1/mailboxes/${created.body.id}/test`);
    expect(denied.body).toMatchObject({ ok: false, code: '535', retryable: false });
    expect(JSON.stringify(denied.body)).not.toContain('wrong');

    // Without STARTTLS on offer and without allowInsecure, the login is not even tried.
    smtp.clear();
    await local.a.api.patch(`/v1/mailboxes/${created.body.id}`, { allowInsecure: false, smtpPassword: PASSWORD });
    const clear = await local.a.api.post(`/v1/mailboxes/${created.body.id}/test`);
    expect(clear.body).toMatchObject({ ok: false, retryable: false });
    expect(smtp.logins).toHaveLength(0);

    // The same row under an operator who does not allow private hosts (e.g. the setting was
    // removed after the mailbox was saved): refused before connecting.
    const row = await local.db.mailbox.findUniqueOrThrow({ where: { id: created.body.id } });
    const copy = await f.db.mailbox.create({
      data: { ...row, id: undefined, companyId: f.a.company.id, address: 'copy@a.example' },
    });
    const internal = await f.a.api.post(`/v1/mailboxes/${copy.id}/test`);
    expect(internal.body).toMatchObject({ ok: false, code: 'host-not-public', retryable: false });
    expect(smtp.logins).toHaveLength(0);
  });
});
