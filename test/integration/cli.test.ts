// The admin commands (company:create, demo:seed) as functions, on a fresh test database:
// argv in, exit code and printed text out.
import { runCreateCompany } from '../../src/cli/create-company';
import { DEMO_RULES, generate, runSeedDemo } from '../../src/cli/seed-demo';
import type { Db } from '../../src/db/client';
import { hashApiKey } from '../../src/security/api-keys';
import { checkTemplate } from '../../src/templates/message-template';
import { parseEventValue } from '../../src/calendar/schedule';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { recordingScheduler } from '../support/recording-scheduler';

let testDb: TestDatabase;
let db: Db;
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(() => testDb.close());

function io() {
  const captured = { out: '', err: '' };
  return {
    captured,
    out: (text: string) => void (captured.out += text),
    err: (text: string) => void (captured.err += text),
  };
}

async function createCompany(argv: string[]) {
  const output = io();
  const code = await runCreateCompany(argv, { db, out: output.out, err: output.err });
  return { code, ...output.captured };
}

const NOW = new Date('2026-03-10T12:00:00Z');

async function seed(argv: string[], extra: { scheduler?: ReturnType<typeof recordingScheduler> } = {}) {
  const output = io();
  const scheduler = extra.scheduler;
  const code = await runSeedDemo(argv, {
    db,
    out: output.out,
    err: output.err,
    now: () => NOW,
    ...(scheduler ? { scheduler: async () => ({ scheduler, close: async () => undefined }) } : {}),
  });
  return { code, ...output.captured };
}

async function newCompanyId(name: string): Promise<string> {
  const res = await createCompany(['--name', name]);
  expect(res.code).toBe(0);
  return /company id: (\S+)/.exec(res.out)![1]!;
}

describe('company:create', () => {
  test('creates the company, its admin and the system fields; the printed key is the one stored (hashed)', async () => {
    const res = await createCompany([
      '--name',
      'Acme',
      '--time-zone',
      'Europe/Berlin',
      '--admin-email',
      'ann@acme.example',
      '--admin-name',
      'Ann',
    ]);
    expect(res).toMatchObject({ code: 0, err: '' });
    const key = /API key \(shown once, keep it\): (crk_\S+)/.exec(res.out)?.[1];
    expect(key).toBeDefined();
    const stored = await db.apiKey.findUnique({
      where: { keyHash: hashApiKey(key!) },
      include: { user: { include: { company: true } } },
    });
    expect(stored).toMatchObject({
      revokedAt: null,
      user: {
        name: 'Ann',
        email: 'ann@acme.example',
        isAdmin: true,
        company: { name: 'Acme', timeZone: 'Europe/Berlin' },
      },
    });
    expect(res.out).toContain(stored!.user.companyId);
    // Only the hash is kept.
    expect(JSON.stringify(await db.apiKey.findMany())).not.toContain(key!);
    const fields = await db.contactField.findMany({ where: { companyId: stored!.user.companyId } });
    expect(fields).toEqual([expect.objectContaining({ kind: 'person', key: 'birthday', type: 'date', system: true })]);
  });

  test('defaults: UTC, admin "Admin" <admin@example.com>', async () => {
    const id = await newCompanyId('Defaults Ltd');
    const company = await db.company.findUniqueOrThrow({ where: { id }, include: { users: true } });
    expect(company).toMatchObject({
      name: 'Defaults Ltd',
      timeZone: 'UTC',
      users: [{ name: 'Admin', email: 'admin@example.com', isAdmin: true }],
    });
  });

  test.each([
    ['a missing name', [], '--name'],
    ['an empty name', ['--name', '  '], '--name'],
    ['a name without its value', ['--name'], '--name'],
    ['an unknown option', ['--name', 'X', '--nmae', 'Y'], '--nmae'],
    ['a positional argument (npm ate the option)', ['Acme'], '"Acme"'],
    ['a bad time zone', ['--name', 'X', '--time-zone', 'Mars/Olympus'], '--time-zone'],
    ['a bad admin email', ['--name', 'X', '--admin-email', 'not-an-email'], '--admin-email'],
  ])(
    '%s → exit code 2, a message naming the argument, the usage, no stack trace; nothing created',
    async (_case, argv, named) => {
      const before = await db.company.count();
      const res = await createCompany(argv);
      expect(res.code).toBe(2);
      expect(res.out).toBe('');
      const firstLine = res.err.split('\n')[0]!;
      expect(firstLine).toMatch(/^company:create: /);
      expect(firstLine).toContain(named);
      expect(res.err).toContain('Usage: npm run company:create');
      expect(res.err).not.toMatch(/\n\s+at /);
      expect(await db.company.count()).toBe(before);
    },
  );

  test('--help prints the usage and exits 0', async () => {
    const res = await createCompany(['--help']);
    expect(res).toMatchObject({ code: 0, err: '' });
    expect(res.out).toContain('--time-zone');
  });

  test('the database is not opened when the arguments are wrong', async () => {
    const output = io();
    const open = jest.fn(async () => db);
    expect(await runCreateCompany(['--time-zone', 'UTC'], { db: open, ...output })).toBe(2);
    expect(open).not.toHaveBeenCalled();
  });

  test('a database failure is exit code 1 with its message, no stack trace', async () => {
    const output = io();
    const code = await runCreateCompany(['--name', 'X'], {
      db: async () => {
        throw new Error('connection refused');
      },
      ...output,
    });
    expect(code).toBe(1);
    expect(output.captured.err).toBe('company:create failed: connection refused\n');
  });
});

