// Exact Online calls over real HTTP against the simulator: a burst on one division paced under the minutely
// limit with no 429, a 429 waited out, a spent daily limit failing fast with its reset time, and server errors,
// hangs and garbage turned into retryable typed errors that name the division.
import { UpstreamMalformed, UpstreamRateLimited, UpstreamRefused, UpstreamTimeout, UpstreamUnavailable, isRetryable } from '../../../server/src/sources/errors';
import type { Connection } from '../../../server/src/store/connections';
import { rejectionOf, startWorld, type World } from './harness';

const worlds: World[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.close()));
});

async function connected(options: Parameters<typeof startWorld>[0]): Promise<{ w: World; connection: Connection }> {
  const w = await startWorld(options);
  worlds.push(w);
  const connection = await w.connect();
  await w.resetStats();
  return { w, connection };
}

function journals(w: World, connection: Connection, division = 310101) {
  const client = w.exact.logins.forConnection(connection.id);
  return client.page(division, client.url(division, 'financial/Journals', { $select: 'ID,Code' }));
}

describe('Exact Online rate limits', () => {
  it('paces a burst of 200 calls on one division under the minutely limit without a single 429', async () => {
    const { w, connection } = await connected({ sim: { minuteMs: 1000, minutelyLimit: 60 }, exact: { rateLimit: { resetMarginMs: 20 } } });
    const pages = await Promise.all(Array.from({ length: 200 }, () => journals(w, connection)));
    expect(pages.every((p) => p.rows.length > 0)).toBe(true);
    const stats = await w.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.administrations['310101'].requests).toBe(200);
  });

  it('waits out a 429 until the reset it names, then gets its answer', async () => {
    const { w, connection } = await connected({ sim: { minuteMs: 1000 }, exact: { rateLimit: { resetMarginMs: 20 } } });
    await w.control('_faults', { administration: 310101, kind: 'status', status: 429, count: 2 });
    const page = await journals(w, connection);
    expect(page.rows.length).toBeGreaterThan(0);
    const stats = await w.stats();
    expect(stats.faults).toBe(2);
    expect(stats.administrations['310101'].requests).toBe(3);
  });

  it('fails fast once the daily limit is spent, saying when it resets, without earning a 429', async () => {
    const { w, connection } = await connected({ sim: { dailyLimit: 3 } });
    for (let i = 0; i < 3; i++) await journals(w, connection);
    const err = await rejectionOf(journals(w, connection));
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    const midnight = new Date(Math.floor(w.clock.now() / 86_400_000 + 1) * 86_400_000).toISOString();
    expect(err.message).toContain(`division 310101`);
    expect(err.message).toContain(midnight);
    expect((err as UpstreamRateLimited).retryAfterMs).toBeGreaterThan(0);
    const stats = await w.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.administrations['310101'].requests).toBe(3);
    // Other divisions have budgets of their own.
    expect((await journals(w, connection, 310102)).rows.length).toBeGreaterThan(0);
  });
});

describe('Exact Online failures', () => {
  it.each([
    ['a 500', { kind: 'status', status: 500 }, UpstreamUnavailable, '(500)'],
    ['a 503', { kind: 'status', status: 503 }, UpstreamUnavailable, '(503)'],
    ['a hang', { kind: 'timeout' }, UpstreamTimeout, 'did not answer'],
    ['a truncated body', { kind: 'malformed' }, UpstreamMalformed, 'unreadable'],
  ])('turns %s into a retryable typed error naming the division', async (_name, fault, type, words) => {
    const { w, connection } = await connected({ exact: { requestTimeoutMs: 1500 } });
    await w.control('_faults', { administration: 310103, ...fault });
    const err = await rejectionOf(journals(w, connection, 310103));
    expect(err).toBeInstanceOf(type);
    expect(isRetryable(err)).toBe(true);
    expect(err.message).toContain('division 310103');
    expect(err.message).toContain(words);
    expect((err as UpstreamUnavailable).administration).toBe('310103');
    expect(err.message).not.toMatch(/eol_|Bearer/);
    // The next call succeeds.
    expect((await journals(w, connection, 310103)).rows.length).toBeGreaterThan(0);
  });

  it("refuses, without retrying, a division the login has no access to, with Exact's reason", async () => {
    const { w, connection } = await connected({});
    const err = await rejectionOf(journals(w, connection, 999999));
    expect(err).toBeInstanceOf(UpstreamRefused);
    expect(isRetryable(err)).toBe(false);
    expect(err.message).toContain('division 999999');
    expect(err.message).toContain('no access to the division');
  });

  it("passes Exact's own error message on for a bad request", async () => {
    const { w, connection } = await connected({});
    const client = w.exact.logins.forConnection(connection.id);
    const err = await rejectionOf(client.page(310101, client.url(310101, 'financialtransaction/TransactionLines', { $filter: "FinancialYear eq 2025" })));
    expect(err).toBeInstanceOf(UpstreamRefused);
    expect(err.message).toContain('Please add a $select');
  });

  it('follows __next links page by page on the login host only', async () => {
    const { w, connection } = await connected({});
    const client = w.exact.logins.forConnection(connection.id);
    const pages: number[] = [];
    for await (const page of client.pages(310101, 'financial/ReportingBalance', { $select: 'ID' })) pages.push(page.rows.length);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.slice(0, -1).every((n) => n === 60)).toBe(true);
    const foreign = await rejectionOf(client.page(310101, 'https://elsewhere.example/api/v1/310101/financial/Journals'));
    expect(foreign).toBeInstanceOf(UpstreamMalformed);
    expect(foreign.message).toContain('another host');
  });
});
