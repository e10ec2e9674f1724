// The Exact Online connector against the simulator's quirks: every table's rows are accepted by the mirror,
// Timestamps arrive as numbers in some divisions and strings in others, sync batches repeat updated rows,
// deletions come from sync/Deleted, a division move or a cursor beyond the deletion log's two months voids the
// cursor, and a second sync with nothing changed costs at most two calls per table and division.
import { DAY, SECOND } from '../../../server/src/clock';
import { CursorInvalid, type FetchContext } from '../../../server/src/sources/connector';
import { decodeCursor, encodeCursor } from '../../../server/src/sources/exactonline';
import type { Connection } from '../../../server/src/store/connections';
import { columnOf, type TableDescription } from '../../../server/src/tables/description';
import { toStored } from '../../../server/src/tables/values';
import { collectChanges, collectSnapshot, rejectionOf, startWorld, table, type World } from './harness';

let w: World;
let connection: Connection;

beforeAll(async () => {
  // A first load of every table plus a second pass is more than 60 calls for one division: pacing is tested elsewhere.
  w = await startWorld({ sim: { rows: 150, minutelyLimit: 1000 } });
  connection = await w.connect();
});
afterAll(async () => {
  await w.close();
});

function ctx(code: number, pages?: { count: number }): FetchContext {
  return w.context(w.administration(connection, code), pages);
}

/** All rows a first sync of the table stores for the division. */
async function firstLoad(t: TableDescription, division: number) {
  return t.sync === 'exact-sync' ? (await collectChanges(w, t, ctx(division), null)).upserts : collectSnapshot(w, t, ctx(division));
}

async function requestsOf(division: number): Promise<number> {
  return (await w.stats()).administrations[String(division)]?.requests ?? 0;
}

describe('Exact Online tables', () => {
  it.each([310101, 310102])("gives every table's rows in values the mirror accepts (division %i)", async (division) => {
    for (const t of w.exact.connector.tables) {
      const rows = await firstLoad(t, division);
      expect({ table: t.name, empty: rows.length === 0 }).toEqual({ table: t.name, empty: false });
      for (const row of rows) {
        for (const column of t.columns) expect(() => toStored(column, row[column.name])).not.toThrow();
        for (const key of t.key) expect(row[key]).not.toBeNull();
        expect(row.Division).toBe(division);
      }
      if (columnOf(t, 'Timestamp')) {
        // Numbers in 310101, strings in 310102: stored alike, as integers beyond 32 bits.
        expect(rows.every((r) => typeof toStored(columnOf(t, 'Timestamp')!, r.Timestamp) === 'number' && Number(r.Timestamp) > 2 ** 32)).toBe(true);
      }
    }
  });

  it('matches the books: every transaction line once, amounts exact, relation codes trimmed', async () => {
    const ledger = w.sim.ledgers[0];
    const lines = await firstLoad(table(w, 'TransactionLines'), 310101);
    const expected = [...ledger.entries.values()].flatMap((e) => e.lines);
    expect(new Set(lines.map((l) => l.ID)).size).toBe(expected.length);
    const amountColumn = columnOf(table(w, 'TransactionLines'), 'AmountDC')!;
    const byId = new Map(expected.map((l) => [l.id, l]));
    for (const line of lines) expect(toStored(amountColumn, line.AmountDC)).toBe(byId.get(String(line.ID))!.amount * 100);
    const accounts = await firstLoad(table(w, 'Accounts'), 310101);
    expect(accounts.every((a) => typeof a.Code === 'string' && a.Code === a.Code.trim() && a.Code !== '')).toBe(true);
    expect(lines.filter((l) => l.AccountCode !== null).every((l) => !String(l.AccountCode).startsWith(' '))).toBe(true);
  });

  it('discovers the divisions of a login by their names', async () => {
    const found = await w.exact.connector.discoverAdministrations(connection.id);
    expect(found.map((a) => a.code)).toEqual(w.sim.ledgers.map((l) => String(l.info.division)));
    expect(found[0]).toEqual(expect.objectContaining({ name: w.sim.ledgers[0].info.name, extra: expect.objectContaining({ divisionMoveDate: null }) }));
  });

  it('reports progress page by page', async () => {
    const pages = { count: 0 };
    for await (const page of w.exact.connector.snapshot(table(w, 'ReportingBalance'), ctx(310101, pages))) expect(page.length).toBeLessThanOrEqual(60);
    expect(pages.count).toBeGreaterThan(1);
  });
});

