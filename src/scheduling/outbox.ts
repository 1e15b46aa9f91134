// The outbox: every change that affects reminders is recorded here in the SAME transaction as the
// change itself, so it cannot be lost between the database and Temporal (the relay in
// outbox-relay.ts applies it, with retries, and deletes it). A row names only the subject; the
// relay re-reads the current rows, so duplicates and order of rows never matter for correctness.
import type { DbClient } from '../db/client';
import type { ContactKind } from '../generated/prisma/client';

export type ReminderChange =
  /** A contact was created, edited or deleted. */
  | { kind: 'contact'; companyId: string; contactId: string }
  /** A rule was created, edited, enabled, disabled or deleted. */
  | { kind: 'rule'; companyId: string; ruleId: string; ruleKind: ContactKind }
  /** The company's time zone, leap-day policy or late grace changed. */
  | { kind: 'company'; companyId: string };

/** Records `change` through `db`, which must be the transaction that makes the change. */
export async function recordReminderChange(db: DbClient, change: ReminderChange): Promise<void> {
  await db.reminderChange.create({
    data: {
      companyId: change.companyId,
      kind: change.kind,
      subjectId: subjectOf(change),
      ruleKind: change.kind === 'rule' ? change.ruleKind : null,
    },
  });
}

function subjectOf(change: ReminderChange): string {
  switch (change.kind) {
    case 'contact':
      return change.contactId;
    case 'rule':
      return change.ruleId;
    case 'company':
      return change.companyId;
  }
}
