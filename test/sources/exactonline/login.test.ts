// Exact Online logins over real HTTP against the simulator: connecting through the real login form, one refresh
// however many calls (and processes) find the token expired, never a refresh too early, keep-alive across 30 days
// of disuse, a dead login reported so the user can act, and no token ever in the store's file or the logs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { DAY, SECOND } from '../../../server/src/clock';
import { LoginNeedsReauthorization, TokenUnavailable } from '../../../server/src/sources/tokens';
import { ConnectFailed } from '../../../server/src/web/connect';
import { rejectionOf, startWorld, type World } from './harness';

/** Every log line of every world in this file; the last test reads them for secrets. */
const logLines: string[] = [];
const worlds: World[] = [];

async function world(options: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  const w = await startWorld({ ...options, logLines });
  worlds.push(w);
  return w;
}

afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

/** A cheap API call of the connection (one page of journals). */
function journals(w: World, connectionId: number, division = 310101) {
  const client = w.exact.logins.forConnection(connectionId);
  return client.page(division, client.url(division, 'financial/Journals', { $select: 'ID,Code' }));
}

describe('connecting an Exact Online login', () => {
  it('connects through the login form, stores the login encrypted and finds its eight divisions', async () => {
    const w = await world();
    const connection = await w.connect();
    expect(connection.label).toBe('Exact Online — Demo Gebruiker');
    expect(connection.externalKey).toBe(`${w.sim.user.id}@${new URL(w.publicUrl).host}`);
    expect(connection.baseUrl).toBe(w.simBase);
    expect(connection.connectedBy).toBe(w.userId);
    expect(connection.refreshRenewedAt).toBeGreaterThan(w.clock.now() - 60 * SECOND);
    const administrations = w.connections.administrations(w.workspaceId, { connectionId: connection.id });
    expect(administrations.map((a) => a.code)).toEqual(['310101', '310102', '310103', '310104', '310105', '310106', '310107', '310108']);
    expect(administrations.map((a) => a.name)).toEqual(w.sim.ledgers.map((l) => l.info.name));
    expect(administrations.every((a) => a.selected)).toBe(true);
    expect(w.connections.health(connection).state).toBe('ok');

    // The login works for API calls right away, without another token request.
    await w.resetStats();
    await journals(w, connection.id);
    expect((await w.stats()).tokenRequests).toBe(0);

    // Refresh once so both an exchanged and a refreshed pair have been written, then look at the file itself.
    w.clock.advance(601 * SECOND);
    await journals(w, connection.id);
    w.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of fs.readdirSync(w.dir).filter((f) => f.startsWith('ledgerfeed.sqlite'))) {
      const bytes = fs.readFileSync(path.join(w.dir, file)).toString('latin1');
      expect(bytes).not.toContain('eol_at_');
      expect(bytes).not.toContain('eol_rt_');
    }
  });

  it('refuses a login code used a second time with a message that says to connect again', async () => {
    const w = await world();
    const callback = await w.login();
    await w.complete(callback);
    const err = await rejectionOf(w.complete(callback));
    expect(err).toBeInstanceOf(ConnectFailed);
    expect((err as ConnectFailed).failure).toBe('expired_code');
    expect(err.message).toContain('Connect again');
    expect(err.message).not.toContain(callback.code);
  });

  it('reconnecting the same login updates the one connection instead of adding another', async () => {
    const w = await world();
    const first = await w.connect();
    const second = await w.connect();
    expect(second.id).toBe(first.id);
    expect(w.connections.inWorkspace(w.workspaceId)).toHaveLength(1);
  });
});