describe('Exact Online incremental sync', () => {
  it('takes each updated row once at its newest version, new rows, and deletions from sync/Deleted', async () => {
    const lines = table(w, 'TransactionLines');
    const invoices = table(w, 'SalesInvoices');
    const first = await collectChanges(w, lines, ctx(310104), null);
    const invoiceCursor = (await collectChanges(w, invoices, ctx(310104), null)).cursor;
    const deletionsBefore = w.sim.ledgers[3].deletions.length;
    const report = (await w.control('_simulate', { administration: 310104, insert: 2, update: 3, delete: 2 })) as {
      inserted: { lines: string[] };
      updated: { lines: string[] };
      deleted: { lines: string[] };
    };

    // The raw sync stream repeats every updated line (previous version first).
    const client = w.exact.logins.forConnection(connection.id);
    const since = decodeCursor(first.cursor!).ts;
    const raw = await client.all(310104, 'sync/Financial/TransactionLines', { $filter: `Timestamp gt ${since}L`, $select: 'ID,Timestamp' });
    expect(raw).toHaveLength(2 * report.updated.lines.length + report.inserted.lines.length);

    const next = await collectChanges(w, lines, ctx(310104), first.cursor);
    const ids = next.upserts.map((r) => String(r.ID));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...report.updated.lines, ...report.inserted.lines]));
    for (const row of next.upserts) {
      const newest = raw.filter((r) => r.ID === row.ID).map((r) => BigInt(String(r.Timestamp)));
      expect(BigInt(String(row.Timestamp))).toBe(newest.reduce((a, b) => (a > b ? a : b)));
    }
    expect(new Set(next.deletes.map((d) => d.ID))).toEqual(new Set(report.deleted.lines));
    expect(decodeCursor(next.cursor!).ts).toBeGreaterThan(since);

    const invoicesDeleted = w.sim.ledgers[3].deletions.slice(deletionsBefore).flatMap((d) => (d.invoiceId ? [d.invoiceId] : []));
    expect(invoicesDeleted.length).toBeGreaterThan(0);
    const invoiceChanges = await collectChanges(w, invoices, ctx(310104), invoiceCursor);
    expect(invoiceChanges.deletes.map((d) => d.InvoiceID).sort()).toEqual([...invoicesDeleted].sort());

    // Nothing more to take: an empty pass that keeps the cursor where it was.
    const again = await collectChanges(w, lines, ctx(310104), next.cursor);
    expect(again.upserts).toEqual([]);
    expect(again.deletes).toEqual([]);
    expect(decodeCursor(again.cursor!).ts).toBe(decodeCursor(next.cursor!).ts);
  });

  it('voids the cursor when Exact moved the division to another database', async () => {
    const accounts = table(w, 'GLAccounts');
    const first = await collectChanges(w, accounts, ctx(310106), null);
    await w.control('_simulate', { administration: 310106, moveDivision: true });
    w.clock.advance(61 * SECOND); // past the reuse of the divisions list
    const err = await rejectionOf(collectChanges(w, accounts, ctx(310106), first.cursor));
    expect(err).toBeInstanceOf(CursorInvalid);
    expect(err.message).toContain('moved division 310106');
    // Started over, the new cursor continues normally.
    const reload = await collectChanges(w, accounts, ctx(310106), null);
    expect(reload.upserts.length).toBe(first.upserts.length);
    await expect(collectChanges(w, accounts, ctx(310106), reload.cursor)).resolves.toEqual(expect.objectContaining({ upserts: [] }));
  });

  it('voids a cursor older than the two months Exact keeps deletions', async () => {
    const items = table(w, 'Items');
    const first = await collectChanges(w, items, ctx(310107), null);
    const cursor = decodeCursor(first.cursor!);
    const stale = encodeCursor({ ...cursor, checked: w.clock.now() - 62 * DAY });
    const err = await rejectionOf(collectChanges(w, items, ctx(310107), stale));
    expect(err).toBeInstanceOf(CursorInvalid);
    expect(err.message).toContain('two months');
    const recent = encodeCursor({ ...cursor, checked: w.clock.now() - 30 * DAY });
    await expect(collectChanges(w, items, ctx(310107), recent)).resolves.toEqual(expect.objectContaining({ upserts: [] }));
  });
});

describe('a second sync with nothing changed', () => {
  it('costs at most two calls per table, and notices a change where it matters', async () => {
    const division = 310105;
    const state = new Map<string, string | undefined>();
    for (const t of w.exact.connector.tables) {
      if (t.sync === 'full') {
        state.set(t.name, await w.exact.connector.probe!(t, ctx(division), null));
        await collectSnapshot(w, t, ctx(division));
      } else {
        state.set(t.name, (await collectChanges(w, t, ctx(division), null)).cursor ?? undefined);
      }
    }
    const calls: Record<string, number> = {};
    for (const t of w.exact.connector.tables) {
      const before = await requestsOf(division);
      if (t.sync === 'full') {
        const fingerprint = await w.exact.connector.probe!(t, ctx(division), state.get(t.name));
        expect({ table: t.name, unchanged: fingerprint === state.get(t.name) && fingerprint !== undefined }).toEqual({ table: t.name, unchanged: true });
      } else {
        const pass = await collectChanges(w, t, ctx(division), state.get(t.name)!);
        expect({ table: t.name, upserts: pass.upserts.length, deletes: pass.deletes.length }).toEqual({ table: t.name, upserts: 0, deletes: 0 });
      }
      calls[t.name] = (await requestsOf(division)) - before;
    }
    expect(Object.entries(calls).filter(([, n]) => n > 2)).toEqual([]);

    await w.control('_simulate', { administration: division, insert: 1 });
    const probe = (name: string) => w.exact.connector.probe!(table(w, name), ctx(division), state.get(name));
    expect(await probe('ReportingBalance')).not.toBe(state.get('ReportingBalance'));
    expect(await probe('Journals')).toBe(state.get('Journals'));
    expect(await probe('Budgets')).toBe(state.get('Budgets'));
  });
});
