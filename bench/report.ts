// The printed table (each figure, project beside raw, and their ratio; one column group per run)
// and the JSON document written under bench/results/.
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import type { Options } from './options';
import { REPO_ROOT } from './project';
import { perSecond, type RunResult } from './run';

interface Cell {
  project?: string;
  raw?: string;
  ratio?: string;
}

interface Row {
  figure: string;
  cells: Cell[];
}

const sec = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const rate = (n: number, ms: number | undefined) => {
  const r = perSecond(n, ms);
  return r === undefined ? '' : ` (${r}/s)`;
};
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : (a / b).toFixed(2);

function rows(options: Options, runs: RunResult[]): Row[] {
  const N = options.contacts;
  const M = options.storm;
  const K = options.rssContacts;
  const out: Row[] = [];
  const add = (figure: string, cell: (run: RunResult) => Cell | undefined) => {
    const cells = runs.map((run) => cell(run) ?? {});
    if (cells.some((c) => c.project !== undefined || c.raw !== undefined)) out.push({ figure, cells });
  };

  add(`fan-out: ${N} asleep with a plan`, ({ fanout }) => {
    if (!fanout) return undefined;
    const p = fanout.project;
    const r = fanout.bestRaw;
    return {
      project: p && `${sec(p.sleepingMs)}${rate(N, p.sleepingMs)}`,
      raw: r && `${sec(r.sleepingMs)}${rate(N, r.sleepingMs)} c=${r.concurrency}`,
      ratio: ratio(perSecond(N, p?.sleepingMs), perSecond(N, r?.sleepingMs)),
    };
  });
  add(`fan-out: ${N} started`, ({ fanout }) => {
    if (!fanout) return undefined;
    const p = fanout.project;
    const r = fanout.bestRaw;
    return {
      project: p && `${sec(p.startedMs)}${rate(N, p.startedMs)}`,
      raw: r && `${sec(r.startedMs)}${rate(N, r.startedMs)}`,
      ratio: ratio(perSecond(N, p?.startedMs), perSecond(N, r?.startedMs)),
    };
  });
  add('raw: asleep rate by concurrency', ({ fanout }) =>
    fanout
      ? { raw: fanout.raw.map((r) => `c${r.concurrency} ${perSecond(N, r.sleepingMs) ?? 'n/a'}/s`).join(' ') }
      : undefined,
  );
  add(`rule over ${K}: asleep with a plan`, ({ rssRule }) =>
    rssRule ? { project: `${sec(rssRule.sleepingMs)}${rate(K, rssRule.sleepingMs)}` } : undefined,
  );
  add(`storm: ${M} outcomes after the minute`, ({ storm }) => {
    if (!storm) return undefined;
    const p = storm.project;
    const r = storm.raw;
    return {
      project: p && `${sec(p.drainMs)}${rate(M, p.drainMs)}`,
      raw: r && `${sec(r.drainMs)}${rate(M, r.drainMs)}`,
      // Throughput ratio: raw time / project time.
      ratio: ratio(r?.drainMs, p?.drainMs),
    };
  });
  add('storm: first outcome after the minute', ({ storm }) =>
    storm?.project ? { project: sec(storm.project.firstOutcomeMs) } : undefined,
  );
  add('history: events of the occurrence run', ({ history }) =>
    history
      ? {
          project: `${history.occurrenceRunEvents} (wft ${history.breakdown.workflowTasks}, act ${history.breakdown.activities}, la ${history.breakdown.localActivities})`,
        }
      : undefined,
  );
  add('history: re-arm (next run to its timer)', ({ history }) =>
    history?.rearmEvents !== undefined ? { project: String(history.rearmEvents) } : undefined,
  );
  const labels = [...new Set(runs.flatMap((r) => r.rss.map((s) => s.label)))];
  for (const label of labels)
    add(`worker RSS, ${label} asleep`, ({ rss }) => {
      const s = rss.find((x) => x.label === label);
      return s && { project: `${s.rssMb ?? 'n/a'} MB (${s.sleeping} seen)` };
    });
  for (const label of [...new Set(runs.flatMap((r) => r.api.map((l) => l.label)))])
    add(`${label} @20 p50/p95/p99`, ({ api }) => {
      const l = api.find((x) => x.label === label);
      return l && { project: `${l.p50Ms}/${l.p95Ms}/${l.p99Ms} ms ${l.perSecond}/s` };
    });
  add('restart → /health 200', ({ restart }) => (restart ? { project: sec(restart.toHealthMs) } : undefined));
  add('first start (seeded) → /health 200', ({ firstStartMs }) =>
    firstStartMs !== undefined ? { project: sec(firstStartMs) } : undefined,
  );
  return out;
}

export function table(options: Options, runs: RunResult[]): string {
  const header = ['figure', ...runs.flatMap((_, i) => [`run ${i + 1} project`, 'raw', 'ratio'])];
  const body = rows(options, runs).map((row) => [
    row.figure,
    ...row.cells.flatMap((c) => [c.project ?? '', c.raw ?? '', c.ratio ?? '']),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

export function machine() {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function gitCommit(): { commit: string; dirty: boolean } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  try {
    return { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain']).length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}
