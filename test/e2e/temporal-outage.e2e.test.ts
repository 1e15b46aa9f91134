// Fault test (issue 8): Temporal stopped while the API takes writes. `npm start` runs on the
// embedded database against a Temporal dev server this test owns (TEMPORAL_ADDRESS; the embedded
// one is a child of `npm start` and could not be stopped alone), on an SQLite file so it comes
// back with its workflows. While it is down, FAULT_OUTAGE_WRITES writes (contact creates, edits
// that move, remove or restore a birthday, role changes, deletes, rule edits, a rule disabled and
// enabled, the company's time zone) are spread over FAULT_OUTAGE_SECONDS: every one is answered
// 2xx, /health says Temporal is down and shows the outbox backlog, and the reminder reads answer
// 503 temporal_unavailable. Once Temporal is back the outbox drains, every eligible pair has
// exactly one running reminder with the current plan, nothing else runs, progress is exact, and
// the reconciler (off during the test, run once at the end) finds nothing to repair.
//
// Sizes: FAULT_OUTAGE_SECONDS (20 by default, 60 with FAULT_TESTS=full), FAULT_OUTAGE_WRITES (100).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureTemporalBinaries } from '../../src/runtime/temporal-binaries';
import { startDevServer, type DevServer } from '../../src/runtime/temporal-dev-server';
import { checkReminders, listAll, problemsOf, settle } from '../support/reminder-invariants';
import {
  birthdayFieldId,
  contactBody,
  faultSize,
  report,
  ruleBody,
  runReconciler,
  seedContacts,
  send,
  serviceTemporal,
  write,
  type Write,
} from '../support/fault-scenario';
import { eventually } from '../support/eventually';
import { killGroup, serviceApi, serviceEnv, startService, type Service } from '../support/service';
import { freePort } from '../support/stand-ins';

const OUTAGE_MS = faultSize('FAULT_OUTAGE_SECONDS', 20, 60) * 1000;
const WRITES = faultSize('FAULT_OUTAGE_WRITES', 100, 100);
const CONTACTS = faultSize('FAULT_OUTAGE_CONTACTS', 60, 200);
const SETTLE_MS = faultSize('FAULT_SETTLE_SECONDS', 240, 600) * 1000;

/** The service runs on its embedded database whatever DATABASE_URL says: CI's second `npm test`
 * (DATABASE_URL set) would only repeat this test, so it runs in the embedded phase. */
const faultTest = process.env.DATABASE_URL ? test.skip : test;

jest.setTimeout(30 * 60_000);

let dataDir: string;
let service: Service | undefined;
let temporalServer: DevServer | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'reminders-outage-'));
});

