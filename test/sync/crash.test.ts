// A Ledgerfeed process killed with SIGKILL in the middle of a sync loses nothing and duplicates nothing:
// rows and cursor were committed together, a reload in progress left the previous mirror intact, and the
// restarted process takes over the dead process's lease and finishes with exactly the upstream's rows.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../server/src/store/database';
import { ACCOUNTS, LINES } from './fake-connector';
import { CRASH_CODES, crashScenario } from './crash-scenario';
import { expectedRows, mirrorRows, rowCount } from './helpers';

const CHILD = path.join(__dirname, 'crash-child.ts');
const REPO = path.resolve(__dirname, '..', '..');
/** Children still running when a test ends (it failed midway) are killed, never left behind. */
const running = new Set<ReturnType<typeof spawn>>();

interface Child {
  /** Resolves once stdout has shown `count` lines starting with `prefix`. */
  waitForLines(prefix: string, count: number): Promise<void>;
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

function startChild(dataDir: string, generation: number, delayMs: number, tables: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(generation), String(delayMs), tables], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    for (const check of [...waiters]) check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exited,
    waitForLines: (prefix, count) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (lines.filter((l) => l.startsWith(prefix)).length >= count) resolve();
        };
        waiters.push(check);
        check();
        void exited.then(() => reject(new Error(`the child exited before printing ${count} × "${prefix}"; stdout: ${lines.join(' | ')}; stderr: ${stderr}`)));
      }),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function runToCompletion(dataDir: string, generation: number, tables: string): Promise<void> {
  const child = startChild(dataDir, generation, 0, tables);
  await child.waitForLines('done 0', 1);
  expect(await child.exited).toBe(0);
}

function administrationId(db: Db, code: string): number {
  return (db.prepare('SELECT id FROM administrations WHERE code = ?').get(code) as { id: number }).id;
}

describe('sync engine: a process killed mid-sync', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-crash-'));
  });
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses and duplicates nothing: the restarted process resumes the first load and finishes with exactly the upstream rows', async () => {
    const generation1 = crashScenario(1, 0);

    // 1. Kill the first load of both tables after a few committed batches.
    const first = startChild(dir, 1, 20, 'Lines,Accounts');
    await first.waitForLines('progress Lines 310101', 3);
    await first.kill();
    let db = openDatabase(dir);
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM sync_leases').get() as { n: number }).n).toBeGreaterThan(0);
      for (const code of CRASH_CODES) {
        const id = administrationId(db, code);
        const state = db.prepare("SELECT cursor, last_success_at FROM sync_state WHERE administration_id = ? AND table_name = 'Lines'").get(id) as {
          cursor: string | null;
          last_success_at: number | null;
        };
        expect(state.last_success_at).toBeNull();
        // Line n has version n + 1 in the fake's first load: the cursor says exactly which lines are in.
        const committed = state.cursor === null ? 0 : Number(state.cursor);
        if (code === '310101') expect(committed).toBeGreaterThan(0);
        expect(mirrorRows(db, LINES, id)).toEqual(expectedRows(LINES, generation1.rowsOf(code, LINES).slice(0, committed), code));
        expect(rowCount(db, id, 'Lines')).toBe(committed);
        // A full table is swapped in whole or not at all.
        expect([0, 300]).toContain(mirrorRows(db, ACCOUNTS, id).length);
        expect(rowCount(db, id, 'Accounts')).toBe(mirrorRows(db, ACCOUNTS, id).length);
      }
    } finally {
      db.close();
    }

    // 2. Restart: it takes over the dead process's lease and completes.
    await runToCompletion(dir, 1, 'Lines,Accounts');
    db = openDatabase(dir);
    try {
      for (const code of CRASH_CODES) {
        const id = administrationId(db, code);
        for (const table of [LINES, ACCOUNTS]) {
          const expected = expectedRows(table, generation1.rowsOf(code, table), code);
          expect(mirrorRows(db, table, id)).toEqual(expected);
          expect(rowCount(db, id, table.name)).toBe(expected.length);
        }
      }
    } finally {
      db.close();
    }

    // 3. The upstream changes; kill the reload of Accounts halfway: the previous mirror stays intact.
    const generation2 = crashScenario(2, 0);
    const reloading = startChild(dir, 2, 20, 'Accounts');
    await reloading.waitForLines('progress Accounts', 6);
    await reloading.kill();
    db = openDatabase(dir);
    try {
      for (const code of CRASH_CODES) {
        expect(mirrorRows(db, ACCOUNTS, administrationId(db, code))).toEqual(expectedRows(ACCOUNTS, generation1.rowsOf(code, ACCOUNTS), code));
      }
    } finally {
      db.close();
    }

    // 4. Restart: the reload completes with the upstream's new state.
    await runToCompletion(dir, 2, 'Accounts');
    db = openDatabase(dir);
    try {
      for (const code of CRASH_CODES) {
        const id = administrationId(db, code);
        const expected = expectedRows(ACCOUNTS, generation2.rowsOf(code, ACCOUNTS), code);
        expect(expected).toHaveLength(298);
        expect(mirrorRows(db, ACCOUNTS, id)).toEqual(expected);
        expect(rowCount(db, id, 'Accounts')).toBe(298);
      }
    } finally {
      db.close();
    }
  });
});
