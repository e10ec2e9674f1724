// The test oracle of the sync acceptance tests: what every table of both services must hold, per administration,
// computed from the simulators' own state (Exact Online's division views, Twinfield's demo ledgers) — never from
// the product's sync code — and what Ledgerfeed's mirror does hold, read straight from its SQLite file. Both sides
// are reduced to the same summary: row count, the set of keys, and the exact sum of every amount column.
import Database from 'better-sqlite3';
import path from 'node:path';
import { ENDPOINTS } from '../../../server/src/sandbox/exactonline';
import type { RunningSimulators } from '../../../server/src/sandbox/standalone';
import type { DemoLedger, DemoLine } from '../../../server/src/sandbox/demo/ledger';
import { EXACT_TABLES } from '../../../server/src/sources/exactonline';
import { TWINFIELD_TABLES } from '../../../server/src/sources/twinfield';
import { DATABASE_FILE } from '../../../server/src/store/database';
import { mirrorTableName, quoteIdentifier } from '../../../server/src/store/mirror';
import type { SourceName, TableDescription } from '../../../server/src/tables/description';

export const ALL_TABLES: readonly TableDescription[] = [...EXACT_TABLES, ...TWINFIELD_TABLES];

/** One administration's rows of one table, reduced. */
export interface Summary {
  keys: Set<string>;
  /** Amount column → exact sum, in units of 10^-scale. */
  sums: Record<string, bigint>;
}

/** `source/Table` → administration code → summary. */
export type Books = Map<string, Map<string, Summary>>;

const tableId = (t: Pick<TableDescription, 'source' | 'name'>) => `${t.source}/${t.name}`;
const ownKey = (t: TableDescription) => {
  const own = t.key.filter((k) => k !== t.administrationColumn);
  return own.length > 0 ? own : [t.administrationColumn];
};
const amounts = (t: TableDescription) => t.columns.filter((c) => c.type === 'Edm.Decimal');

/** An amount as an exact integer of its column's scale (JSON numbers of the simulator carry at most 6 decimals). */
function scaled(value: unknown, scale: number): bigint {
  if (value === null || value === undefined) return 0n;
  return BigInt(Math.round(Number(value) * 10 ** scale));
}

function summarize(t: TableDescription, rows: Iterable<Record<string, unknown>>, field: (column: string) => string = (c) => c): Summary {
  const key = ownKey(t);
  const summary: Summary = { keys: new Set(), sums: Object.fromEntries(amounts(t).map((c) => [c.name, 0n])) };
  for (const row of rows) {
    summary.keys.add(key.map((k) => String(row[field(k)]).toLowerCase()).join('|'));
    for (const column of amounts(t)) summary.sums[column.name] += scaled(row[field(column.name)], column.scale ?? 0);
  }
  return summary;
}

/** What the Exact Online simulator serves, per table and division: its own entity views. */
function exactBooks(sims: RunningSimulators, books: Books): void {
  for (const table of EXACT_TABLES) {
    const perDivision = new Map<string, Summary>();
    const fields = table.upstream.fields ?? {};
    const entity = ENDPOINTS.find((e) => e.path.toLowerCase() === table.upstream.endpoint.toLowerCase())?.entity;
    for (const [division, view] of sims.exactOnline.divisions) {
      // system/Divisions is not an entity view: one row per division, keyed by its code.
      const rows = entity ? view.current(entity).rows : [{ Code: division }];
      perDivision.set(String(division), summarize(table, rows, (c) => fields[c] ?? c));
    }
    books.set(tableId(table), perDivision);
  }
}

/** A demo line as the transaction tables present it (amounts in cents, quantities as written). */
function lineRow(ledger: DemoLedger, line: DemoLine): Record<string, unknown> {
  const entry = ledger.entries.get(line.entryId)!;
  const open = line.matchStatus === 'notmatchable' ? null : line.matchStatus === 'available' ? line.amount : 0;
  return {
    JournalCode: entry.journal,
    EntryNumber: entry.number,
    LineNumber: line.lineNumber,
    Amount: line.amount / 100,
    BaseAmount: line.amount / 100,
    ReportingAmount: line.amount / 100,
    VatBaseAmount: line.vatBaseAmount === null ? null : line.vatBaseAmount / 100,
    Quantity: line.quantity,
    OpenBaseAmount: open === null ? null : open / 100,
  };
}

