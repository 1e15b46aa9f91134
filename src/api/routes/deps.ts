import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import type { Db } from '../../db/client';
import type { ReminderScheduler } from '../../scheduling/scheduler';

/** What every route module gets. */
export interface RouteDeps {
  router: Router;
  registry: OpenAPIRegistry;
  db: Db;
  scheduler: ReminderScheduler;
  mailboxSecretKey?: Buffer;
}
