// The periodic reconciler on Temporal's dev server (real visibility): things are broken behind the
// engine's back — a reminder workflow terminated, an orphan reminder started for a rule that does
// not exist, a contact's date changed directly in the database, a contact deleted directly — and
// one run of the reconciler repairs each, reporting what it repaired. Its Schedule is created
// idempotently with the configured interval.
import { randomUUID } from 'node:crypto';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { repairTotals } from '../../src/db/reconcile-runs';
import { silentLogger } from '../../src/runtime/logger';
import { ensureReconcilerSchedule } from '../../src/scheduling/reconciler-schedule';
import { createTemporalScheduler } from '../../src/scheduling/temporal-scheduler';
import type { ReconcileAllWorkflow, ReconcileCounts } from '../../src/shared/fan-out-contract';
import { RECONCILE_ALL_WORKFLOW_TYPE, RECONCILER_SCHEDULE_ID, reminderWorkflowId } from '../../src/shared/ids';
import { reminderStateQuery, type ReminderWorkflow } from '../../src/shared/reminder-contract';
import { CompanyIdAttr, ContactIdAttr, NextSendAtAttr, RuleIdAttr } from '../../src/shared/search-attributes';
import { seedClients } from '../support/contacts';
import { startDevServerWorker, type DevServerWorker } from '../support/dev-server-worker';
import { eventually } from '../support/eventually';

jest.setTimeout(240_000);

const CONTACTS = 12;

let temporal: DevServerWorker;

beforeAll(async () => {
  temporal = await startDevServerWorker('reconciler');
}, 120_000);

afterAll(async () => {
  await temporal?.stop();
});

const runningCount = (query: string) => temporal.countRunning(query);

/** NextSendAt of a running reminder, as visibility shows it. */
async function nextSendAtOf(ruleId: string, contactId: string): Promise<string | undefined> {
  const { typedSearchAttributes, status } = await temporal.env.client.workflow
    .getHandle(reminderWorkflowId(ruleId, contactId))
    .describe();
  return status.name === 'RUNNING' ? typedSearchAttributes.get(NextSendAtAttr)?.toISOString() : undefined;
}

