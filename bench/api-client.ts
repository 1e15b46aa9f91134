// The service's admin API as the harness uses it: JSON over HTTP with an API key.
import { sleep } from './processes';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Api {
  baseUrl: string;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClient(baseUrl: string, apiKey: string): Api {
  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) throw new ApiError(res.status, `${method} ${path} → ${res.status} ${text.slice(0, 500)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** Polls GET /health until it answers 200; returns when it did (ms since epoch). */
export async function waitForHealth(baseUrl: string, timeoutMs: number, alive: () => boolean): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return Date.now();
    } catch {
      // Not listening yet.
    }
    if (!alive()) throw new Error(`the service exited before ${baseUrl}/health answered 200`);
    if (Date.now() > deadline) throw new Error(`${baseUrl}/health did not answer 200 within ${timeoutMs} ms`);
    // Fine-grained: this poll is what the restart time is measured with.
    await sleep(50);
  }
}