/** What the Twinfield simulator holds, per table and office: its demo ledgers. */
function twinfieldBooks(sims: RunningSimulators, books: Books): void {
  const table = (name: string) => TWINFIELD_TABLES.find((t) => t.name === name)!;
  const per = (name: string, rows: (ledger: DemoLedger) => Iterable<Record<string, unknown>>) => {
    const t = table(name);
    books.set(tableId(t), new Map(sims.twinfield.ledgers.map((ledger) => [ledger.info.office, summarize(t, rows(ledger))])));
  };
  const lines = (ledger: DemoLedger, keep: (line: DemoLine) => boolean) => [...ledger.lines()].filter(keep).map((line) => lineRow(ledger, line));
  const isCustomer = (ledger: DemoLedger, code: string | null) => code !== null && ledger.customers.some((c) => c.code === code);
  const isSupplier = (ledger: DemoLedger, code: string | null) => code !== null && ledger.suppliers.some((s) => s.code === code);
  per('Offices', (l) => [{ Office: l.info.office }]);
  per('GeneralLedgerTransactions', (l) => lines(l, () => true));
  per('CustomerTransactions', (l) => lines(l, (line) => isCustomer(l, line.relation)));
  per('SupplierTransactions', (l) => lines(l, (line) => isSupplier(l, line.relation)));
  per('AnnualReportTotals', (l) =>
    l.balances().map((b) => ({ GLAccount: b.glAccount, Year: b.year, Period: b.period, Status: b.status, BaseAmount: b.amount / 100, ReportingAmount: b.amount / 100 })),
  );
  per('GeneralLedgerAccounts', (l) => l.glAccounts.map((a) => ({ Code: a.code })));
  per('Customers', (l) => l.customers.map((c) => ({ Code: c.code })));
  per('Suppliers', (l) => l.suppliers.map((s) => ({ Code: s.code })));
  per('CostCenters', (l) => l.costCenters.map((c) => ({ Code: c.code })));
  per('Projects', (l) => l.projects.map((p) => ({ Code: p.code })));
}

/** Every table of both simulators, as they are now. */
export function simulatorBooks(sims: RunningSimulators): Books {
  const books: Books = new Map();
  exactBooks(sims, books);
  twinfieldBooks(sims, books);
  return books;
}

/** What Ledgerfeed's mirror holds for every table, read from its database file (read-only, beside a running server). */
export function mirrorBooks(dataDir: string, tables: readonly TableDescription[] = ALL_TABLES): Books {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  db.defaultSafeIntegers(true);
  try {
    const books: Books = new Map();
    for (const t of tables) {
      const perAdministration = new Map<string, Summary>();
      const administrations = db.prepare('SELECT id, code FROM administrations WHERE source = ?').all(t.source) as { id: bigint; code: string }[];
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(mirrorTableName(t));
      for (const { id, code } of administrations) {
        const rows = exists
          ? (db.prepare(`SELECT ${[...ownKey(t), ...amounts(t).map((c) => c.name)].map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(mirrorTableName(t))} WHERE _administration_id = ?`).all(id) as Record<string, unknown>[])
          : [];
        const summary: Summary = { keys: new Set(), sums: Object.fromEntries(amounts(t).map((c) => [c.name, 0n])) };
        for (const row of rows) {
          summary.keys.add(ownKey(t).map((k) => String(row[k]).toLowerCase()).join('|'));
          // Stored amounts are already integers of the column's scale.
          for (const column of amounts(t)) summary.sums[column.name] += (row[column.name] as bigint | null) ?? 0n;
        }
        perAdministration.set(code, summary);
      }
      books.set(tableId(t), perAdministration);
    }
    return books;
  } finally {
    db.close();
  }
}

/** Every way the mirror differs from the books, readably ("twinfield/Projects NLA310102: 2 keys missing, e.g. P001"). */
export function differences(expected: Books, actual: Books, sources: readonly SourceName[] = ['exactonline', 'twinfield']): string[] {
  const found: string[] = [];
  for (const [table, administrations] of expected) {
    if (!sources.some((s) => table.startsWith(`${s}/`))) continue;
    for (const [code, want] of administrations) {
      const have = actual.get(table)?.get(code);
      if (!have) {
        found.push(`${table} ${code}: not in the mirror`);
        continue;
      }
      const missing = [...want.keys].filter((k) => !have.keys.has(k));
      const extra = [...have.keys].filter((k) => !want.keys.has(k));
      if (missing.length > 0) found.push(`${table} ${code}: ${missing.length} of ${want.keys.size} rows missing, e.g. ${missing.slice(0, 3).join(', ')}`);
      if (extra.length > 0) found.push(`${table} ${code}: ${extra.length} rows too many, e.g. ${extra.slice(0, 3).join(', ')}`);
      for (const [column, sum] of Object.entries(want.sums)) {
        if (have.sums[column] !== sum) found.push(`${table} ${code}: sum of ${column} is ${have.sums[column]}, the books say ${sum}`);
      }
    }
  }
  return found;
}

/** Rows of a table over all administrations (to check that the books are not trivially empty). */
export function rowCount(books: Books, table: string): number {
  let n = 0;
  for (const summary of books.get(table)?.values() ?? []) n += summary.keys.size;
  return n;
}
