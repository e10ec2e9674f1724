// Server-driven paging: page size from configuration or Prefer: odata.maxpagesize, next links that carry
// the query on, and keyset continuation, so rows added or removed before the cursor mid-pull neither repeat
// nor push others off the end, as offset paging would.
import { mirrorTableName, quoteIdentifier } from '../../server/src/store/mirror';
import { TRANSACTION_LINES } from './fixtures';
import { API_KEY, POWER_BI_HEADERS, pullAll, startFeed, type Feed, type ODataCollection } from './harness';
import { ordered } from './oracle';

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed({ pageSize: 25 });
});
afterAll(() => feed.close());

const lines = '/acme/exactonline/TransactionLines';

describe('paging', () => {
  it('pages by the configured size and lets the client ask for smaller pages', async () => {
    const configured = await pullAll(feed, lines);
    expect(configured.map((p) => p.value.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 5]);

    const headers = { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=40' };
    const first = await fetch(feed.url + lines, { headers });
    // 40 is larger than the server's page of 25: not applied, so not said to be.
    expect(first.headers.get('preference-applied')).toBeNull();
    const smaller = await fetch(feed.url + lines, { headers: { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=10' } });
    expect(smaller.headers.get('preference-applied')).toBe('odata.maxpagesize=10');
    expect(((await smaller.json()) as ODataCollection).value).toHaveLength(10);
    const exact = await fetch(feed.url + lines, { headers: { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=25' } });
    expect(exact.headers.get('preference-applied')).toBe('odata.maxpagesize=25');
    const preferred = await pullAll(feed, lines, headers);
    // Never above the configured size, whatever the client prefers.
    expect(preferred.map((p) => p.value.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 5]);
    const larger = await pullAll(feed, lines, { ...POWER_BI_HEADERS, Prefer: 'return=minimal, odata.maxpagesize=60' });
    expect(larger[0].value).toHaveLength(25);
    const four = await pullAll(feed, `${lines}?$top=10`, { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=4' });
    expect(four.map((p) => p.value.length)).toEqual([4, 4, 2]);
  });

  it('carries $filter, $select, $orderby and $count into next links, but not $top or $skip', async () => {
    const filter = encodeURIComponent("GLAccountCode ne '1300'");
    const pages = await pullAll(feed, `${lines}?$filter=${filter}&$select=ID,Description&$orderby=Description%20desc&$count=true&$skip=2&$top=60`);
    const next = new URL(pages[0]['@odata.nextLink'] as string);
    expect(next.searchParams.get('$filter')).toBe("GLAccountCode ne '1300'");
    expect(next.searchParams.get('$select')).toBe('ID,Description');
    expect(next.searchParams.get('$orderby')).toBe('Description desc');
    expect(next.searchParams.get('$count')).toBe('true');
    expect(next.searchParams.has('$top')).toBe(false);
    expect(next.searchParams.has('$skip')).toBe(false);
    expect(pages.flatMap((p) => p.value)).toHaveLength(60);
  });

  it('neither repeats nor loses rows when rows before the cursor change between pages', async () => {
    const own = await startFeed(); // its mirror is changed mid-pull
    try {
      const headers = { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=10' };
      const url = `${lines}?$orderby=${encodeURIComponent('Description,AmountDC desc')}`;
      const first = (await (await fetch(own.url + url, { headers })).json()) as ODataCollection;
      const seen = new Set(first.value.map((r) => r.ID));
      // Delete three rows already delivered and add one that sorts before the cursor (no description, the largest amount).
      const table = quoteIdentifier(mirrorTableName(TRANSACTION_LINES));
      own.db.prepare(`DELETE FROM ${table} WHERE "ID" IN (?, ?, ?)`).run(...first.value.slice(0, 3).map((r) => r.ID as string));
      own.db
        .prepare(`INSERT INTO ${table} (_administration_id, _hash, "Division", "ID", "EntryNumber", "Date", "AmountDC", "Timestamp", "GLAccountCode") VALUES (?, 'h', 310101, ?, 1, '2024-01-01', 999999999999, 1, '1300')`)
        .run(own.administrationIds.get('exactonline:310101'), '00000000-0000-4000-a000-000000000001');
      const rest: Record<string, unknown>[] = [];
      let next = first['@odata.nextLink'];
      while (next) {
        const page = (await (await fetch(next, { headers })).json()) as ODataCollection;
        rest.push(...page.value);
        next = page['@odata.nextLink'];
      }
      for (const row of rest) expect(seen.has(row.ID)).toBe(false);
      expect(seen.size + rest.length).toBe(own.rows.TransactionLines.length);
    } finally {
      await own.close();
    }
  });

  it('continues in key order after the last row, even with nothing but the key to order by', async () => {
    const pages = await pullAll(feed, lines, { ...POWER_BI_HEADERS, Prefer: 'odata.maxpagesize=7' });
    expect(pages.flatMap((p) => p.value.map((r) => r.ID))).toEqual(ordered(feed.rows.TransactionLines, TRANSACTION_LINES).map((r) => r.ID));
  });

  it('refuses a skip token from another ordering, a forged one, and $skip beside it', async () => {
    const page = (await (await feed.get(`${lines}?$orderby=AmountDC`)).json()) as ODataCollection;
    const token = new URL(page['@odata.nextLink'] as string).searchParams.get('$skiptoken') as string;
    const headers = { Authorization: `Bearer ${API_KEY}` };
    expect((await fetch(`${feed.url}${lines}?$orderby=Description&$skiptoken=${token}`, { headers })).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ f: 'x', k: [1, 2, 3], r: null })).toString('base64url');
    expect((await fetch(`${feed.url}${lines}?$skiptoken=${forged}`, { headers })).status).toBe(400);
    expect((await fetch(`${feed.url}${lines}?$orderby=AmountDC&$skiptoken=${token}&$skip=1`, { headers })).status).toBe(400);
    expect((await fetch(`${feed.url}${lines}?$orderby=AmountDC&$skiptoken=${token}`, { headers })).status).toBe(200);
  });
});
