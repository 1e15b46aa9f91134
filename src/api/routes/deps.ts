import type { MailboxConnectOptions } from '../../delivery/smtp-adapter';
import type { ChannelDirectory } from '../../delivery/ports';
import type { Logger } from '../../runtime/logger';
import type { ReminderStates } from '../../scheduling/reminder-states';
import type { RouteTarget } from '../routing';

/** What every route module gets. Handlers reach the database through their context (`ctx.db`),
 * which for a write is the request's transaction; changes that affect reminders go into the
 * outbox through it (scheduling/outbox.ts), never straight to Temporal. */
export interface RouteDeps {
  routes: RouteTarget;
  mailboxSecretKey?: Buffer;
  /** How mailbox hosts are checked and connected to (save-time check, connection test). */
  mailboxConnect: MailboxConnectOptions;
  /** Each company's senders as the worker resolves them (its own connections, else the
   * process-wide default): test sends from the notification dialog, the Channels screen. */
  channels: ChannelDirectory;
  /** The Temporal UI, for links to a reminder's workflow. */
  temporalUi?: TemporalUiLocation;
  /** The reminders' state in Temporal (without it, the routes that read it answer 503). */
  reminderStates?: ReminderStates;
  logger?: Logger;
}

export interface TemporalUiLocation {
  url: string;
  namespace: string;
}