afterAll(async () => {
  if (service) await killGroup(service, 'SIGTERM');
  await temporalServer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

faultTest(
  `Temporal stopped for ${OUTAGE_MS / 1000} s while the API takes ${WRITES} writes: every answer 2xx, /health shows the outage and the backlog, the reminder reads answer 503, every change applied once Temporal is back`,
  async () => {
    const { cli } = await ensureTemporalBinaries();
    const temporalPort = await freePort();
    const temporalOptions = {
      cliPath: cli,
      dataDir: path.join(dataDir, 'own-temporal'),
      port: temporalPort,
      uiPort: await freePort(),
      namespace: 'default',
    };
    temporalServer = await startDevServer(temporalOptions);
    const env = await serviceEnv(path.join(dataDir, 'service'), {
      TEMPORAL_ADDRESS: temporalServer.address,
      RECONCILE_INTERVAL_MINUTES: '0',
    });
    service = await startService(env);
    const api = serviceApi(`http://127.0.0.1:${env.API_PORT}`, service.apiKey!);
    const temporal = await serviceTemporal(temporalServer.address, path.join(dataDir, 'service'));
    try {
      const fieldId = await birthdayFieldId(api);
      await seedContacts(api, CONTACTS, 'Seed');
      const rules = [
        await api.request('POST', '/v1/notification-rules', ruleBody('Birthday day', fieldId, '08:00', 0)),
        await api.request('POST', '/v1/notification-rules', ruleBody('Birthday eve', fieldId, '18:00', 1)),
      ].map((r) => r.id as string);
      const before = await settle(api, temporal.client, { timeoutMs: SETTLE_MS });
      expect(problemsOf(before.report)).toEqual([]);
      report(`before the outage: ${before.report.eligible} eligible pairs running, settled in ${before.ms} ms`);

      const contacts = (await listAll(api, '/v1/contacts')).map((c) => c.id as string);
      const writes = plannedWrites(WRITES, contacts, rules, fieldId);

      await temporalServer.stop();
      const stoppedAt = Date.now();
      temporalServer = undefined;

      // The writes, evenly spread over the outage, one after another; /health polled beside them.
      const healthSeen: Array<{ temporalOk: boolean; rows: number; oldest: number; status: number }> = [];
      let writing = true;
      const polling = (async () => {
        while (writing) {
          const health = await api.call('GET', '/health').catch(() => undefined);
          if (health)
            healthSeen.push({
              status: health.status,
              temporalOk: health.body.checks?.temporal?.ok,
              rows: health.body.checks?.outbox?.rows,
              oldest: health.body.checks?.outbox?.oldestAgeSeconds,
            });
          await new Promise((r) => setTimeout(r, 1000));
        }
      })();
      const spacing = (OUTAGE_MS * 0.9) / writes.length;
      const latencies: number[] = [];
      for (const [i, w] of writes.entries()) {
        const wait = stoppedAt + i * spacing - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const started = Date.now();
        await send(api, w);
        latencies.push(Date.now() - started);
      }
      // Reads of the reminders' state cannot be answered without Temporal: a 503 that says so, never
      // an empty list or the plan passed off as pending.
      for (const p of ['/v1/upcoming-sends?days=30', `/v1/contacts/${contacts[0]}/reminders`]) {
        const read = await api.call('GET', p);
        expect([p, read.status, read.body.error?.code, read.headers.get('retry-after')]).toEqual([
          p,
          503,
          'temporal_unavailable',
          '5',
        ]);
      }
      const remaining = stoppedAt + OUTAGE_MS - Date.now();
      if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
      writing = false;
      await polling;
      const lastHealth = healthSeen[healthSeen.length - 1]!;

      temporalServer = await startDevServer(temporalOptions);
      const backAt = Date.now();
      await eventually(
        async () => (await api.call('GET', '/health')).body.checks?.outbox?.rows === 0,
        'the outbox drained',
        { timeoutMs: SETTLE_MS, intervalMs: 200 },
      );
      const drainedMs = Date.now() - backAt;
      const settled = await settle(api, temporal.client, { timeoutMs: SETTLE_MS });
      const repaired = await runReconciler(temporal.client);
      const after = await checkReminders(api, temporal.client, { stateSample: 0 });

      // What the relay said about the outage (LOG_LEVEL=warn: its warnings).
      const relayLines = service
        .output()
        .split('\n')
        .filter((l) => l.includes('outbox'));
      const relaySaid = [...new Set(relayLines.map((l) => /"msg":"([^"]+)"/.exec(l)?.[1] ?? l.slice(0, 120)))];
      const statuses = writes.map((w) => w.answer?.status ?? w.error);
      const sorted = [...latencies].sort((a, b) => a - b);
      report(
        `outage ${Math.round((backAt - stoppedAt) / 1000)} s, ${writes.length} writes: ` +
          `${writes.filter((w) => (w.answer?.status ?? 0) < 300).length} answered 2xx, answer p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms; ` +
          `/health during the outage: ${healthSeen.length} polls, codes ${[...new Set(healthSeen.map((h) => h.status))].join('/')}, ` +
          `temporal.ok=false in ${healthSeen.filter((h) => h.temporalOk === false).length}, backlog at the end ${lastHealth.rows} rows, oldest ${Math.round(lastHealth.oldest)} s; ` +
          `Temporal back → outbox drained in ${drainedMs} ms, settled in ${settled.ms} ms: ${settled.report.eligible} eligible, ` +
          `${settled.report.running} running, ${settled.report.statesQueried} states queried; reconciler repaired ${JSON.stringify(repaired)}; the relay logged ${relayLines.length} outbox lines: ${relaySaid.join(' | ')}`,
      );

      expect(statuses.filter((s) => typeof s !== 'number' || s >= 300)).toEqual([]);
      // Every poll during the outage (each waits out the 3 s Temporal check) says it, and still answers 200.
      expect(healthSeen.length).toBeGreaterThanOrEqual(Math.floor(OUTAGE_MS / 6000));
      expect(healthSeen.filter((h) => h.status !== 200 || h.temporalOk !== false)).toEqual([]);
      expect(lastHealth.rows).toBeGreaterThan(0);
      expect(lastHealth.oldest).toBeGreaterThan(0);
      expect(problemsOf(settled.report)).toEqual([]);
      expect({
        started: repaired.started,
        replanned: repaired.replanned,
        ended: repaired.ended,
        orphansEnded: repaired.orphansEnded,
      }).toEqual({ started: 0, replanned: 0, ended: 0, orphansEnded: 0 });
      expect(problemsOf(after)).toEqual([]);
    } finally {
      await temporal.close();
    }
  },
);

/** `count` writes that each change what some reminder should do, in a shuffled order. */
function plannedWrites(count: number, contacts: string[], rules: string[], fieldId: string): Write[] {
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
  const hhmm = () => `${String(Math.floor(Math.random() * 24)).padStart(2, '0')}:${pick(['00', '15', '30', '45'])}`;
  // Deleted contacts are not edited afterwards.
  const deletable = [...contacts];
  const kinds: Array<() => Write> = [
    () => write('POST', '/v1/contacts', contactBody(`Outage contact ${Math.random().toString(36).slice(2, 8)}`, 0)),
    () =>
      write('PATCH', `/v1/contacts/${pick(contacts)}`, { fields: (contactBody('x', 0) as { fields: object }).fields }),
    () => write('PATCH', `/v1/contacts/${pick(contacts)}`, { fields: { birthday: null } }),
    () => write('PATCH', `/v1/contacts/${pick(contacts)}`, { role: pick(['employee', 'client']) }),
    () => write('PATCH', `/v1/notification-rules/${pick(rules)}`, { sendTime: hhmm() }),
    () => write('PATCH', `/v1/notification-rules/${pick(rules)}`, { daysInAdvance: Math.floor(Math.random() * 4) }),
  ];
  const writes: Write[] = [];
  for (let i = 0; i < count; i++) writes.push(pick(kinds)());
  // Fixed ones: a rule disabled then enabled again, another disabled for good, a new rule, the
  // company's time zone (every rule re-plans), and a few contacts deleted.
  writes.splice(count * 0.2, 1, write('PATCH', `/v1/notification-rules/${rules[0]}`, { enabled: false }));
  writes.splice(count * 0.6, 1, write('PATCH', `/v1/notification-rules/${rules[0]}`, { enabled: true }));
  writes.splice(
    count * 0.4,
    1,
    write('POST', '/v1/notification-rules', ruleBody('New in the outage', fieldId, '12:00', 2)),
  );
  writes.splice(count * 0.5, 1, write('PATCH', '/v1/company', { timeZone: 'Europe/Berlin' }));
  for (const at of [0.3, 0.7, 0.9]) {
    const victim = deletable.splice(Math.floor(Math.random() * deletable.length), 1)[0]!;
    writes.splice(count * at, 1, write('DELETE', `/v1/contacts/${victim}`));
    // Later edits of the deleted contact would be 404s: point them at another contact.
    for (let i = Math.floor(count * at) + 1; i < writes.length; i++)
      if (writes[i]!.path.endsWith(victim)) writes[i]!.path = writes[i]!.path.replace(victim, deletable[0]!);
  }
  writes.splice(count * 0.95, 1, write('PATCH', `/v1/notification-rules/${rules[1]}`, { enabled: false }));
  return writes;
}
