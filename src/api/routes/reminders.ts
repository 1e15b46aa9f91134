// A contact's reminders and the company's upcoming sends, read from the reminders themselves
// (ReminderStates: the running workflows and their NextSendAt) joined with the one plan function
// and the ledger. Whether something is pending and when it sends is what Temporal holds; the plan
// only names the occurrence, and says when a change has not reached the reminder yet.
import { z } from 'zod';
import { localIsoOf } from '../../calendar/schedule';
import type { DbClient } from '../../db/client';
import type { Company, Contact, ContactField, NotificationRule } from '../../generated/prisma/client';
import { outcomeStatusOf } from '../../ledger/ledger';
import { lastHandledOccurrences, pairKey } from '../../scheduling/ledger-reads';
import { TemporalUnavailableError, type ReminderStates } from '../../scheduling/reminder-states';
import { nextSendOf, planReminder, upcomingSendsOf } from '../../shared/plan-inputs';
import type { HandledOccurrence, ReminderPlan } from '../../shared/reminder-contract';
import { reminderWorkflowId } from '../../shared/ids';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { idParams, uuid } from '../schemas';
import type { RouteDeps } from './deps';

type PlannedRule = NotificationRule & { eventField: ContactField };

/** What a running reminder will do next, named with the plan. */
interface ReminderSend {
  sendAt: Date;
  sendAtLocal: string;
  /** The occurrence the send is for; null when the plan has no occurrence sending at that instant. */
  occurrenceDate: string | null;
  /** The rows plan something else (a change the reminder has not applied yet). */
  replanPending: boolean;
}

/**
 * Names the send a running reminder sleeps on (`nextSendAt`, the truth for *when*) with the plan
 * of the current rows: the occurrence the plan sends at that instant, and whether the plan's own
 * next send differs (a re-plan not applied yet). A send already due (the reminder is delivering
 * it) is not a re-plan.
 */
export function nameSend(plan: ReminderPlan, timeZone: string, nextSendAt: Date, now: number): ReminderSend {
  const at = nextSendAt.getTime();
  const match = plan.active ? upcomingSendsOf(plan, at, 1).find((s) => s.sendAt.getTime() === at) : undefined;
  const planned = plan.active ? nextSendOf(plan, { now }) : undefined;
  const plannedAt = planned?.ok ? planned.sendAt.getTime() : undefined;
  return {
    sendAt: nextSendAt,
    sendAtLocal: match?.sendAtLocal ?? localIsoOf(timeZone, at),
    occurrenceDate: match?.occurrenceDate ?? null,
    replanPending: !match || (at > now && plannedAt !== at),
  };
}

/** The plan of one pair from its rows and the ledger's last handled occurrence. */
function planOf(rule: PlannedRule, company: Company, contact: Contact, handled?: HandledOccurrence): ReminderPlan {
  return planReminder({ rule, company, contact, handled });
}

const UPCOMING_LIMIT = 500;

const sendFields = {
  occurrenceDate: z
    .string()
    .nullable()
    .describe('The event date the send is for; null while `replanPending` and the plan has no occurrence then'),
  sendAtLocal: z.string().describe("`sendAt` on the company's wall clock"),
  replanPending: z
    .boolean()
    .describe(
      "true when the contact's, rule's or company's current data schedule a different send than the running reminder: a change it has not applied yet (it re-reads its plan before sending)",
    ),
};

const lastOutcomeSchema = z
  .object({
    status: z.enum(['sent', 'skipped', 'failed', 'in-progress']),
    /** Why it was skipped or failed (`no-consent`, `chat-window-closed`, …). */
    reason: z.string().nullable(),
    channel: z.string().nullable(),
    occurrenceDate: z.string(),
    scheduledFor: z.string(),
    /** When the ledger row last changed. */
    at: z.string(),
  })
  .nullable()
  .describe("The ledger's latest occurrence of the pair (null: none yet)");

