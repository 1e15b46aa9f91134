// The Express app, built from its dependencies so tests and processes wire it the same way.
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client';
import type { MailboxConnectOptions } from '../delivery/smtp-adapter';
import type { ChannelDirectory, DeliveryPorts } from '../delivery/ports';
import { databaseChannels } from '../channels/directory';
import type { Logger } from '../runtime/logger';
import type { ReminderStates } from '../scheduling/reminder-states';
import { authenticate } from './auth';
import { codecRouter, type CodecEndpointOptions } from './codec';
import { consoleRouter } from './console';
import { errorHandler, HttpError, notFoundHandler } from './errors';
import { healthRouter, type HealthChecks } from './health';
import { measureRequests, metricsRouter, type ApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { registerWebhookDocs } from './webhooks/openapi';
import { activityRoutes } from './routes/activity';
import { apiKeyRoutes } from './routes/api-keys';
import { channelConnectionRoutes } from './routes/channel-connections';
import { chatRoutes } from './routes/chats';
import { companyRoutes } from './routes/company';
import { contactFieldRoutes } from './routes/contact-fields';
import { contactRoutes } from './routes/contacts';
import type { RouteDeps, TemporalUiLocation } from './routes/deps';
import { mailboxRoutes } from './routes/mailboxes';
import { reminderRoutes } from './routes/reminders';
import { ruleStatsRoutes } from './routes/rule-stats';
import { ruleRoutes } from './routes/rules';
import { sessionRoutes } from './routes/session';
import { testSendRoutes } from './routes/test-send';
import { userRoutes } from './routes/users';
import { workOrderRoutes } from './routes/work-orders';
import { requestLogging } from './request-log';

export interface AppDeps {
  db: Db;
  health: HealthChecks;
  logger: Logger;
  /** The outbox relay of this process: nudged after every committed write. Without one (API tests)
   * recorded changes simply stay in the outbox. */
  relay?: { nudge(): void };
  mailboxSecretKey?: Buffer;
  /** Mailbox hosts: which addresses are allowed (default public only) and transport options. */
  mailboxConnect?: MailboxConnectOptions;
  exposeStackTraces?: boolean;
  /** Extra routers mounted before the JSON API (webhooks bring their own body parsers). */
  publicRouters?: Router[];
  /** Prometheus metrics served at `/metrics` (and request durations recorded into them). */
  metrics?: ApiMetrics;
  /** The remote codec endpoint for the Temporal UI and CLI, when payloads are encrypted. */
  codec?: Omit<CodecEndpointOptions, 'logger'>;
  /** The built web console (web/dist) to serve at `/`. */
  consoleDir?: string;
  /** The process-wide senders (of a single-company install): the default of every company that
   * connected no channel of its own. */
  delivery?: DeliveryPorts;
  /** Where each company's messages go out, as the worker resolves it (test sends, the Channels
   * screen). Default: the companies' own connections over `delivery`. */
  channels?: ChannelDirectory;
  /** The Temporal UI, linked from the upcoming sends. */
  temporalUi?: TemporalUiLocation;
  /** The reminders' state (running workflows, next sends) for the reminder routes. */
  reminderStates?: ReminderStates;
}

const ROUTE_MODULES = [
  sessionRoutes,
  companyRoutes,
  userRoutes,
  apiKeyRoutes,
  contactFieldRoutes,
  contactRoutes,
  chatRoutes,
  workOrderRoutes,
  mailboxRoutes,
  channelConnectionRoutes,
  ruleRoutes,
  testSendRoutes,
  ruleStatsRoutes,
  reminderRoutes,
  activityRoutes,
];

/** A body that is not JSON would otherwise be ignored silently and reported as missing fields. */
const requireJsonBody: express.RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is('application/json')) {
    return next(
      new HttpError(
        415,
        'unsupported_media_type',
        'Send the request body as JSON with "Content-Type: application/json"',
      ),
    );
  }
  next();
};

/** Every /v1 route on one router, and the OpenAPI document that describes them. */
function v1Api(
  deps: Pick<
    AppDeps,
    'db' | 'relay' | 'mailboxSecretKey' | 'mailboxConnect' | 'delivery' | 'channels' | 'temporalUi' | 'reminderStates'
  > & {
    logger?: Logger;
  },
) {
  const registry = new OpenAPIRegistry();
  const router = Router();
  const routeDeps: RouteDeps = {
    routes: { router, registry, db: deps.db, onCommit: deps.relay && (() => deps.relay!.nudge()) },
    mailboxSecretKey: deps.mailboxSecretKey,
    mailboxConnect: deps.mailboxConnect ?? { hosts: { allowPrivateHosts: false } },
    channels:
      deps.channels ??
      databaseChannels({ db: deps.db, secretKey: deps.mailboxSecretKey, defaults: deps.delivery ?? {} }),
    temporalUi: deps.temporalUi,
    reminderStates: deps.reminderStates,
    logger: deps.logger,
  };
  for (const register of ROUTE_MODULES) register(routeDeps);
  registerWebhookDocs(registry);
  return { router, document: buildOpenApiDocument(registry) };
}

/**
 * The document `/openapi.json` serves, without a database, Temporal or a server: the routes are
 * registered and described, none can run. The console's typed client is generated from it.
 */
export function openApiDocument(): ReturnType<typeof buildOpenApiDocument> {
  const cannotRun = new Proxy(
    {},
    {
      get() {
        throw new Error('openApiDocument() only describes the routes; it cannot run them');
      },
    },
  );
  return v1Api({ db: cannotRun as Db }).document;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogging(deps.logger));
  if (deps.metrics) app.use(measureRequests(deps.metrics), metricsRouter(deps.metrics));
  app.use(healthRouter(deps.health));
  if (deps.codec) app.use(codecRouter({ ...deps.codec, logger: deps.logger }));
  for (const router of deps.publicRouters ?? []) app.use(router);

  const { router: v1, document } = v1Api(deps);

  app.get('/openapi.json', (_req, res) => void res.json(document));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));
  // The key is checked before the body is read: an unauthenticated caller learns nothing else.
  app.use('/v1', authenticate(deps.db), requireJsonBody, express.json({ limit: '256kb' }));
  app.use(v1);
  if (deps.consoleDir) app.use(consoleRouter(deps.consoleDir));
  app.use(notFoundHandler);
  app.use(errorHandler({ exposeStack: deps.exposeStackTraces ?? false, log: deps.logger.error }));
  return app;
}
