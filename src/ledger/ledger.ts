// The delivery ledger: one `Notification` row per (rule, contact, occurrence), and the ONE module
// that moves its status. Every transition is a conditional update from the states it may leave, so
// concurrent attempts, retries and provider callbacks can only ever move a row forward:
//
//   pending ──claim──▶ sending ──settle──▶ sent | failed | skipped
//      │                  │ └──release──▶ pending        (nothing reached the provider)
//      │                  └──interrupted─▶ failed         (a text may or may not have gone out)
//      └──settle──▶ skipped | failed                      (nothing to send, or gave up)
//   sent ──provider callback──▶ delivered | undelivered | failed
//   sending, or failed as interrupted-during-dispatch ──callback carrying the row's id──▶ sent (…)
import type { Db, DbClient, Prisma } from '../db/client';
import type { NotificationStatus } from '../generated/prisma/client';
import type { DeliveryOutcome, OccurrenceRef } from '../shared/reminder-contract';

export type LedgerStatus = NotificationStatus;
export type LedgerRow = Awaited<ReturnType<DbClient['notification']['findUniqueOrThrow']>>;

/** Every status, for API filters and documentation. */
export const LEDGER_STATUSES: readonly LedgerStatus[] = [
  'pending',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'skipped',
];

/** Reason of a text whose provider call was cut off by a crash: recorded instead of risking a duplicate. */
export const INTERRUPTED = 'interrupted-during-dispatch';

/** The reminder outcome a ledger status stands for; null while the occurrence is still in progress.
 * Exhaustive on purpose: a status added later fails to compile here instead of reading as sent. */
export function outcomeStatusOf(status: LedgerStatus): DeliveryOutcome['status'] | null {
  switch (status) {
    case 'sent':
    case 'delivered':
      return 'sent';
    case 'undelivered':
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
    case 'pending':
    case 'sending':
      return null;
  }
}

/** The row's outcome, or null while it is pending or being sent. */
export function outcomeOf(row: LedgerRow): DeliveryOutcome | null {
  const status = outcomeStatusOf(row.status);
  if (!status) return null;
  return {
    status,
    occurrenceDate: row.occurrenceDate,
    ...(row.channel ? { channel: row.channel } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.providerMessageId ? { providerMessageId: row.providerMessageId } : {}),
  };
}

/** The row of this occurrence, written before anything is sent (unique per rule, contact, occurrence). */
export function openRow(db: DbClient, ref: OccurrenceRef): Promise<LedgerRow> {
  return db.notification.upsert({
    where: {
      ruleId_contactId_occurrenceDate: {
        ruleId: ref.ruleId,
        contactId: ref.contactId,
        occurrenceDate: ref.occurrenceDate,
      },
    },
    create: {
      companyId: ref.companyId,
      ruleId: ref.ruleId,
      contactId: ref.contactId,
      occurrenceDate: ref.occurrenceDate,
      scheduledFor: new Date(ref.scheduledFor),
      status: 'pending',
    },
    update: {},
  });
}

/** pending → sending, immediately before the provider call; false when another attempt holds it. */
export async function claim(db: DbClient, id: string, route: { channel: string; sender?: string }): Promise<boolean> {
  const claimed = await db.notification.updateMany({
    where: { id, status: 'pending' },
    data: { status: 'sending', channel: route.channel, sender: route.sender ?? null },
  });
  return claimed.count === 1;
}

/** sending → pending: the provider was never reached (a transient refusal, a failure before the call). */
export async function release(db: DbClient, id: string): Promise<void> {
  await db.notification.updateMany({
    where: { id, status: 'sending' },
    data: { status: 'pending', channel: null, sender: null },
  });
}

export interface Settlement {
  status: 'sent' | 'failed' | 'skipped';
  channel?: string | null;
  sender?: string | null;
  reason?: string | null;
  providerMessageId?: string | null;
  providerErrorCode?: string | null;
  providerStatus?: string | null;
}

/** pending | sending → a final status. Returns whether this call settled it (false: already final). */
export async function settle(db: DbClient, id: string, to: Settlement): Promise<boolean> {
  const settled = await db.notification.updateMany({
    where: { id, status: { in: ['pending', 'sending'] } },
    data: {
      status: to.status,
      ...(to.channel !== undefined ? { channel: to.channel } : {}),
      ...(to.sender !== undefined ? { sender: to.sender } : {}),
      reason: to.reason ?? null,
      providerMessageId: to.providerMessageId ?? null,
      providerErrorCode: to.providerErrorCode ?? null,
      providerStatus: to.providerStatus ?? null,
    },
  });
  return settled.count === 1;
}

// ---------------------------------------------------------------------------------------------
// Provider callbacks (Twilio's StatusCallback)

