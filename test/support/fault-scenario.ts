// What the fault tests write through the admin API: contacts with birthdays far from today (no
// reminder fires while a test runs), birthday rules, and writes that remember whether they were
// answered, so the ones cut off by a fault can be retried (creates with their Idempotency-Key).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { keyRing, payloadDataConverter } from '../../src/security/payload-codec';
import { RECONCILE_ALL_WORKFLOW_TYPE } from '../../src/shared/ids';
import type { ReconcileCounts } from '../../src/shared/fan-out-contract';
import { mapLimited, type ApiAnswer, type ApiBody, type ServiceApi } from './service';

/** Sizes of a fault test: small by default (CI), the acceptance's sizes with FAULT_TESTS=full, and
 * each one overridable by its own variable. */
export function faultSize(name: string, bounded: number, full: number): number {
  const own = process.env[name];
  if (own !== undefined && own !== '') return Number(own);
  return process.env.FAULT_TESTS === 'full' ? full : bounded;
}

/** Figures for the test's output (Jest would wrap console.log in stack traces). */
export function report(line: string): void {
  process.stdout.write(`[fault] ${line}\n`);
}

/** A birthday 7–300 days ahead as `--MM-DD` (never due while the test runs). Every tenth contact
 * has none, so eligibility is not "everyone". */
export function contactBody(name: string, index: number): object {
  const inDays = 7 + Math.floor(Math.random() * 294);
  const date = new Date(Date.now() + inDays * 86_400_000).toISOString().slice(5, 10);
  return {
    kind: 'person',
    name,
    email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com`,
    emailConsent: true,
    fields: index % 10 === 9 ? {} : { birthday: `--${date}` },
  };
}

export function ruleBody(name: string, birthdayFieldId: string, sendTime: string, daysInAdvance: number): object {
  return {
    name,
    kind: 'person',
    eventFieldId: birthdayFieldId,
    channel: 'email',
    emailSender: 'gateway',
    sendTime,
    daysInAdvance,
    subjectTemplate: 'Happy birthday, {{contactName}}',
    bodyTemplate: 'Happy birthday in {{daysUntil}} days, {{contactName}}! — {{companyName}}',
  };
}

export async function birthdayFieldId(api: ServiceApi): Promise<string> {
  const fields = (await api.request('GET', '/v1/contact-fields?kind=person')).items as ApiBody[];
  return fields.find((f) => f.key === 'birthday')!.id as string;
}

export async function seedContacts(api: ServiceApi, count: number, prefix: string): Promise<void> {
  await mapLimited(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => void (await api.request('POST', '/v1/contacts', contactBody(`${prefix} ${i}`, i))),
  );
}

/** One write and what became of it: answered (any status), or cut off (`error`: no answer). */
export interface Write {
  method: string;
  path: string;
  body?: object;
  /** Creates carry one, so a retry after a fault is safe. */
  idempotencyKey?: string;
  answer?: ApiAnswer;
  error?: string;
}

export function write(method: string, p: string, body?: object): Write {
  return { method, path: p, body, ...(method === 'POST' ? { idempotencyKey: randomUUID() } : {}) };
}

/** Sends `w` once, recording its answer or why none came. */
export async function send(api: ServiceApi, w: Write, timeoutMs = 60_000): Promise<Write> {
  try {
    w.answer = await api.call(w.method, w.path, {
      body: w.body,
      headers: w.idempotencyKey ? { 'Idempotency-Key': w.idempotencyKey } : {},
      timeoutMs,
    });
    delete w.error;
  } catch (error) {
    w.error =
      error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
  }
  return w;
}

/** A Temporal client for the service's dev server that decodes its encrypted payloads (the keys
 * `npm start` generated into its data folder). */
export async function serviceTemporal(
  address: string,
  dataDir: string,
): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  const [id, hex] = readFileSync(path.join(dataDir, 'payload-keys'), 'utf8').trim().split(':');
  const client = new Client({
    connection,
    dataConverter: payloadDataConverter(keyRing([{ id: id!, key: Buffer.from(hex!, 'hex') }])),
  });
  return { client, close: () => connection.close() };
}

/** Runs the periodic reconciler once, now (the workflow its Schedule runs), and returns what it repaired. */
export async function runReconciler(client: Client, taskQueue = 'reminders'): Promise<ReconcileCounts> {
  return client.workflow.execute<(input: object) => Promise<ReconcileCounts>>(RECONCILE_ALL_WORKFLOW_TYPE, {
    workflowId: `fault-test-reconcile-${randomUUID()}`,
    taskQueue,
    args: [{}],
  });
}
