// Notification rules: what to send, to whom, when and how; plus preview and schedule.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import { validateScheduleRule } from '../../calendar/schedule';
import type { Company, Contact, ContactField, Mailbox, NotificationRule } from '../../generated/prisma/client';
import { lastHandledOccurrences, pairKey } from '../../scheduling/ledger-reads';
import { nextSendOf, planReminder, templateVariables, upcomingSendsOf } from '../../shared/plan-inputs';
import { recordReminderChange, type ReminderChange } from '../../scheduling/outbox';
import {
  checkTemplate,
  DEFAULT_SUBJECT_TEMPLATE,
  renderTemplate,
  TEMPLATE_VARIABLES,
  type TemplateVariables,
} from '../../templates/message-template';
import { decideRoute, readDecisionFacts } from '../../chats/decision';
import { badRequest, forbidden, notFound, unprocessable } from '../errors';
import { addRoute, type AccessGuard } from '../routing';
import { contactKind, idParams, isoInstant, page, pagingQuery, sendTime, uuid, pageOf } from '../schemas';
import { mailboxUsableBy } from './mailboxes';
import type { RouteDeps } from './deps';

const emailSender = z.union([z.literal('gateway'), uuid]);

export const ruleSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: contactKind,
  eventFieldId: z.string(),
  eventLabel: z.string(),
  recurrence: z.enum(['yearly', 'once']),
  channel: z.enum(['sms', 'email']),
  emailSender: z.string().nullable(),
  tryLastChatFirst: z.boolean(),
  sendTime: z.string(),
  daysInAdvance: z.number().int(),
  subjectTemplate: z.string().nullable(),
  bodyTemplate: z.string(),
  enabled: z.boolean(),
  reminders: z.object({ started: z.number().int(), total: z.number().int() }),
  /** What keeps this rule from sending: `sender-access-revoked` — the user who set its mailbox
   * sender no longer has access to that mailbox (its emails are skipped until someone with access
   * saves the sender again). */
  problems: z.array(z.enum(['sender-access-revoked'])),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  eventFieldId: uuid,
  recurrence: z.enum(['yearly', 'once']),
  channel: z.enum(['sms', 'email']),
  /** Email only: `gateway` (the company's gateway address) or a connected mailbox's id. */
  emailSender,
  tryLastChatFirst: z.boolean(),
  sendTime,
  daysInAdvance: z.number().int().min(0, 'must be 0 (on the day) or more').max(365, 'must be at most 365'),
  subjectTemplate: z.string().min(1).max(500),
  bodyTemplate: z.string().min(1).max(2000),
  enabled: z.boolean(),
};

const ruleCreate = z.strictObject({
  ...ruleFields,
  kind: contactKind,
  /** Notifications go to clients only; kept explicit so a request for employees is refused clearly. */
  audience: z
    .literal('clients', { message: 'notifications can only be sent to clients, never to employees' })
    .default('clients'),
  recurrence: ruleFields.recurrence.default('yearly'),
  emailSender: emailSender.optional(),
  tryLastChatFirst: ruleFields.tryLastChatFirst.default(false),
  daysInAdvance: ruleFields.daysInAdvance.default(0),
  subjectTemplate: ruleFields.subjectTemplate.optional(),
  enabled: ruleFields.enabled.default(true),
});

const rulePatch = z
  .strictObject({
    ...ruleFields,
    emailSender: emailSender.nullable(),
    subjectTemplate: ruleFields.subjectTemplate.nullable(),
  })
  .partial();

/** A rule as the notification dialog holds it before saving: what the draft preview renders. */
export const ruleDraft = z.strictObject({
  kind: contactKind,
  eventFieldId: uuid,
  recurrence: ruleFields.recurrence.default('yearly'),
  channel: ruleFields.channel,
  emailSender: emailSender.optional(),
  tryLastChatFirst: ruleFields.tryLastChatFirst.default(false),
  sendTime,
  daysInAdvance: ruleFields.daysInAdvance.default(0),
  subjectTemplate: ruleFields.subjectTemplate.optional(),
  bodyTemplate: ruleFields.bodyTemplate,
});

