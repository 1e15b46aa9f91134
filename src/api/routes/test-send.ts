// "Send test" in the notification dialog: the draft rendered and sent once to an address or phone
// the user types, from the senders the company's reminders use (its own channel connection, else
// the process-wide default; the worker's ChannelDirectory decides). A test is never a reminder: no ledger row, no feed entry, no workflow; the answer
// (with the provider's message id) and a log line are its record.
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { DeliveryError, type SmtpMailbox } from '../../delivery/ports';
import { decryptSecret } from '../../security/secret-box';
import { templateVariables } from '../../shared/plan-inputs';
import { DEFAULT_SUBJECT_TEMPLATE } from '../../templates/message-template';
import { forbidden, HttpError, notFound, unprocessable } from '../errors';
import { addRoute } from '../routing';
import { e164, email, uuid } from '../schemas';
import type { RouteDeps } from './deps';
import { mailboxUsableBy } from './mailboxes';
import { checkedDraft, companyContact, renderForPreview, ruleDraft } from './rules';

/** Tests go to people's real phones and inboxes and cost money: a few per user per minute. */
export const TEST_SENDS_PER_MINUTE = 5;

const testSendBody = z
  .strictObject({
    rule: ruleDraft,
    /** A phone number (E.164) for an SMS rule, an email address for an email rule. */
    to: z.string().trim().min(1).max(254),
    /** The contact whose values fill the variables (the preview's contact); sample values otherwise. */
    contactId: uuid.optional(),
  })
  .superRefine((value, ctx) => {
    const sms = value.rule.channel === 'sms';
    if (!(sms ? e164 : email).safeParse(value.to).success)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: sms
          ? 'must be a phone number like +15551234567 for an SMS test'
          : 'must be an email address for an email test',
      });
  });

export function testSendRoutes({ routes, channels, mailboxSecretKey, logger }: RouteDeps): void {
  const limiter = new RateLimiterMemory({ points: TEST_SENDS_PER_MINUTE, duration: 60 });

  addRoute(routes, {
    method: 'post',
    path: '/v1/notification-rules/test-send',
    tag: 'Notification rules',
    errors: [403, 404, 422, 429, 502],
    // The provider call can take seconds: no transaction held open around it.
    transaction: false,
    summary:
      'Send the draft once to an address or phone you type, as a test: never in the ledger or a feed; at most 5 per user per minute',
    body: testSendBody,
    response: z.object({
      test: z.literal(true),
      channel: z.enum(['sms', 'email']),
      to: z.string(),
      from: z.string().nullable(),
      subject: z.string().nullable(),
      body: z.string(),
      providerMessageId: z.string(),
    }),
    handler: async ({ db, auth, body, res }) => {
      const draft = body.rule;
      const { eventField, company } = await checkedDraft(db, auth.companyId, draft);
      const contact = body.contactId ? await companyContact(db, auth.companyId, body.contactId) : null;
      const variables = templateVariables(
        { ...draft, enabled: true, eventField },
        company,
        contact ?? { name: 'Test contact', kind: draft.kind, role: 'client', fields: {} },
        new Date().toISOString().slice(0, 10),
      );
      const text = renderForPreview(draft.bodyTemplate, variables, 'body.rule.bodyTemplate');
      const subject =
        draft.channel === 'email'
          ? `[Test] ${renderForPreview(draft.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE, variables, 'body.rule.subjectTemplate')}`
          : null;

      const ports = await channels.portsFor(company.id);
      const sms = draft.channel === 'sms' ? ports.sms : undefined;
      const mail = draft.channel === 'email' ? ports.email : undefined;
      if (!sms && !mail)
        throw unprocessable(
          `${draft.channel === 'sms' ? 'SMS' : 'Email'} is not configured for this company (no sender of its own, none on this service)`,
          [{ path: 'body.rule.channel', message: `${draft.channel}-not-configured` }],
        );
      let smtp: SmtpMailbox | undefined;
      let from: string | null = draft.channel === 'email' ? company.gatewayEmail : null;
      if (draft.channel === 'email' && draft.emailSender && draft.emailSender !== 'gateway') {
        const mailbox = await db.mailbox.findFirst({ where: { id: draft.emailSender, companyId: company.id } });
        if (!mailbox) throw notFound('Mailbox');
        if (!(await mailboxUsableBy(db, mailbox.id, auth.userId)))
          throw forbidden('You do not have access to send from this mailbox; ask an admin to grant it');
        if (!mailboxSecretKey) throw unprocessable('Mailbox passwords cannot be read: MAILBOX_SECRET_KEY is not set');
        let password: string;
        try {
          password = decryptSecret(mailbox.smtpPasswordEncrypted, mailboxSecretKey);
        } catch {
          throw unprocessable("The mailbox's password cannot be read with this service's key; connect it again");
        }
        from = mailbox.address;
        smtp = {
          host: mailbox.smtpHost,
          port: mailbox.smtpPort,
          secure: mailbox.smtpSecure,
          user: mailbox.smtpUser,
          password,
          allowInsecure: mailbox.allowInsecure,
        };
      }

      // Counted only once the request is valid and could be sent.
      try {
        await limiter.consume(auth.userId);
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        const seconds = Math.ceil(refusal.msBeforeNext / 1000);
        res.setHeader('Retry-After', String(seconds));
        throw new HttpError(
          429,
          'rate_limited',
          `At most ${TEST_SENDS_PER_MINUTE} test sends per minute; try again in ${seconds} s`,
        );
      }

      try {
        const sent = sms
          ? await sms.sendSms({ to: body.to, body: text })
          : await mail!.sendEmail({
              from: from!,
              to: body.to,
              subject: subject!,
              text,
              messageId: `<test-${randomUUID()}@reminders.local>`,
              headers: { 'X-Reminders-Test': 'true' },
              smtp,
            });
        logger?.info('test send', {
          companyId: company.id,
          userId: auth.userId,
          channel: draft.channel,
          providerMessageId: sent.providerMessageId,
        });
        return {
          test: true as const,
          channel: draft.channel,
          to: body.to,
          from,
          subject,
          body: text,
          providerMessageId: sent.providerMessageId,
        };
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        // The adapters' messages are already free of credentials.
        throw new HttpError(
          502,
          'provider_refused',
          `The ${error.provider} provider did not take the test: ${error.message}`,
          [{ path: 'body.to', message: `${error.kind}${error.code ? ` (${error.code})` : ''}` }],
        );
      }
    },
  });
}
