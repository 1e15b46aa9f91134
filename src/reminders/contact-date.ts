// Reads a date field's value from a contact's form values (stored as JSON).
export function contactDateValue(fields: unknown, key: string): string | undefined {
  if (!fields || typeof fields !== 'object') return undefined;
  const value = (fields as Record<string, unknown>)[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