const TEMPLATE_VARIABLE_DESCRIPTIONS: Record<(typeof TEMPLATE_VARIABLES)[number], string> = {
  contactName: "The contact's name",
  eventLabel: 'The event, e.g. Birthday',
  eventDate: 'Date of the event (YYYY-MM-DD)',
  daysUntil: 'Days between the send and the event',
  companyName: 'Your company name',
};

/** The way a draft's send would go now (the delivery's decision): the contact's last chat, the
 * rule's channel, or nowhere and why. */
const routeSchema = z.object({
  via: z.enum(['whatsapp', 'instagram', 'sms', 'email']).nullable(),
  to: z.string().nullable(),
  from: z.string().nullable(),
  chatId: z.string().nullable(),
  /** Why the send would not go out (the decision's reasons: no-sms-consent, no-phone, …). */
  reason: z.string().nullable(),
  /** Why the last chat was not used although the rule tries it first (no-chat, chat-window-closed, …). */
  chatSkipped: z.string().nullable(),
});

/** Renders for preview; a stored template that cannot render is a 422, not a 500. */
export function renderForPreview(template: string, variables: TemplateVariables, field: string): string {
  try {
    return renderTemplate(template, variables);
  } catch (error) {
    const failure = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    throw unprocessable(`The rule's ${field} cannot be rendered (${failure}); fix it with PATCH`, [
      { path: field, message: failure },
    ]);
  }
}

const scheduleItem = z.object({ occurrenceDate: z.string(), sendAt: z.string(), sendAtLocal: z.string() });

/** What a rule's JSON needs: its event field, and its mailbox with who may send from it. */
const RULE_INCLUDE = { eventField: true, mailbox: { include: { access: { select: { userId: true } } } } } as const;
type RuleRow = NotificationRule & {
  eventField: ContactField;
  mailbox: (Mailbox & { access: Array<{ userId: string }> }) | null;
};

/**
 * Editing or deleting a rule that sends from a connected mailbox needs the right to send from
 * that mailbox: otherwise a user could change what goes out under a colleague's address, or
 * silence it. Rules on the gateway or on SMS are any user's.
 */
const mayUseRuleSender: AccessGuard = {
  name: 'rule-sender',
  who: "users who may send from the rule's mailbox",
  async check({ db, auth, params }) {
    const { id } = params as { id: string };
    const rule = await db.notificationRule.findFirst({
      where: { id, companyId: auth.companyId },
      select: { mailboxId: true, mailbox: { select: { address: true } } },
    });
    if (rule?.mailboxId && !(await mailboxUsableBy(db, rule.mailboxId, auth.userId)))
      throw forbidden(
        `This rule sends from ${rule.mailbox?.address ?? 'a mailbox'}, which you may not use; ask an admin (PUT /v1/mailboxes/{id}/access)`,
      );
  },
};

