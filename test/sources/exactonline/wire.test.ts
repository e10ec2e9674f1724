// Decoding Exact Online's wire format and classifying refused refreshes: pure functions, table-driven.
import { classifyRefreshFailure, TokenRequestFailed } from '../../../server/src/sources/exactonline/oauth';
import { decodeCursor, decodeWatermark, encodeCursor, encodeWatermark } from '../../../server/src/sources/exactonline/cursor';
import { latestVersions, toTableRow } from '../../../server/src/sources/exactonline/rows';
import { EXACT_TABLES } from '../../../server/src/sources/exactonline/tables';
import { exactDate, exactInstant, parseExactJson, readCollection, readRateLimitHeaders } from '../../../server/src/sources/exactonline/wire';
import { CursorInvalid } from '../../../server/src/sources/connector';
import { validateTable } from '../../../server/src/tables/description';

describe('Exact Online wire format', () => {
  it('keeps Int64 Timestamps beyond 2^53 exact, as numbers or strings', () => {
    const body = parseExactJson('{"d":{"results":[{"Timestamp":12345678901234567890,"Name":"x:1234567890123456789"},{"Timestamp":"42"}]}}');
    const { rows } = readCollection(body);
    expect(rows[0].Timestamp).toBe('12345678901234567890');
    expect(rows[0].Name).toBe('x:1234567890123456789');
    expect(rows[1].Timestamp).toBe('42');
  });

  it.each([
    ['results with a next link', { d: { results: [{ a: 1 }], __next: 'https://h/next' } }, 1, 'https://h/next'],
    ['results on the last page', { d: { results: [{ a: 1 }, { a: 2 }] } }, 2, undefined],
    ['d as a bare array', { d: [{ a: 1 }, { a: 2 }, { a: 3 }] }, 3, undefined],
    ['d as one entity', { d: { a: 1 } }, 1, undefined],
  ])('reads a collection with %s', (_name, body, count, next) => {
    const page = readCollection(body);
    expect(page.rows).toHaveLength(count);
    expect(page.next).toBe(next);
  });

  it('refuses bodies that are not Exact collections', () => {
    expect(() => readCollection({ value: [] })).toThrow('no "d"');
    expect(() => parseExactJson('{"d":{"results":[{"ID":"')).toThrow('not valid JSON');
  });

  it('reads /Date(ms)/ as an instant and as a calendar date', () => {
    expect(exactInstant('/Date(1382667869110)/')).toBe(1382667869110);
    expect(exactInstant('/Date(1382667869110+0100)/')).toBe(1382667869110);
    expect(exactDate('/Date(1735689600000)/')).toBe('2025-01-01');
    expect(exactInstant(null)).toBeNull();
    expect(exactDate('not a date')).toBe('not a date');
  });

  it('reads all six rate-limit headers, resets in epoch milliseconds', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '5000',
      'X-RateLimit-Remaining': '4990',
      'X-RateLimit-Reset': '1748908800000',
      'X-RateLimit-Minutely-Limit': '60',
      'X-RateLimit-Minutely-Remaining': '0',
      'X-RateLimit-Minutely-Reset': '1748861460000',
    });
    expect(readRateLimitHeaders(headers, 0)).toEqual({
      daily: { limit: 5000, remaining: 4990, resetAt: 1748908800000 },
      minutely: { limit: 60, remaining: 0, resetAt: 1748861460000 },
    });
    expect(readRateLimitHeaders(new Headers({ 'X-RateLimit-Minutely-Limit': '60', 'X-RateLimit-Minutely-Remaining': '0', 'X-RateLimit-Minutely-Reset': '1748861460000' }), 0).daily).toBeUndefined();
  });
});

describe('refused refreshes', () => {
  const refused = (status: number, error: string, description?: string, reason?: string) =>
    new TokenRequestFailed('refused', `Exact Online refused renewing the login (${status}).`, status, error, description, reason);

  it.each([
    ['an old refresh token (401)', refused(401, 'invalid_grant', 'Old refresh token used.'), true, 'already been used'],
    ['an old refresh token (400)', refused(400, 'invalid_grant', 'Old refresh token used.'), true, 'already been used'],
    ['an expired refresh token', refused(400, 'invalid_request', 'The refresh token expired at 2025-01-01T00:00:00Z and it is now 2025-02-01T00:00:00Z'), true, '30 days'],
    ['another invalid_grant', refused(400, 'invalid_grant', 'Token is not allowed, because of invalid or empty chainId'), true, 'no longer accepts'],
    ['a refresh too early', refused(400, 'access_denied', 'Rate limit exceeded: access_token not expired', 'TooEarlyToRefreshTokens: later'), false, 'this early'],
    ['our app credentials', refused(400, 'invalid_client'), false, 'app registration'],
    ['a server error', new TokenRequestFailed('unavailable', 'Exact Online refused renewing the login (503, HTTP 503).', 503), false, '503'],
    ['a network failure', new TokenRequestFailed('unavailable', 'Exact Online could not be reached while renewing the login (ECONNREFUSED).'), false, 'ECONNREFUSED'],
  ])('classifies %s', (_name, failure, permanent, words) => {
    const rejected = classifyRefreshFailure(failure);
    expect(rejected.permanent).toBe(permanent);
    expect(rejected.reason).toContain(words);
    if (permanent) expect(rejected.reason).toContain('Reconnect Exact Online on the workspace page');
  });
});

describe('Exact Online tables and cursors', () => {
  it('describes every table consistently, Division first in every key, Guid keys where Exact has them', () => {
    for (const table of EXACT_TABLES) {
      expect(validateTable(table)).toEqual([]);
      expect(table.key[0]).toBe('Division');
    }
    expect(EXACT_TABLES.map((t) => t.name)).toEqual(
      expect.arrayContaining(['Divisions', 'GLAccounts', 'TransactionLines', 'Accounts', 'SalesInvoices', 'SalesInvoiceLines', 'Journals', 'ReportingBalance', 'Budgets', 'Receivables', 'Items', 'Projects']),
    );
  });

  it('trims padded relation codes and turns dates into Edm values', () => {
    const accounts = EXACT_TABLES.find((t) => t.name === 'Accounts')!;
    const row = toTableRow(accounts, { ID: 'ABC', Code: '             10001', Created: '/Date(1735689600000)/', Division: 310101 }, 310101);
    expect(row.Code).toBe('10001');
    expect(row.Created).toBe(1735689600000);
  });

  it('keeps the highest Timestamp of a row repeated in one sync page', () => {
    const rows = latestVersions(
      [
        { ID: 'a', Timestamp: 10, v: 'old' },
        { ID: 'A', Timestamp: '14', v: 'new' },
        { ID: 'b', Timestamp: 12, v: 'only' },
      ],
      'ID',
    );
    expect(rows.map((r) => r.v)).toEqual(['new', 'only']);
  });

  it('round-trips its cursor and refuses one it does not know', () => {
    const cursor = { ts: 12345678901234567890n, del: 5n, move: null, checked: 1 };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(() => decodeCursor('{"ts":1}')).toThrow(CursorInvalid);
    expect(decodeWatermark(encodeWatermark({ move: 7, ts: 9n, del: 3n }))).toEqual({ move: 7, ts: 9n, del: 3n });
    expect(decodeWatermark('exact-count-modified:1:2')).toBeUndefined();
  });
});
