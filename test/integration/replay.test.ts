// Determinism guard: workflow histories recorded with earlier code must replay on the current
// code (changes to live workflows go behind `patched()`). Recorded histories live in
// test/fixtures/histories (protobuf); RECORD_HISTORIES=1 refreshes the reminder history from a real run.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createReminderActivities } from '../../src/activities';
import { createCompanyWithAdmin } from '../../src/companies/bootstrap';
import { reminderStateQuery } from '../../src/shared/reminder-contract';
import { reminderWorkflow } from '../../src/workflows';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { recordingPorts } from '../support/fake-ports';
import { bundleWorkflows, createTimeSkippingEnv } from '../support/temporal';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'histories');

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let testDb: TestDatabase;
beforeAll(async () => {
  [env, bundle, testDb] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows(), createTestDatabase()]);
});
afterAll(async () => {
  await env?.teardown();
  await testDb?.close();
});

test('a fresh reminder history (plan, sleep, signal, send, continue-as-new) replays on the current code', async () => {
  const { db } = testDb;
  const { sent, ports } = recordingPorts();
  const { company } = await createCompanyWithAdmin(db, { name: 'Replay Co', timeZone: 'Europe/Vienna' });
  const field = await db.contactField.findFirstOrThrow({ where: { companyId: company.id, key: 'birthday' } });
  const contact = await db.contact.create({
    data: {
      companyId: company.id,
      kind: 'person',
      name: 'Replay',
      phone: '+15550009999',
      smsConsent: true,
      fields: { birthday: '--03-15' },
    },
  });
  const rule = await db.notificationRule.create({
    data: {
      companyId: company.id,
      name: 'Replay rule',
      kind: 'person',
      eventFieldId: field.id,
      channel: 'sms',
      sendTime: '08:00',
      daysInAdvance: 1,
      bodyTemplate: 'Hi {{contactName}}',
    },
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'replay',
    workflowBundle: bundle,
    activities: createReminderActivities({ db, ports }),
  });
  const history = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue: 'replay',
      workflowId: `replay-${contact.id}`,
      args: [{ companyId: company.id, ruleId: rule.id, contactId: contact.id }],
    });
    const firstRunId = handle.firstExecutionRunId;
    let state = await handle.query(reminderStateQuery);
    while (state.phase !== 'sleeping') state = await handle.query(reminderStateQuery);
    await db.notificationRule.update({ where: { id: rule.id }, data: { sendTime: '08:30' } });
    await handle.signal('reminderChanged');
    await env.sleep(Date.parse(state.nextSendAt!) - (await env.currentTimeMs()) + 3_600_000);
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 50));
    return env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
  });
  await Worker.runReplayHistory({ workflowBundle: bundle }, history);
  // Stored as protobuf binary (what the server returns), decoded with the SDK's own proto types.
  if (process.env.RECORD_HISTORIES === '1')
    writeFileSync(
      path.join(FIXTURES, 'reminder-one-occurrence.history.pb'),
      temporal.api.history.v1.History.encode(history).finish(),
    );
});

test('every recorded history replays on the current code', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.history.pb'));
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(FIXTURES, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, file)).resolves.toBeUndefined();
  }
});
