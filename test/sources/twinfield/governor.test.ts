// The fair-use governor on its own: slots in flight per organisation and per app, credits in a sliding window
// (never more than the budget within any window), and what the service reports in its rate-limit headers.
import { AdjustableClock, sleep } from '../../../server/src/clock';
import { FairUseGovernor } from '../../../server/src/sources/twinfield';

const key = (organisation: string) => ({ clientId: 'app', organisation });

describe('Twinfield fair-use governor', () => {
  it('never admits more calls of an organisation at once than its limit, nor of the app than its own', async () => {
    const governor = new FairUseGovernor(new AdjustableClock(), { concurrentPerClientOrganisation: 2, concurrentPerClient: 3, creditsPerClient: 1000, creditsPerClientOrganisation: 1000 });
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    const run = async (organisation: string) => {
      const release = await governor.admit(key(organisation), 1);
      for (const k of [organisation, 'app']) {
        inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
        peak.set(k, Math.max(peak.get(k) ?? 0, inFlight.get(k)!));
      }
      await sleep(10);
      for (const k of [organisation, 'app']) inFlight.set(k, inFlight.get(k)! - 1);
      release();
    };
    await Promise.all([...Array.from({ length: 6 }, () => run('A')), ...Array.from({ length: 6 }, () => run('B'))]);
    expect(peak.get('A')).toBe(2);
    expect(peak.get('B')).toBe(2);
    expect(peak.get('app')).toBe(3);
  });

  it('spends at most the credit budget within any window', async () => {
    // Fake timers: time moves only when a timer fires, so each admission is stamped with the instant it was decided
    // (with real time, a stamp taken a millisecond late lands in the next window and fakes an overspend).
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    try {
      const clock = new AdjustableClock();
      const governor = new FairUseGovernor(clock, { minuteMs: 60, windowMarginMs: 0, creditsPerClientOrganisation: 5, creditsPerClient: 1000 });
      const admitted: number[] = [];
      const all = Promise.all(
        Array.from({ length: 12 }, async () => {
          const release = await governor.admit(key('A'), 1);
          admitted.push(clock.now());
          release();
        }),
      );
      await jest.advanceTimersByTimeAsync(1000);
      await all;
      expect(admitted).toHaveLength(12);
      for (const at of admitted) expect(admitted.filter((t) => t > at - 60 && t <= at).length).toBeLessThanOrEqual(5);
      // …and it waits no longer than it must: twelve calls at five a window take three windows.
      expect(Math.max(...admitted) - Math.min(...admitted)).toBeLessThanOrEqual(2 * 60 + 2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('believes the service when it reports less budget left than counted (another program spends it too)', async () => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    try {
      const clock = new AdjustableClock();
      const governor = new FairUseGovernor(clock, { minuteMs: 80, windowMarginMs: 0, creditsPerClientOrganisation: 500 });
      const release = await governor.admit(key('A'), 1);
      release();
      const reportedAt = clock.now();
      governor.observe(key('A'), 500, 0);
      let admittedAt: number | null = null;
      const again = governor.admit(key('A'), 1).then((r) => {
        admittedAt = clock.now();
        r();
      });
      await jest.advanceTimersByTimeAsync(79);
      expect(admittedAt).toBeNull();
      await jest.advanceTimersByTimeAsync(200);
      await again;
      expect(admittedAt! - reportedAt).toBeGreaterThanOrEqual(80);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps an organisation waiting after a 429 for the time the service asked', async () => {
    const clock = new AdjustableClock();
    const governor = new FairUseGovernor(clock);
    const pausedAt = clock.now();
    governor.pause(key('A'), 50);
    let admittedA = false;
    const a = governor.admit(key('A'), 1).then((release) => {
      admittedA = true;
      release();
    });
    // Another organisation of the same app is not held up.
    const other = await governor.admit(key('B'), 1);
    expect(admittedA).toBe(false);
    other();
    await a;
    expect(clock.now() - pausedAt).toBeGreaterThanOrEqual(50);
  });
});
