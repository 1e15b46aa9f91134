// Names for the API's shapes, read from the generated document types (never written by hand).
import type { paths } from './schema';

type Json<R> = R extends { content: { 'application/json': infer J } } ? J : never;

/** The JSON a route answers with on success (200 or 201). */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: infer S }
    ? Json<S>
    : R extends { 201: infer S }
      ? Json<S>
      : never
  : never;

/** The JSON body a route accepts. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type Me = ResponseOf<'/v1/me', 'get'>;
export type Company = ResponseOf<'/v1/company', 'get'>;
export type Rule = ResponseOf<'/v1/notification-rules/{id}', 'get'>;
export type RuleCreate = BodyOf<'/v1/notification-rules', 'post'>;
export type RulePreview = ResponseOf<'/v1/notification-rules/preview', 'post'>;
export type RuleDraft = BodyOf<'/v1/notification-rules/preview', 'post'>['rule'];
export type EmailSenders = ResponseOf<'/v1/notification-rules/email-senders', 'get'>;
export type NotificationEvent = ResponseOf<'/v1/notification-events', 'get'>['items'][number];
export type ContactField = ResponseOf<'/v1/contact-fields', 'get'>['items'][number];
export type Contact = ResponseOf<'/v1/contacts/{id}', 'get'>;
export type ContactKind = Contact['kind'];
export type ActivityEntry = ResponseOf<'/v1/contacts/{id}/activity', 'get'>['items'][number];
export type ContactReminder = ResponseOf<'/v1/contacts/{id}/reminders', 'get'>['items'][number];
export type Chat = ResponseOf<'/v1/chats/{id}', 'get'>;
export type ChatMessage = ResponseOf<'/v1/chats/{id}/messages', 'get'>['items'][number];
export type WorkOrder = ResponseOf<'/v1/work-orders/{id}', 'get'>;
export type Mailbox = ResponseOf<'/v1/mailboxes/{id}', 'get'>;
export type User = ResponseOf<'/v1/users', 'get'>['items'][number];
export type UpcomingSend = ResponseOf<'/v1/upcoming-sends', 'get'>['items'][number];
export type RuleStats = ResponseOf<'/v1/notification-rules/{id}/stats', 'get'>;
export type TestSendResult = ResponseOf<'/v1/notification-rules/test-send', 'post'>;
export type ApiKey = ResponseOf<'/v1/api-keys', 'get'>['items'][number];
export type CreatedApiKey = ResponseOf<'/v1/api-keys', 'post'>;
export type ChannelConnections = ResponseOf<'/v1/channel-connections', 'get'>;
export type ChannelConnection = ChannelConnections['items'][number];
