import { decryptSecret } from '../../src/security/secret-box';
import { createApiFixture, TEST_MAILBOX_KEY, type ApiFixture } from '../support/api';

let f: ApiFixture;
let birthdayId: string;
beforeAll(async () => {
  f = await createApiFixture();
  birthdayId = f.a.birthdayId;
});
afterAll(() => f.close());

const smsRule = (over: object = {}) => ({
  name: 'Birthday SMS',
  kind: 'person',
  eventFieldId: birthdayId,
  channel: 'sms',
  sendTime: '09:00',
  daysInAdvance: 3,
  bodyTemplate: 'Happy birthday in {{daysUntil}} days, {{contactName}}! — {{companyName}}',
  ...over,
});

describe('rules', () => {
  test('create → 201 with defaults and fan-out progress; the change is recorded in the outbox', async () => {
    const res = await f.a.api.post('/v1/notification-rules', smsRule());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      recurrence: 'yearly',
      enabled: true,
      emailSender: null,
      eventLabel: 'Birthday',
      reminders: { started: 0, total: 0 },
    });
    expect(await f.changes()).toContainEqual({ kind: 'rule', id: res.body.id });
  });

  test.each([
    ['sendTime', { sendTime: '9am' }],
    ['sendTime', { sendTime: '24:00' }],
    ['daysInAdvance', { daysInAdvance: 366 }],
    ['daysInAdvance', { daysInAdvance: -1 }],
    ['bodyTemplate', { bodyTemplate: 'Hi {{firstName}}' }],
    ['audience', { audience: 'employees' }],
    ['eventFieldId', { eventFieldId: '00000000-0000-4000-8000-000000000000' }],
    ['emailSender', { emailSender: 'gateway' }],
  ])('a bad %s is a 400 naming the field', async (field, over) => {
    const res = await f.a.api.post('/v1/notification-rules', smsRule(over));
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(`body.${field}`);
  });

  test.each([
    ['only a comment', { bodyTemplate: '{{! nothing to say }}' }, 'body.bodyTemplate'],
    ['comments and blanks', { bodyTemplate: '  {{!-- a --}}\n {{! b }}  ' }, 'body.bodyTemplate'],
    [
      'an email subject that is only a comment',
      { channel: 'email', emailSender: 'gateway', subjectTemplate: '{{! later }}' },
      'body.subjectTemplate',
    ],
  ])(
    'a template that renders to an empty message (%s) is refused on create and edit, naming the field',
    async (_what, over, path) => {
      const res = await f.a.api.post('/v1/notification-rules', smsRule(over));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toContainEqual({
        path,
        message: expect.stringMatching(/renders to an empty message/),
      });
      const rule = await f.a.api.post(
        '/v1/notification-rules',
        smsRule({ ...over, bodyTemplate: 'Hi {{contactName}}', subjectTemplate: undefined }),
      );
      expect(rule.status).toBe(201);
      const edit = await f.a.api.patch(`/v1/notification-rules/${rule.body.id}`, over);
      expect(edit.status).toBe(400);
      expect(edit.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    },
  );

  test('a rule on a non-date field is refused with the field named', async () => {
    const text = await f.a.api.post('/v1/contact-fields', {
      kind: 'person',
      key: 'nickname',
      label: 'Nickname',
      type: 'text',
    });
    const res = await f.a.api.post('/v1/notification-rules', smsRule({ eventFieldId: text.body.id }));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/body.eventFieldId: "Nickname" is a text field/);
  });

  test('a date field that a rule uses cannot be deleted', async () => {
    const field = await f.a.api.post('/v1/contact-fields', {
      kind: 'person',
      key: 'warrantyEnd',
      label: 'Warranty end',
      type: 'date',
    });
    await f.a.api.post('/v1/notification-rules', smsRule({ name: 'Warranty', eventFieldId: field.body.id }));
    const del = await f.a.api.delete(`/v1/contact-fields/${field.body.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.details.rules[0].name).toBe('Warranty');
  });

  test('preview renders the template for a contact and shows the next send', async () => {
    const rule = await f.a.api.post('/v1/notification-rules', smsRule({ name: 'Preview' }));
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Grace',
      phone: '+15551230000',
      fields: { birthday: '--07-04' },
    });
    const res = await f.a.api.post(`/v1/notification-rules/${rule.body.id}/preview`, { contactId: contact.body.id });
    expect(res.status).toBe(200);
    expect(res.body.body).toBe('Happy birthday in 3 days, Grace! — Company A');
    expect(res.body.nextSend.occurrenceDate).toMatch(/-07-04$/);
    expect(res.body.nextSend.sendAtLocal).toMatch(/-07-01T09:00:00\.000\+02:00$/);
    // Grace never ticked "SMS": the reminder's occurrence comes, but nothing would be sent.
    expect(res.body).toMatchObject({ route: 'none', channel: 'sms', consentAllows: false, reason: 'no-sms-consent' });
  });

  describe('preview says the route it would take now (the delivery decision)', () => {
    let n = 0;
    async function setup(contact: object, rule: object = {}) {
      const phone = `+1555123${String(9000 + ++n)}`;
      const r = await f.a.api.post(
        '/v1/notification-rules',
        smsRule({ name: 'Route', tryLastChatFirst: true, ...rule }),
      );
      const c = await f.a.api.post('/v1/contacts', {
        kind: 'person',
        name: 'Chatty',
        phone,
        fields: { birthday: '--07-04' },
        ...contact,
      });
      const chat = await f.a.api.post('/v1/chats', {
        contactId: c.body.id,
        channel: 'whatsapp',
        address: phone,
      });
      expect(chat.status).toBe(201);
      const preview = () => f.a.api.post(`/v1/notification-rules/${r.body.id}/preview`, { contactId: c.body.id });
      return { chatId: chat.body.id as string, preview };
    }

    test('an open WhatsApp chat: chat, on whatsapp', async () => {
      const { chatId, preview } = await setup({ smsConsent: true });
      await f.db.chat.update({ where: { id: chatId }, data: { lastInboundAt: new Date() } });
      const res = await preview();
      expect(res.body).toMatchObject({ route: 'chat', chatId, channel: 'whatsapp', consentAllows: true });
      expect(res.body.reason).toBeUndefined();
      expect(res.body.nextSend).not.toBeNull();
    });

    test("the chat's window has closed: sms, saying why the chat is not used", async () => {
      const { chatId, preview } = await setup({ smsConsent: true });
      await f.db.chat.update({ where: { id: chatId }, data: { lastInboundAt: new Date(Date.now() - 48 * 3600_000) } });
      expect((await preview()).body).toMatchObject({ route: 'sms', channel: 'sms', chatNotUsed: 'chat-window-closed' });
    });

    test('an open chat but no SMS consent: nothing would be sent, whatever the route', async () => {
      const { chatId, preview } = await setup({ smsConsent: false });
      await f.db.chat.update({ where: { id: chatId }, data: { lastInboundAt: new Date() } });
      expect((await preview()).body).toMatchObject({ route: 'none', consentAllows: false, reason: 'no-sms-consent' });
    });
  });

  test('schedule returns exactly { items: [{ occurrenceDate, sendAt, sendAtLocal }] } from `from`', async () => {
    const rule = await f.a.api.post('/v1/notification-rules', smsRule({ name: 'Schedule' }));
    const contact = await f.a.api.post('/v1/contacts', {
      kind: 'person',
      name: 'Leap',
      fields: { birthday: '--02-29' },
    });
    const res = await f.a.api.get(
      `/v1/notification-rules/${rule.body.id}/schedule?contactId=${contact.body.id}&count=2&from=2027-01-01T00:00:00Z`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          occurrenceDate: '2027-02-28',
          sendAt: '2027-02-25T08:00:00.000Z',
          sendAtLocal: '2027-02-25T09:00:00.000+01:00',
        },
        {
          occurrenceDate: '2028-02-29',
          sendAt: '2028-02-26T08:00:00.000Z',
          sendAtLocal: '2028-02-26T09:00:00.000+01:00',
        },
      ],
    });
  });
});

describe('email senders and mailboxes', () => {
  test('without a connected mailbox the sender options point to the connection endpoint', async () => {
    const res = await f.b.api.get('/v1/notification-rules/email-senders');
    expect(res.body.items).toEqual([{ emailSender: 'gateway', address: 'gateway@roapp.email', kind: 'gateway' }]);
    expect(res.body.connectMailbox.href).toBe('/v1/mailboxes');
  });

  test('the SMTP password is encrypted at rest and never returned', async () => {
    const res = await f.a.api.post('/v1/mailboxes', {
      address: 'sales@a.example',
      smtpHost: 'smtp.a.example',
      smtpPort: 587,
      smtpUser: 'sales',
      smtpPassword: 'hunter2-secret',
    });
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const raw = await f.db.$queryRaw<
      Array<{ smtpPasswordEncrypted: string }>
    >`SELECT "smtpPasswordEncrypted" FROM "Mailbox" WHERE id = ${res.body.id}`;
    expect(raw[0]!.smtpPasswordEncrypted).not.toContain('hunter2');
    expect(decryptSecret(raw[0]!.smtpPasswordEncrypted, TEST_MAILBOX_KEY)).toBe('hunter2-secret');
    const list = await f.a.api.get('/v1/mailboxes');
    expect(JSON.stringify(list.body)).not.toMatch(/hunter2|Encrypted/);
  });

  test('a user without access to a mailbox cannot make a rule send from it (403); with access they can', async () => {
    const mailbox = await f.a.api.post('/v1/mailboxes', {
      address: 'office@a.example',
      smtpHost: 'smtp.a.example',
      smtpPort: 465,
      smtpSecure: true,
      smtpUser: 'office',
      smtpPassword: 'pw',
    });
    const user = await f.a.api.post('/v1/users', { name: 'Clerk', email: 'clerk@a.example' });
    expect(user.status).toBe(201);
    const clerk = f.as(user.body.apiKey);
    const rule = {
      ...smsRule({ name: 'Mail' }),
      channel: 'email',
      emailSender: mailbox.body.id,
      subjectTemplate: 'Soon: {{eventLabel}}',
    };
    const refused = await clerk.post('/v1/notification-rules', rule);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/do not have access/);
    expect((await clerk.get('/v1/notification-rules/email-senders')).body.items).toHaveLength(1);

    expect((await clerk.put(`/v1/mailboxes/${mailbox.body.id}/access`, { userIds: [user.body.id] })).status).toBe(403);
    expect(
      (await f.a.api.put(`/v1/mailboxes/${mailbox.body.id}/access`, { userIds: [user.body.id, f.a.user.id] })).status,
    ).toBe(200);
    const allowed = await clerk.post('/v1/notification-rules', rule);
    expect(allowed.status).toBe(201);
    expect(allowed.body.emailSender).toBe(mailbox.body.id);
    expect(allowed.body.problems).toEqual([]);

    // Issue 9 item 8: the admin takes the clerk's access away; the clerk's rule is flagged in the API
    // (and the delivery skips it as sender-access-revoked, see delivery-email).
    expect((await f.a.api.put(`/v1/mailboxes/${mailbox.body.id}/access`, { userIds: [f.a.user.id] })).status).toBe(200);
    const flagged = await f.a.api.get(`/v1/notification-rules/${allowed.body.id}`);
    expect(flagged.body.problems).toEqual(['sender-access-revoked']);
  });
});

describe('company settings', () => {
  test('calendar settings re-plan reminders; bad values are 400s naming the field', async () => {
    const ok = await f.a.api.patch('/v1/company', { timeZone: 'Asia/Tokyo', leapDayPolicy: 'mar1' });
    expect(ok.status).toBe(200);
    expect(await f.changes()).toContainEqual({ kind: 'company', id: f.a.company.id });
    const bad = await f.a.api.patch('/v1/company', { timeZone: 'Mars/Olympus', lateGraceMinutes: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.lateGraceMinutes',
      'body.timeZone',
    ]);
  });
});
