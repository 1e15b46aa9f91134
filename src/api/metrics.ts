// The API's Prometheus metrics (prom-client), served at `GET /metrics`: request durations by
// method, route template and status (templates, never raw paths, so ids do not explode the series
// count), the engine's outbox/reconciler series (runtime/metrics.ts) and Node's process metrics.
import type { Request, RequestHandler, Router } from 'express';
import express from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { promEngineMetrics, type EngineMetrics } from '../runtime/metrics';
import { routeTemplate } from './request-log';

export const HTTP_DURATION_SERIES = 'http_request_duration_seconds';

/** Requests that matched no route share one label value. */
export const UNMATCHED_ROUTE = '(unmatched)';

export interface ApiMetrics {
  registry: Registry;
  /** The port the outbox relay (and anything else in this process) reports through. */
  engine: EngineMetrics;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

export function createApiMetrics(
  options: {
    processMetrics?: boolean;
    /** The reconciler's repairs so far by kind (`repairTotals` of db/reconcile-runs), read at each scrape. */
    repairTotals?: () => Promise<Record<string, number>>;
  } = {},
): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: HTTP_DURATION_SERIES,
    help: 'Duration of API requests in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, engine: promEngineMetrics(registry, options.repairTotals), httpDuration };
}

/** Times every request; the route is read when the response is finished (after routing). */
export function measureRequests(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () =>
      stop({
        method: req.method,
        route: routeTemplate(req as Request) ?? UNMATCHED_ROUTE,
        status_code: res.statusCode,
      }),
    );
    next();
  };
}

export function metricsRouter(metrics: ApiMetrics): Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
