// No Docker engine runs here, so docker-compose.yml and .env.example are checked by parsing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../src/config';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/shared/search-attributes';

const root = path.resolve(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: string[] | string;
      ports?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, unknown>;
    }
  >;
};

test('docker-compose has postgres, temporal, temporal-ui, mailpit, api and worker', () => {
  expect(Object.keys(compose.services)).toEqual(
    expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'mailpit', 'api', 'worker']),
  );
  expect(compose.services.api!.build).toBe('.');
  expect(compose.services.worker!.build).toBe('.');
  expect(compose.services.api!.command).toEqual(['npm', 'run', 'api']);
  expect(compose.services.worker!.command).toEqual(['npm', 'run', 'worker']);
});

test('the worker starts after the API is healthy (the API migrates the database)', () => {
  expect(compose.services.worker!.depends_on).toEqual({ api: { condition: 'service_healthy' } });
  expect(JSON.stringify((compose.services.api as { healthcheck?: unknown }).healthcheck)).toContain('/health');
});

test('ports: API 3000, Temporal 7233, UI 8233, Mailpit SMTP 1025', () => {
  expect(compose.services.api!.ports).toContain('3000:3000');
  expect(compose.services.temporal!.ports).toContain('7233:7233');
  expect(compose.services['temporal-ui']!.ports).toContain('8233:8080');
  expect(compose.services.mailpit!.ports).toContain('1025:1025');
});

test('api and worker are wired to the compose postgres, temporal and mailpit, and their env passes our config', () => {
  for (const name of ['api', 'worker']) {
    const env = compose.services[name]!.environment!;
    expect(new URL(env.DATABASE_URL!).hostname).toBe('postgres');
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.SMTP_HOST).toBe('mailpit');
    const resolved = {
      ...env,
      MAILBOX_SECRET_KEY: 'a'.repeat(64),
      PAYLOAD_KEYS: `k1:${'b'.repeat(64)}`,
      CODEC_AUTH_TOKEN: 'c'.repeat(43),
    };
    expect(() => loadConfig(resolved)).not.toThrow();
  }
  expect(compose.services.temporal!.environment!.POSTGRES_SEEDS).toBe('postgres');
});

test('payloads are encrypted in compose and the UI decodes them through the API codec endpoint', () => {
  const env = compose.services.api!.environment!;
  expect(env.PAYLOAD_KEYS).toMatch(/^\$\{PAYLOAD_KEYS:\?/);
  expect(env.CODEC_AUTH_TOKEN).toMatch(/^\$\{CODEC_AUTH_TOKEN:\?/);
  expect(env.CODEC_CORS_ORIGINS).toBe('http://localhost:8233');
  expect(compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toMatch(
    /^http:\/\/localhost:3000\/codec\/\$\{CODEC_AUTH_TOKEN/,
  );
  expect(compose.services.worker!.ports).toContain('9464:9464');
});

test('the search attributes registered by compose are exactly the ones the workflows use', () => {
  const command = JSON.stringify(compose.services['temporal-search-attributes']!.command);
  for (const flag of SEARCH_ATTRIBUTE_FLAGS) expect(command).toContain(flag);
});

test('.env.example lists every configuration key', () => {
  const example = readFileSync(path.join(root, '.env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
  expect([...CONFIG_KEYS].filter((key) => !listed.has(key))).toEqual([]);
  expect([...listed].filter((key) => !(CONFIG_KEYS as string[]).includes(key!))).toEqual([]);
});