export function ruleRoutes({ routes }: RouteDeps): void {
  const ruleOf = async (db: DbClient, companyId: string, id: string): Promise<RuleRow> => {
    const rule = await db.notificationRule.findFirst({
      where: { id, companyId },
      include: RULE_INCLUDE,
    });
    if (!rule) throw notFound('Notification rule');
    return rule;
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules/email-senders',
    tag: 'Notification rules',
    summary: 'Addresses the acting user may send rule emails from (gateway, and connected mailboxes they may use)',
    response: z.object({
      items: z.array(z.object({ emailSender: z.string(), address: z.string(), kind: z.enum(['gateway', 'mailbox']) })),
      connectMailbox: z.object({ message: z.string(), href: z.string() }).optional(),
    }),
    handler: async ({ db, auth }) => {
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      const mailboxes = await db.mailbox.findMany({
        where: { companyId: auth.companyId, access: { some: { userId: auth.userId } } },
        orderBy: { address: 'asc' },
      });
      const connected = await db.mailbox.count({ where: { companyId: auth.companyId } });
      return {
        items: [
          { emailSender: 'gateway', address: company.gatewayEmail, kind: 'gateway' as const },
          ...mailboxes.map((m) => ({ emailSender: m.id, address: m.address, kind: 'mailbox' as const })),
        ],
        ...(connected === 0
          ? {
              connectMailbox: {
                message: 'No mailbox is connected yet. Connect one to send from your own address.',
                href: '/v1/mailboxes',
              },
            }
          : {}),
      };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules/template-variables',
    tag: 'Notification rules',
    summary: 'Variables a subject or body template may use, as {{name}}',
    response: z.object({ items: z.array(z.object({ name: z.string(), description: z.string() })) }),
    handler: async () => ({
      items: TEMPLATE_VARIABLES.map((name) => ({ name, description: TEMPLATE_VARIABLE_DESCRIPTIONS[name] })),
    }),
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/notification-rules/preview',
    tag: 'Notification rules',
    errors: [404, 422],
    transaction: false,
    summary:
      'Preview a rule that is not saved yet (the notification dialog): message, next sends and the route for one contact, without sending',
    body: z.strictObject({
      contactId: uuid,
      rule: ruleDraft,
      count: z.number().int().min(1).max(10).default(3),
    }),
    response: z.object({
      subject: z.string().nullable(),
      body: z.string(),
      channel: z.string(),
      sends: z.array(scheduleItem),
      /** Why there is no upcoming send (no-event-date, contact-not-client, …). */
      reason: z.string().optional(),
      route: routeSchema,
    }),
    handler: async ({ db, auth, body }) => {
      const draft = body.rule;
      const { eventField, company } = await checkedDraft(db, auth.companyId, draft);
      const contact = await companyContact(db, auth.companyId, body.contactId);
      // A draft has no ledger yet: nothing handled.
      const rule = { ...draft, name: 'Draft', enabled: true, eventField };
      const plan = planReminder({ rule, company, contact });
      const problem = plan.active ? validateScheduleRule(plan.schedule) : plan.reason;
      const sends = plan.active && !problem ? upcomingSendsOf(plan, Date.now(), body.count) : [];
      const reason = problem ?? (sends.length === 0 ? 'no-upcoming-date' : undefined);
      const variables = templateVariables(rule, company, contact, sends[0]?.occurrenceDate ?? '(no upcoming date)');
      return {
        subject:
          draft.channel === 'email'
            ? renderForPreview(
                draft.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE,
                variables,
                'body.rule.subjectTemplate',
              )
            : null,
        body: renderForPreview(draft.bodyTemplate, variables, 'body.rule.bodyTemplate'),
        channel: draft.channel,
        sends: sends.map((s) => ({
          occurrenceDate: s.occurrenceDate,
          sendAt: s.sendAt.toISOString(),
          sendAtLocal: s.sendAtLocal,
        })),
        ...(reason ? { reason } : {}),
        route: await draftRoute(db, { ...draft, companyId: company.id, ownerUserId: auth.userId }, contact, company),
      };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules',
    tag: 'Notification rules',
    summary: 'List rules',
    query: pagingQuery.extend({ kind: contactKind.optional() }),
    response: page(ruleSchema),
    handler: async ({ db, auth, query }) => {
      const where = { companyId: auth.companyId, ...(query.kind ? { kind: query.kind } : {}) };
      return pageOf(
        query,
        (window) =>
          db.notificationRule.findMany({
            where,
            include: RULE_INCLUDE,
            orderBy: { createdAt: 'asc' },
            ...window,
          }),
        () => db.notificationRule.count({ where }),
        toRule,
      );
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/notification-rules',
    tag: 'Notification rules',
    status: 201,
    errors: [403],
    summary: 'Create a rule (its reminders start in the background; see `reminders` for progress)',
    body: ruleCreate,
    response: ruleSchema,
    handler: async ({ db, auth, body }) => {
      const { audience: _audience, emailSender: sender, ...fields } = body;
      const checked = await checkRule(db, auth, {
        ...fields,
        emailSender: sender ?? null,
        subjectTemplate: fields.subjectTemplate ?? null,
      });
      const rule = await db.notificationRule.create({
        data: {
          ...fields,
          companyId: auth.companyId,
          mailboxId: checked.mailboxId,
          // Whose mailbox access the sends need, re-checked at every send.
          ownerUserId: auth.userId,
          subjectTemplate: checked.subjectTemplate,
        },
        include: RULE_INCLUDE,
      });
      if (rule.enabled) await recordReminderChange(db, ruleChange(rule));
      return toRule(rule);
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules/:id',
    tag: 'Notification rules',
    summary: 'One rule, with reminders started / total',
    params: idParams,
    response: ruleSchema,
    handler: async ({ db, auth, params }) => toRule(await ruleOf(db, auth.companyId, params.id)),
  });

  addRoute(routes, {
    method: 'patch',
    path: '/v1/notification-rules/:id',
    tag: 'Notification rules',
    errors: [403],
    access: mayUseRuleSender,
    summary: 'Edit, enable or disable a rule (sleeping reminders re-plan; disabling ends them)',
    params: idParams,
    body: rulePatch,
    response: ruleSchema,
    handler: async ({ db, auth, params, body }) => {
      const existing = await ruleOf(db, auth.companyId, params.id);
      const { emailSender: sender, ...fields } = body;
      const channel = fields.channel ?? existing.channel;
      const merged = {
        eventFieldId: fields.eventFieldId ?? existing.eventFieldId,
        channel,
        kind: existing.kind,
        emailSender: sender !== undefined ? sender : channel === 'email' ? (existing.mailboxId ?? 'gateway') : null,
        subjectTemplate: fields.subjectTemplate !== undefined ? fields.subjectTemplate : existing.subjectTemplate,
        bodyTemplate: fields.bodyTemplate ?? existing.bodyTemplate,
      };
      const checked = await checkRule(db, auth, merged);
      const rule = await db.notificationRule.update({
        where: { id: existing.id },
        data: {
          ...fields,
          mailboxId: checked.mailboxId,
          subjectTemplate: checked.subjectTemplate,
          // Saving the sender (checkRule checked this user's access to it) makes this user the one
          // whose mailbox access the sends need.
          ...(sender !== undefined ? { ownerUserId: auth.userId } : {}),
        },
        include: RULE_INCLUDE,
      });
      await recordReminderChange(db, ruleChange(rule));
      return toRule(rule);
    },
  });

  addRoute(routes, {
    method: 'delete',
    path: '/v1/notification-rules/:id',
    tag: 'Notification rules',
    status: 204,
    params: idParams,
    summary: 'Delete a rule (its reminders end)',
    access: mayUseRuleSender,
    handler: async ({ db, auth, params }) => {
      const rule = await ruleOf(db, auth.companyId, params.id);
      await db.notificationRule.delete({ where: { id: rule.id } });
      await recordReminderChange(db, ruleChange(rule));
    },
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/notification-rules/:id/preview',
    tag: 'Notification rules',
    errors: [422],
    summary:
      'Render the rule for one contact without sending: subject, body, next send, and the route it would take now (chat, sms or email) or why nothing would be sent',
    params: idParams,
    body: z.strictObject({ contactId: uuid }),
    response: z.object({
      subject: z.string().nullable(),
      body: z.string(),
      /** The channel it would go out on now: the chat's (whatsapp, instagram) or the rule's. */
      channel: z.string(),
      /** The route the delivery's decision takes now; `none` = nothing would be sent (see reason). */
      route: z.enum(['chat', 'sms', 'email', 'none']),
      chatId: z.string().optional(),
      /** Whether the contact's consent (the rule channel's checkbox, no opt-out of this rule) lets it send. */
      consentAllows: z.boolean(),
      /** The rule asked for the last chat and will not use it: why. */
      chatNotUsed: z.string().optional(),
      nextSend: scheduleItem.nullable(),
      /** Why there is no next send, or why nothing would be sent. */
      reason: z.string().optional(),
    }),
    handler: async ({ db, auth, params, body }) => {
      const rule = await ruleOf(db, auth.companyId, params.id);
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      const contact = await companyContact(db, auth.companyId, body.contactId);
      // The preview shows a disabled rule's message too, as it would be sent once enabled.
      const plan = planReminder({
        rule: { ...rule, enabled: true },
        company,
        contact,
        handled: await handledOf(db, rule.id, contact.id),
      });
      const next = plan.active ? nextSendOf(plan, { now: Date.now() }) : null;
      const occurrenceDate = next?.ok ? next.occurrenceDate : '(no upcoming date)';
      const variables = templateVariables(rule, company, contact, occurrenceDate);
      const { decision, facts } = await decisionNow(db, rule, contact, company);
      const consentAllows =
        (rule.channel === 'sms' ? contact.smsConsent : contact.emailConsent) && !facts.contact.unsubscribedFromRule;
      const route =
        decision.route === 'chat'
          ? { route: 'chat' as const, chatId: decision.chatId, channel: decision.channel }
          : { route: decision.route, channel: rule.channel };
      const notSent = decision.route === 'none' ? { reason: decision.reason } : {};
      return {
        subject:
          rule.channel === 'email'
            ? renderForPreview(rule.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE, variables, 'subjectTemplate')
            : null,
        body: renderForPreview(rule.bodyTemplate, variables, 'bodyTemplate'),
        ...route,
        consentAllows,
        ...(decision.route !== 'chat' && decision.chatNotUsed ? { chatNotUsed: decision.chatNotUsed } : {}),
        nextSend: next?.ok
          ? { occurrenceDate: next.occurrenceDate, sendAt: next.sendAt.toISOString(), sendAtLocal: next.sendAtLocal }
          : null,
        ...(plan.active ? (next && !next.ok ? { reason: next.reason } : notSent) : { reason: plan.reason }),
      };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/notification-rules/:id/schedule',
    tag: 'Notification rules',
    errors: [422],
    summary: 'The next sends of this rule for one contact, at or after `from` (default now)',
    params: idParams,
    query: z.object({
      contactId: uuid,
      count: z.coerce.number().int().min(1).max(100).default(5),
      from: isoInstant.optional(),
    }),
    response: z.object({ items: z.array(scheduleItem) }),
    handler: async ({ db, auth, params, query }) => {
      const rule = await ruleOf(db, auth.companyId, params.id);
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      const contact = await companyContact(db, auth.companyId, query.contactId);
      const plan = planReminder({ rule, company, contact, handled: await handledOf(db, rule.id, contact.id) });
      if (!plan.active) return { items: [] };
      const from = query.from ? Date.parse(query.from) : Date.now();
      return {
        items: upcomingSendsOf(plan, from, query.count).map((s) => ({
          occurrenceDate: s.occurrenceDate,
          sendAt: s.sendAt.toISOString(),
          sendAtLocal: s.sendAtLocal,
        })),
      };
    },
  });
}

/** The last occurrence the ledger has as handled for this pair: plans never list it again. */
async function handledOf(db: DbClient, ruleId: string, contactId: string) {
  return (await lastHandledOccurrences(db, { ruleId, contactIds: [contactId] })).get(pairKey({ ruleId, contactId }));
}

/** One of the company's contacts (404 when it is gone or another company's). */
export async function companyContact(db: DbClient, companyId: string, contactId: string): Promise<Contact> {
  const contact = await db.contact.findFirst({ where: { id: contactId, companyId } });
  if (!contact) throw notFound('Contact');
  return contact;
}

/** A draft rule checked (its event field, its templates) with the company it belongs to. */
export async function checkedDraft(
  db: DbClient,
  companyId: string,
  draft: { eventFieldId: string; kind: 'person' | 'organization'; bodyTemplate: string; subjectTemplate?: string },
): Promise<{ eventField: ContactField; company: Company }> {
  const eventField = await draftEventField(db, companyId, draft);
  draftTemplateProblems(draft);
  return { eventField, company: await db.company.findUniqueOrThrow({ where: { id: companyId } }) };
}

/** A 400 naming the template field when a draft's subject or body has unknown variables or bad syntax. */
function draftTemplateProblems(draft: { bodyTemplate: string; subjectTemplate?: string }): void {
  const problems = [
    ...checkTemplate(draft.bodyTemplate).map((message) => ({ path: 'body.rule.bodyTemplate', message })),
    ...(draft.subjectTemplate ? checkTemplate(draft.subjectTemplate) : []).map((message) => ({
      path: 'body.rule.subjectTemplate',
      message,
    })),
  ];
  if (problems.length > 0)
    throw badRequest(`Invalid request: ${problems.map((d) => `${d.path}: ${d.message}`).join('; ')}`, problems);
}

/** The draft's event: a date field of the draft's kind in this company (400 naming the field otherwise). */
async function draftEventField(
  db: DbClient,
  companyId: string,
  draft: { eventFieldId: string; kind: 'person' | 'organization' },
): Promise<ContactField> {
  const field = await db.contactField.findFirst({ where: { id: draft.eventFieldId, companyId } });
  const problem = !field
    ? "no such field in this company's contact form"
    : field.type !== 'date'
      ? `"${field.label}" is a ${field.type} field; the event must be a date field`
      : field.kind !== draft.kind
        ? `"${field.label}" belongs to the ${field.kind} form, not the ${draft.kind} form`
        : null;
  if (problem || !field)
    throw badRequest(`Invalid request: body.rule.eventFieldId: ${problem}`, [
      { path: 'body.rule.eventFieldId', message: problem },
    ]);
  return field;
}

/**
 * The delivery's own decision, made now, on the same stored facts (both previews use it). Which
 * senders the worker has is its configuration, not the API's: the preview answers as if the
 * channels are configured.
 */
async function decisionNow(
  db: DbClient,
  rule: Parameters<typeof readDecisionFacts>[1] & { channel: 'sms' | 'email'; tryLastChatFirst: boolean },
  contact: Contact,
  company: Company,
) {
  const facts = await readDecisionFacts(db, rule, contact, company);
  const decision = decideRoute({
    rule: { channel: rule.channel, tryLastChatFirst: rule.tryLastChatFirst },
    ...facts,
    channels: { sms: true, whatsapp: true, instagram: true, email: true },
    now: new Date(),
  });
  return { decision, facts };
}

/** Where a draft's send would go now, with the addresses: a draft is not saved, so it has no
 * unsubscribes, and it would send from its mailbox as the user editing it. */
async function draftRoute(
  db: DbClient,
  draft: {
    companyId: string;
    ownerUserId: string;
    channel: 'sms' | 'email';
    tryLastChatFirst: boolean;
    emailSender?: string;
  },
  contact: Contact,
  company: Company,
): Promise<z.infer<typeof routeSchema>> {
  const mailbox =
    draft.emailSender && draft.emailSender !== 'gateway'
      ? await db.mailbox.findFirst({ where: { id: draft.emailSender, companyId: company.id } })
      : null;
  const { decision, facts } = await decisionNow(
    db,
    { ...draft, id: null, mailboxId: mailbox?.id ?? null },
    contact,
    company,
  );
  const none = { to: null, from: null, chatId: null, reason: null, chatSkipped: null };
  if (decision.route === 'chat')
    return { ...none, via: decision.channel, to: facts.lastChat?.address ?? null, chatId: decision.chatId };
  const chatSkipped = decision.chatNotUsed ?? null;
  if (decision.route === 'none') return { ...none, via: null, reason: decision.reason, chatSkipped };
  if (decision.route === 'sms') return { ...none, via: 'sms', to: contact.phone, chatSkipped };
  return { ...none, via: 'email', to: contact.email, from: mailbox?.address ?? company.gatewayEmail, chatSkipped };
}

interface RuleCheckInput {
  eventFieldId?: string;
  kind?: 'person' | 'organization';
  channel?: 'sms' | 'email';
  emailSender: string | null;
  subjectTemplate: string | null;
  bodyTemplate?: string;
}

/** Cross-field checks zod cannot do alone; each error names the field. */
async function checkRule(
  db: DbClient,
  auth: { companyId: string; userId: string },
  input: RuleCheckInput,
): Promise<{ mailboxId: string | null; subjectTemplate: string | null }> {
  const details: Array<{ path: string; message: string }> = [];
  if (input.eventFieldId) {
    const field = await db.contactField.findFirst({ where: { id: input.eventFieldId, companyId: auth.companyId } });
    if (!field) details.push({ path: 'body.eventFieldId', message: "no such field in this company's contact form" });
    else if (field.type !== 'date')
      details.push({
        path: 'body.eventFieldId',
        message: `"${field.label}" is a ${field.type} field; the event must be a date field`,
      });
    else if (input.kind && field.kind !== input.kind)
      details.push({
        path: 'body.eventFieldId',
        message: `"${field.label}" belongs to the ${field.kind} form, not the ${input.kind} form`,
      });
  }
  for (const [path, template] of [
    ['body.bodyTemplate', input.bodyTemplate],
    ['body.subjectTemplate', input.subjectTemplate],
  ] as const) {
    if (template) for (const message of checkTemplate(template)) details.push({ path, message });
  }
  let mailboxId: string | null = null;
  if (input.channel === 'sms' && input.emailSender !== null && input.emailSender !== undefined) {
    details.push({ path: 'body.emailSender', message: 'only email rules have a sender address' });
  }
  if (input.channel === 'email' && input.emailSender && input.emailSender !== 'gateway') {
    const mailbox = await db.mailbox.findFirst({ where: { id: input.emailSender, companyId: auth.companyId } });
    if (!mailbox)
      details.push({
        path: 'body.emailSender',
        message: 'no such mailbox; connect one with POST /v1/mailboxes or use "gateway"',
      });
    else mailboxId = mailbox.id;
  }
  if (details.length > 0)
    throw badRequest(`Invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  if (mailboxId && !(await mailboxUsableBy(db, mailboxId, auth.userId))) {
    throw forbidden(
      'You do not have access to send from this mailbox; ask an admin to grant it (PUT /v1/mailboxes/{id}/access)',
    );
  }
  const subjectTemplate = input.channel === 'email' ? (input.subjectTemplate ?? DEFAULT_SUBJECT_TEMPLATE) : null;
  return { mailboxId, subjectTemplate };
}

/** The outbox row of a rule's change; applying it re-reads the rule (gone = end its reminders). */
function ruleChange(rule: Pick<NotificationRule, 'id' | 'companyId' | 'kind'>): ReminderChange {
  return { kind: 'rule', companyId: rule.companyId, ruleId: rule.id, ruleKind: rule.kind };
}

function toRule(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    eventFieldId: r.eventFieldId,
    eventLabel: r.eventField.label,
    recurrence: r.recurrence,
    channel: r.channel,
    emailSender: r.channel === 'email' ? (r.mailboxId ?? 'gateway') : null,
    tryLastChatFirst: r.tryLastChatFirst,
    sendTime: r.sendTime,
    daysInAdvance: r.daysInAdvance,
    subjectTemplate: r.subjectTemplate,
    bodyTemplate: r.bodyTemplate,
    enabled: r.enabled,
    reminders: { started: r.remindersStarted, total: r.remindersTotal },
    problems: senderAccessRevoked(r) ? ['sender-access-revoked' as const] : [],
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The rule sends from a mailbox its owner may no longer use (the same test the send makes). */
function senderAccessRevoked(r: RuleRow): boolean {
  if (!r.mailbox || !r.ownerUserId) return false;
  return !r.mailbox.access.some((a) => a.userId === r.ownerUserId);
}
