// Input of the rule fan-out workflow (wire format: it lands in workflow histories).
export interface RuleFanOutInput {
  companyId: string;
  ruleId: string;
  /** sync: start/re-plan every matching contact's reminder; stop: the rule is gone, end them. */
  mode: 'sync' | 'stop';
  /** The rule's contact kind (needed for `stop`, when the rule row no longer exists). */
  kind: 'person' | 'organization';
  /** Resume point after continue-as-new: the last contact id handled. */
  after?: string;
}

/** The fan-out workflow's signature (wire type name `ruleFanOutWorkflow`), for typed clients. */
export type RuleFanOutWorkflow = (input: RuleFanOutInput) => Promise<void>;
