// Benchmark of the sync engine against the simulators, as a user's first refresh meets them: both simulators on a
// server of their own in this process (200 ms added latency, their real limits: Exact Online 60 calls a minute per
// division, Twinfield 500 credits a minute per organisation), and Ledgerfeed in a child process of its own (so its
// CPU and memory are measured alone), on a fresh data directory per run, connected to the demo workspace at start.
// For each service it times the first sync of every table — and of the transaction lines alone — with
// LEDGERFEED_MAX_PARALLEL=1 and =8 (ideal ratio 8), counts the upstream calls of a second sync with nothing changed
// per administration and table (from the simulators' statistics), and prints rows a second and Ledgerfeed's peak RSS.
// Medians of several runs.  Run: npm run bench:sync [-- --rows 2000 --runs 3 --latency 200 --only twinfield --scope lines]
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { startSimulators, type RunningSimulators } from '../../server/src/sandbox/standalone';
import { startServer } from '../../server/src/server';
import { EXACT_TABLES } from '../../server/src/sources/exactonline/tables';
import { TWINFIELD_TABLES } from '../../server/src/sources/twinfield/tables';
import type { SourceName } from '../../server/src/tables/description';

const TRANSACTION_LINES: Record<SourceName, string> = { exactonline: 'TransactionLines', twinfield: 'GeneralLedgerTransactions' };
const SEED = 'ledgerfeed-bench';

/** What the Ledgerfeed child reports for one sync. */
interface SyncReport {
  elapsedMs: number;
  rows: number;
  syncs: number;
  failed: string[];
  tables: number;
  maxRssBytes: number;
  /** CPU time Ledgerfeed's process spent during the sync (user + system). */
  cpuMs: number;
}

type Request = { sync: { source: SourceName; tables?: string[] } } | { stop: true };

// ------------------------------------------------------------------------------------------ the Ledgerfeed child

/** Ledgerfeed in its own process: a sandbox server on the standalone simulators, syncing when told to. */
async function ledgerfeed(): Promise<void> {
  const config = loadConfig('sandbox', process.env);
  const running = await startServer(config, { logger: createLogger('warn') });
  const status = running.ledgerfeed.sandboxStatus();
  if (status?.error) throw new Error(`the sandbox did not connect: ${status.error}`);
  const workspace = running.context.db.prepare("SELECT id FROM workspaces WHERE slug = 'demo'").get() as { id: number };
  process.on('message', (message: Request) => {
    if ('stop' in message) {
      void running.close().then(() => process.exit(0));
      return;
    }
    const { source, tables } = message.sync;
    const cpu = process.cpuUsage();
    void running.ledgerfeed.sync.syncWorkspace({ workspaceId: workspace.id, source, tables }).then((summary) => {
      const report: SyncReport = {
        elapsedMs: summary.elapsedMs,
        rows: summary.results.reduce((n, r) => n + r.rowCount, 0),
        syncs: summary.results.length,
        failed: summary.results.filter((r) => r.outcome !== 'synced').map((r) => `${r.table} ${r.administration.code}: ${r.error?.message}`),
        tables: new Set(summary.results.map((r) => r.table)).size,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu)),
      };
      process.send?.(report);
    });
  });
  process.send?.({ ready: running.url });
}

// ------------------------------------------------------------------------------------------------ the bench

interface Options {
  rows: number;
  runs: number;
  latencyMs: number;
  minuteMs: number;
  sources: SourceName[];
  scopes: Scope[];
}

