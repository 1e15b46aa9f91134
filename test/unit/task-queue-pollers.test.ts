import { msNumberToTs } from '@temporalio/common/lib/time';
import { LIVE_POLLER_WINDOW_MS, summarizePollers } from '../../src/runtime/task-queue-pollers';

const NOW = Date.parse('2026-12-04T10:00:00Z');
const poller = (identity: string, agoMs: number) => ({ identity, lastAccessTime: msNumberToTs(NOW - agoMs) });

test('a worker polling both queues recently is live and makes the report ok', () => {
  const report = summarizePollers({ workflow: [poller('1@a', 2_000)], activity: [poller('1@a', 5_000)] }, NOW);
  expect(report).toEqual({
    ok: true,
    pollers: [
      {
        identity: '1@a',
        lastAccessTime: '2026-12-04T09:59:58.000Z',
        live: true,
        taskQueueTypes: ['workflow', 'activity'],
      },
    ],
  });
});

test('a poller silent for longer than the window is listed as dead (Temporal keeps it for minutes)', () => {
  const dead = LIVE_POLLER_WINDOW_MS + 1_000;
  const report = summarizePollers(
    { workflow: [poller('1@a', dead), poller('2@b', 1_000)], activity: [poller('1@a', dead), poller('2@b', 3_000)] },
    NOW,
  );
  expect(report.ok).toBe(true);
  expect(report.pollers.map((p) => [p.identity, p.live])).toEqual([
    ['2@b', true],
    ['1@a', false],
  ]);
});

test('not ok when only dead pollers remain, or when one queue has no live poller', () => {
  const dead = LIVE_POLLER_WINDOW_MS + 1_000;
  expect(summarizePollers({ workflow: [poller('1@a', dead)], activity: [poller('1@a', dead)] }, NOW).ok).toBe(false);
  expect(summarizePollers({ workflow: [poller('1@a', 1_000)], activity: [] }, NOW).ok).toBe(false);
  expect(summarizePollers({ workflow: [], activity: [] }, NOW)).toEqual({ ok: false, pollers: [] });
});
