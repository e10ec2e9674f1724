// Twinfield's fair-use policy kept on our side, so the fan-out waits instead of earning 429s: at most 10 calls in
// flight per client id + organisation and 20 per client id, and per-minute credit budgets (a read costs 1, anything
// else 3; 500 per client id + organisation, 1,000 per client id). One governor per process is shared by every
// connection and office of an organisation. Budgets are sliding windows (never more than the limit in any minute,
// whatever the service's window alignment), corrected from X-RateLimit-Limit/Remaining and paused by Retry-After.
import { sleep, type Clock } from '../../clock';

export interface FairUseLimits {
  /** Length of the credit window ("minute"); shortened in the sandbox (LEDGERFEED_SANDBOX_MINUTE_MS). */
  minuteMs: number;
  creditsPerClient: number;
  creditsPerClientOrganisation: number;
  concurrentPerClient: number;
  concurrentPerClientOrganisation: number;
  /** Added to the window: calls arrive a little after we count them, so a window's edge is not trusted exactly. */
  windowMarginMs: number;
}

/** Twinfield's published limits for a certified app. */
export const TWINFIELD_FAIR_USE: FairUseLimits = {
  minuteMs: 60_000,
  creditsPerClient: 1000,
  creditsPerClientOrganisation: 500,
  concurrentPerClient: 20,
  concurrentPerClientOrganisation: 10,
  windowMarginMs: 1000,
};

/** Whose budget a call spends: the app registration and the organisation (a password session has its own key). */
export interface BudgetKey {
  clientId: string;
  organisation: string;
}

/** A FIFO counting semaphore. */
class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {
    this.available = size;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.available > 0 && this.waiters.length === 0) {
      this.available--;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal!.reason);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available++;
    };
  }
}

/** Credits spent in a sliding window, with a pause set by a 429's Retry-After. */
class CreditBudget {
  private readonly spent: Array<{ at: number; credits: number }> = [];
  private pausedUntil = 0;

  constructor(
    public limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until `credits` fit (0: now). */
  waitFor(credits: number, now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now;
    this.prune(now);
    let used = this.used();
    if (used + credits <= this.limit) return 0;
    // The oldest entries leave the window first; wait until enough of them have.
    for (const entry of this.spent) {
      used -= entry.credits;
      if (used + credits <= this.limit) return Math.max(1, entry.at + this.windowMs - now);
    }
    return this.windowMs;
  }

  spend(credits: number, now: number): void {
    this.spent.push({ at: now, credits });
  }

  /** The service reports what is left of its budget: spend what others (other processes, other tools) used. */
  correct(limit: number, remaining: number, now: number): void {
    if (limit > 0 && limit < this.limit) this.limit = limit;
    this.prune(now);
    const spentByService = this.limit - remaining;
    const unaccounted = spentByService - this.used();
    if (unaccounted > 0) this.spend(unaccounted, now);
  }

  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  private used(): number {
    let used = 0;
    for (const entry of this.spent) used += entry.credits;
    return used;
  }

  private prune(now: number): void {
    while (this.spent.length > 0 && this.spent[0].at + this.windowMs <= now) this.spent.shift();
  }
}

interface Budgets {
  concurrency: Semaphore;
  credits: CreditBudget;
}

export class FairUseGovernor {
  private readonly clients = new Map<string, Budgets>();
  private readonly organisations = new Map<string, Budgets>();
  readonly limits: FairUseLimits;

  constructor(
    private readonly clock: Clock,
    limits: Partial<FairUseLimits> = {},
  ) {
    this.limits = { ...TWINFIELD_FAIR_USE, ...limits };
  }

  /**
   * Waits for a slot in flight (organisation, then client: always in that order, so waiters cannot deadlock) and
   * then for the credits, which are counted at the moment the call may go. Returns the release of the slots.
   */
  async admit(key: BudgetKey, credits: number, signal?: AbortSignal): Promise<() => void> {
    const organisation = this.organisationBudgets(key);
    const client = this.clientBudgets(key);
    const releaseOrganisation = await organisation.concurrency.acquire(signal);
    let releaseClient: (() => void) | undefined;
    try {
      releaseClient = await client.concurrency.acquire(signal);
      for (;;) {
        const now = this.clock.now();
        const wait = Math.max(organisation.credits.waitFor(credits, now), client.credits.waitFor(credits, now));
        if (wait === 0) {
          organisation.credits.spend(credits, now);
          client.credits.spend(credits, now);
          break;
        }
        await sleep(wait, signal);
      }
    } catch (err) {
      releaseClient?.();
      releaseOrganisation();
      throw err;
    }
    const release = releaseClient;
    return () => {
      release();
      releaseOrganisation();
    };
  }

  /** X-RateLimit-Limit/Remaining of an answer: they speak of the tightest budget, the organisation's. */
  observe(key: BudgetKey, limit: number, remaining: number): void {
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || remaining < 0) return;
    this.organisationBudgets(key).credits.correct(limit, remaining, this.clock.now());
  }

  /** A 429: nobody of this organisation calls again before `ms` have passed. */
  pause(key: BudgetKey, ms: number): void {
    this.organisationBudgets(key).credits.pause(this.clock.now() + ms);
  }

  private windowMs(): number {
    return this.limits.minuteMs + this.limits.windowMarginMs;
  }

  private clientBudgets(key: BudgetKey): Budgets {
    let budgets = this.clients.get(key.clientId);
    if (!budgets) {
      budgets = { concurrency: new Semaphore(this.limits.concurrentPerClient), credits: new CreditBudget(this.limits.creditsPerClient, this.windowMs()) };
      this.clients.set(key.clientId, budgets);
    }
    return budgets;
  }

  private organisationBudgets(key: BudgetKey): Budgets {
    const id = `${key.clientId}\u0000${key.organisation.toUpperCase()}`;
    let budgets = this.organisations.get(id);
    if (!budgets) {
      budgets = {
        concurrency: new Semaphore(this.limits.concurrentPerClientOrganisation),
        credits: new CreditBudget(this.limits.creditsPerClientOrganisation, this.windowMs()),
      };
      this.organisations.set(id, budgets);
    }
    return budgets;
  }
}

const governors = new WeakMap<Clock, Map<string, FairUseGovernor>>();

/**
 * The process's governor for a clock and set of limits: every connection of the process shares it, so two
 * connections of one organisation never together exceed its limits.
 */
export function sharedGovernor(clock: Clock, limits: Partial<FairUseLimits> = {}): FairUseGovernor {
  let byLimits = governors.get(clock);
  if (!byLimits) governors.set(clock, (byLimits = new Map()));
  const id = JSON.stringify({ ...TWINFIELD_FAIR_USE, ...limits });
  let governor = byLimits.get(id);
  if (!governor) byLimits.set(id, (governor = new FairUseGovernor(clock, limits)));
  return governor;
}
