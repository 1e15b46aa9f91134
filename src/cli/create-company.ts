// `npm run company:create -- --name "Acme" [--time-zone Europe/Berlin] [--admin-email a@acme.example] [--admin-name "Ann"]`
// Creates a company with its admin user and prints the admin's API key, once (only its hash is
// stored). Works on the configured database (DATABASE_URL) or the embedded one (DATA_DIR).
import { isValidTimeZone } from '../calendar/schedule';
import { createCompanyWithAdmin } from '../companies/bootstrap';
import type { Db } from '../db/client';
import {
  cliMain,
  CommandError,
  localApiUrl,
  parseOptions,
  runCommand,
  stringOption,
  UsageError,
  type CliDeps,
  type CliOutput,
  type Command,
} from './common';

export const CREATE_COMPANY_USAGE = `Usage: npm run company:create -- --name <name> [options]

Creates a company with its admin user and prints the admin's API key (shown once).

Options:
  --name <name>           company name (required)
  --time-zone <zone>      IANA time zone reminders are sent in, e.g. Europe/Berlin (default UTC)
  --admin-email <email>   the admin user's email (default admin@example.com)
  --admin-name <name>     the admin user's name (default Admin)
  -h, --help              show this help`;

export interface CreateCompanyArgs {
  name: string;
  timeZone?: string;
  adminEmail?: string;
  adminName?: string;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function parseCreateCompanyArgs(argv: string[]): CreateCompanyArgs | null {
  const values = parseOptions(argv, {
    name: { type: 'string' },
    'time-zone': { type: 'string' },
    'admin-email': { type: 'string' },
    'admin-name': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  const name = stringOption(values, 'name', true);
  if (name.length > 200) throw new UsageError('--name must be at most 200 characters');
  const timeZone = stringOption(values, 'time-zone');
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    throw new UsageError(
      `--time-zone "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`,
    );
  }
  const adminEmail = stringOption(values, 'admin-email');
  if (adminEmail !== undefined && (!EMAIL.test(adminEmail) || adminEmail.length > 254)) {
    throw new UsageError(`--admin-email "${adminEmail}" is not an email address`);
  }
  const adminName = stringOption(values, 'admin-name');
  if (adminName !== undefined && adminName.length > 200)
    throw new UsageError('--admin-name must be at most 200 characters');
  return { name, timeZone, adminEmail, adminName };
}

export interface CreatedCompany {
  companyId: string;
  userId: string;
  apiKey: string;
}

export async function createCompany(
  args: CreateCompanyArgs,
  ctx: CliOutput & { db: Db },
  apiUrl = 'http://127.0.0.1:3000',
): Promise<CreatedCompany> {
  let created: Awaited<ReturnType<typeof createCompanyWithAdmin>>;
  try {
    created = await createCompanyWithAdmin(ctx.db, args);
  } catch (error) {
    throw new CommandError(`could not create the company: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { company, user, apiKey } = created;
  ctx.out(
    [
      `Created company "${company.name}" (time zone ${company.timeZone}).`,
      `  company id: ${company.id}`,
      `  admin:      ${user.name} <${user.email}> (user id ${user.id})`,
      '',
      `Admin API key (shown once, keep it): ${apiKey}`,
      '',
      'Use it as "Authorization: Bearer <key>", e.g.',
      `  curl -H "Authorization: Bearer ${apiKey}" ${apiUrl}/v1/company`,
      '',
    ].join('\n'),
  );
  return { companyId: company.id, userId: user.id, apiKey };
}

export function createCompanyCommand(options: { apiUrl?: string } = {}): Command<CreateCompanyArgs> {
  return {
    name: 'company:create',
    usage: CREATE_COMPANY_USAGE,
    parse: parseCreateCompanyArgs,
    execute: async (args, ctx) => void (await createCompany(args, ctx, options.apiUrl)),
  };
}

/** The command as a function: argv → exit code, output through `out` / `err`. */
export function runCreateCompany(argv: string[], deps: CliDeps & { apiUrl?: string }): Promise<number> {
  const { apiUrl, ...cli } = deps;
  return runCommand(createCompanyCommand({ apiUrl }), argv, cli);
}

if (require.main === module) cliMain((config) => createCompanyCommand({ apiUrl: localApiUrl(config) }));
