// One SOAP call over HTTP: admission by the fair-use governor, a time limit of its own, 429 answered by waiting
// (Retry-After, growing exponentially, bounded) instead of failing, rate-limit headers fed back to the governor,
// and every transport failure turned into a typed, retryable upstream error naming the office. An answer is read
// whole (`call`) or, for large ones, streamed as text chunks while it arrives (`open`).
import { performance } from 'node:perf_hooks';
import { sleep } from '../../clock';
import type { Logger } from '../../logger';
import { UpstreamError, UpstreamRateLimited, UpstreamTimeout, UpstreamUnavailable } from '../errors';
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

/** A 200 answer whose body is still arriving: read it with `chunks()` (once), or `close()` it unread. */
export interface StreamedAnswer {
  /** The body as text, chunk by chunk; failures while reading are typed like the call's own. Ends the call's admission. */
  chunks(): AsyncGenerator<string>;
  /** Abandons the body (if still unread) and ends the admission; safe to call more than once. */
  close(): Promise<void>;
}

/** An HTTP exchange whose status and headers have arrived. */
interface Exchange {
  response: Response;
  /** The call's own time limit, also running while the body is read. */
  timeout: AbortSignal;
}

export class SoapTransport {
  private readonly retry: RateLimitRetry;

  constructor(private readonly options: TransportOptions) {
    this.retry = { ...DEFAULT_RATE_LIMIT_RETRY, ...options.rateLimitRetry };
  }

  /** The answer read whole: the envelope's body, or a fault / typed error. */
  async call(request: SoapRequest): Promise<SoapAnswer> {
    return (await this.exchange(request, false)) as SoapAnswer;
  }

  /**
   * A 200 answer streamed as it arrives (a browse of a book year is tens of megabytes); anything else — a fault, a
   * 5xx page, a 429 waited out — is read whole and handled as `call` does. The fair-use slot is held until the body
   * has been read or closed.
   */
  async open(request: SoapRequest): Promise<StreamedAnswer> {
    return (await this.exchange(request, true)) as StreamedAnswer;
  }

  private async exchange(request: SoapRequest, stream: boolean): Promise<SoapAnswer | StreamedAnswer> {
    const where = { administration: request.administration, what: request.what };
    const during = whileDoing(where);
    let reconnected = false;
    for (let attempt = 1; ; attempt++) {
      const release = await this.options.governor.admit(request.budget, request.credits, request.signal);
      let released = false;
      const releaseOnce = () => {
        if (released) return;
        released = true;
        release();
      };
      let status: number;
      let text = '';
      let headers: Headers;
      const sentAt = performance.now();
      let answered = false;
      try {
        const exchange = await this.post(request, during);
        ({ status, headers } = exchange.response);
        answered = true;
        this.report(request, status, sentAt);
        this.observeHeaders(request, headers);
        if (stream && status === 200) return this.streamed(exchange, request, during, releaseOnce);
        text = await this.read(exchange, request, during);
      } catch (err) {
        if (!answered) this.report(request, null, sentAt);
        releaseOnce();
        // A kept-alive connection the server closed just as it was reused: the call never arrived, send it again once.
        if (err instanceof ConnectionLost && !reconnected) {
          reconnected = true;
          attempt--;
          continue;
        }
        throw err;
      }
      releaseOnce();
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

  private observeHeaders(request: SoapRequest, headers: Headers): void {
    if (!headers.has('x-ratelimit-limit') || !headers.has('x-ratelimit-remaining')) return;
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    this.options.governor.observe(request.budget, limit, remaining);
    if (request.administration && Number.isFinite(remaining)) {
      this.options.observer?.headroom({ source: 'twinfield', administration: request.administration, window: 'minutely', remaining, limit: Number.isFinite(limit) ? limit : null });
    }
  }

  private report(request: SoapRequest, status: number | null, sentAt: number): void {
    this.options.observer?.call({ source: 'twinfield', administration: request.administration ?? null, status, rateLimited: status === 429, durationMs: performance.now() - sentAt });
  }

  private async post(request: SoapRequest, during: string): Promise<Exchange> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${request.action}"`, accept: 'text/xml' },
        body: request.envelope,
        signal,
      });
      if (response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        throw new ClusterUnreachable(`Twinfield has no ${new URL(request.url).pathname} at the cluster${during} (HTTP 404).`, { administration: request.administration, upstreamStatus: 404 });
      }
      return { response, timeout };
    } catch (err) {
      if (err instanceof ClusterUnreachable) throw err;
      throw this.failure(err, request, timeout, during, true);
    }
  }

  /** The whole body of an answer that is not streamed. */
  private async read(exchange: Exchange, request: SoapRequest, during: string): Promise<string> {
    try {
      return await exchange.response.text();
    } catch (err) {
      throw this.failure(err, request, exchange.timeout, during, true);
    }
  }

  private streamed(exchange: Exchange, request: SoapRequest, during: string, release: () => void): StreamedAnswer {
    const body = exchange.response.body;
    let started = false;
    const close = async () => {
      release();
      if (!started) await body?.cancel().catch(() => undefined);
    };
    const failure = (err: unknown) => this.failure(err, request, exchange.timeout, during, false);
    return {
      close,
      async *chunks() {
        if (started) throw new Error('the answer is already being read');
        started = true;
        const decoder = new TextDecoder('utf-8');
        try {
          if (body) {
            // Iterating the body cancels it when the reader stops early, which ends the HTTP exchange.
            for await (const bytes of body) {
              const text = decoder.decode(bytes, { stream: true });
              if (text) yield text;
            }
          }
          const rest = decoder.decode();
          if (rest) yield rest;
        } catch (err) {
          throw failure(err);
        } finally {
          release();
        }
      },
    };
  }

  /**
   * A failed exchange as a typed error. The caller's own cancellation passes through as it is. A connection lost
   * before anything was read is worth sending again (`resendable`); once a streamed body has been partly read, not.
   */
  private failure(err: unknown, request: SoapRequest, timeout: AbortSignal, during: string, resendable: boolean): unknown {
    if (err instanceof UpstreamError) return err;
    if (request.signal?.aborted) return request.signal.reason;
    const options = { administration: request.administration };
    if (timeout.aborted) return new UpstreamTimeout(`Twinfield did not answer within ${this.options.timeoutMs / 1000} s${during}.`, options);
    const code = networkCode(err);
    const reason = `${code ?? (err instanceof Error ? err.message : String(err))}`;
    if (code && LOST.has(code)) {
      const message = `Twinfield closed the connection${during} (${reason}).`;
      return resendable ? new ConnectionLost(message, { ...options, cause: err }) : new UpstreamUnavailable(message, { ...options, cause: err });
    }
    if (!resendable) return new UpstreamUnavailable(`Twinfield's answer broke off${during} (${reason}).`, { ...options, cause: err });
    // Not reaching the host at all (unknown name, nothing listening) may mean the cluster URL is stale.
    return new ClusterUnreachable(`Twinfield could not be reached${during} (${reason}).`, { ...options, cause: err });
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
