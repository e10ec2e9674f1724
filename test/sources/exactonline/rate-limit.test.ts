// The per-division rate-limit budget on a fake clock: it reserves before sending, waits for resets instead of
// going over, probes with one call while the budget is unknown, and fails fast when the daily budget is spent.
import type { Clock } from '../../../server/src/clock';
import { UpstreamRateLimited } from '../../../server/src/sources/errors';
import { DivisionBudget, type Reservation } from '../../../server/src/sources/exactonline/rate-limit';
import type { RateLimitHeaders } from '../../../server/src/sources/exactonline/wire';

/** Time that moves only when the test says so; sleepers wake when it passes their deadline. */
class FakeTime implements Clock {
  private current = Date.UTC(2025, 5, 2, 10, 0, 0);
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.current;
  }
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const sleeper = { at: this.current + ms, wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(signal.reason);
      });
    });
  async advance(ms: number): Promise<void> {
    this.current += ms;
    for (const s of this.sleepers.filter((x) => x.at <= this.current)) {
      this.sleepers.splice(this.sleepers.indexOf(s), 1);
      s.wake();
    }
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

/** Reservations handed out so far, in order. */
function grab(budget: DivisionBudget, n: number, signal?: AbortSignal): { granted: Reservation[]; errors: unknown[] } {
  const granted: Reservation[] = [];
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) budget.reserve(signal).then((r) => granted.push(r), (e) => errors.push(e));
  return { granted, errors };
}

function headers(time: FakeTime, minuteRemaining: number, dayRemaining = 4000, minuteReset = nextMinute(time)): RateLimitHeaders {
  return {
    minutely: { limit: 60, remaining: minuteRemaining, resetAt: minuteReset },
    daily: { limit: 5000, remaining: dayRemaining, resetAt: Date.UTC(2025, 5, 3) },
  };
}
const nextMinute = (time: FakeTime) => Math.floor(time.now() / 60_000) * 60_000 + 60_000;

describe('division rate-limit budget', () => {
  let time: FakeTime;
  let budget: DivisionBudget;
  beforeEach(() => {
    time = new FakeTime();
    budget = new DivisionBudget('310101', { clock: time, sleep: time.sleep, resetMarginMs: 100 });
  });

  it('sends a single call while it does not know the budget, then as many as the answer allows', async () => {
    const first = grab(budget, 20);
    await settle();
    expect(first.granted).toHaveLength(1);
    first.granted[0].settle(headers(time, 9));
    await settle();
    // 9 left this minute: nine more go out, the other ten wait.
    expect(first.granted).toHaveLength(10);
    expect(budget.snapshot().inFlight).toBe(9);
  });

  it('never has more calls in flight than the minute has left, however many ask at once', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 5));
    const burst = grab(budget, 100);
    await settle();
    expect(burst.granted).toHaveLength(5);
    // Answers come back: each says less is left, so nothing more is sent.
    burst.granted.forEach((r, i) => r.settle(headers(time, 4 - i)));
    await settle();
    expect(burst.granted).toHaveLength(5);
  });

  it('waits for the minutely reset instead of going over, then probes the new minute with one call', async () => {
    const probe = grab(budget, 1);
    await settle();
    const reset = nextMinute(time);
    probe.granted[0].settle(headers(time, 0, 4000, reset));
    const waiting = grab(budget, 3);
    await settle();
    expect(waiting.granted).toHaveLength(0);
    await time.advance(reset - time.now() - 1);
    expect(waiting.granted).toHaveLength(0);
    await time.advance(101); // past the reset and its margin
    expect(waiting.granted).toHaveLength(1);
    waiting.granted[0].settle(headers(time, 59));
    await settle();
    expect(waiting.granted).toHaveLength(3);
  });

  it('ignores an answer of the previous minute that arrives late', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 10));
    const calls = grab(budget, 2);
    await settle();
    const oldReset = nextMinute(time);
    await time.advance(oldReset - time.now() + 200);
    // The new minute is confirmed by a fresh answer…
    const fresh = grab(budget, 1);
    await settle();
    expect(fresh.granted).toHaveLength(1);
    fresh.granted[0].settle(headers(time, 50));
    // …and a straggler from the old minute, saying 0 were left, changes nothing.
    calls.granted[0].settle(headers(time, 0, 4000, oldReset));
    expect(budget.snapshot().minute.remaining).toBe(50);
  });

  it('counts calls of the previous minute still in flight against the new minute, as the service may', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 5));
    const late = grab(budget, 3); // sent just before the reset, not answered yet
    await settle();
    expect(late.granted).toHaveLength(3);
    await time.advance(nextMinute(time) - time.now() + 200);
    const fresh = grab(budget, 1);
    await settle();
    fresh.granted[0].settle(headers(time, 4)); // the new minute's first answer: 4 left
    const more = grab(budget, 4);
    await settle();
    // 4 left minus the 3 stragglers that may yet be counted in this minute: only one more goes out now…
    expect(more.granted).toHaveLength(1);
    for (const r of late.granted) r.settle(headers(time, 0, 4000, nextMinute(time) - 60_000));
    await settle();
    // …and the rest once the stragglers have answered (in the old minute, as it turned out).
    expect(more.granted).toHaveLength(4);
  });

  it('fails fast when the daily budget is spent, saying when it resets', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 30, 0));
    const err = await budget.reserve().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    const limited = err as UpstreamRateLimited;
    expect(limited.message).toContain('division 310101');
    expect(limited.message).toContain('2025-06-03T00:00:00.000Z');
    expect(limited.retryAfterMs).toBe(Date.UTC(2025, 5, 3) - time.now());
    expect(limited.administration).toBe('310101');
  });

  it('fails fast after a 429 that says the daily budget is spent, without waiting for the minute', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 10, 0), true);
    const next = grab(budget, 1);
    await settle();
    expect(next.granted).toHaveLength(0);
    expect(next.errors[0]).toBeInstanceOf(UpstreamRateLimited);
  });

  it('holds every call back until the reset a 429 named', async () => {
    const probe = grab(budget, 1);
    await settle();
    const reset = time.now() + 20_000;
    probe.granted[0].settle({ minutely: { limit: 60, remaining: 0, resetAt: reset } }, true);
    const after = grab(budget, 1);
    await time.advance(19_000);
    expect(after.granted).toHaveLength(0);
    await time.advance(1_200);
    expect(after.granted).toHaveLength(1);
  });

  it('waits a default back-off after a 429 that named no reset', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle({}, true);
    const after = grab(budget, 1);
    await time.advance(59_000);
    expect(after.granted).toHaveLength(0);
    await time.advance(2_000);
    expect(after.granted).toHaveLength(1);
  });

  it('stops waiting when the caller gives up', async () => {
    const probe = grab(budget, 1);
    await settle();
    probe.granted[0].settle(headers(time, 0));
    const controller = new AbortController();
    const waiting = grab(budget, 1, controller.signal);
    await settle();
    controller.abort(new Error('cancelled'));
    await settle();
    expect(waiting.granted).toHaveLength(0);
    expect((waiting.errors[0] as Error).message).toBe('cancelled');
  });
});
