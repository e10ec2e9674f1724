// Keeps upstream logins alive: tokens encrypted at rest, and at most one refresh in flight per connection —
// within this process (a shared promise) and across processes sharing the SQLite file (a lease row) —
// because a rotating refresh token used twice loses the login. The new refresh token is persisted before
// the new access token is handed to anyone. The lease is renewed while a refresh is in flight (a token request may
// take longer than the lease), and a refused refresh only marks the login dead while the refused refresh token is
// still the stored one: another process that renewed it in the meantime kept the login.
import crypto from 'node:crypto';
import { sleep, systemClock, type Clock } from '../clock';
import { LedgerfeedError } from '../errors';
import type { Db } from '../store/database';
import type { Vault } from '../store/vault';

export interface TokenSet {
  accessToken: string;
  /** Epoch ms when the access token stops working. */
  accessExpiresAt: number;
  /** A refresh that returns none keeps the previous one (Twinfield may not rotate). */
  refreshToken?: string | null;
}

/** The upstream refused a refresh. `permanent` means the login is gone and only the user can restore it. */
export class RefreshRejected extends Error {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
  ) {
    super(reason);
    this.name = 'RefreshRejected';
  }
}

/** The login of a connection is dead; the user must connect it again. */
export class LoginNeedsReauthorization extends LedgerfeedError {
  readonly code = 'LoginNeedsReauthorization';
  readonly status = 503;
  constructor(
    readonly connectionId: number,
    readonly label: string,
    readonly reason: string,
    readonly since: number,
  ) {
    super(
      `The login of connection "${label}" needs re-authorization since ${new Date(since).toISOString()}: ${reason}. Open the workspace page and connect it again.`,
      { target: label },
    );
  }
}

/** A token problem that may pass (network failure during a refresh, a rejected but fresh token). */
export class TokenUnavailable extends LedgerfeedError {
  readonly code = 'TokenUnavailable';
  readonly status = 503;
}

export type RefreshFunction = (refreshToken: string, signal?: AbortSignal) => Promise<TokenSet>;

export interface TokenPolicy {
  /** Refresh when the access token has less than this left (Exact Online: 30 s). */
  refreshWindowMs: number;
  /** Never refresh an access token younger than this (Exact Online refuses before 570 s). */
  minAccessAgeMs: number;
}

export interface AccessTokenRequest {
  refresh: RefreshFunction;
  policy: TokenPolicy;
  /** The token the upstream just answered 401 to: it must not be handed out again. */
  rejected?: string;
  signal?: AbortSignal;
}

interface TokenRow {
  id: number;
  label: string;
  status: 'ok' | 'needs_reauth';
  status_reason: string | null;
  status_at: number | null;
  access_token_enc: string | null;
  access_expires_at: number | null;
  access_issued_at: number | null;
  refresh_token_enc: string | null;
}

export interface TokenManagerOptions {
  /**
   * How long a claimed refresh is protected from other processes without a sign of life (ms). The holder renews it
   * every third of this while its token request is in flight, so a slow upstream never lets a second refresh in.
   */
  leaseMs?: number;
  /** How often a process waiting for another's refresh looks again (ms). */
  pollMs?: number;
  /** Observes every refresh attempt (metrics). Never receives tokens. */
  onRefresh?: (event: { connectionId: number; outcome: 'renewed' | 'rejected' | 'failed' }) => void;
}

