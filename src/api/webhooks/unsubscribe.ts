// Email unsubscribe links (List-Unsubscribe, RFC 8058 one-click) carried by every reminder email,
// whether sent from the company gateway or from a connected mailbox.
//
// The link is /webhooks/unsubscribe/<notification id>. The id is a random UUID (v4, 122 random
// bits) known only to the recipient of that email, so it serves as the unsubscribe token: it
// lets its holder withdraw the email consent of the one contact the email went to, and nothing
// else. No API key is involved. Pages carry Referrer-Policy: no-referrer so the token does not
// leak to other sites.
//
// GET only shows a confirmation page: mail scanners and link previewers fetch links, and a fetch
// must not unsubscribe anyone. The change happens on POST — the page's button, or the mail
// client's one-click POST with the body `List-Unsubscribe=One-Click`.
import express, { Router, type Response } from 'express';
import type { Db } from '../../db/client';
import { badRequest, notFound } from '../errors';
import { uuid } from '../schemas';

export interface UnsubscribeDeps {
  db: Db;
}

const ONE_CLICK_FIELD = 'List-Unsubscribe';
const ONE_CLICK_VALUE = 'One-Click';

export function unsubscribeRouter(deps: UnsubscribeDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/webhooks/unsubscribe/:notificationId', async (req, res) => {
    const found = await findNotification(db, req.params.notificationId);
    const company = escapeHtml(found.company.name);
    sendPage(
      res,
      `Unsubscribe from ${company} reminders`,
      found.contact.emailConsent
        ? `<p>Stop receiving reminder emails from ${company}?</p>
<form method="post">
<input type="hidden" name="${ONE_CLICK_FIELD}" value="${ONE_CLICK_VALUE}">
<button type="submit">Unsubscribe</button>
</form>`
        : `<p>You are unsubscribed: ${company} will not send you reminder emails.</p>`,
    );
  });

  router.post(
    '/webhooks/unsubscribe/:notificationId',
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }),
    async (req, res) => {
      const found = await findNotification(db, req.params.notificationId);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (body[ONE_CLICK_FIELD] !== ONE_CLICK_VALUE) {
        throw badRequest(`Expected the form body ${ONE_CLICK_FIELD}=${ONE_CLICK_VALUE} (RFC 8058)`);
      }
      await db.$transaction(async (tx) => {
        // Conditional update: a repeated click (or a mail client retrying) writes one feed entry.
        const changed = await tx.contact.updateMany({
          where: { id: found.contactId, emailConsent: true },
          data: { emailConsent: false },
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
      const company = escapeHtml(found.company.name);
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
      occurrenceDate: true,
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
