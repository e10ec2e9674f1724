// Slows down key and password guessing: too many failed attempts from one client address within a window
// block that address for a while. Counting is per address only, so a valid key used from elsewhere is never
// locked out by someone else's guessing. Hand-written (rather than a rate-limit library) to run on the
// injected clock, so windows are testable without waiting.
import type { Clock } from '../clock';
import { MINUTE } from '../clock';

export interface FailureLimiterOptions {
  /** Failures allowed per address within `windowMs`; the next attempt is refused. */
  maxFailures?: number;
  windowMs?: number;
  /** Addresses tracked at most; the stalest are forgotten first. */
  maxAddresses?: number;
}

export class FailureLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly maxAddresses: number;
  /** Per address, the times of its recent failures, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    options: FailureLimiterOptions = {},
  ) {
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 5 * MINUTE;
    this.maxAddresses = options.maxAddresses ?? 50_000;
  }

  /** Seconds until this address may try again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.maxFailures) return 0;
    const oldestCounted = recent[recent.length - this.maxFailures];
    return Math.max(1, Math.ceil((oldestCounted + this.windowMs - this.clock.now()) / 1000));
  }

  recordFailure(address: string): void {
    const recent = this.recent(address);
    recent.push(this.clock.now());
    // Only the newest maxFailures matter for the decision.
    if (recent.length > this.maxFailures) recent.splice(0, recent.length - this.maxFailures);
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > this.maxAddresses) {
      const stalest = this.failures.keys().next().value;
      if (stalest !== undefined) this.failures.delete(stalest);
    }
  }

  private recent(address: string): number[] {
    const cutoff = this.clock.now() - this.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(address);
    return list;
  }
}
