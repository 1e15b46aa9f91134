// API keys: random, shown once, stored only as a SHA-256 hash (a key has 256 bits of entropy,
// so a fast hash is enough; no salt/KDF needed as for passwords).
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'crk_';

export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, PREFIX.length + 6) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
