// Where the payload keys and the codec endpoint's token come from: configuration
// (PAYLOAD_KEYS, CODEC_AUTH_TOKEN), or for `npm start` files generated once into DATA_DIR, like
// the mailbox key, so payloads are encrypted on embedded defaults and stay readable across restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { payloadKeysSchema, type Config } from '../config';
import { keyRing, type PayloadKeyRing } from './payload-codec';

const KEYS_FILE = 'payload-keys';
const TOKEN_FILE = 'codec-token';

function ringOf(keys: Array<{ id: string; keyHex: string }>): PayloadKeyRing {
  return keyRing(keys.map((k) => ({ id: k.id, key: Buffer.from(k.keyHex, 'hex') })));
}

/** PAYLOAD_KEYS, if set (`npm run api` / `npm run worker`: encryption only when configured). */
export function configuredPayloadKeys(config: Config): PayloadKeyRing | undefined {
  return config.PAYLOAD_KEYS ? ringOf(config.PAYLOAD_KEYS) : undefined;
}

/** `npm start`: PAYLOAD_KEYS if set, else the key generated once into DATA_DIR/payload-keys. */
export function embeddedPayloadKeys(config: Config): PayloadKeyRing {
  const file = path.resolve(config.DATA_DIR, KEYS_FILE);
  if (!config.PAYLOAD_KEYS && !existsSync(file)) {
    const id = `local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
    writeSecretFile(file, `${id}:${randomBytes(32).toString('hex')}`);
  }
  return configuredPayloadKeys(config) ?? readKeysFile(file)!;
}

/** Admin commands: the configured keys, or those `npm start` generated in DATA_DIR if any, so
 * reminders they start are encrypted like the service's own. */
export function payloadKeysForCommands(config: Config): PayloadKeyRing | undefined {
  return configuredPayloadKeys(config) ?? readKeysFile(path.resolve(config.DATA_DIR, KEYS_FILE));
}

function readKeysFile(file: string): PayloadKeyRing | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = payloadKeysSchema.safeParse(readFileSync(file, 'utf8').trim());
  if (!parsed.success) throw new Error(`${file} is not a list of id:key (64 hex characters)`);
  return ringOf(parsed.data);
}

/** CODEC_AUTH_TOKEN, or for `npm start` a token generated once into DATA_DIR/codec-token. */
export function codecToken(config: Config, options: { generate: boolean }): string | undefined {
  if (config.CODEC_AUTH_TOKEN) return config.CODEC_AUTH_TOKEN;
  if (!options.generate) return undefined;
  const file = path.resolve(config.DATA_DIR, TOKEN_FILE);
  if (!existsSync(file)) writeSecretFile(file, randomBytes(32).toString('base64url'));
  return readFileSync(file, 'utf8').trim();
}

function writeSecretFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
}
