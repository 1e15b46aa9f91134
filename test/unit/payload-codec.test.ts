// The AES-256-GCM payload codec: nothing of the payload in clear, a round trip restores it
// exactly, keys rotate by id, tampering and unknown keys fail loudly, plain payloads pass through.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  keyRing,
  PayloadDecryptionError,
} from '../../src/security/payload-codec';

const oldKey = { id: '2025a', key: randomBytes(32) };
const newKey = { id: '2026a', key: randomBytes(32) };
const personal = { contactName: 'Grace Hopper', phone: '+12125550123', email: 'grace@example.com' };
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

test('an encoded payload names its key and cipher and holds nothing of the original in clear', async () => {
  const codec = new AesGcmPayloadCodec(keyRing([newKey]));
  const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(personal)]);
  expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('2026a');
  const raw = Buffer.from(encoded!.data!).toString('latin1');
  for (const value of [...Object.values(personal), 'json/plain']) expect(raw).not.toContain(value);
});

test('decode restores the payload exactly (metadata and data)', async () => {
  const codec = new AesGcmPayloadCodec(keyRing([newKey]));
  const original = defaultPayloadConverter.toPayload(personal);
  const [decoded] = await codec.decode(await codec.encode([original]));
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(personal);
  expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
});

test('the same value encrypts differently every time (random IV)', async () => {
  const codec = new AesGcmPayloadCodec(keyRing([newKey]));
  const payload = defaultPayloadConverter.toPayload('same');
  const [a, b] = await codec.encode([payload, payload]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('rotation: a ring with a new current key still decodes what the old key encrypted, and encrypts with the new one', async () => {
  const before = new AesGcmPayloadCodec(keyRing([oldKey]));
  const after = new AesGcmPayloadCodec(keyRing([newKey, oldKey]));
  const written = await before.encode([defaultPayloadConverter.toPayload(personal)]);
  expect(defaultPayloadConverter.fromPayload((await after.decode(written))[0]!)).toEqual(personal);
  const [fresh] = await after.encode([defaultPayloadConverter.toPayload(personal)]);
  expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('2026a');
});

test('a payload whose key id is not configured fails with a message naming the id and the setting', async () => {
  const written = await new AesGcmPayloadCodec(keyRing([oldKey])).encode([defaultPayloadConverter.toPayload(1)]);
  const without = new AesGcmPayloadCodec(keyRing([newKey]));
  await expect(without.decode(written)).rejects.toThrow(PayloadDecryptionError);
  await expect(without.decode(written)).rejects.toThrow(/"2025a".*PAYLOAD_KEYS/);
});

test('altered ciphertext, or the right id with the wrong key, does not decode', async () => {
  const codec = new AesGcmPayloadCodec(keyRing([newKey]));
  const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(personal)]);
  const altered: Payload = { ...encoded!, data: Buffer.from(encoded!.data!) };
  altered.data![20] = altered.data![20]! ^ 1;
  await expect(codec.decode([altered])).rejects.toThrow(/wrong key or altered data/);
  const impostor = new AesGcmPayloadCodec(keyRing([{ id: '2026a', key: randomBytes(32) }]));
  await expect(impostor.decode([encoded!])).rejects.toThrow(PayloadDecryptionError);
});

test('payloads written before encryption was enabled pass through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(keyRing([newKey]));
  const plain = defaultPayloadConverter.toPayload(personal);
  expect(await codec.decode([plain])).toEqual([plain]);
});

test('a key ring refuses keys that are not 32 bytes, and an empty ring', () => {
  expect(() => keyRing([{ id: 'short', key: randomBytes(16) }])).toThrow(/"short" must be 32 bytes/);
  expect(() => keyRing([])).toThrow();
});
