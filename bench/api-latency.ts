// API latency under concurrent clients: a closed loop of `concurrency` clients, each sending its
// next request as soon as the previous answered, bounded by a request count and a duration
// (whichever comes first). Node's fetch keeps connections alive, as a real API client would.

export interface LoadOptions {
  concurrency: number;
  maxRequests: number;
  maxMs: number;
}

export interface Latency {
  label: string;
  requests: number;
  /** Answers that were not 2xx, or failed requests. */
  errors: number;
  statuses: Record<string, number>;
  durationMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  body?: unknown;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function measureLatency(
  label: string,
  baseUrl: string,
  apiKey: string,
  request: (i: number) => RequestSpec,
  options: LoadOptions,
): Promise<Latency> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const stopAt = started + options.maxMs;

  const client = async () => {
    while (issued < options.maxRequests && performance.now() < stopAt) {
      const spec = request(issued++);
      const t0 = performance.now();
      let status = 'error';
      try {
        const res = await fetch(`${baseUrl}${spec.path}`, {
          method: spec.method,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        });
        await res.arrayBuffer();
        status = String(res.status);
        if (res.status >= 300) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const durationMs = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    label,
    requests: sorted.length,
    errors,
    statuses,
    durationMs: Math.round(durationMs),
    perSecond: round((sorted.length / durationMs) * 1000),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}
