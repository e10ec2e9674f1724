// Where each Exact Online login lives and how to talk to it: the host (a country host from configuration, or the
// sandbox simulator of this very server), the app registration, and for a stored connection its OAuth and REST
// clients — built once and shared, together with the process's rate-limit budgets.
import type { Clock } from '../../clock';
import { SANDBOX_CREDENTIALS, type Config } from '../../config';
import type { Logger } from '../../logger';
import type { Db } from '../../store/database';
import { UpstreamRefused } from '../errors';
import type { TokenManager } from '../tokens';
import type { UpstreamObserver } from '../upstream-observer';
import { connectionTokens, ExactOnlineClient, fixedToken, type AccessTokenSource } from './client';
import { ExactOnlineOAuth } from './oauth';
import { RateLimitBudgets, type BudgetOptions } from './rate-limit';

export interface ExactOnlineLoginsOptions {
  config: Pick<Config, 'mode' | 'exactOnline'>;
  clock: Clock;
  logger: Logger;
  db: Db;
  tokens: TokenManager;
  /** This server's base URL; the sandbox simulator is mounted at `{publicUrl}/sandbox/exactonline`. */
  publicUrl(): string;
  /** Time limit of one API call (ms, default 120 s). */
  requestTimeoutMs?: number;
  /** Time limit of one token request (ms, default 30 s). */
  tokenTimeoutMs?: number;
  rateLimit?: Omit<BudgetOptions, 'clock'>;
  /** Told about every API call (metrics). */
  observer?: UpstreamObserver;
}

/** Countries of Exact Online's hosts, for the connect form. */
const COUNTRY_OF_HOST: Readonly<Record<string, string>> = {
  'start.exactonline.nl': 'Netherlands',
  'start.exactonline.be': 'Belgium',
  'start.exactonline.de': 'Germany',
  'start.exactonline.co.uk': 'United Kingdom',
  'start.exactonline.com': 'United States',
  'start.exactonline.es': 'Spain',
  'start.exactonline.fr': 'France',
};

/** How a host is named on the connect form: "Belgium (start.exactonline.be)", or the host itself. */
export function hostLabel(baseUrl: string): string {
  const url = new URL(baseUrl);
  const country = COUNTRY_OF_HOST[url.hostname];
  return country ? `${country} (${url.host})` : url.host + (url.pathname === '/' ? '' : url.pathname);
}

/** Mount point of the Exact Online simulator in sandbox mode. */
export const SANDBOX_EXACT_PATH = '/sandbox/exactonline';

export class ExactOnlineLogins {
  readonly budgets: RateLimitBudgets;
  private readonly oauths = new Map<string, ExactOnlineOAuth>();
  private readonly clients = new Map<number, { baseUrl: string; client: ExactOnlineClient }>();

  constructor(private readonly options: ExactOnlineLoginsOptions) {
    this.budgets = new RateLimitBudgets({ clock: options.clock, ...options.rateLimit });
  }

  /** The Exact host new logins are made at. */
  baseUrl(): string {
    if (this.options.config.mode === 'sandbox') return `${this.options.publicUrl().replace(/\/+$/, '')}${SANDBOX_EXACT_PATH}`;
    return this.options.config.exactOnline.baseUrl;
  }

  /** Every Exact host a new login may be made at, the default first (in the sandbox: the simulator only). */
  hosts(): string[] {
    if (this.options.config.mode === 'sandbox') return [this.baseUrl()];
    return [...new Set([this.options.config.exactOnline.baseUrl, ...(this.options.config.exactOnline.hosts ?? [])])];
  }

  /** The offered host `chosen` names, or the default host when it names none of them. */
  hostOrDefault(chosen: string | undefined): string {
    return chosen !== undefined && this.hosts().includes(chosen) ? chosen : this.baseUrl();
  }

  get clientId(): string | undefined {
    const configured = this.options.config.exactOnline.clientId;
    return configured ?? (this.options.config.mode === 'sandbox' ? SANDBOX_CREDENTIALS.exactOnline.clientId : undefined);
  }

  private get clientSecret(): string | undefined {
    const configured = this.options.config.exactOnline.clientSecret;
    return configured ?? (this.options.config.mode === 'sandbox' ? SANDBOX_CREDENTIALS.exactOnline.clientSecret : undefined);
  }

  /** True when an app registration is available (always in the sandbox). */
  get configured(): boolean {
    return this.clientId !== undefined && this.clientSecret !== undefined;
  }

  /** OAuth of the app at one Exact host. */
  oauth(baseUrl: string = this.baseUrl()): ExactOnlineOAuth {
    let oauth = this.oauths.get(baseUrl);
    if (!oauth) {
      oauth = new ExactOnlineOAuth({ baseUrl, clientId: this.clientId, clientSecret: this.clientSecret, clock: this.options.clock, timeoutMs: this.options.tokenTimeoutMs });
      this.oauths.set(baseUrl, oauth);
    }
    return oauth;
  }

  /** The host a stored connection logs in at (the sandbox's current address in sandbox mode, whatever port it had before). */
  connectionBaseUrl(connectionId: number): string {
    if (this.options.config.mode === 'sandbox') return this.baseUrl();
    const row = this.options.db.prepare("SELECT base_url FROM connections WHERE id = ? AND source = 'exactonline'").get(connectionId) as { base_url: string } | undefined;
    if (!row) throw new UpstreamRefused(`Exact Online connection ${connectionId} does not exist (any more).`);
    return row.base_url;
  }

  /** The REST client of a stored connection; its tokens come from the TokenManager. */
  forConnection(connectionId: number): ExactOnlineClient {
    const baseUrl = this.connectionBaseUrl(connectionId);
    const cached = this.clients.get(connectionId);
    if (cached && cached.baseUrl === baseUrl) return cached.client;
    const client = this.client(baseUrl, connectionTokens(this.options.tokens, connectionId, this.oauth(baseUrl)));
    this.clients.set(connectionId, { baseUrl, client });
    return client;
  }

  /** A REST client on a token just issued (before the connection is stored). */
  withAccessToken(baseUrl: string, accessToken: string): ExactOnlineClient {
    return this.client(baseUrl, fixedToken(accessToken));
  }

  private client(baseUrl: string, tokens: AccessTokenSource): ExactOnlineClient {
    return new ExactOnlineClient({
      baseUrl,
      clientId: this.clientId ?? 'unconfigured',
      tokens,
      budgets: this.budgets,
      clock: this.options.clock,
      logger: this.options.logger,
      requestTimeoutMs: this.options.requestTimeoutMs,
      observer: this.options.observer,
    });
  }
}
