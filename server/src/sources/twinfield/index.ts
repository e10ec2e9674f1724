// The Twinfield source, wired from the app's context in one call: the sync engine's connector, the workspace page's
// connect provider, and the (deprecated) password-connection API for the CLI. In sandbox mode the login host is this
// server's own simulator ({publicUrl}/sandbox/twinfield) with the sandbox app registration and the sandbox "minute".
import type { Clock } from '../../clock';
import { SANDBOX_CREDENTIALS, type Config } from '../../config';
import type { Logger } from '../../logger';
import type { Db } from '../../store/database';
import type { Vault } from '../../store/vault';
import type { TokenManager } from '../tokens';
import type { UpstreamObserver } from '../upstream-observer';
import { TwinfieldClients } from './clients';
import { TwinfieldConnectProvider } from './connect-provider';
import { TwinfieldConnectionStore } from './connection-store';
import { TwinfieldConnector, type TwinfieldSyncOptions } from './connector';
import { sharedGovernor, type FairUseGovernor, type FairUseLimits } from './fair-use';
import { TwinfieldOAuth } from './oauth';
import { TwinfieldPasswordConnections } from './password-connections';
import { SoapTransport, type RateLimitRetry } from './transport';

export { TwinfieldConnector, DEFAULT_SYNC_OPTIONS, type TwinfieldSyncOptions } from './connector';
export { TwinfieldConnectProvider, twinfieldLabel } from './connect-provider';
export { TwinfieldPasswordConnections, TwinfieldAlreadyConnected, type PasswordConnectionInput } from './password-connections';
export { TwinfieldLogonRefused, OAUTH_REQUIRED_MESSAGE } from './password';
export { TWINFIELD_TABLES, twinfieldTable, type TwinfieldTable } from './tables';
export { TWINFIELD_TOKEN_POLICY } from './oauth';
export { TWINFIELD_FAIR_USE, FairUseGovernor, type FairUseLimits } from './fair-use';
export { TwinfieldClients } from './clients';
export { TwinfieldClient } from './client';

/** What the factory takes from the app's context. */
export interface TwinfieldSourceContext {
  db: Db;
  vault: Vault;
  clock: Clock;
  config: Config;
  logger: Logger;
  tokens: TokenManager;
  /** This server's base URL (no trailing slash), known once it listens. */
  publicUrl(): string;
}

export interface TwinfieldSourceOptions {
  /** Time limit of one SOAP or token call (ms, default 120 s: a book year of a large office takes a while). */
  requestTimeoutMs?: number;
  /** Fair-use limits (Twinfield's for a certified app by default; the sandbox minute in sandbox mode). */
  fairUse?: Partial<FairUseLimits>;
  /** Use this governor instead of the process's shared one. */
  governor?: FairUseGovernor;
  rateLimitRetry?: Partial<RateLimitRetry>;
  sync?: Partial<TwinfieldSyncOptions>;
  /** Metrics of every SOAP exchange and of the fair-use headroom (ops/metrics `upstream`). */
  observer?: UpstreamObserver;
}

export interface TwinfieldSource {
  connector: TwinfieldConnector;
  connectProvider: TwinfieldConnectProvider;
  /** @deprecated API: password logins (the CLI's `create`); Twinfield is retiring them. */
  passwordConnections: TwinfieldPasswordConnections;
  /** The per-connection SOAP clients (for tools and tests that talk to Twinfield directly). */
  clients: TwinfieldClients;
}

export const TWINFIELD_SANDBOX_PATH = '/sandbox/twinfield';

/** Builds the Twinfield source: `const twinfield = createTwinfieldSource({ ...ctx, tokens })`. */
export function createTwinfieldSource(ctx: TwinfieldSourceContext, options: TwinfieldSourceOptions = {}): TwinfieldSource {
  const sandbox = ctx.config.mode === 'sandbox';
  const loginUrl = sandbox ? () => `${ctx.publicUrl().replace(/\/+$/, '')}${TWINFIELD_SANDBOX_PATH}` : () => ctx.config.twinfield.loginUrl;
  const clientId = ctx.config.twinfield.clientId ?? (sandbox ? SANDBOX_CREDENTIALS.twinfield.clientId : undefined);
  const clientSecret = ctx.config.twinfield.clientSecret ?? (sandbox ? SANDBOX_CREDENTIALS.twinfield.clientSecret : undefined);
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const fairUse = { ...(sandbox ? { minuteMs: ctx.config.sandbox.minuteMs } : {}), ...options.fairUse };

  const oauth = new TwinfieldOAuth({ loginUrl, clientId, clientSecret, clock: ctx.clock, timeoutMs });
  const store = new TwinfieldConnectionStore(ctx.db, ctx.vault, ctx.clock);
  const transport = new SoapTransport({
    governor: options.governor ?? sharedGovernor(ctx.clock, fairUse),
    timeoutMs,
    rateLimitRetry: options.rateLimitRetry,
    logger: ctx.logger,
    observer: options.observer,
  });
  const clients = new TwinfieldClients({ store, tokens: ctx.tokens, oauth, transport, clock: ctx.clock });
  const connector = new TwinfieldConnector(clients, ctx.clock, options.sync);
  const connectProvider = new TwinfieldConnectProvider({ oauth, tokens: ctx.tokens, store, clients, connector, logger: ctx.logger, clock: ctx.clock });
  const passwordConnections = new TwinfieldPasswordConnections({ transport, store, clients, connector, loginUrl: () => oauth.loginUrl, logger: ctx.logger });
  return { connector, connectProvider, passwordConnections, clients };
}
