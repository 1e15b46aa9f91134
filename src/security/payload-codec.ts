// Encrypts every Temporal payload (workflow and activity inputs and results, queries, summaries,
// current details, encoded failure messages) with AES-256-GCM before it leaves the process, so
// histories and the Temporal UI hold no personal data in clear. Each encrypted payload names its
// key id in its metadata: keys rotate by putting a new key first (it encrypts) and keeping the old
// ones (they still decrypt what they encrypted).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Wire names in payload metadata (also what `temporal workflow show` prints for them). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** The keys a process knows: the first encrypts, all decrypt. */
export interface PayloadKeyRing {
  current: PayloadKey;
  byId: ReadonlyMap<string, Buffer>;
}

export function keyRing(keys: PayloadKey[]): PayloadKeyRing {
  if (keys.length === 0) throw new Error('a payload key ring needs at least one key');
  for (const k of keys) {
    if (k.key.length !== 32) throw new Error(`payload key "${k.id}" must be 32 bytes`);
  }
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k.key])) };
}

export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly ring: PayloadKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.ring.current;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: utf8(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8(id),
          [CIPHER_METADATA]: utf8(CIPHER),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was enabled stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.ring.byId.get(id);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload encrypted with key id "${id}", which is not configured: keep it in PAYLOAD_KEYS`,
        );
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is truncated');
      try {
        const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new PayloadDecryptionError(`payload does not decrypt with key "${id}" (wrong key or altered data)`);
      }
    });
  }
}

/**
 * The data converter of every client and worker (API, CLI, the worker and its own client):
 * payloads through the codec, and failure messages and stack traces moved into an encoded (hence
 * encrypted) attribute, since a provider's error text can name a recipient. The failure converter
 * goes by module path: the workflow sandbox loads it too when the worker bundles its workflows.
 * Undefined (the SDK's defaults) without keys.
 */
export function payloadDataConverter(ring: PayloadKeyRing | undefined): DataConverter | undefined {
  if (!ring) return undefined;
  return {
    payloadCodecs: [new AesGcmPayloadCodec(ring)],
    failureConverterPath: require.resolve('./failure-converter'),
  };
}