export class TokenManager {
  private readonly inFlight = new Map<number, Promise<string>>();
  private readonly owner = `${process.pid}:${crypto.randomUUID()}`;
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
    private readonly options: TokenManagerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 25;
  }

  /** Stores tokens from a code exchange (a new or re-authorized login) and marks the connection healthy. */
  store(connectionId: number, tokens: TokenSet): void {
    const now = this.clock.now();
    const refresh = tokens.refreshToken ? this.vault.encrypt(tokens.refreshToken, context(connectionId, 'refresh_token')) : null;
    this.db
      .prepare(
        `UPDATE connections SET access_token_enc = ?, access_expires_at = ?, access_issued_at = ?, refresh_token_enc = ?,
           refresh_renewed_at = ?, status = 'ok', status_reason = NULL, status_at = ?, refresh_lease_owner = NULL, refresh_lease_until = NULL
         WHERE id = ?`,
      )
      .run(this.vault.encrypt(tokens.accessToken, context(connectionId, 'access_token')), tokens.accessExpiresAt, now, refresh, now, now, connectionId);
  }

  /**
   * An access token that is valid for more than the policy's window. Refreshes when needed — once, however many
   * callers ask at the same time in this or other processes; the others wait for and reuse the result.
   */
  async accessToken(connectionId: number, request: AccessTokenRequest): Promise<string> {
    const row = this.read(connectionId);
    const current = this.usable(row, request);
    if (current) return current;
    let pending = this.inFlight.get(connectionId);
    if (!pending) {
      pending = this.refreshOnce(connectionId, request).finally(() => this.inFlight.delete(connectionId));
      this.inFlight.set(connectionId, pending);
    }
    return pending;
  }

  /** Refreshes now if the policy allows (keep-alive), regardless of the access token's remaining life. */
  async renew(connectionId: number, request: Omit<AccessTokenRequest, 'rejected'>): Promise<void> {
    const row = this.read(connectionId);
    const token = row.access_token_enc ? this.vault.decrypt(row.access_token_enc, context(connectionId, 'access_token')) : undefined;
    await this.accessToken(connectionId, { ...request, rejected: token, policy: { ...request.policy, refreshWindowMs: Number.POSITIVE_INFINITY } });
  }

  /**
   * Whether the stored tokens of a connection decrypt with this process's key (`ledgerfeed doctor`): true when they
   * do or none are stored. The tokens themselves never leave this method.
   */
  tokensDecrypt(connectionId: number): boolean {
    const row = this.db.prepare('SELECT access_token_enc, refresh_token_enc FROM connections WHERE id = ?').get(connectionId) as
      | Pick<TokenRow, 'access_token_enc' | 'refresh_token_enc'>
      | undefined;
    try {
      if (row?.access_token_enc) this.vault.decrypt(row.access_token_enc, context(connectionId, 'access_token'));
      if (row?.refresh_token_enc) this.vault.decrypt(row.refresh_token_enc, context(connectionId, 'refresh_token'));
      return true;
    } catch {
      return false;
    }
  }

  /** Marks a login dead (also used when the upstream rejects a token outright). */
  markNeedsReauthorization(connectionId: number, reason: string): void {
    this.db
      .prepare(`UPDATE connections SET status = 'needs_reauth', status_reason = ?, status_at = ?, refresh_lease_owner = NULL, refresh_lease_until = NULL WHERE id = ?`)
      .run(reason, this.clock.now(), connectionId);
  }

  private read(connectionId: number): TokenRow {
    const row = this.db
      .prepare(
        'SELECT id, label, status, status_reason, status_at, access_token_enc, access_expires_at, access_issued_at, refresh_token_enc FROM connections WHERE id = ?',
      )
      .get(connectionId) as TokenRow | undefined;
    if (!row) throw new TokenUnavailable(`connection ${connectionId} does not exist`);
    if (row.status === 'needs_reauth') {
      throw new LoginNeedsReauthorization(row.id, row.label, row.status_reason ?? 'the upstream refused the login', row.status_at ?? this.clock.now());
    }
    return row;
  }

  /** The stored access token if it may be used under the request's policy. */
  private usable(row: TokenRow, request: Pick<AccessTokenRequest, 'policy' | 'rejected'>): string | undefined {
    return this.stillValid(row, request, request.policy.refreshWindowMs);
  }

  /** The stored access token if the upstream has not rejected it and it has more than `marginMs` to live. */
  private stillValid(row: TokenRow, request: Pick<AccessTokenRequest, 'rejected'>, marginMs: number): string | undefined {
    if (!row.access_token_enc || row.access_expires_at === null) return undefined;
    const token = this.vault.decrypt(row.access_token_enc, context(row.id, 'access_token'));
    if (token === request.rejected) return undefined;
    if (this.clock.now() >= row.access_expires_at - marginMs) return undefined;
    return token;
  }

  private async refreshOnce(connectionId: number, request: AccessTokenRequest): Promise<string> {
    for (;;) {
      request.signal?.throwIfAborted();
      if (this.claimLease(connectionId)) {
        const heartbeat = setInterval(() => this.extendLease(connectionId), Math.max(1, Math.floor(this.leaseMs / 3)));
        heartbeat.unref();
        try {
          return await this.refreshUnderLease(connectionId, request);
        } finally {
          clearInterval(heartbeat);
          this.releaseLease(connectionId);
        }
      }
      // Another process is refreshing: wait for its result instead of spending the same refresh token.
      await sleep(this.pollMs, request.signal);
      const fresh = this.usable(this.read(connectionId), request);
      if (fresh) return fresh;
    }
  }

  private async refreshUnderLease(connectionId: number, request: AccessTokenRequest): Promise<string> {
    // Read again under the lease: another process may have refreshed between our look and our claim.
    const row = this.read(connectionId);
    const fresh = this.usable(row, request);
    if (fresh) return fresh;
    if (!row.refresh_token_enc) {
      this.markNeedsReauthorization(connectionId, 'no refresh token is stored for this login');
      throw new LoginNeedsReauthorization(row.id, row.label, 'no refresh token is stored for this login', this.clock.now());
    }
    const age = row.access_issued_at === null ? Number.POSITIVE_INFINITY : this.clock.now() - row.access_issued_at;
    if (age < request.policy.minAccessAgeMs) {
      // Refreshing now would be refused as too early and count against the token budget. The expiry is counted from
      // when the token was requested and the age from when it arrived, so the refresh window may open a moment
      // before a refresh is allowed: the token still works then, and the next call after that moment renews it.
      const current = this.stillValid(row, request, 0);
      if (current) return current;
      const what = request.rejected !== undefined ? 'the upstream rejected an access token' : 'the access token expired';
      throw new TokenUnavailable(
        `${what} of connection "${row.label}" that is only ${Math.round(age / 1000)} s old; not refreshing before ${Math.round(request.policy.minAccessAgeMs / 1000)} s`,
        { target: row.label },
      );
    }
    const refreshToken = this.vault.decrypt(row.refresh_token_enc, context(connectionId, 'refresh_token'));
    let tokens: TokenSet;
    try {
      tokens = await request.refresh(refreshToken, request.signal);
    } catch (err) {
      if (err instanceof RefreshRejected && err.permanent) {
        this.options.onRefresh?.({ connectionId, outcome: 'rejected' });
        // Only while the refused refresh token is still the stored one: if another process renewed the login
        // while this request was in flight, the login lives and its new access token is the answer.
        if (this.markDeadIfUnchanged(connectionId, row.refresh_token_enc, err.reason)) {
          throw new LoginNeedsReauthorization(row.id, row.label, err.reason, this.clock.now());
        }
        const renewed = this.stillValid(this.read(connectionId), request, 0);
        if (renewed) return renewed;
        throw new TokenUnavailable(`the login of connection "${row.label}" was renewed elsewhere while this refresh was refused; try again`, {
          target: row.label,
        });
      }
      this.options.onRefresh?.({ connectionId, outcome: 'failed' });
      const reason = err instanceof Error ? err.message : String(err);
      throw new TokenUnavailable(`refreshing the login of connection "${row.label}" failed: ${reason}`, { target: row.label, cause: err });
    }
    const now = this.clock.now();
    const accessEnc = this.vault.encrypt(tokens.accessToken, context(connectionId, 'access_token'));
    const refreshEnc = tokens.refreshToken ? this.vault.encrypt(tokens.refreshToken, context(connectionId, 'refresh_token')) : row.refresh_token_enc;
    this.db
      .prepare(
        `UPDATE connections SET access_token_enc = ?, access_expires_at = ?, access_issued_at = ?, refresh_token_enc = ?, refresh_renewed_at = ?,
           status = 'ok', status_reason = NULL, status_at = ? WHERE id = ?`,
      )
      .run(accessEnc, tokens.accessExpiresAt, now, refreshEnc, now, now, connectionId);
    this.options.onRefresh?.({ connectionId, outcome: 'renewed' });
    return tokens.accessToken;
  }

  private claimLease(connectionId: number): boolean {
    // Real time, not the injected clock: the lease is about real concurrency between processes.
    const now = systemClock.now();
    const result = this.db
      .prepare(
        `UPDATE connections SET refresh_lease_owner = ?, refresh_lease_until = ?
         WHERE id = ? AND (refresh_lease_until IS NULL OR refresh_lease_until < ? OR refresh_lease_owner = ?)`,
      )
      .run(this.owner, now + this.leaseMs, connectionId, now, this.owner);
    return result.changes === 1;
  }

  /** A sign of life from the lease holder: its refresh is still in flight. */
  private extendLease(connectionId: number): void {
    try {
      this.db
        .prepare('UPDATE connections SET refresh_lease_until = ? WHERE id = ? AND refresh_lease_owner = ?')
        .run(systemClock.now() + this.leaseMs, connectionId, this.owner);
    } catch {
      // A busy or closing store: the next beat tries again, and a lapsed lease is only a slower path, not a loss.
    }
  }

  /** Marks the login dead unless its refresh token changed since `refreshTokenEnc` was read. */
  private markDeadIfUnchanged(connectionId: number, refreshTokenEnc: string, reason: string): boolean {
    const result = this.db
      .prepare(
        `UPDATE connections SET status = 'needs_reauth', status_reason = ?, status_at = ?, refresh_lease_owner = NULL, refresh_lease_until = NULL
         WHERE id = ? AND refresh_token_enc = ?`,
      )
      .run(reason, this.clock.now(), connectionId, refreshTokenEnc);
    return result.changes === 1;
  }

  private releaseLease(connectionId: number): void {
    this.db
      .prepare('UPDATE connections SET refresh_lease_owner = NULL, refresh_lease_until = NULL WHERE id = ? AND refresh_lease_owner = ?')
      .run(connectionId, this.owner);
  }
}

function context(connectionId: number, purpose: 'access_token' | 'refresh_token'): string {
  return `connection:${connectionId}:${purpose}`;
}
