// Pending reminders: a contact's (one per enabled rule that applies to it, with the next send) and
// the company's upcoming sends. Both read the next send from the one plan function the workflow
// sleeps on, with the ledger's handled occurrences left out, so the API and the reminders cannot
// disagree.
import { z } from 'zod';
import type { DbClient } from '../../db/client';
import type { Company, Contact, ContactField, NotificationRule } from '../../generated/prisma/client';
import { lastHandledOccurrences, pairKey } from '../../scheduling/ledger-reads';
import { nextSendOf, planReminder } from '../../shared/plan-inputs';
import { reminderWorkflowId } from '../../shared/ids';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { idParams, uuid } from '../schemas';
import type { RouteDeps } from './deps';

type PlannedRule = NotificationRule & { eventField: ContactField };

export interface PendingSend {
  rule: PlannedRule;
  contact: Contact;
  workflowId: string;
  occurrenceDate: string;
  sendAt: Date;
  sendAtLocal: string;
}

/**
 * The next send of every reminder among `rules` × `contacts` that has one at `now`: the one plan
 * function the reminder workflow sleeps on, with the last occurrence the ledger has as handled
 * (so a send that just went out, still within its minute or the late-send grace, is not listed
 * again).
 */
export async function pendingSends(
  db: DbClient,
  input: { company: Company; rules: PlannedRule[]; contacts: Contact[]; now: number },
): Promise<PendingSend[]> {
  const { company, rules, contacts, now } = input;
  if (rules.length === 0 || contacts.length === 0) return [];
  // One ledger read: all rules of one contact, or per rule all its contacts.
  const handled =
    contacts.length === 1
      ? await lastHandledOccurrences(db, { contactId: contacts[0]!.id, ruleIds: rules.map((r) => r.id) })
      : new Map(
          (
            await Promise.all(
              rules.map((rule) =>
                lastHandledOccurrences(db, {
                  ruleId: rule.id,
                  contactIds: contacts.filter((c) => c.kind === rule.kind).map((c) => c.id),
                }),
              ),
            )
          ).flatMap((m) => [...m]),
        );
  return rules.flatMap((rule) =>
    contacts.flatMap((contact) => {
      const plan = planReminder({
        rule,
        company,
        contact,
        handled: handled.get(pairKey({ ruleId: rule.id, contactId: contact.id })),
      });
      if (!plan.active) return [];
      const next = nextSendOf(plan, { now });
      if (!next.ok) return [];
      return [
        {
          rule,
          contact,
          workflowId: reminderWorkflowId(rule.id, contact.id),
          occurrenceDate: next.occurrenceDate,
          sendAt: next.sendAt,
          sendAtLocal: next.sendAtLocal,
        },
      ];
    }),
  );
}

const UPCOMING_LIMIT = 500;

export function reminderRoutes({ routes, temporalUi }: RouteDeps): void {
  /** The reminder's page in the Temporal UI (its latest run), when the service knows the UI. */
  const temporalUiLink = (workflowId: string) =>
    temporalUi
      ? `${temporalUi.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`
      : null;

  addRoute(routes, {
    method: 'get',
    path: '/v1/contacts/:id/reminders',
    tag: 'Contacts',
    summary: "The contact's pending reminders (rule, next send)",
    params: idParams,
    response: z.object({
      items: z.array(
        z.object({
          ruleId: z.string(),
          ruleName: z.string(),
          workflowId: z.string(),
          occurrenceDate: z.string(),
          sendAt: z.string(),
          sendAtLocal: z.string(),
        }),
      ),
    }),
    handler: async ({ db, auth, params }) => {
      const contact = await db.contact.findFirst({ where: { id: params.id, companyId: auth.companyId } });
      if (!contact) throw notFound('Contact');
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      const rules = await db.notificationRule.findMany({
        where: { companyId: auth.companyId, kind: contact.kind, enabled: true },
        include: { eventField: true },
        orderBy: { createdAt: 'asc' },
      });
      const sends = await pendingSends(db, { company, rules, contacts: [contact], now: Date.now() });
      return {
        items: sends
          .sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime())
          .map((s) => ({
            ruleId: s.rule.id,
            ruleName: s.rule.name,
            workflowId: s.workflowId,
            occurrenceDate: s.occurrenceDate,
            sendAt: s.sendAt.toISOString(),
            sendAtLocal: s.sendAtLocal,
          })),
      };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/upcoming-sends',
    tag: 'Reminders',
    // A ruleId of no rule in this company is a 404, like every other id of another company.
    errors: [404],
    summary:
      'Every send due in the next 7 or 30 days across the company (optionally one rule), soonest first, each with its reminder in the Temporal UI',
    query: z.object({
      days: z.enum(['7', '30']).default('7'),
      ruleId: uuid.optional(),
    }),
    response: z.object({
      from: z.string(),
      until: z.string(),
      timeZone: z.string(),
      /** All sends in the window; `items` holds the first 500. */
      total: z.number().int(),
      items: z.array(
        z.object({
          ruleId: z.string(),
          ruleName: z.string(),
          channel: z.enum(['sms', 'email']),
          contactId: z.string(),
          contactName: z.string(),
          contactKind: z.enum(['person', 'organization']),
          eventLabel: z.string(),
          occurrenceDate: z.string(),
          sendAt: z.string(),
          sendAtLocal: z.string(),
          workflowId: z.string(),
          /** The reminder in the Temporal UI; null when the service does not know the UI's address. */
          temporalUiUrl: z.string().nullable(),
        }),
      ),
    }),
    handler: async ({ db, auth, query }) => {
      const company = await db.company.findUniqueOrThrow({ where: { id: auth.companyId } });
      if (query.ruleId && !(await db.notificationRule.count({ where: { id: query.ruleId, companyId: company.id } })))
        throw notFound('Notification rule');
      const rules = await db.notificationRule.findMany({
        where: { companyId: company.id, enabled: true, ...(query.ruleId ? { id: query.ruleId } : {}) },
        include: { eventField: true },
        orderBy: { createdAt: 'asc' },
      });
      const kinds = [...new Set(rules.map((r) => r.kind))];
      const contacts =
        kinds.length === 0
          ? []
          : await db.contact.findMany({ where: { companyId: company.id, role: 'client', kind: { in: kinds } } });
      const now = Date.now();
      const until = now + Number(query.days) * 24 * 60 * 60_000;
      const due = (await pendingSends(db, { company, rules, contacts, now }))
        .filter((s) => s.sendAt.getTime() <= until)
        .sort((a, b) => a.sendAt.getTime() - b.sendAt.getTime() || a.contact.name.localeCompare(b.contact.name));
      return {
        from: new Date(now).toISOString(),
        until: new Date(until).toISOString(),
        timeZone: company.timeZone,
        total: due.length,
        items: due.slice(0, UPCOMING_LIMIT).map((s) => ({
          ruleId: s.rule.id,
          ruleName: s.rule.name,
          channel: s.rule.channel,
          contactId: s.contact.id,
          contactName: s.contact.name,
          contactKind: s.contact.kind,
          eventLabel: s.rule.eventField.label,
          occurrenceDate: s.occurrenceDate,
          sendAt: s.sendAt.toISOString(),
          sendAtLocal: s.sendAtLocal,
          workflowId: s.workflowId,
          temporalUiUrl: temporalUiLink(s.workflowId),
        })),
      };
    },
  });
}
