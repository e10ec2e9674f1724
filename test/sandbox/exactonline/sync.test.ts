// Contract of the simulated Exact Online sync API: Timestamp cursors, duplicate IDs after updates, sync/Deleted
// with its two-month retention, and a division move that makes every stored cursor meaningless.
import { DAY } from '../../../server/src/clock';
import { POSTING } from '../../../server/src/sandbox/demo/ledger';
import { apiGet, control, dateOf, exactErrorMessage, getCollection, login, pullAll, startSandbox, type JsonRow, type Sandbox } from './harness';

let sb: Sandbox;
let token: string;
beforeAll(async () => {
  sb = await startSandbox({ administrations: 3, rows: 1300, minutelyLimit: 100_000, dailyLimit: 100_000 });
  token = (await login(sb.base)).access_token;
});
afterAll(() => sb.close());

const url = (division: number, path: string, query: string) => `${sb.api}/${division}/${path}?${query}`;
const LINES = 'sync/Financial/TransactionLines';
const ts = (row: JsonRow) => Number(row.Timestamp);
const maxTs = (rows: JsonRow[]) => rows.reduce((m, r) => Math.max(m, ts(r)), 0);
const cents = (n: unknown) => Math.round(Number(n) * 100);

async function simulate(body: Record<string, unknown>): Promise<{ inserted: { lines: string[] }; updated: { lines: string[]; entries: string[] }; deleted: { lines: string[]; entries: string[] } }> {
  const response = await control(sb.base, '_simulate', body);
  expect(response.status).toBe(200);
  return (await response.json()) as Awaited<ReturnType<typeof simulate>>;
}

/** What a client's mirror holds after applying sync rows (highest Timestamp wins) and deletions. */
function apply(mirror: Map<string, JsonRow>, rows: JsonRow[], deletedKeys: string[] = []): void {
  for (const row of rows) {
    const held = mirror.get(row.ID as string);
    if (!held || ts(held) < ts(row)) mirror.set(row.ID as string, row);
  }
  for (const key of deletedKeys) mirror.delete(key);
}