test('one reconciler run repairs a terminated reminder, an orphan, a date changed behind the API and a contact deleted behind it', async () => {
  const { env, taskQueue: TASK_QUEUE } = temporal;
  const { db } = temporal.testDb;
  const { company } = await createCompanyWithAdmin(db, { name: 'Drift Co', timeZone: 'UTC' });
  const birthday = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  await seedClients(db, company.id, CONTACTS, (i) => `--0${(i % 9) + 1}-1${i % 10}`);
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Birthdays',
      kind: 'person',
      eventFieldId: birthday.id,
      channel: 'sms',
      sendTime: '09:30',
      bodyTemplate: 'Hi {{contactName}}',
    },
  });
  const scheduler = createTemporalScheduler({ db, client: env.client, taskQueue: TASK_QUEUE });
  await scheduler.ruleChanged(rule);
  await eventually(async () => (await runningCount(`RuleId = "${rule.id}"`)) === CONTACTS, 'the fan-out');
  await env.client.workflow.getHandle(`rule-fanout:${rule.id}`).result();
  expect(await db.notificationRule.findUniqueOrThrow({ where: { id: rule.id } })).toMatchObject({
    remindersStarted: CONTACTS,
    remindersTotal: CONTACTS,
  });

  // Break things behind the engine's back.
  const contacts = await db.contact.findMany({ where: { companyId: company.id }, orderBy: { name: 'asc' } });
  const [terminated, edited, deleted] = [contacts[0]!, contacts[1]!, contacts[2]!];
  await env.client.workflow.getHandle(reminderWorkflowId(rule.id, terminated.id)).terminate('test: lost');
  await db.contact.update({ where: { id: edited.id }, data: { fields: { birthday: '--12-24' } } });
  await db.contact.delete({ where: { id: deleted.id } });
  const ghostRule = randomUUID();
  const orphan = await env.client.workflow.start<ReminderWorkflow>('reminderWorkflow', {
    workflowId: reminderWorkflowId(ghostRule, edited.id),
    taskQueue: TASK_QUEUE,
    args: [
      {
        companyId: company.id,
        ruleId: ghostRule,
        contactId: edited.id,
        plan: {
          active: true,
          schedule: {
            eventValue: '--11-11',
            recurrence: 'yearly',
            daysInAdvance: 0,
            sendTime: '10:00',
            timeZone: 'UTC',
            leapDayPolicy: 'feb28',
          },
          graceMs: 0,
          description: 'a reminder of a rule nobody has',
        },
      },
    ],
    typedSearchAttributes: [
      { key: CompanyIdAttr, value: company.id },
      { key: RuleIdAttr, value: ghostRule },
      { key: ContactIdAttr, value: edited.id },
    ],
  });
  await eventually(async () => (await orphan.query(reminderStateQuery)).phase === 'sleeping', 'the orphan to sleep');
  const editedBefore = await nextSendAtOf(rule.id, edited.id);
  expect(editedBefore).not.toContain('-12-24T09:30');

  // The Schedule exists once, with the configured interval, however often workers start.
  for (const minutes of [10, 7]) {
    await ensureReconcilerSchedule({
      client: env.client,
      taskQueue: TASK_QUEUE,
      intervalMinutes: minutes,
      logger: silentLogger,
    });
  }
  const schedule = await env.client.schedule.getHandle(RECONCILER_SCHEDULE_ID).describe();
  expect(schedule.spec.intervals).toMatchObject([{ every: 7 * 60_000 }]);
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: RECONCILE_ALL_WORKFLOW_TYPE });
  await ensureReconcilerSchedule({
    client: env.client,
    taskQueue: TASK_QUEUE,
    intervalMinutes: 0,
    logger: silentLogger,
  });

  // One run of the reconciler (what the Schedule starts every interval).
  const counts: ReconcileCounts = await env.client.workflow.execute<ReconcileAllWorkflow>(RECONCILE_ALL_WORKFLOW_TYPE, {
    workflowId: `reconcile-test-${randomUUID()}`,
    taskQueue: TASK_QUEUE,
    args: [{}],
  });
  process.stdout.write(`[reconciler] repairs: ${JSON.stringify(counts)}\n`);
  expect(counts).toEqual({ armed: CONTACTS - 1, started: 1, replanned: 1, ended: 0, orphansEnded: 2 });
  // Recorded for the API's reminders_reconciler_repairs_total (this database saw no other run).
  expect(await repairTotals(db)).toEqual({ started: 1, replanned: 1, ended: 0, 'orphan-ended': 2 });

  await eventually(async () => (await runningCount(`RuleId = "${ghostRule}"`)) === 0, 'the orphan to end');
  await eventually(
    async () => (await runningCount(`RuleId = "${rule.id}"`)) === CONTACTS - 1,
    'one reminder per remaining contact',
  );
  await eventually(
    async () => (await nextSendAtOf(rule.id, edited.id))?.slice(4, 16) === '-12-24T09:30',
    "the edited contact's reminder to move to Dec 24",
  );
  expect(await nextSendAtOf(rule.id, terminated.id)).toBeDefined();
  expect(await nextSendAtOf(rule.id, deleted.id)).toBeUndefined();

  // A second run finds nothing left to repair.
  const again = await env.client.workflow.execute<ReconcileAllWorkflow>(RECONCILE_ALL_WORKFLOW_TYPE, {
    workflowId: `reconcile-test-${randomUUID()}`,
    taskQueue: TASK_QUEUE,
    args: [{}],
  });
  expect(again).toEqual({ armed: CONTACTS - 1, started: 0, replanned: 0, ended: 0, orphansEnded: 0 });
});
