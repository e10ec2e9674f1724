// Graceful shutdown of a real server process: SIGTERM stops accepting, lets a streaming feed page in flight
// complete, cancels syncs between batches (what was committed is consistent), closes the store with a WAL
// checkpoint and exits 0; a second signal exits at once with 1.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../server/src/store/database';
import { freePort, spawnSourceCli, tempDir, type Child } from './harness';

const AUTH = `Basic ${Buffer.from(':demo').toString('base64')}`;

interface Server {
  child: Child;
  url: string;
  dataDir: string;
}

async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const child = spawnSourceCli(['sandbox'], {
    env: {
      LEDGERFEED_DATA_DIR: dataDir,
      PORT: String(port),
      LEDGERFEED_SANDBOX_ROWS: '3000',
      LEDGERFEED_SANDBOX_LATENCY_MS: '0',
      LEDGERFEED_SANDBOX_MINUTE_MS: '1000',
      LEDGERFEED_PAGE_SIZE: '1000000',
      ...env,
    },
  });
  await child.waitFor(/"msg":"listening"/);
  return { child, url: `http://127.0.0.1:${port}`, dataDir };
}

/** A feed request whose body is not read until `readAll` is called: the server has to wait for this client. */
function pausedRequest(url: string): Promise<{ status: number; readAll(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Authorization: AUTH } }, (res) => {
      res.pause();
      resolve({
        status: res.statusCode ?? 0,
        readAll: () =>
          new Promise((done, fail) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
            res.on('error', fail);
            res.resume();
          }),
      });
    });
    req.on('error', reject);
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the first batch of TransactionLines is committed (the sync is under way). */
async function committedRows(dataDir: string): Promise<void> {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    for (;;) {
      const row = db.prepare("SELECT COALESCE(SUM(row_count), 0) AS n FROM sync_state WHERE table_name = 'TransactionLines'").get() as { n: number };
      if (row.n > 0) return;
      await delay(50);
    }
  } finally {
    db.close();
  }
}

describe('shutting down', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDir('shutdown');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('completes a streaming feed page in flight, accepts nothing new, checkpoints the store and exits 0', async () => {
    const server = await startServer(dataDir);
    const primed = await fetch(`${server.url}/odata/demo/exactonline/TransactionLines/$count`, { headers: { Authorization: AUTH } });
    const rows = Number(await primed.text());
    expect(rows).toBeGreaterThan(20_000);

    const page = await pausedRequest(`${server.url}/odata/demo/exactonline/TransactionLines`);
    expect(page.status).toBe(200);
    server.child.kill('SIGTERM');
    await server.child.waitFor(/shutting down: finishing responses in flight/);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await delay(300);
    expect(server.child.process.exitCode).toBeNull(); // still waiting for this client

    const body = JSON.parse(await page.readAll()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(body.value).toHaveLength(rows);
    expect(body['@odata.nextLink']).toBeUndefined();
    const exit = await server.child.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/"msg":"shut down"/);
    const wal = path.join(dataDir, `${DATABASE_FILE}-wal`);
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);
  });

  it('exits at once with 1 on a second signal', async () => {
    // The mirror synced by the test above is served as it is.
    const server = await startServer(dataDir, { LEDGERFEED_SANDBOX_ROWS: '40', LEDGERFEED_MAX_STALENESS_S: '3600' });
    const page = await pausedRequest(`${server.url}/odata/demo/exactonline/TransactionLines`);
    expect(page.status).toBe(200);
    server.child.kill('SIGTERM');
    await server.child.waitFor(/shutting down/);
    server.child.kill('SIGINT');
    const exit = await server.child.exited;
    expect(exit.code).toBe(1);
    expect(exit.stdout).toMatch(/second signal: exiting without finishing the shutdown/);
  });

  it('cancels a sync between batches, answers the request waiting for it, and leaves a consistent mirror', async () => {
    const fresh = tempDir('shutdown-sync');
    // Every upstream page takes a while, so the first load of TransactionLines is still running at SIGTERM.
    const server = await startServer(fresh, { LEDGERFEED_SANDBOX_LATENCY_MS: '400' });
    const waiting = fetch(`${server.url}/odata/demo/exactonline/TransactionLines`, { headers: { Authorization: AUTH } });
    await committedRows(fresh);
    server.child.kill('SIGTERM');
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/shutting down/);
    expect((await server.child.exited).code).toBe(0);

    const db = new Database(path.join(fresh, DATABASE_FILE), { readonly: true });
    const states = db
      .prepare(
        `SELECT s.administration_id AS id, s.row_count AS recorded,
                (SELECT COUNT(*) FROM "mirror_exactonline_TransactionLines" m WHERE m._administration_id = s.administration_id) AS stored
         FROM sync_state s WHERE s.table_name = 'TransactionLines'`,
      )
      .all() as Array<{ id: number; recorded: number; stored: number }>;
    db.close();
    expect(states.length).toBeGreaterThan(0);
    for (const state of states) expect(state.stored).toBe(state.recorded);
    expect(states.some((s) => s.stored > 0)).toBe(true);
    fs.rmSync(fresh, { recursive: true, force: true });
  });
});
