// One SOAP call over HTTP: admission by the fair-use governor, a time limit of its own, 429 answered by waiting
// (Retry-After, growing exponentially, bounded) instead of failing, rate-limit headers fed back to the governor,
// and every transport failure turned into a typed, retryable upstream error naming the office.
import { performance } from 'node:perf_hooks';
import { sleep } from '../../clock';
import type { Logger } from '../../logger';
import { UpstreamRateLimited, UpstreamTimeout, UpstreamUnavailable } from '../errors';
import type { UpstreamObserver } from '../upstream-observer';
import type { BudgetKey, FairUseGovernor } from './fair-use';
import { readSoapAnswer, whileDoing, type SoapAnswer } from './soap';

export interface RateLimitRetry {
  /** 429s waited out before giving up with UpstreamRateLimited. */
  attempts: number;
  /** Wait after the first 429 without Retry-After; doubles each time. */
  baseDelayMs: number;
  /** Longest single wait (a longer Retry-After is handed to the sync engine instead). */
  maxDelayMs: number;
}

export const DEFAULT_RATE_LIMIT_RETRY: RateLimitRetry = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };

export interface SoapRequest {
  url: string;
  action: string;
  envelope: string;
  /** Fair-use credits: 1 for a read, 3 for anything else. */
  credits: number;
  budget: BudgetKey;
  /** The office the call is for (named in every error). */
  administration?: string;
  /** What the call does, as in "… while browsing 030_3": "listing the offices", "reading deleted transactions". */
  what: string;
  signal?: AbortSignal;
}

export interface TransportOptions {
  governor: FairUseGovernor;
  /** Time limit of one HTTP call (ms): the service sometimes never answers. */
  timeoutMs: number;
  rateLimitRetry?: Partial<RateLimitRetry>;
  logger: Logger;
  /** Metrics: every HTTP exchange and the fair-use headroom Twinfield announces. */
  observer?: UpstreamObserver;
}

/** A transport failure that hints the cluster URL is wrong (unknown host, nothing listening, no such path). */
export class ClusterUnreachable extends UpstreamUnavailable {}

/** The connection dropped under the call (reset, closed): sent again once before it counts as a failure. */
export class ConnectionLost extends UpstreamUnavailable {}

const LOST = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export class SoapTransport {
  private readonly retry: RateLimitRetry;

  constructor(private readonly options: TransportOptions) {
    this.retry = { ...DEFAULT_RATE_LIMIT_RETRY, ...options.rateLimitRetry };
  }

  async call(request: SoapRequest): Promise<SoapAnswer> {
    const where = { administration: request.administration, what: request.what };
    const during = whileDoing(where);
    let reconnected = false;
    for (let attempt = 1; ; attempt++) {
      const release = await this.options.governor.admit(request.budget, request.credits, request.signal);
      let status: number;
      let text: string;
      let headers: Headers;
      const sentAt = performance.now();
      try {
        ({ status, text, headers } = await this.post(request, during));
        this.report(request, status, sentAt);
      } catch (err) {
        this.report(request, null, sentAt);
        // A kept-alive connection the server closed just as it was reused: the call never arrived, send it again once.
        if (err instanceof ConnectionLost && !reconnected) {
          reconnected = true;
          attempt--;
          continue;
        }
        throw err;
      } finally {
        release();
      }
      const limit = Number(headers.get('x-ratelimit-limit'));
      const remaining = Number(headers.get('x-ratelimit-remaining'));
      if (headers.has('x-ratelimit-limit') && headers.has('x-ratelimit-remaining')) {
        this.options.governor.observe(request.budget, limit, remaining);
        if (request.administration && Number.isFinite(remaining)) {
          this.options.observer?.headroom({ source: 'twinfield', administration: request.administration, window: 'minutely', remaining, limit: Number.isFinite(limit) ? limit : null });
        }
      }
      if (status !== 429) return readSoapAnswer({ status, text }, where);

      const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
      const backoffMs = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      const waitMs = Math.max(retryAfterMs ?? 0, backoffMs);
      if (attempt > this.retry.attempts || waitMs > this.retry.maxDelayMs) {
        throw new UpstreamRateLimited(`Twinfield's fair-use limit was reached${during}; try again in ${Math.ceil(waitMs / 1000)} s.`, waitMs, {
          administration: request.administration,
          upstreamStatus: 429,
        });
      }
      this.options.governor.pause(request.budget, waitMs);
      this.options.logger.info({ administration: request.administration, what: request.what, attempt, waitMs }, 'Twinfield answered 429; waiting before trying again');
      await sleep(waitMs, request.signal);
    }
  }

  private report(request: SoapRequest, status: number | null, sentAt: number): void {
    this.options.observer?.call({ source: 'twinfield', administration: request.administration ?? null, status, rateLimited: status === 429, durationMs: performance.now() - sentAt });
  }

  private async post(request: SoapRequest, during: string): Promise<{ status: number; text: string; headers: Headers }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const options = { administration: request.administration };
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${request.action}"`, accept: 'text/xml' },
        body: request.envelope,
        signal,
      });
      const text = await response.text();
      if (response.status === 404) {
        throw new ClusterUnreachable(`Twinfield has no ${new URL(request.url).pathname} at the cluster${during} (HTTP 404).`, { ...options, upstreamStatus: 404 });
      }
      return { status: response.status, text, headers: response.headers };
    } catch (err) {
      if (err instanceof ClusterUnreachable) throw err;
      // The caller's own cancellation is not an upstream failure: let it through as it is.
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.aborted) {
        throw new UpstreamTimeout(`Twinfield did not answer within ${this.options.timeoutMs / 1000} s${during}.`, options);
      }
      const code = networkCode(err);
      const reason = `${code ?? (err instanceof Error ? err.message : String(err))}`;
      if (code && LOST.has(code)) throw new ConnectionLost(`Twinfield closed the connection${during} (${reason}).`, { ...options, cause: err });
      // Not reaching the host at all (unknown name, nothing listening) may mean the cluster URL is stale.
      throw new ClusterUnreachable(`Twinfield could not be reached${during} (${reason}).`, { ...options, cause: err });
    }
  }
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
