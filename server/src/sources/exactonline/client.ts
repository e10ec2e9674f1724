// The Exact Online REST client: one GET at a time as the real service wants it — `Accept: application/json`, a
// Bearer token from the login's token source (asked again once after a 401), a slot of the division's rate-limit
// budget reserved before sending, a time limit, `__next` paging kept on the login's own host — and every failure
// turned into a typed upstream error that names the division and never holds a token.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { UpstreamMalformed, UpstreamRateLimited, UpstreamRefused, UpstreamTimeout, UpstreamUnavailable, type UpstreamErrorOptions } from '../errors';
import type { TokenManager } from '../tokens';
import type { UpstreamObserver } from '../upstream-observer';
import { EXACT_TOKEN_POLICY, RECONNECT_HINT, type ExactOnlineOAuth } from './oauth';
import type { DivisionBudget, RateLimitBudgets } from './rate-limit';
import { exactErrorMessage, parseExactJson, readCollection, readRateLimitHeaders, WireError, type ExactCollection, type ExactRow, type RateLimitHeaders } from './wire';

/** Where a client gets its bearer token. */
export interface AccessTokenSource {
  /** A token to send; `rejected` is one the service just answered 401 to, which must not come back. */
  token(rejected: string | undefined, signal?: AbortSignal): Promise<string>;
}

/** The tokens of a stored connection, refreshed by the TokenManager (one refresh per login across processes). */
export function connectionTokens(tokens: TokenManager, connectionId: number, oauth: ExactOnlineOAuth): AccessTokenSource {
  return {
    token: (rejected, signal) => tokens.accessToken(connectionId, { refresh: oauth.refresh, policy: EXACT_TOKEN_POLICY, rejected, signal }),
  };
}

/** A token just obtained from a code exchange, before the connection exists (identifying the user at connect time). */
export function fixedToken(accessToken: string): AccessTokenSource {
  return {
    token: async (rejected) => {
      if (rejected === accessToken) throw new UpstreamRefused(`Exact Online refused the access token it had just issued. ${RECONNECT_HINT}`, { upstreamStatus: 401 });
      return accessToken;
    },
  };
}

export interface ExactClientOptions {
  /** The login's Exact host, e.g. `https://start.exactonline.nl` (the sandbox: `{publicUrl}/sandbox/exactonline`). */
  baseUrl: string;
  clientId: string;
  tokens: AccessTokenSource;
  budgets: RateLimitBudgets;
  clock: Clock;
  logger: Logger;
  /** Time limit of one call, answer body included (ms, default 120 s). */
  requestTimeoutMs?: number;
  /** How many 429s one call waits out before giving up (default 5). */
  maxRateLimitRetries?: number;
  /** Told about every call and the rate-limit headroom Exact announces (metrics). */
  observer?: UpstreamObserver;
}

/** A page of rows plus where the next one is. */
export type ExactPage = ExactCollection;

/** Query options of an Exact GET; values are written as Exact expects (`Timestamp gt 5L`, `guid'…'`). */
export type ExactQuery = Record<string, string | number | undefined>;

/** The division a call is for: a division code, or `null` for current/Me (no division in the path). */
export type DivisionCode = number | string | null;

