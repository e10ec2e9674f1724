// The Twinfield tables against the simulator: transaction lines loaded a book year per request and then followed
// through inserts, updates and deletions exactly; annual report totals that agree with the ledger; every row in a
// form the mirror accepts; and a second sync with nothing changed that costs at most two calls per office and table.
import { SyncEngine } from '../../../server/src/sync';
import type { ChangeBatch, RowMatch, UpstreamRow } from '../../../server/src/sources/connector';
import { TWINFIELD_TABLES, TwinfieldConnector, twinfieldTable, type TwinfieldTable } from '../../../server/src/sources/twinfield';
import { browseRequest, readBrowse } from '../../../server/src/sources/twinfield/browse';
import { browseFields, browseRows } from '../../../server/src/sources/twinfield/browse-rows';
import { decimalToScaled, toStored } from '../../../server/src/tables/values';
import { validateTable } from '../../../server/src/tables/description';
import type { Administration, Connection } from '../../../server/src/store/connections';
import { collect, connect, control, fetchContext, resetStats, startHarness, stats, type Harness } from './harness';

const table = (name: string) => twinfieldTable(name)!;

/** The mirror a test keeps: rows by key, changed as the engine would apply batches. */
class MemoryMirror {
  readonly rows = new Map<string, UpstreamRow>();
  constructor(private readonly table: TwinfieldTable) {}

  apply(batch: ChangeBatch): void {
    for (const match of batch.deletes) {
      for (const [id, row] of this.rows) if (matches(this.table, row, match)) this.rows.delete(id);
    }
    for (const row of batch.upserts) this.rows.set(keyOf(this.table, row), row);
  }
}

const stored = (t: TwinfieldTable, name: string, value: unknown) => toStored(t.columns.find((c) => c.name === name)!, value);
const keyOf = (t: TwinfieldTable, row: UpstreamRow) => JSON.stringify(t.key.map((k) => stored(t, k, row[k])));
const matches = (t: TwinfieldTable, row: UpstreamRow, match: RowMatch) => Object.entries(match).every(([k, v]) => stored(t, k, row[k]) === stored(t, k, v));
const normalized = (t: TwinfieldTable, row: UpstreamRow) => Object.fromEntries(t.columns.map((c) => [c.name, String(toStored(c, row[c.name]))]));

function sums(t: TwinfieldTable, rows: Iterable<UpstreamRow>): Record<string, string> {
  const totals: Record<string, bigint> = {};
  for (const c of t.columns.filter((c) => c.type === 'Edm.Decimal')) totals[c.name] = 0n;
  for (const row of rows) for (const name of Object.keys(totals)) if (row[name] !== null && row[name] !== undefined) totals[name] += BigInt(decimalToScaled(String(row[name]), 4));
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.toString()]));
}

