// One whole run on a fresh stack: seed, start the service, then the phases in an order where each
// leaves the next a known state:
//   RSS at 0 → raw fan-out (each concurrency) → rule over K clients, RSS at K → project fan-out
//   over N, RSS at K+N → raw storm → project storm → history of a storm reminder → API latency →
//   restart.
// A phase that fails is recorded and the run goes on with the phases that do not need it.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient } from './api-client';
import { measureLatency, type Latency } from './api-latency';
import { armRule, type Armed } from './fanout';
import { occurrenceHistory, type OccurrenceHistory } from './history';
import type { Options } from './options';
import { rawContext, rawFanOut, rawStorm, type RawContext, type RawFanOut, type RawStorm } from './raw/baseline';
import { sampleRss, type RssSample } from './rss';
import { createFields, emailRule, seedDatabase, type Seeded } from './seed';
import { startSmtpSink } from './smtp-sink';
import { startStack, type Restart, type Stack } from './stack';
import { projectStorm, type Storm } from './storm';

export interface PhaseRecord {
  name: string;
  startedAt: string;
  ms: number;
  /** 1-minute load average at the phase's start and end (the machine may be shared). */
  load: [number, number];
  error?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RunResult {
  startedAt: string;
  mode: 'embedded' | 'postgresql';
  firstStartMs?: number;
  workerProcess?: string;
  phases: PhaseRecord[];
  fanout?: { project?: Armed; raw: RawFanOut[]; bestRaw?: RawFanOut };
  rssRule?: Armed;
  rss: RssSample[];
  storm?: { project?: Storm; raw?: RawStorm };
  history?: OccurrenceHistory;
  api: Latency[];
  restart?: Restart;
  checks: Check[];
  runDir?: string;
}

const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

/** Rate in reminders per second, from a count and a duration in ms. */
export const perSecond = (n: number, ms: number | undefined) =>
  ms === undefined || ms <= 0 ? undefined : Math.round((n / ms) * 1000 * 10) / 10;

export async function runOnce(options: Options, index: number, log: (line: string) => void): Promise<RunResult> {
  const runDir = mkdtempSync(path.join(tmpdir(), `bench-${index + 1}-`));
  const result: RunResult = {
    startedAt: new Date().toISOString(),
    mode: options.databaseUrl ? 'postgresql' : 'embedded',
    phases: [],
    rss: [],
    api: [],
    checks: [],
  };
  const check = (name: string, ok: boolean, detail: string) => {
    result.checks.push({ name, ok, detail });
    if (!ok) log(`CHECK FAILED ${name}: ${detail}`);
  };
  const phase = async <T>(name: string, body: () => Promise<T>): Promise<T | undefined> => {
    const started = Date.now();
    const record: PhaseRecord = { name, startedAt: new Date(started).toISOString(), ms: 0, load: [load1(), 0] };
    log(`${name}: started (load ${record.load[0]})`);
    try {
      return await body();
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      check(`${name} ran`, false, record.error);
      return undefined;
    } finally {
      record.ms = Date.now() - started;
      record.load[1] = load1();
      result.phases.push(record);
      log(`${name}: done in ${(record.ms / 1000).toFixed(1)} s${record.error ? ' (FAILED)' : ''}`);
    }
  };
  const { phases } = options;

  const smtp = await startSmtpSink();
  let stack: Stack | undefined;
  let seeded: Seeded | undefined;
  try {
    stack = await phase('start', () =>
      startStack({
        databaseUrl: options.databaseUrl,
        runDir,
        smtp,
        seed: async (db) => {
          seeded = await seedDatabase(db, {
            contacts: options.contacts,
            rssContacts: options.rssContacts,
            storm: options.storm,
            now: new Date(),
          });
        },
      }),
    );
    if (!stack || !seeded) throw new Error('the service did not start; see the logs in ' + runDir);
    result.firstStartMs = stack.firstStartMs;
    result.workerProcess = stack.workerProcess;
    const { client } = stack;
    const { company, apiCompany } = seeded;
    const api = apiClient(stack.apiUrl, company.apiKey);
    const fields = await createFields(api);
    // Bundled on first use only (webpack takes seconds).
    let rawCtx: RawContext | undefined;
    const raw = async () =>
      (rawCtx ??= await rawContext(client, stack!.temporalAddress, path.basename(runDir).replace(/\W/g, '')));
    // Fan-out rates seen so far: they size how far ahead the storms are due.
    let armRate: number | undefined;
    let rawRate: number | undefined;

    if (phases.has('rss')) {
      const sample = await phase('rss at 0', () => sampleRss(stack!, client, company.companyId, '0'));
      if (sample) result.rss.push(sample);
    }

    if (phases.has('fanout')) {
      const rawResults: RawFanOut[] = [];
      // The first raw measurement otherwise pays for the worker's and connection's first use.
      await phase('raw warm-up', async () =>
        rawFanOut(await raw(), Math.min(50, options.contacts), 8, 60_000, 'warm-up'),
      );
      for (const concurrency of options.concurrencies) {
        const r = await phase(`raw fan-out c=${concurrency}`, async () =>
          rawFanOut(await raw(), options.contacts, concurrency, 120_000 + options.contacts * 500),
        );
        if (r) {
          rawResults.push(r);
          log(`  raw c=${concurrency}: started ${r.startedMs} ms, all sleeping ${r.sleepingMs ?? 'never'} ms`);
          check(`raw fan-out c=${concurrency} complete`, !r.timedOut, `sleeping after ${r.sleepingMs} ms`);
        }
      }
      const bestRaw = rawResults
        .filter((r) => r.sleepingMs !== undefined)
        .sort((a, b) => a.sleepingMs! - b.sleepingMs!)[0];
      rawRate = bestRaw && perSecond(options.contacts, bestRaw.sleepingMs);
      result.fanout = { raw: rawResults, bestRaw };
    }

    if (phases.has('rss')) {
      const armed = await phase(`rule over ${options.rssContacts} clients (RSS point)`, () =>
        armRule(
          api,
          client,
          emailRule({ name: 'Bench RSS', kind: 'organization', eventFieldId: fields.benchRss, sendTime: '09:00' }),
          options.rssContacts,
          Date.now() + 120_000 + options.rssContacts * 500,
        ),
      );
      if (armed) {
        result.rssRule = armed;
        armRate = perSecond(armed.eligible, armed.sleepingMs);
        check('rss rule armed', !armed.timedOut, `${armed.counts[1]} of ${armed.eligible} asleep`);
        const sample = await phase(`rss at ${options.rssContacts}`, () =>
          sampleRss(stack!, client, company.companyId, String(options.rssContacts)),
        );
        if (sample) result.rss.push(sample);
      }
    }

    if (phases.has('fanout')) {
      const armed = await phase(`project fan-out over ${options.contacts} clients`, () =>
        armRule(
          api,
          client,
          emailRule({ name: 'Bench birthdays', kind: 'person', eventFieldId: fields.birthday, sendTime: '09:00' }),
          options.contacts,
          Date.now() + 120_000 + options.contacts * 500,
          (sleeping) => log(`  ${sleeping} of ${options.contacts} asleep`),
        ),
      );
      if (armed) {
        result.fanout!.project = armed;
        // The larger sample sizes the storm's lead better.
        armRate = perSecond(armed.eligible, armed.sleepingMs) ?? armRate;
        log(`  project: started ${armed.startedMs ?? 'never'} ms, all sleeping ${armed.sleepingMs ?? 'never'} ms`);
        check('project fan-out complete', !armed.timedOut, `${armed.counts[1]} of ${armed.eligible} asleep`);
        if (phases.has('rss')) {
          // The RSS point's reminders keep sleeping beside the fan-out's.
          const label = `${options.rssContacts}+${options.contacts}`;
          const sample = await phase(`rss at ${label}`, () => sampleRss(stack!, client, company.companyId, label));
          if (sample) result.rss.push(sample);
        }
      }
    }

    if (phases.has('storm')) {
      result.storm = {};
      const concurrency = result.fanout?.bestRaw?.concurrency ?? 32;
      // Lead: the start-and-arm time expected from the rates seen (5/s when none), with margin.
      const rawLead = Math.max(30_000, (options.storm / (rawRate ?? 5)) * 1500 + 20_000);
      const rawResult = await phase(`raw storm of ${options.storm}`, async () =>
        rawStorm(await raw(), options.storm, concurrency, rawLead, 120_000 + options.storm * 1000),
      );
      if (rawResult) {
        result.storm.raw = rawResult;
        log(`  raw: armed in ${rawResult.armedMs} ms, drained ${rawResult.drainMs ?? 'never'} ms after the instant`);
        check('raw storm armed before the instant', rawResult.armedBeforeFire, `armed in ${rawResult.armedMs} ms`);
        check('raw storm complete', !rawResult.timedOut, `${rawResult.completed} of ${rawResult.count}`);
      }

      const leadMs = Math.max(options.minStormLeadMs, (options.storm / (armRate ?? 5)) * 1500 + 30_000);
      const storm = await phase(`project storm of ${options.storm}`, () =>
        projectStorm({
          api,
          client,
          smtp,
          fieldId: fields.benchStorm,
          count: options.storm,
          occurrence: seeded!.stormOccurrence,
          leadMs,
          drainTimeoutMs: 120_000 + options.storm * 1000,
          log,
        }),
      );
      if (storm) {
        result.storm.project = storm;
        log(
          `  project: drained ${storm.drainMs ?? 'never'} ms after the due minute; outcomes ${JSON.stringify(storm.outcomes)}`,
        );
        check('project storm armed before the due minute', storm.armedBeforeDue, `${storm.arming.counts[1]} asleep`);
        check('project storm complete', !storm.timedOut, JSON.stringify(storm.outcomes));
        const sent = (storm.outcomes.sent ?? 0) + (storm.outcomes.delivered ?? 0);
        check('every storm outcome is sent', sent === storm.count, JSON.stringify(storm.outcomes));
        check(
          'SMTP sink received each storm message once',
          storm.smtpReceived === storm.count && storm.smtpDuplicates === 0,
          `${storm.smtpReceived} received, ${storm.smtpDuplicates} duplicated`,
        );
      }

      if (phases.has('history') && storm) {
        const history = await phase('history of one storm reminder', () =>
          occurrenceHistory(client, storm.ruleId, seeded!.stormContacts[0]!.id),
        );
        if (history) {
          result.history = history;
          check('history read', history.occurrenceRunEvents > 0, `${history.occurrenceRunEvents} events`);
        }
      }
    }

    if (phases.has('api')) {
      await phase('API latency', async () => {
        const load = { concurrency: 20, maxRequests: options.apiRequests, maxMs: options.apiSeconds * 1000 };
        const warm = { concurrency: 20, maxRequests: 40, maxMs: 10_000 };
        const list = () => ({ method: 'GET', path: '/v1/contacts?limit=50' });
        await measureLatency('warm-up', stack!.apiUrl, company.apiKey, list, warm);
        result.api.push(await measureLatency('GET /v1/contacts?limit=50', stack!.apiUrl, company.apiKey, list, load));

        // A rule of a company without contacts: the PATCH's own path (validation, transaction,
        // handing the change to Temporal) without a fan-out over thousands of clients behind it.
        const other = apiClient(stack!.apiUrl, apiCompany.apiKey);
        const { items } = await other.request<{ items: Array<{ id: string; key: string }> }>(
          'GET',
          '/v1/contact-fields?kind=person',
        );
        const rule = await other.request<{ id: string }>(
          'POST',
          '/v1/notification-rules',
          emailRule({ name: 'Bench PATCH target', kind: 'person', eventFieldId: items[0]!.id, sendTime: '10:00' }),
        );
        const patch = (i: number) => ({
          method: 'PATCH',
          path: `/v1/notification-rules/${rule.id}`,
          body: { sendTime: i % 2 === 0 ? '10:30' : '10:00' },
        });
        await measureLatency('warm-up', stack!.apiUrl, apiCompany.apiKey, patch, warm);
        result.api.push(
          await measureLatency('PATCH /v1/notification-rules/:id', stack!.apiUrl, apiCompany.apiKey, patch, load),
        );
        for (const l of result.api) {
          log(
            `  ${l.label}: ${l.requests} requests, ${l.perSecond}/s, p50 ${l.p50Ms} p95 ${l.p95Ms} p99 ${l.p99Ms} ms`,
          );
          check(`${l.label} answered 2xx`, l.errors === 0, JSON.stringify(l.statuses));
        }
      });
    }

    if (phases.has('restart')) {
      const restart = await phase('restart', () => stack!.restart());
      if (restart) {
        result.restart = restart;
        log(`  ${restart.what}: stopped in ${restart.stopMs} ms, /health 200 after ${restart.toHealthMs} ms`);
      }
    }
  } catch (error) {
    check('run completed', false, error instanceof Error ? error.message : String(error));
  } finally {
    await phase('stop', async () => {
      await stack?.stop();
      await smtp.close();
    });
  }
  const failed = result.checks.some((c) => !c.ok);
  if (failed || options.keep) {
    result.runDir = runDir;
    log(`logs and data kept in ${runDir}`);
  } else {
    rmSync(runDir, { recursive: true, force: true });
  }
  return result;
}
