// The send-metrics interceptor's reading rules, with a recording meter (the real endpoint is
// covered by test/integration/worker-observability.test.ts): which activities count, which labels,
// when a lag is recorded, and that a metrics problem never fails the activity.
import type { MetricMeter, MetricTags } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { reasonLabel, sendMetricsInterceptors } from '../../src/worker/send-metrics';
import { silentLogger } from '../../src/runtime/logger';

function recordingMeter() {
  const added: Array<{ name: string; value: number; tags?: MetricTags }> = [];
  const metric = (name: string) => ({
    name,
    add: (value: number, tags?: MetricTags) => void added.push({ name, value, tags }),
    record: (value: number, tags?: MetricTags) => void added.push({ name, value, tags }),
  });
  const meter = { createCounter: metric, createHistogram: metric } as unknown as MetricMeter;
  return { meter, added };
}

async function run(activityType: string, args: unknown[], result: unknown, now = Date.parse('2030-05-17T08:00:05Z')) {
  const { meter, added } = recordingMeter();
  const factory = sendMetricsInterceptors({ meter, logger: silentLogger, now: () => now });
  const interceptors = factory({ info: { activityType } } as Context);
  const returned = await interceptors.inbound!.execute!(
    { args, headers: {} } as ActivityExecuteInput,
    async () => result,
  );
  return { returned, added };
}

const planned = { scheduledFor: '2030-05-17T08:00:00.000Z' };

test('recordOutcome: a sent outcome counts once with its channel and records the lag in seconds', async () => {
  const outcome = { status: 'sent', channel: 'sms', occurrenceDate: '2030-05-17' };
  const { returned, added } = await run('recordOutcome', [planned], outcome);
  expect(returned).toBe(outcome);
  expect(added).toEqual([
    { name: 'reminders_sends_total', value: 1, tags: { channel: 'sms', outcome: 'sent', reason: 'none' } },
    { name: 'reminders_send_lag_seconds', value: 5, tags: { channel: 'sms' } },
  ]);
});

test('a skipped or failed outcome counts with its reason and records no lag', async () => {
  const { added } = await run('recordOutcome', [planned], { status: 'skipped', reason: 'no-sms-consent' });
  expect(added).toEqual([
    {
      name: 'reminders_sends_total',
      value: 1,
      tags: { channel: 'none', outcome: 'skipped', reason: 'no-sms-consent' },
    },
  ]);
});

test('deliverOccurrence: the outcome may come alone or beside the next plan', async () => {
  const outcome = { status: 'sent', channel: 'email', occurrenceDate: '2030-05-17' };
  const beside = await run('deliverOccurrence', [{ sendAt: planned.scheduledFor }], { outcome, next: {} });
  expect(beside.added.map((a) => a.name)).toEqual(['reminders_sends_total', 'reminders_send_lag_seconds']);
  const replan = await run('deliverOccurrence', [planned], { replan: true });
  expect(replan.added).toEqual([]);
});

test('other activities, and results that are not outcomes, are not counted', async () => {
  expect((await run('dispatch', [planned], { status: 'sent', channel: 'sms' })).added).toEqual([]);
  expect((await run('recordOutcome', [planned], { status: 'fallback' })).added).toEqual([]);
});

test('a send before its planned instant (clock skew) records a lag of 0', async () => {
  const { added } = await run(
    'recordOutcome',
    [planned],
    { status: 'sent', channel: 'sms' },
    Date.parse(planned.scheduledFor) - 3000,
  );
  expect(added[1]).toMatchObject({ value: 0 });
});

test('a meter that throws never fails the activity', async () => {
  const meter = {
    createCounter: () => ({
      add: () => {
        throw new Error('exporter gone');
      },
    }),
    createHistogram: () => ({ record: () => undefined }),
  } as unknown as MetricMeter;
  const interceptors = sendMetricsInterceptors({ meter, logger: silentLogger })({
    info: { activityType: 'recordOutcome' },
  } as Context);
  const outcome = { status: 'sent', channel: 'sms' };
  await expect(
    interceptors.inbound!.execute!({ args: [planned], headers: {} } as ActivityExecuteInput, async () => outcome),
  ).resolves.toBe(outcome);
});

test.each([
  [undefined, 'none'],
  ['no-phone', 'no-phone'],
  ['whatsapp-transient (63016)', 'whatsapp-transient'],
  ['Some Provider Text', 'some'],
  ['!!!', 'other'],
])('reason %p is labelled %p (a small fixed set of values)', (reason, label) => {
  expect(reasonLabel(reason)).toBe(label);
});
