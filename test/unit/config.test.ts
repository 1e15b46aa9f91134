import { ConfigError, loadConfig } from '../../src/config';

test('no environment at all gives the embedded defaults', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    API_PORT: 3000,
    TEMPORAL_UI_PORT: 8233,
    TEMPORAL_NAMESPACE: 'default',
    DATA_DIR: 'data',
  });
  expect(config.DATABASE_URL).toBeUndefined();
  expect(config.TEMPORAL_ADDRESS).toBeUndefined();
});

test.each([
  ['TEMPORAL_ADDRESS', 'nonsense'],
  ['DATABASE_URL', 'not-a-url'],
  ['DATABASE_URL', 'mysql://localhost/db'],
  ['API_PORT', 'abc'],
  ['TEMPORAL_UI_PORT', '70000'],
  ['MAILBOX_SECRET_KEY', 'short'],
  ['TWILIO_ACCOUNT_SID', 'not-a-sid'],
  ['PAYLOAD_KEYS', 'k1:abc'],
  ['PAYLOAD_KEYS', `k 1:${'a'.repeat(64)}`],
  ['PAYLOAD_KEYS', `k1:${'a'.repeat(64)},k1:${'b'.repeat(64)}`],
  ['CODEC_AUTH_TOKEN', 'too-short'],
  ['CODEC_CORS_ORIGINS', 'http://localhost:8233/path'],
  ['WORKER_METRICS_ADDRESS', '9464'],
  ['LOG_FORMAT', 'xml'],
])('a bad %s (%s) is refused with a message naming the variable', (key, value) => {
  expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}:`));
});

test('secrets are not echoed in configuration errors', () => {
  try {
    loadConfig({ TWILIO_AUTH_TOKEN: 'super-secret-token', API_PORT: 'abc' });
    throw new Error('expected a ConfigError');
  } catch (error) {
    expect((error as Error).message).not.toContain('super-secret-token');
  }
});

test('PAYLOAD_KEYS is a list of id:key; the first encrypts, ids and keys come out in order', () => {
  const config = loadConfig({ PAYLOAD_KEYS: ` 2026a:${'AB'.repeat(32)} , 2025a:${'cd'.repeat(32)}` });
  expect(config.PAYLOAD_KEYS).toEqual([
    { id: '2026a', keyHex: 'ab'.repeat(32) },
    { id: '2025a', keyHex: 'cd'.repeat(32) },
  ]);
});

test('a bad PAYLOAD_KEYS never echoes the key material', () => {
  const secret = 'e'.repeat(63);
  expect(() => loadConfig({ PAYLOAD_KEYS: `k1:${secret}` })).toThrow(/PAYLOAD_KEYS:/);
  try {
    loadConfig({ PAYLOAD_KEYS: `k1:${secret}` });
  } catch (error) {
    expect((error as Error).message).not.toContain(secret);
  }
});

test('observability defaults: JSON logs, worker metrics on 127.0.0.1:9464 (or off), codec origins as a list', () => {
  expect(loadConfig({})).toMatchObject({ LOG_FORMAT: 'json', WORKER_METRICS_ADDRESS: '127.0.0.1:9464' });
  expect(loadConfig({ WORKER_METRICS_ADDRESS: 'off' }).WORKER_METRICS_ADDRESS).toBe('off');
  expect(
    loadConfig({ CODEC_CORS_ORIGINS: 'http://localhost:8233, https://temporal.example.com' }).CODEC_CORS_ORIGINS,
  ).toEqual(['http://localhost:8233', 'https://temporal.example.com']);
});