/** Twilio's message statuses, ranked: a report only ever replaces a lower-ranked one. */
const PROVIDER_RANK: Readonly<Record<string, number>> = {
  queued: 0,
  accepted: 0,
  scheduled: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  read: 3,
  undelivered: 3,
  failed: 3,
};
/** Reports that end a sent message's story in the ledger. */
const LEDGER_STATUS_OF_REPORT: Readonly<Record<string, 'delivered' | 'undelivered' | 'failed'>> = {
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

export function isKnownProviderStatus(status: string): boolean {
  return status in PROVIDER_RANK;
}

export interface ProviderReport {
  providerMessageId: string;
  /** The ledger row's id, when the callback URL carried it (our own StatusCallback URLs do). */
  notificationId?: string;
  status: string;
  errorCode?: string;
}

/**
 * Applies one provider status report: sent → delivered | undelivered | failed, never back; a row
 * whose send was cut off by a crash (still `sending`, or recorded as interrupted) is settled as sent
 * by any report for it, since a report proves the provider accepted the message. Feed entries for
 * what the contact's timeline should show. Returns the rows it changed.
 */
export async function applyProviderReport(
  db: Db,
  report: ProviderReport,
  /** Only rows matching this (the companies the reporting provider account serves). */
  scope: Prisma.NotificationWhereInput = {},
): Promise<number> {
  const rank = PROVIDER_RANK[report.status];
  if (rank === undefined) return 0;
  const byId = report.notificationId
    ? [{ id: report.notificationId, providerMessageId: null, status: { in: ['sending', 'failed'] as LedgerStatus[] } }]
    : [];
  const rows = await db.notification.findMany({
    where: { AND: [scope, { OR: [{ providerMessageId: report.providerMessageId }, ...byId] }] },
    select: { id: true },
  });
  let changed = 0;
  for (const { id } of rows) {
    // One transaction per row: the status and its feed entry together.
    const moved = await db.$transaction(async (tx) => {
      const confirmed = await confirmInterrupted(
        tx,
        await tx.notification.findUniqueOrThrow({ where: { id } }),
        report,
      );
      const advanced = await advance(tx, await tx.notification.findUniqueOrThrow({ where: { id } }), report, rank);
      return confirmed || advanced;
    });
    if (moved) changed++;
  }
  return changed;
}

/** A row left `sending` (or recorded as interrupted) by a crash: the report proves it was sent. */
async function confirmInterrupted(db: DbClient, row: LedgerRow, report: ProviderReport): Promise<boolean> {
  if (row.providerMessageId || row.id !== report.notificationId) return false;
  const confirmed = await db.notification.updateMany({
    where: {
      id: row.id,
      providerMessageId: null,
      OR: [{ status: 'sending' }, { status: 'failed', reason: INTERRUPTED }],
    },
    data: { status: 'sent', reason: null, providerMessageId: report.providerMessageId },
  });
  if (confirmed.count === 0) return false;
  await db.activityEntry.create({
    data: {
      companyId: row.companyId,
      contactId: row.contactId,
      kind: 'delivery.confirmed',
      text: `Reminder for ${row.occurrenceDate} was sent after all${row.channel ? ` via ${row.channel}` : ''}: the provider reported "${report.status}"`,
      channel: row.channel,
      sender: row.sender,
      // No notificationId: entries carrying it are the delivery's own outcome entries.
    },
  });
  return true;
}

async function advance(db: DbClient, row: LedgerRow, report: ProviderReport, rank: number): Promise<boolean> {
  if (row.status !== 'sent') return false;
  const previous = row.providerStatus ? (PROVIDER_RANK[row.providerStatus] ?? -1) : -1;
  if (rank <= previous) return false;
  const to = LEDGER_STATUS_OF_REPORT[report.status];
  // Conditional on the row being as we read it: a concurrent callback may have moved it on.
  const moved = await db.notification.updateMany({
    where: { id: row.id, status: 'sent', providerStatus: row.providerStatus },
    data: {
      providerStatus: report.status,
      ...(to ? { status: to } : {}),
      ...(to && report.errorCode ? { providerErrorCode: report.errorCode } : {}),
    },
  });
  if (moved.count === 0) return false;
  if (to === 'undelivered' || to === 'failed') {
    const via = row.channel ? ` via ${row.channel}` : '';
    await db.activityEntry.create({
      data: {
        companyId: row.companyId,
        contactId: row.contactId,
        kind: `delivery.${to}`,
        text: `Reminder for ${row.occurrenceDate} ${to === 'failed' ? 'failed' : 'was not delivered'}${via}: the provider reported "${report.status}"${report.errorCode ? ` [code ${report.errorCode}]` : ''}`,
        channel: row.channel,
        sender: row.sender,
        // No notificationId: entries carrying it are the delivery's own outcome entries.
      },
    });
  }
  return true;
}
