// A contact's pending reminders: one per enabled rule that applies to it, with the next send.
import { z } from 'zod';
import { lastHandledOccurrences, pairKey } from '../../scheduling/ledger-reads';
import { nextSendOf, planReminder } from '../../shared/plan-inputs';
import { reminderWorkflowId } from '../../shared/ids';
import { notFound } from '../errors';
import { addRoute } from '../routing';
import { idParams } from '../schemas';
import type { RouteDeps } from './deps';

export function reminderRoutes({ routes }: RouteDeps): void {
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
      const now = Date.now();
      const handled = await lastHandledOccurrences(db, { contactId: contact.id, ruleIds: rules.map((r) => r.id) });
      const items = rules.flatMap((rule) => {
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
            ruleId: rule.id,
            ruleName: rule.name,
            workflowId: reminderWorkflowId(rule.id, contact.id),
            occurrenceDate: next.occurrenceDate,
            sendAt: next.sendAt.toISOString(),
            sendAtLocal: next.sendAtLocal,
          },
        ];
      });
      return { items: items.sort((a, b) => a.sendAt.localeCompare(b.sendAt)) };
    },
  });
}
