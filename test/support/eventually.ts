// Waiting and failing, the two things almost every test file needs.

/** Polls `check` until it holds; fails naming `what` when `timeoutMs` passes first. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 120_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls `attempt` until it returns something other than undefined (a rejection counts as "not
 * yet") and returns that; fails naming `what` and the last rejection when `timeoutMs` passes first.
 */
export async function eventuallyValue<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  let value: T | undefined;
  let lastError: unknown;
  const tried = async () => {
    value = await attempt().catch((error: unknown) => {
      lastError = error;
      return undefined;
    });
    return value !== undefined;
  };
  try {
    await eventually(tried, what, options);
  } catch (error) {
    if (lastError === undefined) throw error;
    throw new Error(`${error instanceof Error ? error.message : String(error)} (last error: ${String(lastError)})`);
  }
  return value as T;
}

/** The error `p` rejects with; a test failure when it resolves instead. */
export async function failureOf<E extends Error = Error & { type?: string; nonRetryable?: boolean }>(
  p: Promise<unknown>,
  expectedClass?: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (err) {
    if (expectedClass) expect(err).toBeInstanceOf(expectedClass);
    return err as E;
  }
  throw new Error('expected a failure, but it succeeded');
}
