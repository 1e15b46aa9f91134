// Custom search attributes (wire names: they appear in the Temporal UI filters and must be
// registered on every server the project starts or targets).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CompanyIdAttr = defineSearchAttributeKey('CompanyId', SearchAttributeType.KEYWORD);
export const RuleIdAttr = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const ContactIdAttr = defineSearchAttributeKey('ContactId', SearchAttributeType.KEYWORD);
export const NextSendAtAttr = defineSearchAttributeKey('NextSendAt', SearchAttributeType.DATETIME);

/** `Name=Type` pairs as the temporal CLI's `--search-attribute` flag wants them. */
export const SEARCH_ATTRIBUTE_FLAGS = [
  'CompanyId=Keyword',
  'RuleId=Keyword',
  'ContactId=Keyword',
  'NextSendAt=Datetime',
];
