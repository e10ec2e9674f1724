// No upstream secret anywhere a person or a backup could read it: the whole sandbox product (both simulators, a
// Ledgerfeed connected to them through the real code-grant pages, logging at debug), used and then made to refresh
// both logins, leaves no access or refresh token in the clear in any file of its data directory — the SQLite file
// and its write-ahead log and shared-memory file, read while the server runs, without a checkpoint — nor in any
// HTTP answer it gave (feeds, pages, health, metrics, the connections API) nor in any log line.
import fs from 'node:fs';
import path from 'node:path';
import { AdjustableClock, SECOND } from '../../server/src/clock';
import { createLogger } from '../../server/src/logger';
import type { RunningServer } from '../../server/src/server';
import { send, signIn } from '../hostile/harness';
import { startSandbox, type Sandbox } from './sync/harness';

const PREFIXES = ['eol_rt_', 'eol_at_', 'twf_rt_', 'twf_at_'];
const DEMO = { Authorization: `Basic ${Buffer.from(':demo').toString('base64')}`, Accept: 'application/json' };

interface StoredTokens {
  source: string;
  access: string;
  refresh: string;
}

let sandbox: Sandbox;
let server: RunningServer;
let dataDir: string;
const clock = new AdjustableClock();
const logLines: string[] = [];
/** Every answer this test received from Ledgerfeed, headers and body. */
const answers: string[] = [];

/** The tokens as the store holds them, decrypted with the server's own key (to prove what the scan looks for). */
function storedTokens(): StoredTokens[] {
  const rows = server.context.db.prepare('SELECT id, source, access_token_enc, refresh_token_enc FROM connections ORDER BY id').all() as {
    id: number;
    source: string;
    access_token_enc: string;
    refresh_token_enc: string;
  }[];
  const vault = server.context.vault;
  return rows.map((r) => ({
    source: r.source,
    access: vault.decrypt(r.access_token_enc, `connection:${r.id}:access_token`),
    refresh: vault.decrypt(r.refresh_token_enc, `connection:${r.id}:refresh_token`),
  }));
}

async function get(pathAndQuery: string, headers: Record<string, string> = DEMO): Promise<number> {
  const response = await fetch(`${server.url}${pathAndQuery}`, { headers });
  answers.push(`${pathAndQuery} ${response.status}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await response.text()}`);
  return response.status;
}

async function useBothSources(): Promise<void> {
  expect(await get('/odata/demo/exactonline/Journals?$top=5')).toBe(200);
  expect(await get('/odata/demo/twinfield/GeneralLedgerAccounts?$top=5')).toBe(200);
  expect(await get('/odata/demo/exactonline/Administrations')).toBe(200);
}

/** Every file in the data directory, as bytes read as latin1 (tokens are ASCII). */
function dataFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dataDir, full), fs.readFileSync(full).toString('latin1'));
    }
  };
  walk(dataDir);
  return files;
}

beforeAll(async () => {
  // One clock for the simulators and Ledgerfeed, so moving it expires the tokens on both sides.
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  sandbox = await startSandbox({ rows: 60, seed: 'ledgerfeed-secrets', simulatorClock: clock, clock, logger, env: { LEDGERFEED_LOG_LEVEL: 'debug' } });
  server = sandbox.server;
  dataDir = sandbox.dataDir;
}, 60_000);

afterAll(() => sandbox?.close());

describe('secrets at rest, on the wire and in the logs', () => {
  let before: StoredTokens[];

  it('connects both sources and serves their data, then renews both logins once their access tokens expire', async () => {
    await useBothSources();
    before = storedTokens();
    expect(before.map((t) => t.source).sort()).toEqual(['exactonline', 'twinfield']);
    for (const t of before) {
      expect(PREFIXES.some((p) => t.access.startsWith(p))).toBe(true);
      expect(PREFIXES.some((p) => t.refresh.startsWith(p))).toBe(true);
    }
    clock.advance(3601 * SECOND); // past both access tokens' lifetimes (Exact 600 s, Twinfield 3600 s)
    await useBothSources();
    const after = storedTokens();
    for (const t of after) {
      const old = before.find((b) => b.source === t.source)!;
      expect(t.access).not.toBe(old.access);
    }
    // Exact Online rotates its refresh token on every refresh.
    expect(after.find((t) => t.source === 'exactonline')!.refresh).not.toBe(before.find((t) => t.source === 'exactonline')!.refresh);
  }, 120_000);

  it('answers pages, health, metrics and the connections API without a token', async () => {
    const session = await signIn(server.url, 'demo', 'demo');
    for (const page of ['/workspaces', '/workspaces/demo', '/keys', '/workspaces/demo/members']) {
      const answer = await send(server.url, { path: page, headers: [['Cookie', session.cookie]] });
      expect(answer.status).toBe(200);
      answers.push(`${page} ${answer.status}\n${JSON.stringify(answer.headers)}\n${answer.body}`);
    }
    expect(await get('/healthz', {})).toBe(200);
    expect(await get('/readyz', {})).toBe(200);
    expect(await get('/metrics')).toBe(200);
    expect(await get('/api/workspaces')).toBe(200);
    expect(await get('/api/workspaces/demo/connections')).toBe(200);
  });

  it('leaves no token in the clear in any file of the data directory, write-ahead log included, while running', () => {
    const files = dataFiles();
    // The scan reads what SQLite has not yet folded into the main file.
    expect(files.has('ledgerfeed.sqlite')).toBe(true);
    expect(files.get('ledgerfeed.sqlite-wal')?.length ?? 0).toBeGreaterThan(0);
    const tokens = [...before, ...storedTokens()].flatMap((t) => [t.access, t.refresh]);
    for (const [name, bytes] of files) {
      for (const prefix of PREFIXES) expect(`${name}: ${bytes.includes(prefix)}`).toBe(`${name}: false`);
      for (const token of tokens) expect(`${name}: ${bytes.includes(token.slice(7, 40))}`).toBe(`${name}: false`);
    }
  });

  it('gave no token in any HTTP answer and wrote none to the log', () => {
    expect(answers.length).toBeGreaterThanOrEqual(14);
    expect(logLines.length).toBeGreaterThan(20);
    const tokens = [...before, ...storedTokens()].flatMap((t) => [t.access, t.refresh]);
    const everything = [...answers, ...logLines].join('\n');
    for (const prefix of PREFIXES) expect(everything).not.toContain(prefix);
    for (const token of tokens) expect(everything).not.toContain(token.slice(7, 40));
  });
});
