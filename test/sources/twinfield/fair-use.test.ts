// Twinfield's fair-use limits from the client's side: the fan-out of one organisation stays within 10 calls in flight
// and its credit budget without earning a 429; a 429 that comes anyway is waited out (Retry-After, backoff).
import { isRetryable, UpstreamRateLimited } from '../../../server/src/sources/errors';
import type { UpstreamCall } from '../../../server/src/sources/upstream-observer';
import { twinfieldTable } from '../../../server/src/sources/twinfield';
import { collect, connect, control, fetchContext, resetStats, startHarness, stats, type Harness } from './harness';

const costCenters = twinfieldTable('CostCenters')!;

describe('Twinfield fair use', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps one organisation within 10 calls in flight and its credit budget, earning no 429', async () => {
    // A short "minute" with low budgets, so the credit limit is reached many times over within the test.
    h = await startHarness({ simulator: { latencyMs: 25, minuteMs: 400, limits: { creditsPerClientOrganisation: 30, creditsPerClient: 60 } } });
    const connection = await connect(h);
    const admins = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await resetStats(h);
    // 8 offices × 4 snapshots × 2 Finder calls = 64 calls wanting to run at once.
    const runs = admins.flatMap((admin) => Array.from({ length: 4 }, () => collect(h!.source.connector.snapshot(costCenters, fetchContext(admin)))));
    const pages = await Promise.all(runs);
    expect(pages.every((p) => p.flat().length > 0)).toBe(true);
    const after = await stats(h);
    expect(after.requests).toBe(64);
    expect(after.rateLimited).toBe(0);
    expect(after.maxInFlight).toBeLessThanOrEqual(10);
    expect(after.maxInFlight).toBeGreaterThan(1);
  });

  it('waits out a 429 for its Retry-After and then succeeds', async () => {
    // The simulator allows 4 credits a window. A second process that has not yet seen a rate-limit header believes in
    // Twinfield's usual 500 and sends its burst at once: it earns 429s and must wait them out.
    h = await startHarness({ simulator: { minuteMs: 1000, limits: { creditsPerClientOrganisation: 4 } } });
    const connection = await connect(h);
    const admins = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    const calls: UpstreamCall[] = [];
    const other = h.anotherSource({ creditsPerClientOrganisation: 500, windowMarginMs: 100 }, { observer: { call: (c) => void calls.push(c), headroom: () => undefined } });
    await resetStats(h);
    const fingerprints = await Promise.all(admins.map((admin) => other.connector.probe(costCenters, fetchContext(admin), null)));
    expect(fingerprints.every((f) => typeof f === 'string' && f.startsWith('finder:v1:'))).toBe(true);
    const after = await stats(h);
    expect(after.rateLimited).toBeGreaterThan(0);
    expect(after.requests - after.rateLimited).toBe(8);
    // Metrics saw every exchange, the 429s among them.
    expect(calls).toHaveLength(after.requests);
    expect(calls.filter((c) => c.rateLimited)).toHaveLength(after.rateLimited);
    expect(calls.every((c) => c.source === 'twinfield' && admins.some((a) => a.code === c.administration))).toBe(true);
  });

  it('retries an injected 429 without Retry-After after a backoff', async () => {
    h = await startHarness();
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await control(h, '/_faults', { administration: admin.code, count: 2, kind: 'status', status: 429 });
    await resetStats(h);
    const fingerprint = await h.source.connector.probe(costCenters, fetchContext(admin), null);
    expect(fingerprint).toMatch(/^finder:v1:/);
    expect((await stats(h)).requests).toBe(3);
  });

  it('gives up on a 429 that does not pass with UpstreamRateLimited naming the office', async () => {
    h = await startHarness({ source: { rateLimitRetry: { attempts: 2, baseDelayMs: 20 } } });
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await control(h, '/_faults', { administration: admin.code, count: 10, kind: 'status', status: 429 });
    const error = await h.source.connector.probe(costCenters, fetchContext(admin), null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRateLimited);
    expect(isRetryable(error)).toBe(true);
    expect((error as UpstreamRateLimited).administration).toBe(admin.code);
    expect((error as Error).message).toContain(admin.code);
  });
});