describe('the sync API', () => {
  it('serves every line once from Timestamp gt 1, 1000 a page, in Timestamp order', async () => {
    const { rows, pages } = await pullAll(url(310101, LINES, '$filter=Timestamp gt 1L&$select=ID,AmountDC,Timestamp'), token);
    expect(pages).toEqual([1000, 300]);
    const stamps = rows.map(ts);
    expect(stamps.every((t, i) => i === 0 || t > stamps[i - 1])).toBe(true);
    expect(rows.map((r) => r.ID).sort()).toEqual([...sb.sim.ledgers[0].lines()].map((l) => l.id).sort());
    const meta = rows[0].__metadata as { uri: string; type: string };
    expect(meta.uri).toBe(`${sb.api}/310101/${LINES}(${rows[0].Timestamp}L)`);
    expect(meta.type).toBe('Exact.Web.Api.Models.Sync.Financial.TransactionLine');
  });

  it('serialises Timestamp as a JSON number in 310101 and as a JSON string in 310102', async () => {
    const odd = await getCollection(url(310101, LINES, '$filter=Timestamp gt 1L&$select=Timestamp&$top=1'), token);
    expect(typeof odd.d.results[0].Timestamp).toBe('number');
    const even = await getCollection(url(310102, LINES, '$filter=Timestamp gt 1L&$select=Timestamp&$top=1'), token);
    expect(typeof even.d.results[0].Timestamp).toBe('string');
    expect(even.d.results[0].Timestamp).toMatch(/^\d+$/);
  });

  it('uses Timestamps beyond 32 bits, as SQL rowversions are', async () => {
    const body = await getCollection(url(310101, LINES, '$filter=Timestamp gt 1L&$select=Timestamp&$top=1'), token);
    expect(ts(body.d.results[0])).toBeGreaterThan(2 ** 32);
    expect(Number.isSafeInteger(ts(body.d.results[0]))).toBe(true);
  });

  it('accepts $filter on Timestamp only, and neither $orderby nor $skip', async () => {
    const other = await apiGet(url(310101, LINES, '$filter=Timestamp gt 1L and FinancialYear eq 2025&$select=ID'), token);
    expect(other.status).toBe(400);
    expect(await exactErrorMessage(other)).toMatch(/Timestamp/);
    expect((await apiGet(url(310101, LINES, '$filter=Timestamp gt 1L&$select=ID&$orderby=ID'), token)).status).toBe(400);
    expect((await apiGet(url(310101, LINES, '$filter=Timestamp gt 1L&$select=ID&$skip=5'), token)).status).toBe(400);
  });

  it('asks for $select on sync endpoints', async () => {
    const response = await apiGet(url(310101, LINES, '$filter=Timestamp gt 1L'), token);
    expect(response.status).toBe(400);
    expect(await exactErrorMessage(response)).toBe('Please add a $select or a $top=1 statement to the query string.');
  });

  it('lists every row of the other sync endpoints', async () => {
    const l = sb.sim.ledgers[0];
    const cases: [string, string[]][] = [
      ['sync/Financial/GLAccounts', l.glAccounts.map((a) => a.id)],
      ['sync/CRM/Accounts', [...l.customers, ...l.suppliers].map((r) => r.id)],
      ['sync/Logistics/Items', l.items.map((i) => i.id)],
      ['sync/Project/Projects', l.projects.map((p) => p.id)],
      ['sync/Cashflow/PaymentTerms', [...l.lines()].filter((x) => x.relation && (x.glAccount === POSTING.receivables || x.glAccount === POSTING.payables)).map((x) => x.id)],
    ];
    for (const [path, expected] of cases) {
      const { rows } = await pullAll(url(310101, path, '$filter=Timestamp gt 1L&$select=ID,Timestamp'), token);
      expect(rows.map((r) => r.ID).sort()).toEqual(expected.sort());
    }
    const invoices = await pullAll(url(310101, 'sync/SalesInvoice/SalesInvoices', '$filter=Timestamp gt 1L&$select=InvoiceID,Timestamp'), token);
    expect(invoices.rows.map((r) => r.InvoiceID).sort()).toEqual([...l.entries.values()].filter((e) => e.kind === 'sales').map((e) => e.invoiceId).sort());
  });
});

describe('incremental sync after changes', () => {
  it('serves inserts and updates above the cursor, updated rows twice (older first), and deletions in sync/Deleted', async () => {
    const select = '$select=ID,AmountDC,Description,Timestamp';
    const full = await pullAll(url(310101, LINES, `$filter=Timestamp gt 1L&${select}`), token);
    const mirror = new Map<string, JsonRow>();
    apply(mirror, full.rows);
    const cursor = maxTs(full.rows);
    const deletedBefore = await pullAll(url(310101, 'sync/Deleted', '$filter=Timestamp gt 1L&$select=EntityKey,Timestamp'), token);
    const deletedCursor = Math.max(1, maxTs(deletedBefore.rows));

    const change = await simulate({ administration: 310101, insert: 2, update: 3, delete: 2 });
    expect(change.updated.lines.length).toBeGreaterThan(0);

    const delta = await pullAll(url(310101, LINES, `$filter=Timestamp gt ${cursor}L&${select}`), token);
    expect(delta.rows.every((r) => ts(r) > cursor)).toBe(true);
    const seen = new Set(delta.rows.map((r) => r.ID));
    for (const id of [...change.inserted.lines, ...change.updated.lines]) expect(seen.has(id)).toBe(true);
    for (const id of change.updated.lines) {
      const versions = delta.rows.filter((r) => r.ID === id);
      expect(versions).toHaveLength(2);
      expect(ts(versions[0])).toBeLessThan(ts(versions[1]));
      expect(versions[0].Description).not.toBe(versions[1].Description);
    }

    const deleted = await pullAll(url(310101, 'sync/Deleted', `$filter=Timestamp gt ${deletedCursor}L&$select=ID,EntityKey,EntityType,DeletedBy,DeletedDate,Division,Timestamp`), token);
    const deletedLines = deleted.rows.filter((r) => r.EntityType === 1).map((r) => r.EntityKey);
    expect(deletedLines.sort()).toEqual([...change.deleted.lines].sort());
    for (const row of deleted.rows) {
      expect(row.Division).toBe(310101);
      expect(row.DeletedBy).toMatch(/^[0-9a-f-]{36}$/);
      expect(dateOf(row.DeletedDate)).toBeLessThanOrEqual(sb.clock.now());
      expect([1, 10, 13]).toContain(row.EntityType);
    }

    apply(mirror, delta.rows, deleted.rows.filter((r) => r.EntityType === 1).map((r) => r.EntityKey as string));
    const truth = new Map([...sb.sim.ledgers[0].lines()].map((l) => [l.id, l]));
    expect([...mirror.keys()].sort()).toEqual([...truth.keys()].sort());
    for (const [id, row] of mirror) {
      expect(cents(row.AmountDC)).toBe(truth.get(id)!.amount);
      expect(row.Description).toBe(truth.get(id)!.description);
    }
  });

  it('rejects a _simulate for a division the sandbox does not have', async () => {
    expect((await control(sb.base, '_simulate', { administration: 999999, insert: 1 })).status).toBe(404);
    expect((await control(sb.base, '_simulate', { administration: 310101, insert: -1 })).status).toBe(400);
  });
});