type Scope = 'all' | 'lines';

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`Ledgerfeed exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

/** A fresh Ledgerfeed process (new data directory, connected at start) with the given parallelism. */
async function startLedgerfeed(sims: RunningSimulators, options: Options, maxParallel: number): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-bench-sync-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LEDGERFEED_') && name !== 'PORT'));
  const child = fork(__filename, ['--ledgerfeed'], {
    execArgv: process.execArgv,
    stdio: 'inherit',
    env: {
      ...env,
      PORT: '0',
      LEDGERFEED_DATA_DIR: dataDir,
      LEDGERFEED_SANDBOX_UPSTREAM_URL: sims.url,
      LEDGERFEED_SANDBOX_MINUTE_MS: String(options.minuteMs),
      LEDGERFEED_SANDBOX_SEED: SEED,
      LEDGERFEED_MAX_PARALLEL: String(maxParallel),
      LEDGERFEED_MAX_STALENESS_S: '0',
      LEDGERFEED_KEEPALIVE: 'false',
    },
  });
  await next<{ ready: string }>(child);
  return {
    child,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true } satisfies Request);
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function sync(child: ChildProcess, source: SourceName, tables?: string[]): Promise<SyncReport> {
  child.send({ sync: { source, tables } } satisfies Request);
  const report = await next<SyncReport>(child);
  if (report.failed.length > 0) throw new Error(`the sync failed: ${report.failed.slice(0, 3).join('; ')}`);
  return report;
}

/** Forgets the simulators' counts and spent budgets, so each run starts on fresh limits. */
function freshLimits(sims: RunningSimulators): void {
  sims.exactOnline.stats.reset();
  sims.twinfield.stats.reset();
  sims.twinfield.resetCredits();
}

/** Each simulator's rate-limit windows restart at the next whole "minute": start there, so runs are alike. */
async function atWindowStart(minuteMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, minuteMs - (Date.now() % minuteMs) + 50));
}

function resetExactWindows(sims: RunningSimulators): Promise<Response> {
  return fetch(`${sims.url}/sandbox/exactonline/_stats/reset`, { method: 'POST' });
}

interface Run {
  first: Partial<Record<Scope, Record<1 | 8, SyncReport>>>;
  /** Upstream calls of a second sync with nothing changed, per administration and table: the most, the mean, and where the most was. */
  second: { max: number; mean: number; worst: string };
}

async function runOnce(sims: RunningSimulators, options: Options, source: SourceName): Promise<Run> {
  const first: Run['first'] = Object.fromEntries(options.scopes.map((scope) => [scope, {}]));
  let second: Run['second'] = { max: 0, mean: 0, worst: '' };
  for (const parallel of [1, 8] as const) {
    for (const scope of options.scopes) {
      const lf = await startLedgerfeed(sims, options, parallel);
      try {
        // The one run that meets the per-minute limits starts where a window starts, so its wait is alike every time.
        if (scope === 'all' && parallel === 8) await atWindowStart(options.minuteMs);
        await resetExactWindows(sims);
        freshLimits(sims);
        first[scope]![parallel] = await sync(lf.child, source, scope === 'lines' ? [TRANSACTION_LINES[source]] : undefined);
        if (scope === 'all' && parallel === 8) {
          // Table by table, so each count belongs to one table and administration (the simulators count per administration).
          freshLimits(sims);
          const stats = (source === 'exactonline' ? sims.exactOnline : sims.twinfield).stats;
          const counts: { where: string; calls: number }[] = [];
          for (const table of (source === 'exactonline' ? EXACT_TABLES : TWINFIELD_TABLES).map((t) => t.name)) {
            const before = new Map([...stats.byAdministration].map(([a, s]) => [a, s.requests]));
            await sync(lf.child, source, [table]);
            for (const [administration, s] of stats.byAdministration) counts.push({ where: `${table} ${administration}`, calls: s.requests - (before.get(administration) ?? 0) });
          }
          const worst = counts.reduce((a, b) => (b.calls > a.calls ? b : a));
          second = { max: worst.calls, mean: counts.reduce((n, c) => n + c.calls, 0) / counts.length, worst: worst.where };
        }
      } finally {
        await lf.stop();
      }
    }
  }
  return { first, second };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rows: { type: 'string', default: '2000' },
      runs: { type: 'string', default: '3' },
      latency: { type: 'string', default: '200' },
      'minute-ms': { type: 'string', default: '60000' },
      only: { type: 'string' },
      scope: { type: 'string', default: 'both' },
    },
  });
  const scopes: Scope[] = values.scope === 'both' ? ['lines', 'all'] : [values.scope as Scope];
  if (!scopes.every((s) => s === 'all' || s === 'lines')) throw new Error('--scope takes all, lines or both');
  const sources: SourceName[] = values.only ? [values.only as SourceName] : ['exactonline', 'twinfield'];
  if (!sources.every((s) => s === 'exactonline' || s === 'twinfield')) throw new Error('--only takes exactonline or twinfield');
  return { rows: Number(values.rows), runs: Number(values.runs), latencyMs: Number(values.latency), minuteMs: Number(values['minute-ms']), sources, scopes };
}

async function main(): Promise<void> {
  const options = readOptions();
  process.stdout.write(`Simulators: 8 administrations × ${options.rows.toLocaleString('en-US')} lines, ${options.latencyMs} ms latency, limits per ${options.minuteMs / 1000} s… `);
  const sims = await startSimulators({ rows: options.rows, latencyMs: options.latencyMs, minuteMs: options.minuteMs, seed: SEED });
  console.log(`listening on ${sims.url}`);
  const runs = new Map<SourceName, Run[]>(options.sources.map((s) => [s, []]));
  try {
    for (let i = 1; i <= options.runs; i++) {
      for (const source of options.sources) {
        const run = await runOnce(sims, options, source);
        runs.get(source)!.push(run);
        const described = options.scopes.map((scope) => {
          const [one, eight] = [run.first[scope]![1], run.first[scope]![8]];
          return `${scope === 'all' ? 'all tables' : 'lines'} ${(one.elapsedMs / 1000).toFixed(1)} s at 1, ${(eight.elapsedMs / 1000).toFixed(1)} s at 8 (CPU ${(eight.cpuMs / 1000).toFixed(1)} s)`;
        });
        const second = options.scopes.includes('all') ? `; 2nd sync ≤ ${run.second.max} calls/admin/table` : '';
        console.log(`  run ${i} ${source}: ${described.join('; ')}${second}`);
      }
    }
  } finally {
    await sims.close();
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const header = ['service', 'scope', 'rows', 'P=1', 'P=8', 'ratio (≥ 7)', 'rows/s P=1', 'rows/s P=8', 'CPU P=8', 'peak RSS P=8'];
  const lines: string[][] = [];
  for (const [source, list] of runs) {
    for (const scope of options.scopes) {
      const at = (p: 1 | 8) => median(list.map((r) => r.first[scope]![p].elapsedMs));
      const rows = list[0].first[scope]![8].rows;
      const ratio = at(1) / at(8);
      lines.push([
        source,
        scope === 'all' ? `all ${list[0].first.all![8].tables} tables` : TRANSACTION_LINES[source],
        n(rows),
        s(at(1)),
        s(at(8)),
        `${ratio.toFixed(2)} ${ratio >= 7 ? 'OK' : 'BELOW'}`,
        n(rows / (at(1) / 1000)),
        n(rows / (at(8) / 1000)),
        s(median(list.map((r) => r.first[scope]![8].cpuMs))),
        `${Math.round(median(list.map((r) => r.first[scope]![8].maxRssBytes)) / 2 ** 20)} MB`,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nFirst sync, medians of ${options.runs} runs (P = LEDGERFEED_MAX_PARALLEL; CPU and peak RSS of Ledgerfeed's own process):`);
  console.log(row(header));
  for (const l of lines) console.log(row(l));
  if (!options.scopes.includes('all')) return;
  console.log('\nSecond sync with nothing changed, upstream calls per administration and table (target ≤ 2):');
  for (const [source, list] of runs) {
    const max = median(list.map((r) => r.second.max));
    const worst = list.find((r) => r.second.max === max)?.second.worst ?? '';
    console.log(`  ${source.padEnd(12)} max ${max} (${worst}), mean ${median(list.map((r) => r.second.mean)).toFixed(2)} ${max <= 2 ? 'OK' : 'ABOVE TARGET'}`);
  }
}

if (process.argv[2] === '--ledgerfeed') {
  ledgerfeed().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
