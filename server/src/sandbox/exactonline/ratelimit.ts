// Exact Online's API budget per app (client_id) per division: a minutely window that resets at the next whole
// "minute" (its length configurable for tests) and a daily one that resets at midnight UTC, reported on every
// response in six X-RateLimit-* headers (resets as epoch milliseconds).
import type { Clock } from '../../clock';
import { DAY } from '../../clock';

export interface RateLimits {
  minutely: number;
  daily: number;
  minuteMs: number;
}

interface Bucket {
  minute: number;
  minuteCount: number;
  day: number;
  dayCount: number;
}

export interface RateDecision {
  /** Set when the call is refused. */
  limitedBy?: 'minutely' | 'daily';
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    readonly limits: RateLimits,
  ) {}

  /** Counts one call (when `consume`) and says whether it may proceed, with the headers to send either way. */
  check(clientId: string, division: number, consume: boolean): RateDecision {
    const now = this.clock.now();
    const minute = Math.floor(now / this.limits.minuteMs);
    const day = Math.floor(now / DAY);
    const key = `${clientId}|${division}`;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { minute, minuteCount: 0, day, dayCount: 0 }));
    if (bucket.minute !== minute) Object.assign(bucket, { minute, minuteCount: 0 });
    if (bucket.day !== day) Object.assign(bucket, { day, dayCount: 0 });

    const minutely = {
      'X-RateLimit-Minutely-Limit': String(this.limits.minutely),
      'X-RateLimit-Minutely-Reset': String((minute + 1) * this.limits.minuteMs),
    };
    const daily = { 'X-RateLimit-Limit': String(this.limits.daily), 'X-RateLimit-Reset': String((day + 1) * DAY) };
    if (consume && bucket.dayCount >= this.limits.daily) {
      return { limitedBy: 'daily', headers: { ...daily, 'X-RateLimit-Remaining': '0', ...minutely, 'X-RateLimit-Minutely-Remaining': String(Math.max(0, this.limits.minutely - bucket.minuteCount)) } };
    }
    if (consume && bucket.minuteCount >= this.limits.minutely) {
      // A minutely refusal carries only the minutely headers, as Exact's does.
      return { limitedBy: 'minutely', headers: { ...minutely, 'X-RateLimit-Minutely-Remaining': '0' } };
    }
    if (consume) {
      bucket.minuteCount++;
      bucket.dayCount++;
    }
    return {
      headers: {
        ...daily,
        'X-RateLimit-Remaining': String(Math.max(0, this.limits.daily - bucket.dayCount)),
        ...minutely,
        'X-RateLimit-Minutely-Remaining': String(Math.max(0, this.limits.minutely - bucket.minuteCount)),
      },
    };
  }

  reset(): void {
    this.buckets.clear();
  }
}
