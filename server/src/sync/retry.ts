// When to try an administration's sync again, and after how long: exponential backoff with jitter for
// retryable upstream faults, the upstream's own Retry-After for rate limits, never for permanent errors.
import { LedgerfeedError } from '../errors';
import { UpstreamRateLimited, isRetryable } from '../sources/errors';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff; doubles with each failed attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A rate limit that asks to wait longer than this fails the sync instead (e.g. a daily limit resetting at midnight). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/**
 * Milliseconds to wait before the next attempt after `failedAttempts` attempts ended in `err`, or null when
 * the sync should give up now.
 */
export function retryDelay(policy: RetryPolicy, failedAttempts: number, err: unknown, random: () => number = Math.random): number | null {
  if (!isRetryable(err) || failedAttempts >= policy.attempts) return null;
  if (err instanceof UpstreamRateLimited && err.retryAfterMs > 0) {
    if (err.retryAfterMs > policy.maxRetryAfterMs) return null;
    // A little jitter so administrations limited together do not return in lockstep.
    return Math.round(err.retryAfterMs * (1 + 0.1 * random()));
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What a user reads about a failure: a stable code and the upstream's reason. */
export interface SyncErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
  /** HTTP status the failure maps to (502 upstream fault, 503 login or rate limit…). */
  status: number;
}

export function describeError(err: unknown): SyncErrorInfo {
  if (err instanceof LedgerfeedError) return { code: err.code, message: err.message, retryable: isRetryable(err), status: err.status };
  if (err instanceof Error) return { code: err.name || 'Error', message: err.message, retryable: false, status: 502 };
  return { code: 'Error', message: String(err), retryable: false, status: 502 };
}
