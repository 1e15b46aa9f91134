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
