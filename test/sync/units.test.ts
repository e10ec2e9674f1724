// Pure parts of the sync engine: converting upstream pages to the mirror's form, and when to retry.
import { UpstreamMalformed, UpstreamRateLimited, UpstreamRefused, UpstreamUnavailable } from '../../server/src/sources/errors';
import { DEFAULT_RETRY_POLICY } from '../../server/src/sync';
import { retryDelay } from '../../server/src/sync/retry';
import { layoutOf, rowHash, storeMatch, storeRows } from '../../server/src/sync/stored-rows';
import { LINES } from './fake-connector';

const layout = layoutOf(LINES);
const line = { ID: 'A1B2C3D4-0000-4000-8000-000000000001', EntryNumber: '1001', Amount: '12.5', Date: '2024-03-01T00:00:00', Description: 'Rent', Modified: '2024-03-01T10:00:00Z' };

describe('stored rows', () => {
  it('converts every value through its Edm type and fills in the administration', () => {
    const [row] = storeRows(layout, [line], '310101');
    expect(row.values).toEqual([310101, 'a1b2c3d4-0000-4000-8000-000000000001', 1001, 1250, '2024-03-01', 'Rent', Date.UTC(2024, 2, 1, 10)]);
  });

  it('fingerprints equal values equally and tells 1 from "1" and null', () => {
    expect(storeRows(layout, [line], '310101')[0].hash).toBe(storeRows(layout, [{ ...line, Amount: 12.5 }], '310101')[0].hash);
    expect(rowHash([1, 'a'])).not.toBe(rowHash(['1', 'a']));
    expect(rowHash([null, 'a'])).not.toBe(rowHash(['', 'a']));
  });

  it.each([
    [{ ...line, Amount: 'n/a' }, /row 2, Amount: not a decimal/],
    [{ ...line, ID: null }, /row 2 has no ID/],
    [{ ...line, Division: 310199 }, /row 2 belongs to Division 310199/],
  ])('rejects the whole page when one row is malformed (%#)', (bad, message) => {
    expect(() => storeRows(layout, [line, bad], '310101')).toThrow(UpstreamMalformed);
    expect(() => storeRows(layout, [line, bad], '310101')).toThrow(message);
  });

  it('turns deletes into column matches, never into "delete everything"', () => {
    expect(storeMatch(layout, { EntryNumber: 1001, Division: 310101 }, '310101')).toEqual({ columns: ['EntryNumber'], values: [1001] });
    expect(storeMatch(layout, { ID: 'A1B2C3D4-0000-4000-8000-000000000001' }, '310101')).toEqual({ columns: ['ID'], values: ['a1b2c3d4-0000-4000-8000-000000000001'] });
    expect(storeMatch(layout, { ID: line.ID, Division: 310102 }, '310101')).toBeNull();
    expect(() => storeMatch(layout, {}, '310101')).toThrow('a delete names no column');
    expect(() => storeMatch(layout, { Journal: 'MEM' }, '310101')).toThrow('unknown column "Journal"');
  });
});

describe('retry delays', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };
  const fixed = () => 0.5;

  it('backs off exponentially with jitter, up to the maximum', () => {
    const err = new UpstreamUnavailable('503');
    expect([1, 2, 3].map((n) => retryDelay(policy, n, err, fixed))).toEqual([75, 150, 300]);
    expect(retryDelay({ ...policy, attempts: 10 }, 8, err, fixed)).toBe(750);
    expect(retryDelay(policy, 1, err, () => 0)).toBe(50);
    expect(retryDelay(policy, 1, err, () => 1)).toBe(100);
  });

  it('waits what a rate limit asks, but gives up on a wait longer than allowed', () => {
    expect(retryDelay(policy, 1, new UpstreamRateLimited('429', 2_000), () => 0)).toBe(2_000);
    expect(retryDelay(policy, 1, new UpstreamRateLimited('429', 24 * 3_600_000), fixed)).toBeNull();
  });

  it('gives up after the last attempt and never retries a permanent error', () => {
    expect(retryDelay(policy, 4, new UpstreamUnavailable('503'), fixed)).toBeNull();
    expect(retryDelay(policy, 1, new UpstreamRefused('403'), fixed)).toBeNull();
    expect(retryDelay(policy, 1, new Error('bug'), fixed)).toBeNull();
  });
});
