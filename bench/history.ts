// History events per occurrence, read from one storm reminder (workflow id
// `reminder:<ruleId>:<contactId>`) after its send:
// - "occurrence run": every event of the run that handled the occurrence — its start (arming:
//   plan, sleep), the timer, the delivery and the continue-as-new that ends it. In steady state
//   each yearly occurrence costs one such run.
// - "re-arm": the next run's events up to and including its first TimerStarted, i.e. what it took
//   to be asleep with the next plan (these are part of next year's occurrence run).
// When the engine no longer continues-as-new per occurrence, the current run is counted instead,
// and `note` says so.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { sleep } from './processes';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

export interface OccurrenceHistory {
  workflowId: string;
  occurrenceRunEvents: number;
  /** Of those: workflow tasks, activities (scheduled), local activities (markers), timers, signals. */
  breakdown: Record<string, number>;
  rearmEvents?: number;
  note?: string;
}

function breakdown(events: HistoryEvent[]): Record<string, number> {
  const of = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  return {
    workflowTasks: of(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    activities: of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: of(EventType.EVENT_TYPE_MARKER_RECORDED),
    timers: of(EventType.EVENT_TYPE_TIMER_STARTED),
    signals: of(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
  };
}

export async function occurrenceHistory(client: Client, ruleId: string, contactId: string): Promise<OccurrenceHistory> {
  const workflowId = `reminder:${ruleId}:${contactId}`;
  const current = client.workflow.getHandle(workflowId);
  // Right after the storm the next run may not exist yet, or not be asleep yet: wait for both.
  let events: HistoryEvent[] = [];
  for (let tries = 0; tries < 120; tries++) {
    events = (await current.fetchHistory()).events ?? [];
    const continued = Boolean(events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId);
    if (continued && events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)) break;
    await sleep(500);
  }
  const previousRunId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  if (!previousRunId) {
    return {
      workflowId,
      occurrenceRunEvents: events.length,
      breakdown: breakdown(events),
      note: 'the reminder did not continue-as-new after the occurrence: counted its current run so far',
    };
  }
  const occurrence = (await client.workflow.getHandle(workflowId, previousRunId).fetchHistory()).events ?? [];
  const firstTimer = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
  return {
    workflowId,
    occurrenceRunEvents: occurrence.length,
    breakdown: breakdown(occurrence),
    rearmEvents: firstTimer >= 0 ? firstTimer + 1 : undefined,
  };
}
