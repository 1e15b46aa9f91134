import type { MailboxConnectOptions } from '../../delivery/smtp-adapter';
import type { RouteTarget } from '../routing';

/** What every route module gets. Handlers reach the database through their context (`ctx.db`),
 * which for a write is the request's transaction; changes that affect reminders go into the
 * outbox through it (scheduling/outbox.ts), never straight to Temporal. */
export interface RouteDeps {
  routes: RouteTarget;
  mailboxSecretKey?: Buffer;
  /** How mailbox hosts are checked and connected to (save-time check, connection test). */
  mailboxConnect: MailboxConnectOptions;
}
