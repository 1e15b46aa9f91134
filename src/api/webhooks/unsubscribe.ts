// Email unsubscribe links (List-Unsubscribe, RFC 8058 one-click, and the same link in the body's
// footer) carried by every reminder email, whether sent from the company gateway or from a
// connected mailbox.
//
// The link is /webhooks/unsubscribe/<notification id>. The id is a random UUID (v4, 122 random
// bits) known only to the recipient of that email, so it serves as the unsubscribe token: it
// lets its holder opt the one contact the email went to out of that rule or out of all email,
// and nothing else. No API key is involved. Pages carry Referrer-Policy: no-referrer so the token does not
// leak to other sites.
//
// GET only shows a page: mail scanners and link previewers fetch links, and a fetch must not
// unsubscribe anyone. The page offers two choices, each a POST: "only these reminders" (a
// per-rule opt-out, a RuleUnsubscribe row the delivery honours at send time) or "all email"
// (the contact's emailConsent). A mail client's RFC 8058 one-click POST (the body
// `List-Unsubscribe=One-Click`, from the List-Unsubscribe header) means "all email": the client
// asked this sender to stop, and no page was shown to narrow it.
import express, { Router, type Response } from 'express';
import type { Db } from '../../db/client';
import { badRequest, notFound } from '../errors';
import { uuid } from '../schemas';

export interface UnsubscribeDeps {
  db: Db;
}

const ONE_CLICK_FIELD = 'List-Unsubscribe';
const ONE_CLICK_VALUE = 'One-Click';
/** The page's choice: `rule` (only these reminders) or `all` (all email). */
const SCOPE_FIELD = 'scope';

export function unsubscribeRouter(deps: UnsubscribeDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/webhooks/unsubscribe/:notificationId', async (req, res) => {
    const found = await findNotification(db, req.params.notificationId);
    const company = escapeHtml(found.company.name);
    const rule = escapeHtml(found.rule.name);
    if (!found.contact.emailConsent)
      return sendPage(
        res,
        `Unsubscribe from ${company} reminders`,
        `<p>You are unsubscribed: ${company} will not send you reminder emails.</p>`,
      );
    const optedOut =
      (await db.ruleUnsubscribe.count({ where: { contactId: found.contactId, ruleId: found.ruleId } })) > 0;
    sendPage(
      res,
      `Unsubscribe from ${company} reminders`,
      `${
        optedOut
          ? `<p>You no longer receive the reminders &ldquo;${rule}&rdquo;.</p>`
          : `<form method="post">
<input type="hidden" name="${SCOPE_FIELD}" value="rule">
<p>Stop only these reminders: &ldquo;${rule}&rdquo;?</p>
<button type="submit">Only these reminders</button>
</form>`
      }
<form method="post">
<input type="hidden" name="${SCOPE_FIELD}" value="all">
<p>Stop every reminder email from ${company}?</p>
<button type="submit">All email</button>
</form>`,
    );
  });

  router.post(
    '/webhooks/unsubscribe/:notificationId',
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }),
    async (req, res) => {
      const found = await findNotification(db, req.params.notificationId);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const scope =
        body[SCOPE_FIELD] === 'rule' || body[SCOPE_FIELD] === 'all'
          ? body[SCOPE_FIELD]
          : body[ONE_CLICK_FIELD] === ONE_CLICK_VALUE
            ? 'all'
            : undefined;
      if (!scope) {
        throw badRequest(
          `Expected the form body ${SCOPE_FIELD}=rule or ${SCOPE_FIELD}=all, or ${ONE_CLICK_FIELD}=${ONE_CLICK_VALUE} (RFC 8058)`,
        );
      }
      const company = escapeHtml(found.company.name);
      if (scope === 'rule') {
        await db.$transaction(async (tx) => {
          // Idempotent: a repeated click writes one row and one feed entry.
          const added = await tx.ruleUnsubscribe.createMany({
            data: [{ contactId: found.contactId, ruleId: found.ruleId }],
            skipDuplicates: true,
          });
          if (added.count === 0) return;
          await tx.activityEntry.create({
            data: {
              companyId: found.companyId,
              contactId: found.contactId,
              kind: 'consent.rule.withdrawn',
              text: `Unsubscribed from the reminders "${found.rule.name}" with the link in the reminder for ${found.occurrenceDate}`,
              channel: 'email',
            },
          });
        });
        return sendPage(
          res,
          'Unsubscribed',
          `<p>You are unsubscribed from the reminders &ldquo;${escapeHtml(found.rule.name)}&rdquo;. ${company} may still send you other reminders.</p>`,
        );
      }
      await db.$transaction(async (tx) => {
        // Conditional update: a repeated click (or a mail client retrying) writes one feed entry.
        const changed = await tx.contact.updateMany({
          where: { id: found.contactId, emailConsent: true },
          data: { emailConsent: false, emailConsentChangedAt: new Date() },
        });
        if (changed.count === 0) return;
        await tx.activityEntry.create({
          data: {
            companyId: found.companyId,
            contactId: found.contactId,
            kind: 'consent.email.withdrawn',
            text: `Email consent withdrawn: the client unsubscribed with the link in the reminder for ${found.occurrenceDate}`,
            channel: 'email',
            // notificationId stays empty: recordOutcome reads any entry carrying it as "outcome
            // already recorded" for that notification.
          },
        });
      });
      sendPage(res, 'Unsubscribed', `<p>You are unsubscribed: ${company} will not send you reminder emails.</p>`);
    },
  );

  return router;
}

async function findNotification(db: Db, id: string) {
  // Every link holds a UUID; anything else (e.g. %00, which PostgreSQL refuses in text and which
  // answered 500, found while fuzzing the API) is an unknown link, without a query.
  if (!uuid.safeParse(id).success) throw notFound('Unsubscribe link');
  const found = await db.notification.findUnique({
    where: { id },
    select: {
      id: true,
      companyId: true,
      contactId: true,
      ruleId: true,
      occurrenceDate: true,
      rule: { select: { name: true } },
      contact: { select: { emailConsent: true } },
      company: { select: { name: true } },
    },
  });
  if (!found) throw notFound('Unsubscribe link');
  return found;
}

function sendPage(res: Response, title: string, content: string): void {
  res
    .set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Robots-Tag': 'noindex',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    })
    .type('html').send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.5rem 1.25rem}</style></head>
<body>
<h1>${title}</h1>
${content}
</body>
</html>
`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