describe('renewing the Exact Online access token', () => {
  it('refreshes exactly once when 50 calls find the access token expired at the same time', async () => {
    const w = await world();
    const connection = await w.connect();
    await w.resetStats();
    w.clock.advance(601 * SECOND);
    const pages = await Promise.all(Array.from({ length: 50 }, () => journals(w, connection.id)));
    expect(pages.every((p) => p.rows.length > 0)).toBe(true);
    const stats = await w.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.rejectedRefreshes).toBe(0);
  });

  it('refreshes exactly once when two processes sharing the data directory find it expired together', async () => {
    // Token answers take 150 ms, so both processes are surely refreshing at once if they can.
    const w = await world({ sim: { latencyMs: 150 } });
    const connection = await w.connect();
    await w.resetStats();
    w.clock.advance(601 * SECOND);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'child-client.ts')], {
      cwd: path.resolve(__dirname, '../../..'),
      env: {
        ...process.env,
        LF_DATA_DIR: w.dir,
        LF_SECRET_HEX: w.secretHex,
        LF_PUBLIC_URL: w.publicUrl,
        LF_CONNECTION_ID: String(connection.id),
        LF_CLOCK_OFFSET_MS: String(w.clock.offset),
        LF_DIVISION: '310102',
        LF_CALLS: '50',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        output.push(line);
        if (line === 'ready') resolve();
      });
      child.once('exit', () => reject(new Error(`the second process ended before it was ready: ${stderr}`)));
    });
    // Both processes at once: the child's 50 calls and ours.
    child.stdin.write('go\n');
    const mine = await Promise.allSettled(Array.from({ length: 50 }, () => journals(w, connection.id, 310101)));
    expect(await exited).toBe(0);
    const theirs = JSON.parse(output[output.length - 1]) as { ok: number; failures: string[] };
    expect(theirs).toEqual({ ok: 50, failures: [] });
    expect(mine.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    const stats = await w.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.rejectedRefreshes).toBe(0);
  });

  it('never asks for a refresh too early while being used for longer than a token lives', async () => {
    const w = await world();
    const connection = await w.connect();
    await w.resetStats();
    // 700 s of steady use in steps of 35 s: the one refresh lands in the last 30 s of the token's life.
    for (let step = 0; step < 20; step++) {
      w.clock.advance(35 * SECOND);
      await Promise.all(Array.from({ length: 5 }, () => journals(w, connection.id)));
    }
    const stats = await w.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.rejectedRefreshes).toBe(0);
  });

  it('keeps working in the moment the refresh window opens before Exact allows a refresh (a slow first connect)', async () => {
    // Every answer takes 250 ms, so the token arrives (and Me and Divisions are read) well after it was requested:
    // its expiry counts from the request, its age from when the connection was stored.
    const w = await world({ sim: { latencyMs: 250 } });
    const connection = await w.connect();
    await w.resetStats();
    const row = w.db.prepare('SELECT access_expires_at, access_issued_at FROM connections WHERE id = ?').get(connection.id) as {
      access_expires_at: number;
      access_issued_at: number;
    };
    w.clock.advance(row.access_expires_at - 30 * SECOND + 100 - w.clock.now());
    expect(w.clock.now()).toBeLessThan(row.access_issued_at + 570 * SECOND - 300); // inside the gap, with room for the call
    const page = await journals(w, connection.id);
    expect(page.rows.length).toBeGreaterThan(0);
    expect((await w.stats()).tokenRequests).toBe(0);
    w.clock.advance(row.access_issued_at + 570 * SECOND - w.clock.now());
    await journals(w, connection.id);
    const stats = await w.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.rejectedRefreshes).toBe(0);
  });

  it('does not refresh a token Exact rejects before it is 570 s old, and renews it once it may', async () => {
    const w = await world();
    const connection = await w.connect();
    await w.resetStats();
    w.clock.advance(100 * SECOND);
    await w.control('_tokens/expire');
    const early = await rejectionOf(journals(w, connection.id));
    expect(early).toBeInstanceOf(TokenUnavailable);
    expect((await w.stats()).tokenRequests).toBe(0);
    w.clock.advance(471 * SECOND);
    await journals(w, connection.id);
    const stats = await w.stats();
    expect(stats.tokenRequests).toBe(1);
    expect(stats.rejectedRefreshes).toBe(0);
  });

  it('says the login must be reconnected when another tool used its refresh token', async () => {
    const w = await world();
    const connection = await w.connect();
    // Another tool on the same Exact login refreshes with the same refresh token first.
    const row = w.db.prepare('SELECT refresh_token_enc FROM connections WHERE id = ?').get(connection.id) as { refresh_token_enc: string };
    const { Vault } = await import('../../../server/src/store/vault');
    const refreshToken = new Vault(Buffer.from(w.secretHex, 'hex')).decrypt(row.refresh_token_enc, `connection:${connection.id}:refresh_token`);
    w.clock.advance(601 * SECOND);
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: w.sim.app.clientId, client_secret: w.sim.app.clientSecret });
    expect((await fetch(`${w.simBase}/api/oauth2/token`, { method: 'POST', body })).status).toBe(200);

    const err = await rejectionOf(journals(w, connection.id));
    expect(err).toBeInstanceOf(LoginNeedsReauthorization);
    expect(err.message).toContain('already been used');
    expect(err.message).toContain('Reconnect Exact Online on the workspace page');
    expect(err.message).not.toContain('eol_');
    const stored = w.connections.byId(connection.id)!;
    expect(stored.status).toBe('needs_reauth');
    expect(stored.statusReason).toContain('already been used');
  });
});

