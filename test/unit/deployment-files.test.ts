// No Docker engine runs here, so docker-compose.yml and .env.example are checked by parsing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../src/config';

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

test('docker-compose has postgres, the Temporal schema job, server, setup and UI, mailpit, api and two workers', () => {
  expect(Object.keys(compose.services)).toEqual(
    expect.arrayContaining([
      'postgres',
      'temporal-schema',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'mailpit',
      'api',
      'worker',
    ]),
  );
  expect((compose.services.worker as { deploy?: { replicas?: number } }).deploy?.replicas).toBe(2);
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
  // Two worker replicas, one metrics port each.
  expect(compose.services.worker!.ports).toContain('9464-9465:9464');
});

test('compose registers the search attributes with our own setup script (the one `npm run cluster` uses), once the server is healthy', () => {
  const setup = compose.services['temporal-setup']!;
  expect(setup.build).toBe('.');
  expect(setup.command).toEqual(['npm', 'run', 'temporal:setup']);
  expect(setup.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  expect(compose.services.api!.depends_on).toMatchObject({
    'temporal-setup': { condition: 'service_completed_successfully' },
  });
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  expect(scripts['temporal:setup']).toBe('tsx scripts/temporal-setup.ts');
  // Its wire names come from the workflows' single source (test/cluster/compose-temporal.test.ts runs it).
  expect(readFileSync(path.join(root, 'scripts/cluster/namespace.ts'), 'utf8')).toContain('registerSearchAttributes');
});

test('.env.example lists every configuration key', () => {
  const example = readFileSync(path.join(root, '.env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
  expect([...CONFIG_KEYS].filter((key) => !listed.has(key))).toEqual([]);
  expect([...listed].filter((key) => !(CONFIG_KEYS as string[]).includes(key!))).toEqual([]);
});