export class ExactOnlineClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly app: string;
  private readonly timeoutMs: number;
  private readonly maxRateLimitRetries: number;

  constructor(private readonly options: ExactClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.app = `${this.baseUrl}|${options.clientId}`;
    this.timeoutMs = options.requestTimeoutMs ?? 120_000;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  }

  /** `{base}/api/v1/{division}/{path}?{query}`; `division` null addresses current/Me. */
  url(division: DivisionCode, path: string, query: ExactQuery = {}): string {
    const parts = Object.entries(query)
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v)).replace(/%2C/gi, ',')}`);
    const prefix = division === null ? '' : `${division}/`;
    return `${this.baseUrl}/api/v1/${prefix}${path}${parts.length > 0 ? `?${parts.join('&')}` : ''}`;
  }

  /** One collection page (the first, or the `__next` link of the previous page). */
  async page(division: DivisionCode, url: string, signal?: AbortSignal): Promise<ExactPage> {
    const text = await this.get(division, url, signal);
    try {
      return readCollection(parseExactJson(text));
    } catch (err) {
      throw this.malformed(division, url, err);
    }
  }

  /** Every page of a collection, following `__next` until it is absent. */
  async *pages(division: DivisionCode, path: string, query: ExactQuery, signal?: AbortSignal): AsyncGenerator<ExactPage> {
    let url: string | undefined = this.url(division, path, query);
    while (url) {
      const page = await this.page(division, url, signal);
      yield page;
      url = page.next;
    }
  }

  /** All rows of a (small) collection. */
  async all(division: DivisionCode, path: string, query: ExactQuery, signal?: AbortSignal): Promise<ExactRow[]> {
    const rows: ExactRow[] = [];
    for await (const page of this.pages(division, path, query, signal)) rows.push(...page.rows);
    return rows;
  }

  /** `{path}/$count` (honours `$filter`), a plain number. */
  async count(division: DivisionCode, path: string, query: ExactQuery = {}, signal?: AbortSignal): Promise<number> {
    const url = this.url(division, `${path}/$count`, query);
    const text = (await this.get(division, url, signal)).trim();
    if (!/^\d+$/.test(text)) throw this.malformed(division, url, new WireError('the count is not a number'));
    return Number(text);
  }

  /** The body of a successful GET, after waiting out rate limits and renewing a rejected token once. */
  async get(division: DivisionCode, url: string, signal?: AbortSignal): Promise<string> {
    const target = new URL(url);
    // __next links are opaque, but the login's token only ever goes to the login's own host.
    if (target.origin !== this.origin) {
      throw new UpstreamMalformed(`Exact Online sent a link to another host (${target.host}) for ${this.where(division)}; not following it.`, this.errorOptions(division));
    }
    const path = target.pathname;
    const budget = this.options.budgets.for(this.app, division === null ? 'current' : String(division));
    let rejected: string | undefined;
    let renewed = false;
    let rateLimitRetries = 0;
    for (;;) {
      const token = await this.options.tokens.token(rejected, signal);
      const response = await this.send(budget, division, url, path, token, signal);
      if (response.status === 401 && !renewed) {
        // An access token can die before its time (revoked, or refreshed elsewhere): ask once for another.
        renewed = true;
        rejected = token;
        continue;
      }
      if (response.status === 429) {
        if (rateLimitRetries >= this.maxRateLimitRetries) {
          const wait = response.limits.retryAfterMs ?? Math.max(0, (response.limits.minutely?.resetAt ?? this.options.clock.now() + 60_000) - this.options.clock.now());
          throw new UpstreamRateLimited(`Exact Online kept answering 429 Too Many Requests for ${this.where(division)}.`, wait, this.errorOptions(division, 429));
        }
        rateLimitRetries++;
        this.options.logger.info({ division, path, attempt: rateLimitRetries }, 'Exact Online answered 429; waiting for the rate-limit reset');
        continue; // the budget now holds the reset; reserve() waits for it, or fails fast on a spent daily limit
      }
      if (response.status >= 200 && response.status < 300) return response.text;
      throw this.statusError(division, path, response.status, response.text, response.reason);
    }
  }

  private async send(
    budget: DivisionBudget,
    division: DivisionCode,
    url: string,
    path: string,
    token: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string; limits: RateLimitHeaders; reason: string | null }> {
    const reservation = await budget.reserve(signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let text: string;
    let limits: RateLimitHeaders = {};
    let reason: string | null;
    let contentType: string;
    let answered = false;
    const sentAt = performance.now();
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` }, signal: combined, redirect: 'manual' });
      answered = true;
      limits = readRateLimitHeaders(response.headers, this.options.clock.now());
      status = response.status;
      reason = response.headers.get('reason');
      contentType = response.headers.get('content-type') ?? '';
      text = await response.text();
      reservation.settle(limits, status === 429);
    } catch (err) {
      reservation.settle(Object.keys(limits).length > 0 ? limits : null);
      this.observe(division, null, limits, sentAt);
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new UpstreamTimeout(`Exact Online did not answer within ${Math.round(this.timeoutMs / 1000)} s for ${this.where(division)} (${path}).`, this.errorOptions(division));
      }
      // Reached but cut off mid-answer (a dropped connection, a truncated body) is a different story for whoever reads it.
      const what = answered ? 'broke off its answer' : 'could not be reached';
      throw new UpstreamUnavailable(`Exact Online ${what} for ${this.where(division)} (${path}): ${describeNetworkError(err)}.`, this.errorOptions(division));
    }
    this.observe(division, status, limits, sentAt);
    this.options.logger.debug(
      { division, path, status, minutelyRemaining: limits.minutely?.remaining, dailyRemaining: limits.daily?.remaining },
      'Exact Online call',
    );
    if (status >= 200 && status < 300 && !/json/i.test(contentType) && !/\$count$/.test(path)) {
      throw this.malformed(division, url, new WireError(`the answer is ${contentType || 'untyped'}, not JSON`));
    }
    return { status, text, limits, reason };
  }

  private observe(division: DivisionCode, status: number | null, limits: RateLimitHeaders, sentAt: number): void {
    const observer = this.options.observer;
    if (!observer) return;
    const administration = division === null ? null : String(division);
    observer.call({ source: 'exactonline', administration, status, rateLimited: status === 429, durationMs: performance.now() - sentAt });
    if (administration === null) return;
    for (const [window, seen] of [
      ['minutely', limits.minutely],
      ['daily', limits.daily],
    ] as const) {
      if (seen) observer.headroom({ source: 'exactonline', administration, window, remaining: seen.remaining, limit: seen.limit });
    }
  }

  private statusError(division: DivisionCode, path: string, status: number, text: string, reason: string | null): Error {
    const upstream = exactErrorMessage(text)?.slice(0, 300);
    const detail = upstream ? `: ${upstream}` : '';
    const where = `${this.where(division)} (${path})`;
    const options = this.errorOptions(division, status);
    if (status === 401) return new UpstreamRefused(`Exact Online refused the login for ${where} twice (401)${detail}. ${RECONNECT_HINT}`, options);
    if (status === 403) {
      const why = reason && /NoDivisionAccess/i.test(reason) ? 'this login has no access to the division' : 'access was refused';
      return new UpstreamRefused(`Exact Online refused ${where}: ${why} (403)${detail}.`, options);
    }
    if (status === 408 || status >= 500) return new UpstreamUnavailable(`Exact Online failed for ${where} (${status})${detail}.`, options);
    return new UpstreamRefused(`Exact Online refused ${where} (${status})${detail}.`, options);
  }

  private malformed(division: DivisionCode, url: string, err: unknown): UpstreamMalformed {
    const reason = err instanceof Error ? err.message : String(err);
    return new UpstreamMalformed(`Exact Online answered ${this.where(division)} (${new URL(url).pathname}) with something unreadable: ${reason}.`, this.errorOptions(division));
  }

  private where(division: DivisionCode): string {
    return division === null ? 'the current user (current/Me)' : `division ${division}`;
  }

  private errorOptions(division: DivisionCode, upstreamStatus?: number): UpstreamErrorOptions {
    return { administration: division === null ? undefined : String(division), upstreamStatus };
  }
}

/**
 * The reason of a failed fetch (undici wraps the socket error in `cause`): its code, else its message — read as
 * properties, since an error from another realm is no `instanceof Error` and would print as "TypeError: …".
 */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  const message = (err as { message?: unknown } | null)?.message;
  return code ?? (typeof message === 'string' ? message : 'unknown network error');
}