describe('keeping unused logins alive', () => {
  it('keeps a login alive through 31 days without use', async () => {
    const w = await world({ keepAlive: { enabled: true, days: 14 } });
    const connection = await w.connect();
    expect((await w.keepAlive.runOnce()).outcomes).toEqual([]);
    w.clock.advance(15 * DAY);
    const run = await w.keepAlive.runOnce();
    expect(run.outcomes).toEqual([expect.objectContaining({ connectionId: connection.id, outcome: 'renewed' })]);
    expect(w.connections.byId(connection.id)!.refreshRenewedAt).toBeGreaterThanOrEqual(w.clock.now() - 5 * SECOND);
    w.clock.advance(16 * DAY); // 31 days since the login was last used by anything but keep-alive
    expect(await w.exact.connector.discoverAdministrations(connection.id)).toHaveLength(8);
    const stored = w.connections.byId(connection.id)!;
    expect(w.connections.health(stored).state).toBe('ok');
    expect((await w.stats()).rejectedRefreshes).toBe(0);
  });

  it('renews on its own schedule once started, and stops when told', async () => {
    const w = await world();
    const connection = await w.connect();
    const { createKeepAlive } = await import('../../../server/src/sources/keepalive');
    const { silentLogger } = await import('../../../server/src/logger');
    const scheduler = createKeepAlive({ db: w.db, clock: w.clock, logger: silentLogger, config: { enabled: true, days: 14 }, sources: [w.exact.keepAlive], firstRunDelayMs: 0, intervalMs: 20 });
    w.clock.advance(15 * DAY);
    const due = w.connections.byId(connection.id)!.refreshRenewedAt!;
    scheduler.start();
    try {
      while (w.connections.byId(connection.id)!.refreshRenewedAt === due) await new Promise((r) => setTimeout(r, 10));
    } finally {
      scheduler.stop();
    }
    const renewedAt = w.connections.byId(connection.id)!.refreshRenewedAt;
    w.clock.advance(15 * DAY);
    await new Promise((r) => setTimeout(r, 100));
    expect(w.connections.byId(connection.id)!.refreshRenewedAt).toBe(renewedAt);
  });

  it('without keep-alive, a login unused for 31 days shows as needing to be reconnected, and why', async () => {
    const w = await world({ keepAlive: { enabled: false, days: 14 } });
    const connection = await w.connect();
    w.keepAlive.start(); // off: schedules nothing
    w.clock.advance(31 * DAY);
    const err = await rejectionOf(w.exact.connector.discoverAdministrations(connection.id));
    expect(err).toBeInstanceOf(LoginNeedsReauthorization);
    expect(err.message).toContain('not used for 30 days');
    expect(err.message).toContain('Reconnect Exact Online on the workspace page');
    const stored = w.connections.byId(connection.id)!;
    expect(stored.status).toBe('needs_reauth');
    expect(stored.statusReason).toContain('expired');
    expect(stored.statusAt).toBeGreaterThan(w.clock.now() - 60 * SECOND);
    expect(w.connections.health(stored)).toEqual(expect.objectContaining({ state: 'needs_reauth', reason: stored.statusReason }));
  });

  it('marks a login that died while nothing ran (keep-alive too late) as needing to be reconnected', async () => {
    const w = await world();
    const connection = await w.connect();
    w.clock.advance(31 * DAY);
    const run = await w.keepAlive.runOnce();
    expect(run.outcomes).toEqual([expect.objectContaining({ connectionId: connection.id, outcome: 'needs_reauth', reason: expect.stringContaining('30 days') })]);
    expect(w.connections.byId(connection.id)!.status).toBe('needs_reauth');
    // A dead login is not tried again on the next run.
    expect((await w.keepAlive.runOnce()).outcomes).toEqual([]);
  });
});

describe('secrets', () => {
  it('never writes a token, code or client secret to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n');
    expect(all).not.toContain('eol_at_');
    expect(all).not.toContain('eol_rt_');
    expect(all).not.toContain('stampNL001');
    expect(all).not.toContain('sandbox-secret');
  });
});
