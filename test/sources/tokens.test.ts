import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { AdjustableClock, MINUTE, SECOND } from '../../server/src/clock';
import { openDatabase, type Db } from '../../server/src/store/database';
import { Vault } from '../../server/src/store/vault';
import { LoginNeedsReauthorization, RefreshRejected, TokenManager, TokenUnavailable, type TokenPolicy, type TokenSet } from '../../server/src/sources/tokens';

const exactPolicy: TokenPolicy = { refreshWindowMs: 30 * SECOND, minAccessAgeMs: 570 * SECOND };

/** A rotating-token upstream: each refresh token works once, like Exact Online's. */
function rotatingUpstream(clock: AdjustableClock, delayMs = 20) {
  let generation = 0;
  let valid = 'rt_0';
  const calls: string[] = [];
  return {
    calls,
    refresh: async (refreshToken: string): Promise<TokenSet> => {
      calls.push(refreshToken);
      await new Promise((r) => setTimeout(r, delayMs));
      if (refreshToken !== valid) throw new RefreshRejected('Old refresh token used.', true);
      generation++;
      valid = `rt_${generation}`;
      return { accessToken: `at_${generation}`, accessExpiresAt: clock.now() + 10 * MINUTE, refreshToken: valid };
    },
  };
}

describe('token manager', () => {
  let dir: string;
  let db: Db;
  let vault: Vault;
  let clock: AdjustableClock;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-tokens-'));
    db = openDatabase(dir);
    vault = new Vault(crypto.randomBytes(32));
    clock = new AdjustableClock();
    db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('w', 'W', 0)").run();
    db.prepare("INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (1, 'exactonline', 'u', 'Exact demo', 'http://x', 0)").run();
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores tokens encrypted: the database file holds no token in the clear', () => {
    new TokenManager(db, vault, clock).store(1, { accessToken: 'eol_at_SECRET1', accessExpiresAt: clock.now() + 600_000, refreshToken: 'eol_rt_SECRET2' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = fs.readFileSync(path.join(dir, 'ledgerfeed.sqlite')).toString('latin1');
    expect(bytes).not.toContain('eol_at_');
    expect(bytes).not.toContain('eol_rt_');
  });

  it('hands out the stored token while it is valid, without refreshing', async () => {
    const upstream = rotatingUpstream(clock);
    const tokens = new TokenManager(db, vault, clock);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(500 * SECOND);
    expect(await tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })).toBe('at_0');
    expect(upstream.calls).toHaveLength(0);
  });

  it('refreshes exactly once when 50 callers find the token expired at the same time', async () => {
    const upstream = rotatingUpstream(clock);
    const tokens = new TokenManager(db, vault, clock);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(601 * SECOND);
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })));
    expect(new Set(results)).toEqual(new Set(['at_1']));
    expect(upstream.calls).toEqual(['rt_0']);
  });

  it('refreshes exactly once across two store connections (two processes) sharing the file', async () => {
    const upstream = rotatingUpstream(clock);
    const other = openDatabase(dir);
    const a = new TokenManager(db, vault, clock);
    const b = new TokenManager(other, vault, clock);
    a.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(601 * SECOND);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })),
    );
    other.close();
    expect(new Set(results)).toEqual(new Set(['at_1']));
    expect(upstream.calls).toEqual(['rt_0']);
  });

  it('never refreshes too early, even when a young token is rejected', async () => {
    const upstream = rotatingUpstream(clock);
    const tokens = new TokenManager(db, vault, clock);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(100 * SECOND);
    await expect(tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy, rejected: 'at_0' })).rejects.toBeInstanceOf(TokenUnavailable);
    expect(upstream.calls).toHaveLength(0);
  });

  it('marks the login as needing re-authorization, with the reason, when the upstream refuses the refresh token', async () => {
    const tokens = new TokenManager(db, vault, clock);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_stale' });
    clock.advance(601 * SECOND);
    const upstream = rotatingUpstream(clock);
    const attempt = tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy });
    await expect(attempt).rejects.toBeInstanceOf(LoginNeedsReauthorization);
    await expect(tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })).rejects.toThrow(/needs re-authorization.*Old refresh token used/);
    const row = db.prepare('SELECT status, status_reason FROM connections WHERE id = 1').get();
    expect(row).toEqual({ status: 'needs_reauth', status_reason: 'Old refresh token used.' });
    expect(upstream.calls).toEqual(['rt_stale']);
  });

  it('keeps the login when a refresh fails for a passing reason, and tries again next time', async () => {
    const tokens = new TokenManager(db, vault, clock);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(601 * SECOND);
    const flaky = jest.fn<Promise<TokenSet>, [string]>().mockRejectedValueOnce(new Error('socket hang up'));
    flaky.mockResolvedValueOnce({ accessToken: 'at_1', accessExpiresAt: clock.now() + 600_000, refreshToken: null });
    await expect(tokens.accessToken(1, { refresh: flaky, policy: exactPolicy })).rejects.toThrow(/socket hang up/);
    expect(await tokens.accessToken(1, { refresh: flaky, policy: exactPolicy })).toBe('at_1');
    // A refresh without a new refresh token keeps the old one.
    const stored = db.prepare('SELECT refresh_token_enc FROM connections WHERE id = 1').get() as { refresh_token_enc: string };
    expect(vault.decrypt(stored.refresh_token_enc, 'connection:1:refresh_token')).toBe('rt_0');
  });

  it('keeps other processes out for as long as a slow refresh is in flight, however short the lease', async () => {
    // The token endpoint takes 600 ms; the lease lasts 90 ms unless its holder renews it.
    const { calls, refresh: slow } = rotatingUpstream(clock, 600);
    const other = openDatabase(dir);
    const a = new TokenManager(db, vault, clock, { leaseMs: 90, pollMs: 10 });
    const b = new TokenManager(other, vault, clock, { leaseMs: 90, pollMs: 10 });
    a.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(601 * SECOND);
    const first = a.accessToken(1, { refresh: slow, policy: exactPolicy });
    await new Promise((r) => setTimeout(r, 250)); // well past the lease's first end
    const second = b.accessToken(1, { refresh: slow, policy: exactPolicy });
    const results = await Promise.all([first, second]);
    other.close();
    expect(results).toEqual(['at_1', 'at_1']);
    expect(calls).toEqual(['rt_0']);
    expect(db.prepare('SELECT status FROM connections WHERE id = 1').get()).toEqual({ status: 'ok' });
  });

  it('does not give up a login another process renewed while its own refresh was being refused', async () => {
    // A lease that lapsed anyway (a process paused past it): both spend rt_0; the first wins, the second is refused.
    const { calls, refresh: slow } = rotatingUpstream(clock, 300);
    const other = openDatabase(dir);
    const a = new TokenManager(db, vault, clock, { pollMs: 10 });
    const b = new TokenManager(other, vault, clock, { pollMs: 10 });
    a.store(1, { accessToken: 'at_0', accessExpiresAt: clock.now() + 600_000, refreshToken: 'rt_0' });
    clock.advance(601 * SECOND);
    const first = a.accessToken(1, { refresh: slow, policy: exactPolicy });
    await new Promise((r) => setTimeout(r, 100));
    db.prepare('UPDATE connections SET refresh_lease_until = 0 WHERE id = 1').run();
    const second = b.accessToken(1, { refresh: slow, policy: exactPolicy });
    const results = await Promise.all([first, second]);
    other.close();
    expect(calls).toEqual(['rt_0', 'rt_0']);
    expect(results).toEqual(['at_1', 'at_1']);
    expect(db.prepare('SELECT status, status_reason FROM connections WHERE id = 1').get()).toEqual({ status: 'ok', status_reason: null });
    const stored = db.prepare('SELECT refresh_token_enc FROM connections WHERE id = 1').get() as { refresh_token_enc: string };
    expect(vault.decrypt(stored.refresh_token_enc, 'connection:1:refresh_token')).toBe('rt_1');
  });

  it('hands out the current token when the refresh window opens a moment before a refresh is allowed', async () => {
    // Expiry counted from when the token was requested, age from when it arrived 2 s later.
    const upstream = rotatingUpstream(clock);
    const tokens = new TokenManager(db, vault, clock);
    const requestedAt = clock.now();
    clock.advance(2 * SECOND);
    tokens.store(1, { accessToken: 'at_0', accessExpiresAt: requestedAt + 600_000, refreshToken: 'rt_0' });
    clock.advance(569 * SECOND); // 1 s into the refresh window, 1 s before a refresh is allowed
    expect(await tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })).toBe('at_0');
    expect(upstream.calls).toHaveLength(0);
    clock.advance(2 * SECOND);
    expect(await tokens.accessToken(1, { refresh: upstream.refresh, policy: exactPolicy })).toBe('at_1');
    expect(upstream.calls).toEqual(['rt_0']);
  });
});
