// Errors an upstream client raises, classified once so the sync engine knows whether to retry, and so
// the message a user finally reads names the administration and the upstream's own reason.
import { LedgerfeedError } from '../errors';

export interface UpstreamErrorOptions {
  /** Division or office code the call was for, when it was for one. */
  administration?: string;
  /** HTTP status the upstream answered, if it answered. */
  upstreamStatus?: number;
  cause?: unknown;
}

/** Base of every upstream failure. `retryable`: the same call may succeed later (5xx, timeout, 429, malformed page). */
export abstract class UpstreamError extends LedgerfeedError {
  abstract readonly retryable: boolean;
  readonly administration?: string;
  readonly upstreamStatus?: number;
  constructor(message: string, options: UpstreamErrorOptions = {}) {
    super(message, { target: options.administration, cause: options.cause });
    this.administration = options.administration;
    this.upstreamStatus = options.upstreamStatus;
  }
}

/** 5xx, connection reset, and the like. */
export class UpstreamUnavailable extends UpstreamError {
  readonly code = 'UpstreamUnavailable';
  readonly status = 502;
  readonly retryable = true;
}

/** No answer within the client's time limit. */
export class UpstreamTimeout extends UpstreamError {
  readonly code = 'UpstreamTimeout';
  readonly status = 504;
  readonly retryable = true;
}

/** The upstream answered something that does not parse or does not have the expected shape. */
export class UpstreamMalformed extends UpstreamError {
  readonly code = 'UpstreamMalformed';
  readonly status = 502;
  readonly retryable = true;
}

/** A rate or concurrency limit the client could not wait out (it already waits for resets it knows). */
export class UpstreamRateLimited extends UpstreamError {
  readonly code = 'UpstreamRateLimited';
  readonly status = 503;
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options: UpstreamErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The upstream refused the request for a reason that will not pass by retrying (no access, bad request). */
export class UpstreamRefused extends UpstreamError {
  readonly code = 'UpstreamRefused';
  readonly status = 502;
  readonly retryable = false;
}

/** True when an error (of any kind) is worth retrying. */
export function isRetryable(err: unknown): boolean {
  return err instanceof UpstreamError && err.retryable;
}