describe('a division move', () => {
  it('sets DivisionMoveDate and renumbers Timestamps below the old maximum, so an old cursor misses new rows', async () => {
    const before = await pullAll(url(310102, LINES, '$filter=Timestamp gt 1L&$select=ID,Timestamp'), token);
    const oldCursor = maxTs(before.rows);

    const moved = (await (await control(sb.base, '_simulate', { administration: 310102, moveDivision: true })).json()) as { divisionMoveDate: number; maxTimestampAfter: number };
    expect(moved.maxTimestampAfter).toBeLessThan(oldCursor);
    const divisions = await getCollection(`${sb.api}/310101/system/Divisions`, token);
    const division = divisions.d.results.find((d) => d.Code === 310102)!;
    expect(dateOf(division.DivisionMoveDate)).toBe(moved.divisionMoveDate);
    expect(divisions.d.results.find((d) => d.Code === 310101)!.DivisionMoveDate).toBeNull();

    const change = await simulate({ administration: 310102, insert: 3 });
    const stale = await pullAll(url(310102, LINES, `$filter=Timestamp gt ${oldCursor}L&$select=ID,Timestamp`), token);
    expect(stale.rows).toHaveLength(0);

    const resync = await pullAll(url(310102, LINES, '$filter=Timestamp gt 1L&$select=ID,Timestamp'), token);
    expect(maxTs(resync.rows)).toBeLessThan(oldCursor);
    const ids = new Set(resync.rows.map((r) => r.ID));
    for (const id of change.inserted.lines) expect(ids.has(id)).toBe(true);
    expect(resync.rows).toHaveLength(sb.sim.ledgers[1].lineCount());
  });
});

describe('sync/Deleted retention', () => {
  it('forgets deletions older than two months', async () => {
    const change = await simulate({ administration: 310103, delete: 1 });
    const query = '$filter=Timestamp gt 1L&$select=EntityKey,Timestamp';
    const now = await pullAll(url(310103, 'sync/Deleted', query), token);
    expect(now.rows.map((r) => r.EntityKey)).toEqual(expect.arrayContaining(change.deleted.lines));

    sb.clock.advance(58 * DAY);
    token = (await login(sb.base)).access_token;
    expect((await pullAll(url(310103, 'sync/Deleted', query), token)).rows.length).toBeGreaterThan(0);

    sb.clock.advance(5 * DAY);
    token = (await login(sb.base)).access_token;
    expect((await pullAll(url(310103, 'sync/Deleted', query), token)).rows).toHaveLength(0);
  });
});