export function reminderRoutes({ routes, temporalUi, reminderStates }: RouteDeps): void {
  /** The reminder's page in the Temporal UI (its latest run), when the service knows the UI. */
  const temporalUiLink = (workflowId: string) =>
    temporalUi
      ? `${temporalUi.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`
      : null;
  /** A process without Temporal (the OpenAPI document) cannot read reminders. */
  const states = (): ReminderStates => {
    if (!reminderStates) throw new TemporalUnavailableError();
    return reminderStates;
  };

  addRoute(routes, {
    method: 'get',
    path: '/v1/contacts/:id/reminders',
    tag: 'Contacts',
    errors: [503],
    summary:
      "The contact's reminders, one per enabled rule of its kind: `pending` only while a reminder workflow runs (its next send from Temporal), otherwise `not-scheduled` with the reason; each with the ledger's last outcome (503 temporal_unavailable when Temporal cannot be read)",
    params: idParams,
    response: z.object({
      items: z.array(
        z.object({
          ruleId: z.string(),
          ruleName: z.string(),
          workflowId: z.string(),
          status: z.enum(['pending', 'not-scheduled']),
          reason: z
            .string()
            .nullable()
            .describe(
              'Why nothing is scheduled: the plan says the pair is not eligible (`no-event-date`, `contact-not-client`, `once-rule-in-past`, …) or `reminder-missing` (eligible, but no reminder workflow runs: its start is still in the outbox, or it was lost and the reconciler will restart it). Null when pending',
            ),
          sendAt: z
            .string()
            .nullable()
            .describe("The running reminder's next send (its NextSendAt); null when not pending"),
          occurrenceDate: sendFields.occurrenceDate,
          sendAtLocal: sendFields.sendAtLocal.nullable(),
          replanPending: sendFields.replanPending,
          plannedSendAt: z
            .string()
            .nullable()
            .describe(
              "The next send the contact's, rule's and company's current data schedule (null: not eligible); equals `sendAt` once the reminder is up to date",
            ),
          lastOutcome: lastOutcomeSchema,
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
      const ruleIds = rules.map((r) => r.id);
      const [running, handled, outcomes] = await Promise.all([
        states().ofContact(company.id, contact.id, ruleIds),
        lastHandledOccurrences(db, { contactId: contact.id, ruleIds }),
        lastOutcomes(db, contact.id, ruleIds),
      ]);
      const stateOf = new Map(running.map((s) => [s.ruleId, s]));
      const now = Date.now();
      const items = rules.map((rule) => {
        const state = stateOf.get(rule.id) ?? { workflowId: reminderWorkflowId(rule.id, contact.id), running: false };
        const plan = planOf(rule, company, contact, handled.get(pairKey({ ruleId: rule.id, contactId: contact.id })));
        const planned = plan.active ? nextSendOf(plan, { now }) : undefined;
        const plannedSendAt = planned?.ok ? planned.sendAt.toISOString() : null;
        const base = {
          ruleId: rule.id,
          ruleName: rule.name,
          workflowId: state.workflowId,
          plannedSendAt,
          lastOutcome: outcomes.get(rule.id) ?? null,
        };
        if (state.running) {
          // A run still reading its plan has no NextSendAt yet: the plan it is reading is the best name.
          const send =
            'nextSendAt' in state && state.nextSendAt
              ? nameSend(plan, company.timeZone, state.nextSendAt, now)
              : planned?.ok
                ? { ...planned, replanPending: false }
                : null;
          if (send)
            return {
              ...base,
              status: 'pending' as const,
              reason: null,
              sendAt: send.sendAt.toISOString(),
              sendAtLocal: send.sendAtLocal,
              occurrenceDate: send.occurrenceDate,
              replanPending: send.replanPending,
            };
        }
        const reason = !plan.active ? plan.reason : planned && !planned.ok ? planned.reason : 'reminder-missing';
        return {
          ...base,
          status: 'not-scheduled' as const,
          reason,
          sendAt: null,
          sendAtLocal: null,
          occurrenceDate: null,
          replanPending: false,
        };
      });
      // Pending soonest first, then the rest in rule order.
      const order = (item: (typeof items)[number]) => (item.sendAt ? Date.parse(item.sendAt) : Infinity);
      return {
        items: items
          .map((item, i) => ({ item, i }))
          .sort((a, b) => order(a.item) - order(b.item) || a.i - b.i)
          .map((x) => x.item),
      };
    },
  });

  addRoute(routes, {
    method: 'get',
    path: '/v1/upcoming-sends',
    tag: 'Reminders',
    // A ruleId of no rule in this company is a 404, like every other id of another company.
    errors: [404, 503],
    summary:
      "Every send due in the next 7 or 30 days across the company (optionally one rule), soonest first, from the running reminders (Temporal's visibility: a just-made change may take a moment to show), each with its reminder in the Temporal UI (503 temporal_unavailable when Temporal cannot be read)",
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
          occurrenceDate: sendFields.occurrenceDate,
          sendAt: z.string().describe("The reminder's next send (its NextSendAt)"),
          sendAtLocal: sendFields.sendAtLocal,
          replanPending: sendFields.replanPending,
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
      const now = Date.now();
      const until = now + Number(query.days) * 24 * 60 * 60_000;
      const running = await states().upcoming(company.id, {
        until: new Date(until),
        ...(query.ruleId ? { ruleId: query.ruleId } : {}),
      });
      // Name them from the rows: a reminder whose rule or contact is gone is ending, not sending.
      const [rules, contacts] = await Promise.all([
        db.notificationRule.findMany({
          where: { companyId: company.id, id: { in: [...new Set(running.map((r) => r.ruleId))] } },
          include: { eventField: true },
        }),
        db.contact.findMany({
          where: { companyId: company.id, id: { in: [...new Set(running.map((r) => r.contactId))] } },
        }),
      ]);
      const ruleById = new Map(rules.map((r) => [r.id, r]));
      const contactById = new Map(contacts.map((c) => [c.id, c]));
      const handled = new Map(
        (
          await Promise.all(
            rules.map((rule) =>
              lastHandledOccurrences(db, {
                ruleId: rule.id,
                contactIds: running.filter((r) => r.ruleId === rule.id).map((r) => r.contactId),
              }),
            ),
          )
        ).flatMap((m) => [...m]),
      );
      const due = running.flatMap((r) => {
        const rule = ruleById.get(r.ruleId);
        const contact = contactById.get(r.contactId);
        if (!rule || !contact) return [];
        const plan = planOf(rule, company, contact, handled.get(pairKey(r)));
        return [{ rule, contact, workflowId: r.workflowId, send: nameSend(plan, company.timeZone, r.nextSendAt, now) }];
      });
      // Visibility on SQL has no ORDER BY: sorted here.
      due.sort(
        (a, b) =>
          a.send.sendAt.getTime() - b.send.sendAt.getTime() ||
          a.contact.name.localeCompare(b.contact.name) ||
          a.rule.name.localeCompare(b.rule.name),
      );
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
          occurrenceDate: s.send.occurrenceDate,
          sendAt: s.send.sendAt.toISOString(),
          sendAtLocal: s.send.sendAtLocal,
          replanPending: s.send.replanPending,
          workflowId: s.workflowId,
          temporalUiUrl: temporalUiLink(s.workflowId),
        })),
      };
    },
  });
}

/** The ledger's latest occurrence per rule for one contact (occurrences are handled in order). */
async function lastOutcomes(db: DbClient, contactId: string, ruleIds: string[]) {
  if (ruleIds.length === 0) return new Map<string, z.infer<typeof lastOutcomeSchema>>();
  const rows = await db.notification.findMany({
    where: { contactId, ruleId: { in: ruleIds } },
    orderBy: { occurrenceDate: 'desc' },
    distinct: ['ruleId'],
  });
  return new Map(
    rows.map((row) => [
      row.ruleId,
      {
        status: outcomeStatusOf(row.status) ?? ('in-progress' as const),
        reason: row.reason,
        channel: row.channel,
        occurrenceDate: row.occurrenceDate,
        scheduledFor: row.scheduledFor.toISOString(),
        at: row.updatedAt.toISOString(),
      },
    ]),
  );
}
