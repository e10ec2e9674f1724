// Acceptance of the sync engine across a crash: Ledgerfeed runs as its own process (`ledgerfeed sandbox` on the
// sources), the simulators run in this one (so they survive), and Ledgerfeed is killed with SIGKILL in the middle of
// syncing every table. After a restart on the same data directory and one more sync, nothing is lost and nothing
// is duplicated: the mirror equals the simulators' books again, bookkeeping changes made meanwhile included.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startSimulators, type RunningSimulators } from '../../../server/src/sandbox/standalone';
import { DATABASE_FILE } from '../../../server/src/store/database';
import { ALL_TABLES, differences, mirrorBooks, simulatorBooks } from './books';
import { control, feed, MINUTE_MS, sandboxEnv, SEED } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const ROWS = 2000;

interface LedgerfeedProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** `ledgerfeed sandbox` run from the sources, as its own process; resolves once it says where it listens. */
async function startLedgerfeed(env: NodeJS.ProcessEnv): Promise<LedgerfeedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', "require('./server/src/cli/index.ts').main(['sandbox'])"], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    void exited.then((how) => reject(new Error(`ledgerfeed exited (${how}) before listening: ${output}`)));
  });
  return { url, child, exited };
}

/** Rows of a mirror table so far, read beside the running process (0 before the table exists). */
function mirrorRows(dataDir: string, table: string): number {
  const file = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe('a Ledgerfeed process killed in the middle of a sync', () => {
  let sims: RunningSimulators;
  let dataDir: string;
  const running: ChildProcess[] = [];
  beforeAll(async () => {
    sims = await startSimulators({ rows: ROWS, latencyMs: 20, minuteMs: MINUTE_MS, seed: SEED });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sync-crash-'));
  });
  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sims?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing and duplicates nothing once restarted and synced again', async () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LEDGERFEED_') && name !== 'PORT'));
    const env = { ...inherited, ...sandboxEnv(sims.url, dataDir) };

    // Two administrations at a time, so the kill finds some synced, some half-way and some not started.
    const first = await startLedgerfeed({ ...env, LEDGERFEED_MAX_PARALLEL: '2' });
    running.push(first.child);
    const requests = ALL_TABLES.map((t) => feed(first.url, t.source, `${t.name}?$top=1`).catch(() => undefined));
    const total = 8 * ROWS;
    const deadline = Date.now() + 30_000;
    // Killed once either large table is half-way: some administrations committed, others in flight.
    for (;;) {
      const lines = ['mirror_exactonline_TransactionLines', 'mirror_twinfield_GeneralLedgerTransactions'].map((table) => mirrorRows(dataDir, table));
      if (lines.some((n) => n > 0 && n < total)) break;
      if (lines.every((n) => n >= total)) throw new Error('the sync finished before it could be interrupted');
      if (Date.now() > deadline) throw new Error(`no sync made progress within 30 s (${lines.join(', ')} rows)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await Promise.all(requests);
    expect(differences(simulatorBooks(sims), mirrorBooks(dataDir)).length).toBeGreaterThan(0);

    // Bookkeeping goes on while Ledgerfeed is down.
    await control(sims, 'exactonline', '/_simulate', { administration: 310102, insert: 4, update: 3, delete: 2 });
    await control(sims, 'twinfield', '/_simulate', { administration: 'NLA310103', insert: 4, update: 3, delete: 2 });

    const second = await startLedgerfeed(env);
    running.push(second.child);
    const answers = await Promise.all(ALL_TABLES.map(async (t) => ({ table: t.name, ...(await feed(second.url, t.source, `${t.name}?$top=1`)) })));
    expect(answers.map(({ table, status, body }) => ({ table, status, error: body.error }))).toEqual(ALL_TABLES.map((t) => ({ table: t.name, status: 200, error: undefined })));
    expect(differences(simulatorBooks(sims), mirrorBooks(dataDir))).toEqual([]);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);
});
