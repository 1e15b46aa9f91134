// The bench's data. Companies and contacts go straight into the database with createMany (setup
// speed: thousands of API calls would each start reminders for nothing); contact fields and rules
// go through the API, as a user makes them.
//
// One company (time zone UTC), three disjoint groups of clients, so each rule reaches exactly its
// own group:
// - fan-out: N people with a Birthday, 10-340 days away (never due during a run);
// - rss: organizations with the date field `bench_rss` (the "1k sleeping" point of worker RSS);
// - storm: organizations with the date field `bench_storm` = tomorrow (UTC), so a rule with
//   "days in advance" 0 or 1 can put all of them due in one minute of today or tomorrow.
// A second company without contacts holds the rule the API latency phase PATCHes.
import { randomUUID } from 'node:crypto';
import type { Api } from './api-client';
import { createCompany, type Db } from './project';

export interface SeedPlan {
  contacts: number;
  rssContacts: number;
  storm: number;
  /** "Today" of the run, UTC. */
  now: Date;
}

export interface Seeded {
  company: { companyId: string; apiKey: string };
  apiCompany: { companyId: string; apiKey: string };
  /** Tomorrow at seeding time (UTC, YYYY-MM-DD): the occurrence every storm contact shares. */
  stormOccurrence: string;
  stormContacts: Array<{ id: string; email: string }>;
}

const DAY_MS = 86_400_000;
const CHUNK = 1_000;

/** `YYYY-MM-DD` of a UTC instant with the year replaced (Feb 29 moved to Feb 28 off leap years). */
function dateInYear(at: Date, year: number): string {
  const monthDay = at.toISOString().slice(5, 10);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${year}-${monthDay === '02-29' && !leap ? '02-28' : monthDay}`;
}

export async function seedDatabase(db: Db, plan: SeedPlan): Promise<Seeded> {
  const company = await createCompany(db, 'Bench company', 'UTC');
  const apiCompany = await createCompany(db, 'Bench API company', 'UTC');
  const tomorrow = new Date(plan.now.getTime() + DAY_MS);
  const stormContacts = Array.from({ length: plan.storm }, (_, i) => ({
    id: randomUUID(),
    email: `storm-${i}@bench.example`,
  }));

  const rows = [
    ...Array.from({ length: plan.contacts }, (_, i) => ({
      kind: 'person' as const,
      name: `Bench person ${i}`,
      email: `person-${i}@bench.example`,
      fields: { birthday: dateInYear(new Date(plan.now.getTime() + (10 + (i % 331)) * DAY_MS), 1950 + (i % 50)) },
    })),
    ...Array.from({ length: plan.rssContacts }, (_, i) => ({
      kind: 'organization' as const,
      name: `Bench organization ${i}`,
      email: `org-${i}@bench.example`,
      fields: { bench_rss: dateInYear(new Date(plan.now.getTime() + (10 + (i % 331)) * DAY_MS), 2000) },
    })),
    ...stormContacts.map((c, i) => ({
      id: c.id,
      kind: 'organization' as const,
      name: `Storm client ${i}`,
      email: c.email,
      // A fixed past year: a yearly date whose occurrence this year is tomorrow.
      fields: { bench_storm: dateInYear(tomorrow, 2000) },
    })),
  ].map((row) => ({ ...row, companyId: company.companyId, role: 'client' as const, emailConsent: true }));
  for (let i = 0; i < rows.length; i += CHUNK) await db.contact.createMany({ data: rows.slice(i, i + CHUNK) });

  return { company, apiCompany, stormOccurrence: tomorrow.toISOString().slice(0, 10), stormContacts };
}

export interface Fields {
  birthday: string;
  benchRss: string;
  benchStorm: string;
}

/** The contact form's date fields the rules use (Birthday is a system field; the others are added). */
export async function createFields(api: Api): Promise<Fields> {
  const add = async (key: string, label: string) =>
    (
      await api.request<{ id: string }>('POST', '/v1/contact-fields', {
        kind: 'organization',
        key,
        label,
        type: 'date',
      })
    ).id;
  const { items } = await api.request<{ items: Array<{ id: string; key: string; kind: string }> }>(
    'GET',
    '/v1/contact-fields?kind=person',
  );
  const birthday = items.find((f) => f.key === 'birthday');
  if (!birthday) throw new Error('the person form has no Birthday field');
  return {
    birthday: birthday.id,
    benchRss: await add('bench_rss', 'Bench RSS date'),
    benchStorm: await add('bench_storm', 'Bench storm date'),
  };
}

/** The rule body every phase uses: email from the company gateway (the SMTP sink), to clients. */
export function emailRule(input: {
  name: string;
  kind: 'person' | 'organization';
  eventFieldId: string;
  sendTime: string;
  daysInAdvance?: number;
}) {
  return {
    ...input,
    daysInAdvance: input.daysInAdvance ?? 0,
    channel: 'email',
    emailSender: 'gateway',
    subjectTemplate: '{{eventLabel}} of {{contactName}}',
    bodyTemplate: 'Dear {{contactName}}, a reminder from {{companyName}} for {{eventDate}}.',
  };
}
