// The Express app, built from its dependencies so tests and processes wire it the same way.
import express from 'express';
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import { errorHandler, notFoundHandler } from './errors';
import { healthRouter, type HealthChecks } from './health';

export interface AppDeps {
  db: Db;
  health: HealthChecks;
  logger: Logger;
  exposeStackTraces?: boolean;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '256kb' }));
  app.use(healthRouter(deps.health));
  app.use(notFoundHandler);
  app.use(errorHandler({ exposeStack: deps.exposeStackTraces ?? false, log: deps.logger.error }));
  return app;
}
