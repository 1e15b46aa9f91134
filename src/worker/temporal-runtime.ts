// The Temporal runtime of a worker process, installed once before any worker or native connection:
// the SDK and Core log through our pino logger, and its Prometheus exporter serves the SDK's own
// metrics plus ours (send-metrics.ts) on WORKER_METRICS_ADDRESS, `/metrics`.
import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';
import { asTemporalLogger, type ServiceLogger } from '../runtime/logger';
import { SEND_LAG_BUCKETS_SECONDS, SEND_SERIES } from './send-metrics';

export interface InstalledRuntime {
  /** `http://host:port/metrics`, or undefined when metrics are off or the address was taken. */
  metricsUrl?: string;
}

export function installTemporalRuntime(config: Config, logger: ServiceLogger): InstalledRuntime {
  const options = {
    logger: asTemporalLogger(logger),
    telemetryOptions: {
      // Core's own lines are forwarded to the logger above instead of printed in their own format.
      logging: { filter: { core: config.LOG_LEVEL === 'debug' ? 'INFO' : 'WARN', other: 'ERROR' }, forward: {} },
    },
  } as const;
  const address = config.WORKER_METRICS_ADDRESS;
  if (address === 'off') {
    Runtime.install(options);
    return {};
  }
  try {
    Runtime.install({
      ...options,
      telemetryOptions: {
        ...options.telemetryOptions,
        metrics: {
          prometheus: {
            bindAddress: address,
            // Seconds, like every other duration on the dashboard (the SDK's default is ms).
            useSecondsForDurations: true,
            histogramBucketOverrides: { [SEND_SERIES.lag]: SEND_LAG_BUCKETS_SECONDS },
          },
        },
      },
    });
  } catch (error) {
    // A second worker on the same machine with the default address: run without metrics rather
    // than not at all, and say which setting fixes it.
    logger.warn('worker metrics are off: the metrics address could not be bound (set WORKER_METRICS_ADDRESS)', {
      address,
      error: error instanceof Error ? error.message : String(error),
    });
    Runtime.install(options);
    return {};
  }
  return { metricsUrl: `http://${address}/metrics` };
}
