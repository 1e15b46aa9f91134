// The key that seals mailbox SMTP passwords at rest (AES-256-GCM, see secret-box.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

export function mailboxKey(config: Config): Buffer | undefined {
  return config.MAILBOX_SECRET_KEY ? Buffer.from(config.MAILBOX_SECRET_KEY, 'hex') : undefined;
}

/** `npm start` without MAILBOX_SECRET_KEY: a key generated once and kept in the data folder,
 * so mailboxes work on embedded defaults and stay readable across restarts. */
export function embeddedMailboxKey(dataDir: string): Buffer {
  const file = path.resolve(dataDir, 'mailbox-secret.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}
