// `npm run demo:seed -- --company <companyId> [--contacts 300] [--seed 1]`
// Fills an empty company with demo data: people and organizations (clients and a few employees)
// with phones, emails, consents and dates (Birthday, an "Anniversary" person field, a "Contract
// end" organization field), WhatsApp/Instagram chats, work orders and four notification rules.
// Deterministic: the same --seed (and day) gives the same data. Rows go in with createMany in
// one transaction.
//
// Reminders are Temporal workflows. With TEMPORAL_ADDRESS set (a cluster the worker also uses)
// the rules start their reminders at once, through the same scheduler the API uses. Otherwise
// (the embedded defaults: `npm start` cannot run alongside, see common.ts) the rules are saved
// disabled and the command prints the API call that enables them, which starts their reminders.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client';
import type { ContactKind, ContactRole, ChatChannel, WorkOrderStatus } from '../generated/prisma/client';
import type { ReminderScheduler } from '../scheduling/scheduler';
import { connectTemporalClient } from '../runtime/temporal-connection';
import { payloadDataConverter } from '../security/payload-codec';
import { payloadKeysForCommands } from '../security/payload-keys';
import { createTemporalScheduler } from '../scheduling/temporal-scheduler';
import { checkTemplate } from '../templates/message-template';
import {
  cliMain,
  CommandError,
  integerOption,
  localApiUrl,
  parseOptions,
  runCommand,
  stringOption,
  UsageError,
  type CliDeps,
  type CliOutput,
  type Command,
} from './common';
import {
  createRandom,
  fictionalPhone,
  INBOUND_TEXTS,
  organizationEmail,
  organizationName,
  personEmail,
  personName,
  WORK_ORDER_TITLES,
  type Random,
} from './demo-data';

export const SEED_DEMO_USAGE = `Usage: npm run demo:seed -- --company <companyId> [options]

Fills an empty company with demo contacts, chats, work orders and notification rules.

Options:
  --company <id>      the company to fill (its id: GET /v1/company, or company:create's output)
  --contacts <n>      how many contacts (default 300, 1–2000)
  --seed <n>          random seed; the same seed gives the same data (default 1)
  -h, --help          show this help`;

export const DEMO_FIELDS = {
  anniversary: { kind: 'person', key: 'anniversary', label: 'Anniversary', type: 'date' },
  contractEnd: { kind: 'organization', key: 'contractEnd', label: 'Contract end', type: 'date' },
} as const;

/** The demo rules; templates use only the variables rules accept (checked in tests and here). */
export const DEMO_RULES = [
  {
    name: 'Birthday SMS (3 days ahead)',
    kind: 'person',
    field: 'birthday',
    channel: 'sms',
    recurrence: 'yearly',
    tryLastChatFirst: true,
    sendTime: '09:00',
    daysInAdvance: 3,
    subjectTemplate: null,
    bodyTemplate:
      'Hi {{contactName}}, your birthday is in {{daysUntil}} days ({{eventDate}}) and everyone at {{companyName}} wishes you a wonderful day!',
  },
  {
    name: 'Anniversary email',
    kind: 'person',
    field: 'anniversary',
    channel: 'email',
    recurrence: 'yearly',
    tryLastChatFirst: false,
    sendTime: '10:00',
    daysInAdvance: 0,
    subjectTemplate: 'Happy anniversary, {{contactName}}!',
    bodyTemplate:
      'Dear {{contactName}},\n\ntoday ({{eventDate}}) is your anniversary. Congratulations from all of us at {{companyName}}!',
  },
  {
    name: 'Contract ends in 30 days (email)',
    kind: 'organization',
    field: 'contractEnd',
    channel: 'email',
    recurrence: 'once',
    tryLastChatFirst: false,
    sendTime: '08:30',
    daysInAdvance: 30,
    subjectTemplate: 'Your contract with {{companyName}} ends on {{eventDate}}',
    bodyTemplate:
      'Hello {{contactName}},\n\nyour contract with {{companyName}} ends in {{daysUntil}} days, on {{eventDate}}. Reply to this email to renew it.',
  },
  {
    name: 'Contract ends in 7 days (chat, else SMS)',
    kind: 'organization',
    field: 'contractEnd',
    channel: 'sms',
    recurrence: 'once',
    tryLastChatFirst: true,
    sendTime: '09:00',
    daysInAdvance: 7,
    subjectTemplate: null,
    bodyTemplate:
      '{{contactName}}: your contract with {{companyName}} ends on {{eventDate}}. Reply RENEW and we will call you.',
  },
] as const;

