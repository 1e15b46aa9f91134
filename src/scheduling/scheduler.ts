// What the API tells the reminder machinery when data a reminder depends on changes. The
// Temporal implementation lives in temporal-scheduler.ts; API tests may record calls instead.
export interface RuleRef {
  id: string;
  companyId: string;
}

export interface ReminderScheduler {
  /** A contact was created or edited: start, re-plan or end its reminders, one per rule. */
  contactChanged(companyId: string, contactId: string): Promise<void>;
  /** A rule was created, edited, enabled or disabled: re-sync every matching contact (durably). */
  ruleChanged(rule: RuleRef): Promise<void>;
  /** A rule was deleted: end all of its reminders (durably). */
  ruleDeleted(rule: RuleRef & { kind: string }): Promise<void>;
  /** Time zone, leap-day policy or grace changed: every reminder of the company re-plans. */
  companyChanged(companyId: string): Promise<void>;
}
