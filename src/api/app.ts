// The Express app, built from its dependencies so tests and processes wire it the same way.
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import type { ReminderScheduler } from '../reminders/scheduler';
import { requireApiKey } from './auth';
import { errorHandler, notFoundHandler } from './errors';
import { healthRouter, type HealthChecks } from './health';
import { buildOpenApiDocument } from './openapi';
import { activityRoutes } from './routes/activity';
import { chatRoutes } from './routes/chats';
import { companyRoutes } from './routes/company';
import { contactFieldRoutes } from './routes/contact-fields';
import { contactRoutes } from './routes/contacts';
import type { RouteDeps } from './routes/deps';
import { mailboxRoutes } from './routes/mailboxes';
import { reminderRoutes } from './routes/reminders';
import { ruleRoutes } from './routes/rules';
import { userRoutes } from './routes/users';

export interface AppDeps {
  db: Db;
  health: HealthChecks;
  logger: Logger;
  scheduler: ReminderScheduler;
  mailboxSecretKey?: Buffer;
  exposeStackTraces?: boolean;
  /** Extra routers mounted before the JSON API (webhooks bring their own body parsers). */
  publicRouters?: Router[];
}

const ROUTE_MODULES = [companyRoutes, userRoutes, contactFieldRoutes, contactRoutes, chatRoutes, mailboxRoutes, ruleRoutes, reminderRoutes, activityRoutes];

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(healthRouter(deps.health));
  for (const router of deps.publicRouters ?? []) app.use(router);

  const registry = new OpenAPIRegistry();
  const v1 = Router();
  const routeDeps: RouteDeps = { router: v1, registry, db: deps.db, scheduler: deps.scheduler, mailboxSecretKey: deps.mailboxSecretKey };
  for (const register of ROUTE_MODULES) register(routeDeps);
  const document = buildOpenApiDocument(registry);

  app.get('/openapi.json', (_req, res) => void res.json(document));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));
  app.use('/v1', express.json({ limit: '256kb' }), requireApiKey(deps.db));
  app.use(v1);
  app.use(notFoundHandler);
  app.use(errorHandler({ exposeStack: deps.exposeStackTraces ?? false, log: deps.logger.error }));
  return app;
}
