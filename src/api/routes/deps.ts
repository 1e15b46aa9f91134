import type { ReminderScheduler } from '../../scheduling/scheduler';
import type { RouteTarget } from '../routing';

/** What every route module gets. Handlers reach the database through their context (`ctx.db`),
 * which for a write is the request's transaction. */
export interface RouteDeps {
  routes: RouteTarget;
  scheduler: ReminderScheduler;
  mailboxSecretKey?: Buffer;
}
