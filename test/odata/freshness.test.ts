// What the feed asks of the sync engine before answering (which administrations, and cancellation when the
// client leaves) and what it shows of sync status in the Administrations entity set.
import { TRANSACTION_LINES } from './fixtures';
import { POWER_BI_HEADERS, pullAll, startFeed, type Feed } from './harness';

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed();
});
afterAll(() => feed.close());
afterEach(() => {
  feed.failFreshness = null;
});

const lines = '/acme/exactonline/TransactionLines';

/** Codes of the administrations ensureFresh was asked to sync by a request with `filter`. */
async function syncedFor(filter: string, set = lines): Promise<string[] | null> {
  const before = feed.freshness.length;
  const response = await feed.get(`${set}?$filter=${encodeURIComponent(filter)}`);
  expect(response.status).toBe(200);
  await response.text();
  if (feed.freshness.length === before) return null;
  const codes = new Map([...feed.administrationIds].map(([key, id]) => [id, key.split(':')[1]]));
  return feed.freshness[feed.freshness.length - 1].administrationIds.map((id) => codes.get(id) as string).sort();
}

describe('freshness before answering', () => {
  it.each([
    ['Division eq 310102', ['310102']],
    ['310103 eq Division', ['310103']],
    ['Division in (310101, 310103)', ['310101', '310103']],
    ['Division eq 310101 or Division eq 310102', ['310101', '310102']],
    ['(Division eq 310101 or Division in (310103)) and AmountDC gt 0', ['310101', '310103']],
    ['AmountDC gt 0 and Division eq 310102', ['310102']],
    ['Division eq 310101 and Division eq 310102', null],
    ['Division eq 310104', null], // not selected: nothing to sync, and no rows
    ['AmountDC gt 0', ['310101', '310102', '310103']],
    ['Division eq 310101 or AmountDC gt 0', ['310101', '310102', '310103']],
    ['not (Division ne 310101)', ['310101', '310102', '310103']],
  ])('for $filter=%s syncs %j', async (filter, expected) => {
    expect(await syncedFor(filter)).toEqual(expected);
  });

  it('narrows Twinfield by Office the same way', async () => {
    expect(await syncedFor("Office eq 'NLA310102'", '/acme/twinfield/Transactions')).toEqual(['NLA310102']);
    expect(await syncedFor("Office eq 'nla310102'", '/acme/twinfield/Transactions')).toBeNull(); // codes are case-sensitive
  });

  it('asks for the described table, for the workspace of the request', async () => {
    const before = feed.freshness.length;
    await (await feed.get(`${lines}?$top=1`)).text();
    const request = feed.freshness[before];
    expect(request.table).toBe(TRANSACTION_LINES);
    expect(request.signal.aborted).toBe(false);
  });

  it('never syncs for Administrations', async () => {
    const before = feed.freshness.length;
    await pullAll(feed, '/acme/exactonline/Administrations');
    expect(feed.freshness.length).toBe(before);
  });

  it('cancels the sync when the client goes away', async () => {
    let seen: AbortSignal | null = null;
    feed.failFreshness = (request) =>
      new Promise((_resolve, reject) => {
        seen = request.signal;
        request.signal.addEventListener('abort', () => reject(request.signal.reason));
      });
    const client = new AbortController();
    const pending = fetch(feed.url + lines, { headers: POWER_BI_HEADERS, signal: client.signal }).catch((e: Error) => e);
    while (!seen) await new Promise((r) => setTimeout(r, 5));
    client.abort();
    expect(await pending).toHaveProperty('name', 'AbortError');
    const signal = seen as AbortSignal;
    while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    expect(signal.aborted).toBe(true);
    feed.failFreshness = null;
    expect((await feed.get(`${lines}?$top=1`)).status).toBe(200); // the feed carries on
  });
});

describe('Administrations', () => {
  it('shows each administration with its sync status, data-as-of time, last error and row counts', async () => {
    const ids = feed.administrationIds;
    const at = (iso: string) => Date.parse(iso);
    feed.syncStatus.set(ids.get('exactonline:310101') as number, [
      // An old error, healed by a later success.
      { table: 'TransactionLines', rowCount: 60, lastSuccessAt: at('2024-06-01T10:00:00Z'), lastError: { message: 'timeout', at: at('2024-05-01T00:00:00Z') }, failing: false },
    ]);
    feed.syncStatus.set(ids.get('exactonline:310102') as number, [
      { table: 'TransactionLines', rowCount: 60, lastSuccessAt: at('2024-06-01T09:00:00Z'), lastError: { message: 'Exact Online answered 401: token revoked', at: at('2024-06-01T11:00:00Z') }, failing: true },
    ]);
    const pages = await pullAll(feed, '/acme/exactonline/Administrations');
    expect(pages.flatMap((p) => p.value)).toEqual([
      {
        Division: 310101,
        Name: 'Bakkerij De Gouden Korrel B.V.',
        Selected: true,
        Status: 'ok',
        LastSuccessfulSync: '2024-06-01T10:00:00.000Z',
        LastError: 'TransactionLines: timeout',
        LastErrorAt: '2024-05-01T00:00:00.000Z',
        TransactionLinesRows: 60,
      },
      {
        Division: 310102,
        Name: 'Installatiebedrijf Van Dijk',
        Selected: true,
        Status: 'error',
        LastSuccessfulSync: '2024-06-01T09:00:00.000Z',
        LastError: 'TransactionLines: Exact Online answered 401: token revoked',
        LastErrorAt: '2024-06-01T11:00:00.000Z',
        TransactionLinesRows: 60,
      },
      { Division: 310103, Name: 'Hoveniersbedrijf Groen & Co', Selected: true, Status: 'not synced', LastSuccessfulSync: null, LastError: null, LastErrorAt: null, TransactionLinesRows: 0 },
      { Division: 310104, Name: 'Advocatenkantoor Jansen', Selected: false, Status: 'not selected', LastSuccessfulSync: null, LastError: null, LastErrorAt: null, TransactionLinesRows: 0 },
    ]);
  });

  it('answers query options like any entity set', async () => {
    const pages = await pullAll(feed, `/acme/twinfield/Administrations?$filter=${encodeURIComponent('Selected')}&$select=Office,Name&$orderby=Office%20desc`);
    expect(pages.flatMap((p) => p.value)).toEqual([
      { Office: 'NLA310102', Name: 'Installatiebedrijf Van Dijk' },
      { Office: 'NLA310101', Name: 'Bakkerij De Gouden Korrel B.V.' },
    ]);
    const one = await feed.get("/acme/twinfield/Administrations('NLA310103')/Name");
    expect(((await one.json()) as { value: string }).value).toBe('Hoveniersbedrijf Groen & Co');
  });
});
