// Exact Online for the composition root: one call builds the connector (for the sync engine), the connect provider
// (for the workspace page) and the keep-alive source (for the keep-alive scheduler), sharing one set of clients and
// rate-limit budgets.
//
//   const tokens = new TokenManager(ctx.db, ctx.vault, ctx.clock);
//   const exact = createExactOnline({ ...ctx, tokens });
//   if (exact.connectProvider) access.connectProviders.register(exact.connectProvider);
//   const keepAlive = createKeepAlive({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, config: ctx.config.keepAlive, sources: [exact.keepAlive] });
//   keepAlive.start();  // and keepAlive.stop() on shutdown
//   new SyncEngine({ ..., connectors: [exact.connector, …] });
import type { Clock } from '../../clock';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { Connections, REFRESH_TOKEN_LIFETIME_MS } from '../../store/connections';
import type { Db } from '../../store/database';
import type { KeepAliveSource } from '../keepalive';
import type { TokenManager } from '../tokens';
import type { UpstreamObserver } from '../upstream-observer';
import { ExactOnlineConnectProvider } from './connect-provider';
import { ExactOnlineConnector } from './connector';
import { ExactOnlineLogins } from './logins';
import { EXACT_TOKEN_POLICY } from './oauth';
import type { Sleep } from './rate-limit';

export { ExactOnlineClient, connectionTokens, fixedToken, type AccessTokenSource } from './client';
export { ExactOnlineConnectProvider } from './connect-provider';
export { ExactOnlineConnector, readMe, readDivisions, toDiscovered, type ExactMe } from './connector';
export { decodeCursor, encodeCursor, type SyncCursor } from './cursor';
export { ExactOnlineLogins, SANDBOX_EXACT_PATH } from './logins';
export { ExactOnlineOAuth, EXACT_TOKEN_POLICY, classifyRefreshFailure } from './oauth';
export { DivisionBudget, RateLimitBudgets } from './rate-limit';
export { EXACT_TABLES, type ExactTable, type ExactUpstream } from './tables';

/** The pieces of the app context Exact Online needs, plus the process's one TokenManager. */
export interface ExactOnlineContext {
  config: Pick<Config, 'mode' | 'exactOnline'>;
  clock: Clock;
  logger: Logger;
  db: Db;
  tokens: TokenManager;
  /** This server's base URL (the sandbox simulator is mounted under it). */
  publicUrl(): string;
}

export interface ExactOnlineOptions {
  /** Time limit of one API call (ms, default 120 s). */
  requestTimeoutMs?: number;
  /** Time limit of one token request (ms, default 30 s). */
  tokenTimeoutMs?: number;
  /** How long one system/Divisions answer is reused per connection (ms, default 60 s). */
  divisionsTtlMs?: number;
  /** Rate-limit pacing: margin after an announced reset (default 500 ms), wait after a 429 without reset (default 60 s). */
  rateLimit?: { resetMarginMs?: number; defaultBackoffMs?: number; sleep?: Sleep };
  /** Told about every API call and the rate-limit headroom Exact announces (metrics). */
  observer?: UpstreamObserver;
}

export interface ExactOnline {
  connector: ExactOnlineConnector;
  /** Null when no app registration is configured (serve mode without LEDGERFEED_EXACT_CLIENT_ID/SECRET). */
  connectProvider: ExactOnlineConnectProvider | null;
  keepAlive: KeepAliveSource;
  logins: ExactOnlineLogins;
}

export function createExactOnline(ctx: ExactOnlineContext, options: ExactOnlineOptions = {}): ExactOnline {
  const logins = new ExactOnlineLogins({
    config: ctx.config,
    clock: ctx.clock,
    logger: ctx.logger,
    db: ctx.db,
    tokens: ctx.tokens,
    publicUrl: ctx.publicUrl,
    requestTimeoutMs: options.requestTimeoutMs,
    tokenTimeoutMs: options.tokenTimeoutMs,
    rateLimit: options.rateLimit,
    observer: options.observer,
  });
  const connector = new ExactOnlineConnector({ clients: logins, clock: ctx.clock, divisionsTtlMs: options.divisionsTtlMs });
  const connectProvider = logins.configured
    ? new ExactOnlineConnectProvider({ logins, connections: new Connections(ctx.db, ctx.clock), tokens: ctx.tokens, logger: ctx.logger })
    : null;
  const keepAlive: KeepAliveSource = {
    source: 'exactonline',
    refreshLifetimeMs: REFRESH_TOKEN_LIFETIME_MS.exactonline!,
    renew: (connectionId, signal) =>
      ctx.tokens.renew(connectionId, { refresh: logins.oauth(logins.connectionBaseUrl(connectionId)).refresh, policy: EXACT_TOKEN_POLICY, signal }),
  };
  return { connector, connectProvider, keepAlive, logins };
}
