// Twinfield's fair-use policy: credits per minute (a read costs 1, anything else 3) per IP, per client id and
// per client id + organisation, and a cap on calls in flight per client id and per client id + organisation.
// A call is in flight from its arrival until its response ends, so added latency counts.
import type { Clock } from '../../clock';

export interface FairUseLimits {
  creditsPerIp: number;
  creditsPerClient: number;
  creditsPerClientOrganisation: number;
  concurrentPerClient: number;
  concurrentPerClientOrganisation: number;
}

/** The sandbox app counts as certified. */
export const TWINFIELD_LIMITS: FairUseLimits = {
  creditsPerIp: 1000,
  creditsPerClient: 1000,
  creditsPerClientOrganisation: 500,
  concurrentPerClient: 20,
  concurrentPerClientOrganisation: 10,
};

export interface Caller {
  ip: string;
  /** Absent for password sessions, which have no app registration. */
  clientId?: string;
  organisation?: string;
}

export type Admission =
  | { admitted: true; release: () => void; limit: number; remaining: number }
  | { admitted: false; reason: 'credits' | 'concurrency'; retryAfterSeconds: number; limit: number; remaining: number; message: string };

interface Window {
  start: number;
  used: number;
}

interface CreditBucket {
  key: string;
  limit: number;
}

export class FairUse {
  private readonly windows = new Map<string, Window>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly minuteMs: number,
    private readonly limits: FairUseLimits = TWINFIELD_LIMITS,
  ) {}

  /** Admits a call costing `credits`, or says why not. An admitted call must be released when its response ends. */
  admit(caller: Caller, credits: number): Admission {
    const now = this.clock.now();
    const windowStart = Math.floor(now / this.minuteMs) * this.minuteMs;
    const buckets = this.creditBuckets(caller);
    const concurrency = this.concurrencyKeys(caller);

    for (const { key, limit } of concurrency) {
      const current = this.inFlight.get(key) ?? 0;
      if (current >= limit) {
        return { admitted: false, reason: 'concurrency', retryAfterSeconds: 1, limit, remaining: 0, message: `Too many concurrent requests (at most ${limit}).` };
      }
    }
    for (const { key, limit } of buckets) {
      const used = this.used(key, windowStart);
      if (used + credits > limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + this.minuteMs - now) / 1000));
        return {
          admitted: false,
          reason: 'credits',
          retryAfterSeconds,
          limit,
          remaining: Math.max(0, limit - used),
          message: `Rate limit is exceeded. Try again in ${retryAfterSeconds} seconds.`,
        };
      }
    }

    for (const { key } of buckets) this.windows.set(key, { start: windowStart, used: this.used(key, windowStart) + credits });
    for (const { key } of concurrency) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const { key } of concurrency) this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    };
    // The headers speak of the tightest budget the caller has: client + organisation, else the IP.
    const tightest = buckets[buckets.length - 1];
    return { admitted: true, release, limit: tightest.limit, remaining: tightest.limit - this.used(tightest.key, windowStart) };
  }

  reset(): void {
    this.windows.clear();
  }

  private used(key: string, windowStart: number): number {
    const window = this.windows.get(key);
    return window && window.start === windowStart ? window.used : 0;
  }

  private creditBuckets(caller: Caller): CreditBucket[] {
    const buckets: CreditBucket[] = [{ key: `ip:${caller.ip}`, limit: this.limits.creditsPerIp }];
    if (caller.clientId) {
      buckets.push({ key: `client:${caller.clientId}`, limit: this.limits.creditsPerClient });
      if (caller.organisation) buckets.push({ key: `client:${caller.clientId}/org:${caller.organisation}`, limit: this.limits.creditsPerClientOrganisation });
    }
    return buckets;
  }

  private concurrencyKeys(caller: Caller): CreditBucket[] {
    if (!caller.clientId) return [];
    const keys: CreditBucket[] = [{ key: `client:${caller.clientId}`, limit: this.limits.concurrentPerClient }];
    if (caller.organisation) keys.push({ key: `client:${caller.clientId}/org:${caller.organisation}`, limit: this.limits.concurrentPerClientOrganisation });
    return keys;
  }
}
