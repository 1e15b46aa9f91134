// The engine's invariants as a client and an operator can see them, for the fault tests: the API
// says which (rule, contact) pairs are eligible and when each should send next (GET
// /v1/contacts/:id/reminders, `plannedSendAt`: the one plan function), Temporal's visibility says which reminders
// run and what they sleep on (NextSendAt), and each reminder answers its state query. After any
// fault, once settled: every eligible pair has exactly one running reminder with the current plan,
// nothing else runs, and every rule's progress is exact (started == total == eligible).
import type { Client } from '@temporalio/client';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { REMINDER_WORKFLOW_TYPE, reminderWorkflowId, RULE_FAN_OUT_WORKFLOW_TYPE } from '../../src/shared/ids';
import { ContactIdAttr, NextSendAtAttr, RuleIdAttr } from '../../src/shared/search-attributes';
import { mapLimited, type ApiBody, type ServiceApi } from './service';

export interface ReminderReport {
  rules: number;
  contacts: number;
  /** Eligible pairs per the API. */
  eligible: number;
  /** Running reminder workflows per visibility. */
  running: number;
  /** Eligible pairs with no running reminder. */
  missing: string[];
  /** Running reminders for a pair that is not eligible (or whose rule/contact is gone). */
  orphans: string[];
  /** Pairs listed running more than once. */
  duplicates: string[];
  /** Running reminders whose NextSendAt differs from the plan's next send (`pair: actual ≠ expected`). */
  stalePlans: string[];
  /** Reminders whose state query disagrees with the plan (checked on a sample). */
  staleStates: string[];
  /** Rules whose progress is not started == total == eligible. */
  wrongProgress: string[];
  /** Each rule's progress beside its eligible pairs. */
  progress: Array<{ ruleId: string; started: number; total: number; eligible: number }>;
  /** How many state queries were made. */
  statesQueried: number;
}

/** What is wrong in `report`; without `progress`, only the reminders themselves are judged. */
export function problemsOf(report: ReminderReport, options: { progress?: boolean } = {}): string[] {
  const problems: string[] = [];
  const keys = ['missing', 'orphans', 'duplicates', 'stalePlans', 'staleStates'] as const;
  for (const key of options.progress === false ? keys : [...keys, 'wrongProgress' as const]) {
    if (report[key].length > 0) problems.push(`${key} (${report[key].length}): ${report[key].slice(0, 5).join('; ')}`);
  }
  return problems;
}

