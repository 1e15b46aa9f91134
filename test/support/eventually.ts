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
