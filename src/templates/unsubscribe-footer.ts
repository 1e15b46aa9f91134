// The unsubscribe footer of every reminder email: the link is in the body as well as in the
// List-Unsubscribe header, because many mail clients never show the header's button and a
// client must be able to find the way out in the message itself.

/** The body with the unsubscribe link appended after a signature separator ("-- "). */
export function withUnsubscribeFooter(body: string, unsubscribeUrl: string): string {
  return `${body.replace(/\s+$/, '')}\n\n-- \nTo stop these reminders, or all email from us: ${unsubscribeUrl}\n`;
}