export interface SeedDemoArgs {
  companyId: string;
  contacts: number;
  seed: number;
}

export interface SeedDemoOptions {
  /** Starts the rules' reminders (the API's Temporal scheduler); without it rules are saved disabled. */
  scheduler?: (db: Db) => Promise<{ scheduler: ReminderScheduler; close(): Promise<void> }>;
  /** The reference instant for relative dates (recent chats, contract ends); default now. */
  now?: () => Date;
  /** Where the API listens, for the printed hint. */
  apiUrl?: string;
}

export interface SeedDemoSummary {
  companyId: string;
  contacts: { total: number; people: number; organizations: number; clients: number; employees: number };
  chats: { whatsapp: number; instagram: number };
  chatMessages: number;
  workOrders: { open: number; closed: number };
  fieldsAdded: string[];
  rules: Array<{ id: string; name: string; enabled: boolean }>;
  remindersStarted: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;
const BATCH = 500;

export function parseSeedDemoArgs(argv: string[]): SeedDemoArgs | null {
  const values = parseOptions(argv, {
    company: { type: 'string' },
    contacts: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  const companyId = stringOption(values, 'company', true);
  if (!UUID.test(companyId)) throw new UsageError(`--company must be a company id (a UUID), got "${companyId}"`);
  return {
    companyId,
    contacts: integerOption(values, 'contacts', 300, 1, 2000),
    seed: integerOption(values, 'seed', 1, 0, 2 ** 31 - 1),
  };
}

export async function seedDemo(
  args: SeedDemoArgs,
  ctx: CliOutput & { db: Db },
  options: SeedDemoOptions = {},
): Promise<SeedDemoSummary> {
  const { db } = ctx;
  const now = options.now?.() ?? new Date();
  const company = await db.company.findUnique({ where: { id: args.companyId } });
  if (!company) throw new UsageError(`--company ${args.companyId}: no such company in this database`);
  const existing = await db.contact.count({ where: { companyId: company.id } });
  if (existing > 0) {
    throw new CommandError(
      `company "${company.name}" already has ${existing} contact(s); the demo seed fills an empty company. ` +
        'Create one with: npm run company:create -- --name "Demo"',
    );
  }

  const data = generate(company.id, args, now);
  // Connect first: an unreachable cluster stops the command before anything is written.
  let handle: Awaited<ReturnType<NonNullable<SeedDemoOptions['scheduler']>>> | undefined;
  try {
    handle = await options.scheduler?.(db);
  } catch (error) {
    throw new CommandError(
      `could not connect to Temporal to start the rules' reminders (nothing was written): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return await seedRows(company, data, args, ctx, options, now, handle?.scheduler);
  } finally {
    await handle?.close();
  }
}

async function seedRows(
  company: { id: string; name: string },
  data: ReturnType<typeof generate>,
  args: SeedDemoArgs,
  ctx: CliOutput & { db: Db },
  options: SeedDemoOptions,
  now: Date,
  scheduler: ReminderScheduler | undefined,
): Promise<SeedDemoSummary> {
  const { db } = ctx;
  const startReminders = Boolean(scheduler);

  const { rules, fieldsAdded } = await db.$transaction(
    async (tx) => {
      const fieldsAdded: string[] = [];
      const fieldIds: Record<string, string> = {};
      for (const field of [
        { kind: 'person', key: 'birthday', label: 'Birthday', type: 'date' } as const,
        DEMO_FIELDS.anniversary,
        DEMO_FIELDS.contractEnd,
      ]) {
        let row = await tx.contactField.findUnique({
          where: { companyId_kind_key: { companyId: company.id, kind: field.kind, key: field.key } },
        });
        if (row && row.type !== 'date') {
          throw new CommandError(
            `the ${field.kind} form already has a field "${field.key}" of type ${row.type}; the demo needs it to be a date field`,
          );
        }
        if (!row) {
          row = await tx.contactField.create({
            data: { ...field, companyId: company.id, system: field.key === 'birthday' },
          });
          fieldsAdded.push(`${field.kind}.${field.key}`);
        }
        fieldIds[field.key] = row.id;
      }
      for (let i = 0; i < data.contacts.length; i += BATCH)
        await tx.contact.createMany({ data: data.contacts.slice(i, i + BATCH) });
      for (let i = 0; i < data.chats.length; i += BATCH)
        await tx.chat.createMany({ data: data.chats.slice(i, i + BATCH) });
      for (let i = 0; i < data.messages.length; i += BATCH)
        await tx.chatMessage.createMany({ data: data.messages.slice(i, i + BATCH) });
      for (let i = 0; i < data.workOrders.length; i += BATCH)
        await tx.workOrder.createMany({ data: data.workOrders.slice(i, i + BATCH) });
      const rules = [];
      for (const [index, rule] of DEMO_RULES.entries()) {
        const { field, ...fields } = rule;
        rules.push(
          await tx.notificationRule.create({
            data: {
              ...fields,
              companyId: company.id,
              eventFieldId: fieldIds[field]!,
              mailboxId: null,
              enabled: startReminders,
              // Distinct creation times keep the API's list in this order.
              createdAt: new Date(now.getTime() + index),
            },
          }),
        );
      }
      return { rules, fieldsAdded };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );

  if (scheduler) {
    try {
      // The API's own path for a created rule: a durable fan-out starts one reminder per client.
      for (const rule of rules) await scheduler.ruleChanged({ id: rule.id, companyId: rule.companyId });
    } catch (error) {
      throw new CommandError(
        `the demo data is saved, but starting the rules' reminders failed (${error instanceof Error ? error.message : String(error)}); ` +
          `re-send PATCH /v1/notification-rules/<id> {"enabled":true} for each rule once Temporal answers. Rules: ${rules.map((r) => r.id).join(' ')}`,
      );
    }
  }

  const summary: SeedDemoSummary = {
    companyId: company.id,
    contacts: {
      total: data.contacts.length,
      people: data.contacts.filter((c) => c.kind === 'person').length,
      organizations: data.contacts.filter((c) => c.kind === 'organization').length,
      clients: data.contacts.filter((c) => c.role === 'client').length,
      employees: data.contacts.filter((c) => c.role === 'employee').length,
    },
    chats: {
      whatsapp: data.chats.filter((c) => c.channel === 'whatsapp').length,
      instagram: data.chats.filter((c) => c.channel === 'instagram').length,
    },
    chatMessages: data.messages.length,
    workOrders: {
      open: data.workOrders.filter((w) => w.status === 'open').length,
      closed: data.workOrders.filter((w) => w.status === 'closed').length,
    },
    fieldsAdded,
    rules: rules.map((r) => ({ id: r.id, name: r.name, enabled: r.enabled })),
    remindersStarted: startReminders,
  };
  ctx.out(report(company.name, summary, args, options.apiUrl ?? 'http://127.0.0.1:3000'));
  return summary;
}

function report(companyName: string, s: SeedDemoSummary, args: SeedDemoArgs, apiUrl: string): string {
  const lines = [
    `Seeded company "${companyName}" (${s.companyId}) with seed ${args.seed}:`,
    `  contacts:    ${s.contacts.total} (${s.contacts.people} people, ${s.contacts.organizations} organizations; ${s.contacts.clients} clients, ${s.contacts.employees} employees)`,
    `  chats:       ${s.chats.whatsapp} WhatsApp, ${s.chats.instagram} Instagram (${s.chatMessages} inbound messages)`,
    `  work orders: ${s.workOrders.open} open, ${s.workOrders.closed} closed`,
    `  form fields: ${s.fieldsAdded.length > 0 ? `added ${s.fieldsAdded.join(', ')}` : 'Anniversary and Contract end already present'}`,
    '  rules:',
    ...s.rules.map((r) => `    ${r.id}  ${r.name}${r.enabled ? '' : '  (disabled)'}`),
    '',
  ];
  if (s.remindersStarted) {
    lines.push(
      'The rules are enabled and their reminders are starting (GET /v1/notification-rules/<id> shows `reminders` progress).',
      '',
    );
  } else {
    lines.push(
      'The rules are saved DISABLED: reminders are Temporal workflows and this command had no Temporal',
      'server to start them on (TEMPORAL_ADDRESS is unset). Start `npm start`, then enable them, which',
      'starts a reminder for every matching client (KEY = an admin API key of this company):',
      '',
      `  for RULE in ${s.rules.map((r) => r.id).join(' ')}; do`,
      `    curl -s -X PATCH "${apiUrl}/v1/notification-rules/$RULE" -H "Authorization: Bearer $KEY" \\`,
      `      -H 'Content-Type: application/json' -d '{"enabled":true}' -o /dev/null -w "$RULE %{http_code}\\n"`,
      '  done',
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

interface ContactRow {
  id: string;
  companyId: string;
  kind: ContactKind;
  role: ContactRole;
  name: string;
  phone: string | null;
  email: string | null;
  smsConsent: boolean;
  emailConsent: boolean;
  fields: Record<string, string>;
  createdAt: Date;
}
interface ChatRow {
  id: string;
  companyId: string;
  contactId: string;
  channel: ChatChannel;
  address: string;
  lastInboundAt: Date | null;
  open: boolean;
  createdAt: Date;
}
interface MessageRow {
  chatId: string;
  direction: string;
  text: string;
  createdAt: Date;
}
interface WorkOrderRow {
  companyId: string;
  contactId: string;
  title: string;
  status: WorkOrderStatus;
  createdAt: Date;
}

/** All rows, from the seed and the reference instant only (ids aside). */
export function generate(companyId: string, args: Pick<SeedDemoArgs, 'contacts' | 'seed'>, now: Date) {
  const rnd = createRandom(args.seed);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const phones = new Set<string>();
  const instagramIds = new Set<string>();
  const contacts: ContactRow[] = [];
  const chats: ChatRow[] = [];
  const messages: MessageRow[] = [];
  const workOrders: WorkOrderRow[] = [];

  for (let i = 0; i < args.contacts; i++) {
    const kind: ContactKind = rnd.chance(0.25) ? 'organization' : 'person';
    // Employees are people who work for the company; rules never notify them.
    const role: ContactRole = kind === 'person' && rnd.chance(0.08) ? 'employee' : 'client';
    const fields: Record<string, string> = {};
    let name: string;
    let email: string | null;
    let phone: string | null;
    if (kind === 'person') {
      const { first, last } = personName(rnd);
      name = `${first} ${last}`;
      phone = rnd.chance(0.9) ? fictionalPhone(rnd, phones) : null;
      email = rnd.chance(0.85) ? personEmail(rnd, first, last) : null;
      if (rnd.chance(0.9)) fields.birthday = birthday(rnd, i, today);
      if (rnd.chance(0.3)) fields.anniversary = isoDate(Date.UTC(rnd.int(1985, 2023), 0, 1) + rnd.int(0, 364) * DAY_MS);
    } else {
      name = organizationName(rnd);
      phone = rnd.chance(0.7) ? fictionalPhone(rnd, phones) : null;
      email = rnd.chance(0.9) ? organizationEmail(rnd, name) : null;
      // Contract ends within two years; every tenth one soon after the 30-days-ahead point.
      if (rnd.chance(0.8))
        fields.contractEnd = isoDate(today + (i % 10 === 0 ? rnd.int(31, 45) : rnd.int(1, 730)) * DAY_MS);
    }
    const createdAt = new Date(now.getTime() - (args.contacts - i) * 60_000);
    const contact: ContactRow = {
      id: randomUUID(),
      companyId,
      kind,
      role,
      name,
      phone,
      email,
      smsConsent: phone !== null && rnd.chance(0.8),
      emailConsent: email !== null && rnd.chance(0.75),
      fields,
      createdAt,
    };
    contacts.push(contact);
    if (role !== 'client') continue;

    const addChat = (channel: ChatChannel, address: string) => {
      const lastInboundAt = recentInbound(rnd, now);
      const chat: ChatRow = {
        id: randomUUID(),
        companyId,
        contactId: contact.id,
        channel,
        address,
        lastInboundAt,
        open: rnd.chance(0.9),
        createdAt,
      };
      chats.push(chat);
      if (lastInboundAt)
        messages.push({
          chatId: chat.id,
          direction: 'inbound',
          text: rnd.pick(INBOUND_TEXTS),
          createdAt: lastInboundAt,
        });
    };
    if (phone && rnd.chance(0.4)) addChat('whatsapp', phone);
    if (kind === 'person' && rnd.chance(0.15)) addChat('instagram', uniqueDigits(rnd, instagramIds, 17));

    if (rnd.chance(0.4)) {
      for (let n = rnd.int(1, 3); n > 0; n--) {
        workOrders.push({
          companyId,
          contactId: contact.id,
          title: rnd.pick(WORK_ORDER_TITLES),
          status: rnd.chance(0.35) ? 'open' : 'closed',
          createdAt: new Date(now.getTime() - rnd.int(1, 365) * DAY_MS - rnd.int(0, DAY_MS / 1000) * 1000),
        });
      }
    }
  }
  return { contacts, chats, messages, workOrders };
}

/** Mostly yearly dates (--MM-DD), some with the year; every 25th person within the next two weeks. */
function birthday(rnd: Random, index: number, today: number): string {
  if (index % 25 === 0) {
    const soon = new Date(today + rnd.int(0, 13) * DAY_MS);
    return rnd.chance(0.5)
      ? `--${isoDate(soon.getTime()).slice(5)}`
      : `${rnd.int(1960, 2004)}-${isoDate(soon.getTime()).slice(5)}`;
  }
  const year = rnd.int(1950, 2006);
  // Day of a leap year, so --02-29 occurs; a full date on Feb 29 only in leap years.
  const monthDay = isoDate(Date.UTC(2000, 0, 1) + rnd.int(0, 365) * DAY_MS).slice(5);
  if (rnd.chance(0.7)) return `--${monthDay}`;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${year}-${monthDay === '02-29' && !leap ? '02-28' : monthDay}`;
}

/** A third within the last day (WhatsApp window open), others within a week, months ago, or never. */
function recentInbound(rnd: Random, now: Date): Date | null {
  const roll = rnd.next();
  const ago =
    roll < 0.3
      ? rnd.int(5, 23 * 60) * 60_000
      : roll < 0.6
        ? rnd.int(1, 7) * DAY_MS
        : roll < 0.85
          ? rnd.int(8, 90) * DAY_MS
          : null;
  return ago === null ? null : new Date(now.getTime() - ago);
}

function uniqueDigits(rnd: Random, taken: Set<string>, length: number): string {
  for (;;) {
    let id = String(rnd.int(1, 9));
    while (id.length < length) id += String(rnd.int(0, 9));
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// Fail at start-up rather than store a rule the API would refuse.
for (const rule of DEMO_RULES) {
  for (const template of [rule.bodyTemplate, rule.subjectTemplate]) {
    if (template && checkTemplate(template).length > 0)
      throw new Error(`demo rule "${rule.name}": ${checkTemplate(template).join('; ')}`);
  }
}

export function seedDemoCommand(options: SeedDemoOptions = {}): Command<SeedDemoArgs> {
  return {
    name: 'demo:seed',
    usage: SEED_DEMO_USAGE,
    parse: parseSeedDemoArgs,
    execute: async (args, ctx) => void (await seedDemo(args, ctx, options)),
  };
}

/** The command as a function: argv → exit code, output through `out` / `err`. */
export function runSeedDemo(argv: string[], deps: CliDeps & SeedDemoOptions): Promise<number> {
  const { scheduler, now, apiUrl, ...cli } = deps;
  return runCommand(seedDemoCommand({ scheduler, now, apiUrl }), argv, cli);
}

if (require.main === module) {
  cliMain((config) =>
    seedDemoCommand({
      apiUrl: localApiUrl(config),
      // A configured cluster (docker-compose, production) is the one the worker polls: start the
      // reminders there. The embedded dev server only exists inside `npm start`.
      scheduler: config.TEMPORAL_ADDRESS
        ? async (db) => {
            const temporal = await connectTemporalClient(
              config.TEMPORAL_ADDRESS!,
              config.TEMPORAL_NAMESPACE,
              payloadDataConverter(payloadKeysForCommands(config)),
            );
            return {
              scheduler: createTemporalScheduler({
                db,
                client: temporal.client,
                taskQueue: config.TEMPORAL_TASK_QUEUE,
              }),
              close: temporal.close,
            };
          }
        : undefined,
    }),
  );
}