/** Every item of a paged list endpoint. */
export async function listAll(api: ServiceApi, p: string): Promise<ApiBody[]> {
  const items: ApiBody[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await api.request('GET', `${p}${p.includes('?') ? '&' : '?'}limit=200&offset=${offset}`);
    items.push(...(page.items as ApiBody[]));
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

/** Compares what the API plans with what Temporal runs. `stateSample` reminders (all when
 * undefined) are also asked for their state. */
export async function checkReminders(
  api: ServiceApi,
  client: Client,
  options: { stateSample?: number } = {},
): Promise<ReminderReport> {
  const [rules, contacts] = await Promise.all([listAll(api, '/v1/notification-rules'), listAll(api, '/v1/contacts')]);
  const expected = new Map<string, number>();
  const perRule = new Map<string, number>();
  await mapLimited(contacts, 8, async (contact) => {
    const { items } = await api.request('GET', `/v1/contacts/${contact.id}/reminders`);
    // What the rows plan, not what runs (`status`/`sendAt` come from the reminders themselves).
    for (const item of items as Array<{ ruleId: string; plannedSendAt: string | null }>) {
      if (item.plannedSendAt === null) continue;
      expected.set(pair(item.ruleId, contact.id as string), Date.parse(item.plannedSendAt));
      perRule.set(item.ruleId, (perRule.get(item.ruleId) ?? 0) + 1);
    }
  });

  const running = new Map<string, number | undefined>();
  const duplicates: string[] = [];
  const badIds: string[] = [];
  const query = `WorkflowType = "${REMINDER_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
  for await (const info of client.workflow.list({ query, pageSize: 1000 })) {
    const ruleId = info.typedSearchAttributes.get(RuleIdAttr) ?? '?';
    const contactId = info.typedSearchAttributes.get(ContactIdAttr) ?? '?';
    const key = pair(ruleId, contactId);
    if (running.has(key)) duplicates.push(key);
    if (info.workflowId !== reminderWorkflowId(ruleId, contactId)) badIds.push(`${info.workflowId} (${key})`);
    running.set(key, info.typedSearchAttributes.get(NextSendAtAttr)?.getTime());
  }

  const missing = [...expected.keys()].filter((k) => !running.has(k));
  const orphans = [...running.keys()].filter((k) => !expected.has(k)).concat(badIds);
  const stalePlans = [...expected]
    .filter(([k, sendAt]) => running.has(k) && running.get(k) !== sendAt)
    .map(([k, sendAt]) => `${k}: ${iso(running.get(k))} ≠ ${iso(sendAt)}`);

  const sample = [...expected.keys()].filter((k) => running.has(k));
  const queried = options.stateSample === undefined ? sample : shuffled(sample).slice(0, options.stateSample);
  const staleStates: string[] = [];
  await mapLimited(queried, 8, async (k) => {
    const [ruleId, contactId] = k.split('/') as [string, string];
    const state = await client.workflow.getHandle(reminderWorkflowId(ruleId, contactId)).query(reminderStateQuery);
    const want = expected.get(k)!;
    if (state.phase !== 'sleeping' || Date.parse(state.nextSendAt ?? '') !== want)
      staleStates.push(`${k}: ${state.phase} ${state.nextSendAt} ≠ sleeping ${iso(want)}`);
  });

  const wrongProgress = rules
    .filter((r) => {
      const eligible = perRule.get(r.id as string) ?? 0;
      return r.reminders.started !== eligible || r.reminders.total !== eligible;
    })
    .map((r) => `${r.id}: ${JSON.stringify(r.reminders)} ≠ ${perRule.get(r.id as string) ?? 0}`);

  return {
    rules: rules.length,
    contacts: contacts.length,
    eligible: expected.size,
    running: running.size,
    missing,
    orphans,
    duplicates,
    stalePlans,
    staleStates,
    wrongProgress,
    statesQueried: queried.length,
    progress: rules.map((r) => ({
      ruleId: r.id as string,
      started: r.reminders.started as number,
      total: r.reminders.total as number,
      eligible: perRule.get(r.id as string) ?? 0,
    })),
  };
}

/** Nothing is left to apply: the outbox is empty and no rule fan-out runs. */
export async function quiet(api: ServiceApi, client: Client): Promise<boolean> {
  const health = await api.call('GET', '/health');
  if (health.body.checks?.outbox?.rows !== 0 || health.body.checks?.temporal?.ok !== true) return false;
  const query = `WorkflowType = "${RULE_FAN_OUT_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
  for await (const _ of client.workflow.list({ query })) return false;
  return true;
}

/**
 * Waits until the engine is quiet and the reminders match the plans, up to `timeoutMs`; returns
 * the last report (with problems if it never settled) and how long settling took. Progress is
 * reported, not waited for: a fan-out does not count contacts created after it read their page
 * (the contact's own change starts their reminders); the reconciler's pass makes it exact.
 */
export async function settle(
  api: ServiceApi,
  client: Client,
  options: { timeoutMs: number; stateSample?: number },
): Promise<{ report: ReminderReport; ms: number }> {
  const started = Date.now();
  let report: ReminderReport | undefined;
  for (;;) {
    const isQuiet = await quiet(api, client).catch(() => false);
    if (isQuiet) {
      // Visibility is read without the state queries first: they are the expensive part.
      report = await checkReminders(api, client, { stateSample: 0 });
      if (problemsOf(report, { progress: false }).length === 0) {
        report = await checkReminders(api, client, { stateSample: options.stateSample });
        if (problemsOf(report, { progress: false }).length === 0) return { report, ms: Date.now() - started };
      }
    }
    if (Date.now() - started > options.timeoutMs) {
      report ??= await checkReminders(api, client, { stateSample: options.stateSample });
      return { report, ms: Date.now() - started };
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function pair(ruleId: string, contactId: string): string {
  return `${ruleId}/${contactId}`;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '(none)' : new Date(ms).toISOString();
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
