// Validates a contact's form values against the company's form for that kind.
import type { ContactField } from '../generated/prisma/client';
import { parseEventValue } from '../calendar/schedule';
import { HttpError } from './errors';

const CHECKS: Record<string, (value: unknown) => string | null> = {
  text: (v) => (typeof v === 'string' && v.length <= 2000 ? null : 'must be text (up to 2000 characters)'),
  number: (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number'),
  boolean: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  date: (v) =>
    typeof v === 'string' && parseEventValue(v) ? null : 'must be a date YYYY-MM-DD or a yearly date --MM-DD',
  email: (v) => (typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? null : 'must be an email address'),
  phone: (v) => (typeof v === 'string' && /^\+[1-9]\d{6,14}$/.test(v) ? null : 'must be an E.164 phone number'),
};

/** Returns the cleaned values (null removes a value); throws a 400 naming every bad field. */
export type FieldValue = string | number | boolean;

export function checkFieldValues(
  form: ContactField[],
  values: Record<string, FieldValue | null>,
): Record<string, FieldValue | null> {
  const byKey = new Map(form.map((f) => [f.key, f]));
  const details: Array<{ path: string; message: string }> = [];
  for (const [key, value] of Object.entries(values)) {
    const field = byKey.get(key);
    if (!field) {
      details.push({
        path: `body.fields.${key}`,
        message: `unknown field "${key}" (the form has: ${[...byKey.keys()].join(', ') || 'no fields'})`,
      });
      continue;
    }
    if (value === null) continue;
    const problem = CHECKS[field.type]!(value);
    if (problem) details.push({ path: `body.fields.${key}`, message: `${field.label} ${problem}` });
  }
  if (details.length > 0) {
    throw new HttpError(
      400,
      'validation_failed',
      `Invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      details,
    );
  }
  return values;
}

/** Merges a patch into stored values; `null` deletes a value. */
export function mergeFieldValues(
  stored: unknown,
  patch: Record<string, FieldValue | null>,
): Record<string, FieldValue> {
  const merged: Record<string, FieldValue> = {
    ...(stored && typeof stored === 'object' ? (stored as Record<string, FieldValue>) : {}),
  };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