describe('Twinfield tables', () => {
  let h: Harness;
  let connection: Connection;
  let admins: Administration[];
  beforeAll(async () => {
    // A short fair-use "minute": a first sync of every table spends more than a real minute's 500 credits.
    h = await startHarness({ simulator: { rows: 300, minuteMs: 1000 } });
    connection = await connect(h);
    admins = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
  });
  afterAll(async () => {
    await h.close();
  });

  /** The simulator's browse of everything (every year, one request) for a table and office. */
  async function everything(t: TwinfieldTable, admin: Administration): Promise<Map<string, UpstreamRow>> {
    const upstream = t.upstream as Extract<TwinfieldTable['upstream'], { kind: 'transactions' }>;
    const client = h.source.clients.forConnection(connection.id);
    const result = await client.processXml(
      admin.code,
      browseRequest({ code: upstream.browseCode, fields: browseFields(upstream.columns), criteria: [{ field: 'fin.trs.head.status', operator: 'equal', from: 'normal' }] }),
      'browsing everything',
    );
    const rows = browseRows(t, upstream.columns, readBrowse(result.element), admin.code, 'browsing everything');
    return new Map(rows.map((row) => [keyOf(t, row), row]));
  }

  function expectSame(t: TwinfieldTable, actual: Map<string, UpstreamRow>, expected: Map<string, UpstreamRow>): void {
    expect(actual.size).toBe(expected.size);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(sums(t, actual.values())).toEqual(sums(t, expected.values()));
    for (const [id, row] of expected) expect(normalized(t, actual.get(id)!)).toEqual(normalized(t, row));
  }

  it.each([
    ['GeneralLedgerTransactions', 0],
    ['CustomerTransactions', 1],
    ['SupplierTransactions', 2],
  ])('loads %s a book year per request, then follows inserts, updates and deletions exactly', async (name, index) => {
    const t = table(name);
    const admin = admins[index];
    const mirror = new MemoryMirror(t);

    const first = fetchContext(admin);
    const load = await collect(h.source.connector.changes(t, first, null));
    load.forEach((b) => mirror.apply(b));
    // One call finds the book years (2025, 2026), then one browse per year.
    expect(first.calls).toBe(3);
    const years = load.map((b) => new Set(b.upserts.map((r) => r.Year)));
    expect(years.filter((y) => y.size > 0).every((y) => y.size === 1)).toBe(true);
    const cursor = JSON.parse(load[load.length - 1].cursor) as { v: number; since: number; years?: number[] };
    expect(cursor).toEqual({ v: 1, since: expect.any(Number) });
    expectSame(t, mirror.rows, await everything(t, admin));

    const simulation = await control<{ inserted: unknown[]; updated: unknown[]; deleted: unknown[] }>(h, '/_simulate', { administration: admin.code, insert: 4, update: 5, delete: 3 });
    expect(simulation.deleted).toHaveLength(3);
    const before = mirror.rows.size;
    const second = fetchContext(admin);
    const changes = await collect(h.source.connector.changes(t, second, load[load.length - 1].cursor));
    expect(second.calls).toBe(2);
    changes.forEach((b) => mirror.apply(b));
    const expected = await everything(t, admin);
    expect(expected.size).not.toBe(before);
    expectSame(t, mirror.rows, expected);

    // Nothing changed since: the same two calls, and the mirror stays exact.
    const third = fetchContext(admin);
    const again = await collect(h.source.connector.changes(t, third, changes[changes.length - 1].cursor));
    again.forEach((b) => mirror.apply(b));
    expect(third.calls).toBe(2);
    expectSame(t, mirror.rows, await everything(t, admin));
  });

  it('resumes a first load from a cursor that still lists book years to load', async () => {
    const t = table('GeneralLedgerTransactions');
    const admin = admins[5];
    const ctx = fetchContext(admin);
    const batches = await collect(h.source.connector.changes(t, ctx, JSON.stringify({ v: 1, since: h.clock.now(), years: [2026] })));
    expect(ctx.calls).toBe(1);
    expect(new Set(batches.flatMap((b) => b.upserts.map((r) => r.Year)))).toEqual(new Set(['2026']));
    expect(JSON.parse(batches[batches.length - 1].cursor)).toEqual({ v: 1, since: expect.any(Number) });
  });

  it('catches a change Twinfield stamped before the last sync began, thanks to the safety overlap', async () => {
    // Ledgerfeed's clock runs 4 minutes ahead of Twinfield's: a change made after the last sync carries a
    // `fin.trs.head.modified` (and a deletion date) older than the cursor's `since`. The 10-minute overlap catches
    // both; without the overlap the same request misses them — the mirror would keep a stale line for good.
    const t = table('GeneralLedgerTransactions');
    const admin = admins[6];
    const ahead = { now: () => h.clock.now() + 4 * 60_000 };
    const withOverlap = new TwinfieldConnector(h.source.clients, ahead);
    const withoutOverlap = new TwinfieldConnector(h.source.clients, ahead, { overlapMs: 0 });
    const load = await collect(withOverlap.changes(t, fetchContext(admin), null));
    const cursor = load[load.length - 1].cursor;
    expect(JSON.parse(cursor).since).toBeGreaterThan(h.clock.now());

    const simulation = await control<{ updated: { code: string; number: number }[]; deleted: { code: string; number: number }[] }>(h, '/_simulate', { administration: admin.code, update: 2, delete: 1 });
    const changedNumbers = (batches: ChangeBatch[]) => new Set(batches.flatMap((b) => b.upserts.map((r) => `${r.JournalCode} ${r.EntryNumber}`)));
    const deletedNumbers = (batches: ChangeBatch[]) => new Set(batches.flatMap((b) => b.deletes.map((d) => `${d.JournalCode} ${d.EntryNumber}`)));
    const updated = simulation.updated.map((c) => `${c.code} ${c.number}`);
    const deleted = simulation.deleted.map((c) => `${c.code} ${c.number}`);

    const missed = await collect(withoutOverlap.changes(t, fetchContext(admin), cursor));
    expect(updated.filter((u) => changedNumbers(missed).has(u))).toEqual([]);
    expect(deleted.filter((d) => deletedNumbers(missed).has(d))).toEqual([]);

    const caught = await collect(withOverlap.changes(t, fetchContext(admin), cursor));
    expect(updated.filter((u) => changedNumbers(caught).has(u))).toEqual(updated);
    expect(deleted.filter((d) => deletedNumbers(caught).has(d))).toEqual(deleted);
    const mirror = new MemoryMirror(t);
    [...load, ...caught].forEach((b) => mirror.apply(b));
    expectSame(t, mirror.rows, await everything(t, admin));
  });

  it('asks for a reload (CursorInvalid) for a cursor it cannot continue', async () => {
    const t = table('GeneralLedgerTransactions');
    await expect(collect(h.source.connector.changes(t, fetchContext(admins[5]), 'not json'))).rejects.toMatchObject({ name: 'CursorInvalid' });
    await expect(collect(h.source.connector.changes(t, fetchContext(admins[5]), JSON.stringify({ v: 1, since: h.clock.now() - 400 * 86_400_000 })))).rejects.toMatchObject({ name: 'CursorInvalid' });
  });

  it('gives annual report totals that agree with the general ledger lines per account and period', async () => {
    const admin = admins[0];
    const totals = (await collect(h.source.connector.snapshot(table('AnnualReportTotals'), fetchContext(admin)))).flat();
    const lines = await everything(table('GeneralLedgerTransactions'), admin);
    const byPeriod = (rows: Iterable<UpstreamRow>) => {
      const out = new Map<string, bigint>();
      for (const r of rows) {
        const id = `${r.GLAccount}|${r.Year}|${r.Period}`;
        out.set(id, (out.get(id) ?? 0n) + BigInt(decimalToScaled(String(r.BaseAmount), 2)));
      }
      return out;
    };
    expect(totals.length).toBeGreaterThan(50);
    expect(byPeriod(totals)).toEqual(byPeriod(lines.values()));
  });

  it('describes every table validly and hands over only rows the mirror accepts', async () => {
    expect(TWINFIELD_TABLES.map((t) => t.name)).toEqual([
      'Offices',
      'GeneralLedgerTransactions',
      'CustomerTransactions',
      'SupplierTransactions',
      'AnnualReportTotals',
      'GeneralLedgerAccounts',
      'Customers',
      'Suppliers',
      'CostCenters',
      'Projects',
    ]);
    const admin = admins[3];
    for (const t of TWINFIELD_TABLES) {
      expect(validateTable(t)).toEqual([]);
      expect(t.key[0]).toBe('Office');
      const rows =
        t.sync === 'full'
          ? (await collect(h.source.connector.snapshot(t, fetchContext(admin)))).flat()
          : (await collect(h.source.connector.changes(t, fetchContext(admin), null))).flatMap((b) => b.upserts);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.Office).toBe(admin.code);
        for (const column of t.columns) expect(() => toStored(column, row[column.name])).not.toThrow();
        for (const k of t.key) expect(row[k] === null || row[k] === undefined).toBe(false);
      }
      expect(new Set(rows.map((r) => keyOf(t, r))).size).toBe(rows.length);
    }
    const customers = (await collect(h.source.connector.snapshot(table('Customers'), fetchContext(admin)))).flat();
    expect(customers.some((c) => c.Hidden === true)).toBe(true);
    expect(customers.every((c) => typeof c.Country === 'string' && typeof c.PaymentDays === 'number')).toBe(true);
    const accounts = (await collect(h.source.connector.snapshot(table('GeneralLedgerAccounts'), fetchContext(admin)))).flat();
    expect(new Set(accounts.map((a) => a.Type))).toEqual(new Set(['BAS', 'PNL']));
  });

  it('syncs every table through the engine, and a second sync with nothing changed costs at most 2 calls per office and table', async () => {
    // Past the safety overlap of the changes the other tests simulated.
    h.clock.advance(11 * 60_000);
    const engine = new SyncEngine({ db: h.db, config: { maxParallel: 8, maxStalenessSeconds: 0, serveStaleOnError: false }, connectors: [h.source.connector], clock: h.clock });
    try {
      const first = await engine.syncWorkspace({ workspaceId: h.workspaceId, source: 'twinfield' });
      expect(first.results.filter((r) => r.outcome !== 'synced').map((r) => `${r.table} ${r.administration.code}: ${r.error?.message}`)).toEqual([]);
      expect(first.results).toHaveLength(TWINFIELD_TABLES.length * admins.length);
      const lines = first.results.filter((r) => r.table === 'GeneralLedgerTransactions').reduce((n, r) => n + r.rowCount, 0);
      expect(lines).toBeGreaterThan(8 * 250);

      await resetStats(h);
      const second = await engine.syncWorkspace({ workspaceId: h.workspaceId, source: 'twinfield' });
      expect(second.failed).toBe(0);
      for (const r of second.results) {
        expect(r.pages).toBeLessThanOrEqual(2);
        expect(r.mode).toBe(TWINFIELD_TABLES.find((t) => t.name === r.table)!.sync === 'full' ? 'unchanged' : 'incremental');
      }
      const after = await stats(h);
      for (const admin of admins) expect(after.administrations[admin.code].requests).toBeLessThanOrEqual(2 * (TWINFIELD_TABLES.length - 1));
      // The office list is one call for the whole connection.
      expect(after.requests).toBeLessThanOrEqual(admins.length * 2 * (TWINFIELD_TABLES.length - 1) + 1);
    } finally {
      engine.close();
    }
  });
});
