// Keeps each (app, division) within Exact Online's minutely and daily call budgets, so Ledgerfeed waits for a
// reset instead of earning a 429. A call reserves a slot before it is sent and settles it with the response's
// X-RateLimit-* headers; while the budget is unknown (first call, or a window that just rolled over) only one
// call goes out, so its answer tells the others how much is left — whatever other processes already spent.
// Every call still in flight counts against a known window, whichever window it was sent in: one sent just before
// a reset may well be counted by the service just after it. (The probe of a new window does not wait for those,
// so one hanging call never holds a division up.)
import { sleep as realSleep, type Clock } from '../../clock';
import { UpstreamRateLimited } from '../errors';
import type { RateLimitHeaders, RateLimitWindow } from './wire';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface BudgetOptions {
  clock: Clock;
  /** Real waiting; tests pass one driven by a fake clock. */
  sleep?: Sleep;
  /** Waited beyond an announced reset, for clock skew between us and the service (ms, default 500). */
  resetMarginMs?: number;
  /** How long to hold off after a 429 that named no reset (ms, default 60 s: Exact's minute). */
  defaultBackoffMs?: number;
}

interface WindowState {
  limit: number | null;
  remaining: number | null;
  /** Epoch ms; null while unknown (before the first answer, or after the window rolled over). */
  resetAt: number | null;
}

const unknownWindow = (): WindowState => ({ limit: null, remaining: null, resetAt: null });

/** A slot taken from a budget: settle it exactly once with what the service answered (null: no answer). */
export class Reservation {
  private settled = false;
  constructor(
    private readonly budget: DivisionBudget,
    /** The minute window (generation) the slot was taken in. */
    readonly window: number,
  ) {}

  settle(headers: RateLimitHeaders | null, rateLimited = false): void {
    if (this.settled) return;
    this.settled = true;
    this.budget.settled(this.window, headers, rateLimited);
  }
}

/** The budget of one app in one division. */
export class DivisionBudget {
  private minute = unknownWindow();
  private day = unknownWindow();
  private inFlight = 0;
  /** Counts minute windows as they roll over: the probe of a new window waits only for calls sent in it. */
  private window = 0;
  private inFlightThisWindow = 0;
  /** After a 429: nothing goes out before this instant (epoch ms). */
  private blockedUntil = 0;
  private readonly waiters = new Set<() => void>();
  private readonly sleep: Sleep;
  private readonly marginMs: number;
  private readonly defaultBackoffMs: number;

  constructor(
    /** The division code, for messages. */
    readonly division: string,
    private readonly options: BudgetOptions,
  ) {
    this.sleep = options.sleep ?? realSleep;
    this.marginMs = options.resetMarginMs ?? 500;
    this.defaultBackoffMs = options.defaultBackoffMs ?? 60_000;
  }

  /**
   * Waits until a call may be sent without going over the minutely budget, then takes a slot. Throws
   * UpstreamRateLimited at once when the daily budget is spent, saying when it resets.
   */
  async reserve(signal?: AbortSignal): Promise<Reservation> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.options.clock.now();
      this.rollOver(now);
      const until = this.waitUntil(now);
      if (until === 'now') {
        this.inFlight++;
        this.inFlightThisWindow++;
        return new Reservation(this, this.window);
      }
      await this.waitForChange(until, signal);
    }
  }

  /** What the budget knows (tests, status pages). */
  snapshot(): { inFlight: number; minute: WindowState; day: WindowState; blockedUntil: number } {
    return { inFlight: this.inFlight, minute: { ...this.minute }, day: { ...this.day }, blockedUntil: this.blockedUntil };
  }

  /** @internal Called by Reservation.settle. */
  settled(window: number, headers: RateLimitHeaders | null, rateLimited: boolean): void {
    const now = this.options.clock.now();
    this.inFlight--;
    if (window === this.window) this.inFlightThisWindow--;
    if (headers?.minutely) this.minute = this.observe(this.minute, headers.minutely, now);
    else if (headers === null && this.minute.remaining !== null) this.minute.remaining = Math.max(0, this.minute.remaining - 1); // unanswered, probably counted
    if (headers?.daily) this.day = this.observe(this.day, headers.daily, now);
    if (rateLimited) {
      const until = headers?.retryAfterMs !== undefined ? now + headers.retryAfterMs : (headers?.minutely?.resetAt ?? now + this.defaultBackoffMs);
      this.blockedUntil = Math.max(this.blockedUntil, until + this.marginMs);
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** 'now' when a slot may be taken; else the instant to look again (null: when a call in flight answers). */
  private waitUntil(now: number): 'now' | number | null {
    const day = this.day;
    if (day.remaining !== null && day.resetAt !== null && day.remaining - this.inFlight <= 0) {
      if (this.inFlight > 0) return null;
      throw new UpstreamRateLimited(
        `Exact Online's daily limit of ${day.limit ?? 'its'} API calls for division ${this.division} is used up; it resets at ${new Date(day.resetAt).toISOString()}.`,
        Math.max(0, day.resetAt - now),
        { administration: this.division, upstreamStatus: 429 },
      );
    }
    // A spent day fails at once (above); a 429 holds calls back until the reset it named.
    if (this.blockedUntil > now) return this.blockedUntil;
    const minute = this.minute;
    if (minute.remaining === null || minute.resetAt === null) return this.inFlightThisWindow === 0 ? 'now' : null;
    if (minute.remaining - this.inFlight > 0) return 'now';
    return minute.resetAt + this.marginMs;
  }

  /** A window whose reset has passed starts over with its full limit, but unconfirmed until the next answer. */
  private rollOver(now: number): void {
    if (this.minute.resetAt !== null && now >= this.minute.resetAt + this.marginMs) {
      this.minute = { ...unknownWindow(), limit: this.minute.limit };
      this.window++;
      this.inFlightThisWindow = 0;
    }
    if (this.day.resetAt !== null && now >= this.day.resetAt + this.marginMs) this.day = { ...unknownWindow(), limit: this.day.limit };
  }

  /** Answers may arrive out of order: a newer window replaces, the same window only ever lowers, an older one is ignored. */
  private observe(state: WindowState, seen: RateLimitWindow, now: number): WindowState {
    if (seen.resetAt + this.marginMs <= now) return state;
    if (state.resetAt === null || seen.resetAt > state.resetAt) return { limit: seen.limit, remaining: seen.remaining, resetAt: seen.resetAt };
    if (seen.resetAt < state.resetAt) return state;
    return { limit: seen.limit, remaining: Math.min(state.remaining ?? seen.remaining, seen.remaining), resetAt: state.resetAt };
  }

  /** Resolves when a call in flight settles, or at `until` (epoch ms), whichever comes first. */
  private waitForChange(until: number | null, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = new AbortController();
      let done = false;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        timer.abort();
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = () => finish();
      const onAbort = () => finish(signal!.reason);
      this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (until !== null) {
        this.sleep(Math.max(0, until - this.options.clock.now()), timer.signal).then(wake, () => undefined);
      }
    });
  }
}

/** Every division budget of the process, by app (host + client id) and division. */
export class RateLimitBudgets {
  private readonly budgets = new Map<string, DivisionBudget>();

  constructor(private readonly options: BudgetOptions) {}

  /** `app` names the app registration at one host, e.g. `https://start.exactonline.nl|{clientId}`. */
  for(app: string, division: string): DivisionBudget {
    const key = `${app}\u0000${division}`;
    let budget = this.budgets.get(key);
    if (!budget) this.budgets.set(key, (budget = new DivisionBudget(division, this.options)));
    return budget;
  }
}
