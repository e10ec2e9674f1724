// Replays what Power BI's OData.Feed (Implementation 2.0) sends, with its exact headers (reference/powerbi.md):
// the service root, $metadata, the $top=1000 preview, and an incremental-refresh partition folded into
// $select + $filter on a DateTimeOffset range, following @odata.nextLink to the end. Every row is checked.
import http from 'node:http';
import { TRANSACTION_LINES } from './fixtures';
import { POWER_BI_HEADERS, pullAll, startFeed, type Feed } from './harness';
import { expectedJson, ge, instant, lt, ordered } from './oracle';

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed({ pageSize: 50 });
});
afterAll(() => feed.close());

const SPECIAL_VALUES = encodeURIComponent('AmountDC gt 1e15 or AmountDC lt -1e15 or AmountDC eq 12.5 or Timestamp eq 9007199254743991');

/** Raw response headers (fetch would merge a repeated header into one). */
function rawHeaders(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    http
      .get(feed.url + path, { headers: POWER_BI_HEADERS }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.rawHeaders));
      })
      .on('error', reject);
  });
}

describe('Power BI, OData.Feed with its own headers', () => {
  it('reads the service root: every table and Administrations, with exactly one OData-Version: 4.0', async () => {
    const response = await feed.get('/acme/exactonline/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/);
    const document = (await response.json()) as { '@odata.context': string; value: { name: string; kind: string; url: string }[] };
    expect(document['@odata.context']).toBe(`${feed.url}/acme/exactonline/$metadata`);
    expect(document.value).toEqual([
      { name: 'TransactionLines', kind: 'EntitySet', url: 'TransactionLines' },
      { name: 'Administrations', kind: 'EntitySet', url: 'Administrations' },
    ]);
    for (const path of ['/acme/exactonline/', '/acme/exactonline/$metadata', '/acme/exactonline/TransactionLines?$top=1', '/acme/exactonline/Nope']) {
      const headers = await rawHeaders(path);
      const versions = headers.filter((_, i) => i % 2 === 1 && headers[i - 1].toLowerCase() === 'odata-version');
      expect(versions).toEqual(['4.0']);
    }
  });

  it('reads $metadata as CSDL XML', async () => {
    const response = await feed.get('/acme/exactonline/$metadata');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(await response.text()).toContain('<EntitySet Name="TransactionLines" EntityType="Ledgerfeed.ExactOnline.TransactionLines"/>');
  });

  it('previews a table with $top=1000: every row of the selected divisions, nothing of the others', async () => {
    const pages = await pullAll(feed, '/acme/exactonline/TransactionLines?$top=1000');
    const rows = pages.flatMap((p) => p.value);
    const expected = ordered(feed.rows.TransactionLines, TRANSACTION_LINES).map((r) => expectedJson(TRANSACTION_LINES, r, false));
    expect(rows).toEqual(expected);
    expect(new Set(rows.map((r) => r.Division))).toEqual(new Set([310101, 310102, 310103]));
    for (const row of rows) {
      expect(row).not.toHaveProperty('@odata.id');
      if (row.Modified !== null) expect(row.Modified).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('pulls an incremental-refresh partition ($select + $filter on a DateTimeOffset range) page by page to the end', async () => {
    const start = '2023-12-01T00:00:00Z';
    const end = '2024-01-01T00:00:00Z';
    const filter = encodeURIComponent(`Modified ge ${start} and Modified lt ${end}`);
    const before = feed.freshness.length;
    const pages = await pullAll(feed, `/acme/exactonline/TransactionLines?$select=Division,ID,Modified,AmountDC&$filter=${filter}`);
    const expected = ordered(
      feed.rows.TransactionLines.filter((r) => ge(instant(r.Modified as string | null), Date.parse(start)) && lt(instant(r.Modified as string | null), Date.parse(end))),
      TRANSACTION_LINES,
    ).map((r) => {
      const full = expectedJson(TRANSACTION_LINES, r, false);
      return { Division: full.Division, ID: full.ID, Modified: full.Modified, AmountDC: full.AmountDC };
    });
    expect(expected.length).toBeGreaterThan(50);
    expect(pages.length).toBe(Math.ceil(expected.length / 50));
    expect(pages.flatMap((p) => p.value)).toEqual(expected);
    for (const page of pages.slice(0, -1)) expect(page['@odata.nextLink']).toContain('$select=Division%2CID%2CModified%2CAmountDC');
    // One freshness check per pull, for every selected division; later pages read the same mirror.
    expect(feed.freshness.slice(before)).toHaveLength(1);
    expect(feed.freshness[before].administrationIds).toHaveLength(3);
  });

  it('keeps big decimals and Int64 values exact in the JSON numbers it sends', async () => {
    const text = await (await feed.get(`/acme/exactonline/TransactionLines?$filter=${SPECIAL_VALUES}`)).text();
    expect(text).toContain('"AmountDC":87654321098765432.19');
    expect(text).toContain('"AmountDC":-87654321098765432.19');
    expect(text).toContain('"Timestamp":9007199254743991');
    expect(text).toContain('"AmountDC":12.50');
  });

  it('sends Int64 and Decimal as strings, saying so, when the client asks for IEEE754Compatible', async () => {
    const response = await feed.get(`/acme/exactonline/TransactionLines?$filter=${SPECIAL_VALUES}`, { ...POWER_BI_HEADERS, Accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' });
    expect(response.headers.get('content-type')).toContain('IEEE754Compatible=true');
    const text = await response.text();
    expect(text).toContain('"AmountDC":"87654321098765432.19"');
    expect(text).toContain('"Timestamp":"9007199254743991"');
  });

  it('accepts $format=json and the Key credential (a Basic password with an empty user name)', async () => {
    const response = await feed.get('/acme/twinfield/Transactions?$format=json&$top=3', { Authorization: POWER_BI_HEADERS.Authorization });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { value: unknown[] }).value).toHaveLength(3);
  });
});