describe('demo:seed', () => {
  test('fills an empty company: counts, fields, dates, phones, chats, work orders and disabled rules', async () => {
    const companyId = await newCompanyId('Demo One');
    const res = await seed(['--company', companyId, '--contacts', '300']);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);

    const contacts = await db.contact.findMany({ where: { companyId } });
    expect(contacts).toHaveLength(300);
    const people = contacts.filter((c) => c.kind === 'person');
    const orgs = contacts.filter((c) => c.kind === 'organization');
    expect(people.length).toBeGreaterThan(150);
    expect(orgs.length).toBeGreaterThan(30);
    const employees = contacts.filter((c) => c.role === 'employee');
    expect(employees.length).toBeGreaterThan(0);
    expect(employees.every((c) => c.kind === 'person')).toBe(true);

    for (const c of contacts) {
      if (c.phone) expect(c.phone).toMatch(/^\+[1-9]\d{6,14}$/);
      if (c.email) expect(c.email).toMatch(/^[a-z0-9.+-]+@[a-z0-9.-]+\.(com|org|net|example)$/);
      if (c.smsConsent) expect(c.phone).not.toBeNull();
      if (c.emailConsent) expect(c.email).not.toBeNull();
      for (const value of Object.values(c.fields as Record<string, string>))
        expect(parseEventValue(value)).not.toBeNull();
    }
    const birthdays = people.map((c) => (c.fields as Record<string, string>).birthday).filter(Boolean);
    expect(birthdays.some((b) => b!.startsWith('--'))).toBe(true);
    expect(birthdays.some((b) => /^\d{4}-/.test(b!))).toBe(true);
    expect(people.some((c) => (c.fields as Record<string, string>).anniversary)).toBe(true);
    expect(orgs.some((c) => (c.fields as Record<string, string>).contractEnd)).toBe(true);
    expect(people.every((c) => !('contractEnd' in (c.fields as object)))).toBe(true);
    expect(new Set(contacts.map((c) => c.phone).filter(Boolean)).size).toBe(contacts.filter((c) => c.phone).length);

    const fields = await db.contactField.findMany({ where: { companyId }, orderBy: { key: 'asc' } });
    expect(fields.map((f) => [f.kind, f.key, f.label, f.type])).toEqual([
      ['person', 'anniversary', 'Anniversary', 'date'],
      ['person', 'birthday', 'Birthday', 'date'],
      ['organization', 'contractEnd', 'Contract end', 'date'],
    ]);

    const chats = await db.chat.findMany({ where: { companyId }, include: { contact: true } });
    expect(chats.some((c) => c.channel === 'whatsapp')).toBe(true);
    expect(chats.some((c) => c.channel === 'instagram')).toBe(true);
    expect(chats.every((c) => c.contact.role === 'client')).toBe(true);
    expect(chats.filter((c) => c.channel === 'whatsapp').every((c) => c.address === c.contact.phone)).toBe(true);
    const recent = chats.filter((c) => c.lastInboundAt && NOW.getTime() - c.lastInboundAt.getTime() < 24 * 3600_000);
    expect(recent.length).toBeGreaterThan(0);
    expect(await db.chatMessage.count({ where: { chat: { companyId } } })).toBe(
      chats.filter((c) => c.lastInboundAt).length,
    );

    const orders = await db.workOrder.groupBy({ by: ['status'], where: { companyId }, _count: true });
    expect(Object.fromEntries(orders.map((o) => [o.status, o._count]))).toEqual({
      open: expect.any(Number),
      closed: expect.any(Number),
    });

    const rules = await db.notificationRule.findMany({
      where: { companyId },
      include: { eventField: true },
      orderBy: { createdAt: 'asc' },
    });
    expect(
      rules.map((r) => [
        r.name,
        r.kind,
        r.eventField.key,
        r.channel,
        r.sendTime,
        r.daysInAdvance,
        r.tryLastChatFirst,
        r.mailboxId,
        r.enabled,
      ]),
    ).toEqual([
      ['Birthday SMS (3 days ahead)', 'person', 'birthday', 'sms', '09:00', 3, true, null, false],
      ['Anniversary email', 'person', 'anniversary', 'email', '10:00', 0, false, null, false],
      ['Contract ends in 30 days (email)', 'organization', 'contractEnd', 'email', '08:30', 30, false, null, false],
      ['Contract ends in 7 days (chat, else SMS)', 'organization', 'contractEnd', 'sms', '09:00', 7, true, null, false],
    ]);
    for (const r of rules) {
      expect(r.eventField.kind).toBe(r.kind);
      if (r.channel === 'email') expect(r.subjectTemplate).toBeTruthy();
      else expect(r.subjectTemplate).toBeNull();
    }

    // The printed summary matches the database, and says how to start the reminders.
    expect(res.out).toContain(`contacts:    300 (${people.length} people, ${orgs.length} organizations`);
    for (const r of rules) expect(res.out).toContain(r.id);
    expect(res.out).toContain('{"enabled":true}');
  });

  test('the same seed gives the same data (ids aside); another seed differs', async () => {
    const snapshot = async (companyId: string) => {
      const contacts = await db.contact.findMany({
        where: { companyId },
        orderBy: { createdAt: 'asc' },
        include: { chats: { include: { messages: true } }, workOrders: true },
      });
      return contacts.map((c) => ({
        kind: c.kind,
        role: c.role,
        name: c.name,
        phone: c.phone,
        email: c.email,
        smsConsent: c.smsConsent,
        emailConsent: c.emailConsent,
        fields: c.fields,
        chats: c.chats.map((ch) => ({
          channel: ch.channel,
          address: ch.address,
          lastInboundAt: ch.lastInboundAt,
          open: ch.open,
          messages: ch.messages.map((m) => m.text),
        })),
        workOrders: c.workOrders.map((w) => [w.title, w.status, w.createdAt.toISOString()]).sort(),
      }));
    };
    const a = await newCompanyId('Demo A');
    const b = await newCompanyId('Demo B');
    const c = await newCompanyId('Demo C');
    expect((await seed(['--company', a, '--contacts', '120', '--seed', '7'])).code).toBe(0);
    expect((await seed(['--company', b, '--contacts', '120', '--seed', '7'])).code).toBe(0);
    expect((await seed(['--company', c, '--contacts', '120', '--seed', '8'])).code).toBe(0);
    const [sa, sb, sc] = [await snapshot(a), await snapshot(b), await snapshot(c)];
    expect(sa).toHaveLength(120);
    expect(sb).toEqual(sa);
    expect(sc).not.toEqual(sa);
    // And the generator alone is a pure function of (seed, now).
    const strip = (rows: ReturnType<typeof generate>) =>
      rows.contacts.map(({ id: _id, companyId: _c, ...rest }) => rest);
    expect(strip(generate('x', { contacts: 50, seed: 3 }, NOW))).toEqual(
      strip(generate('y', { contacts: 50, seed: 3 }, NOW)),
    );
  });

  test('with a scheduler the rules are enabled and each one is started through it', async () => {
    const companyId = await newCompanyId('Demo Scheduled');
    const scheduler = recordingScheduler();
    const res = await seed(['--company', companyId, '--contacts', '20'], { scheduler });
    expect(res.code).toBe(0);
    const rules = await db.notificationRule.findMany({ where: { companyId }, orderBy: { createdAt: 'asc' } });
    expect(rules.every((r) => r.enabled)).toBe(true);
    expect(scheduler.calls).toEqual(rules.map((r) => ({ op: 'ruleChanged', id: r.id })));
    expect(res.out).not.toContain('DISABLED');
  });

  test('a company that already has contacts is refused (exit 1), nothing is added', async () => {
    const companyId = await newCompanyId('Demo Twice');
    expect((await seed(['--company', companyId, '--contacts', '10'])).code).toBe(0);
    const res = await seed(['--company', companyId, '--contacts', '10']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/already has 10 contact\(s\)/);
    expect(await db.contact.count({ where: { companyId } })).toBe(10);
    expect(await db.notificationRule.count({ where: { companyId } })).toBe(DEMO_RULES.length);
  });

  test.each([
    ['a missing company', [], '--company'],
    ['a company that is not a UUID', ['--company', 'acme'], '--company'],
    ['an unknown company', ['--company', '00000000-0000-4000-8000-000000000000'], '--company'],
    [
      'a contact count that is not a number',
      ['--company', '00000000-0000-4000-8000-000000000000', '--contacts', 'lots'],
      '--contacts',
    ],
    ['too many contacts', ['--company', '00000000-0000-4000-8000-000000000000', '--contacts', '100000'], '--contacts'],
    ['an unknown option', ['--company', '00000000-0000-4000-8000-000000000000', '--people', '5'], '--people'],
  ])('%s → exit code 2 and a message naming the argument', async (_case, argv, named) => {
    const res = await seed(argv);
    expect(res.code).toBe(2);
    expect(res.err.split('\n')[0]).toContain(named);
    expect(res.err).toContain('Usage: npm run demo:seed');
    expect(res.err).not.toMatch(/\n\s+at /);
  });

  test('the demo rules are ones the API would accept (known template variables only)', () => {
    for (const rule of DEMO_RULES) {
      expect(checkTemplate(rule.bodyTemplate)).toEqual([]);
      if (rule.subjectTemplate) expect(checkTemplate(rule.subjectTemplate)).toEqual([]);
    }
  });
});
