// What the feed must serve, built from the simulators' own state rather than through any product code: the rows
// Exact Online's simulator holds for TransactionLines, and the lines of each Twinfield office's books with the
// office's dimensions. The sandbox server builds its simulators from its configured seed and row count; the
// ones built here from the same options hold the same books (the tests send no simulated changes).
import { AdjustableClock } from '../../server/src/clock';
import type { Config } from '../../server/src/config';
import { createExactOnlineSimulator } from '../../server/src/sandbox/exactonline';
import { ENTITIES } from '../../server/src/sandbox/exactonline/entities';
import { createTwinfieldSimulator } from '../../server/src/sandbox/twinfield';
import { officeIndex, type LineRow, type OfficeBooks } from '../../server/src/sandbox/twinfield/officeBooks';
import type { EntryKind } from '../../server/src/sandbox/demo/ledger';

export type FeedRow = Record<string, unknown>;

/** The simulators' books for a sandbox started with `config`. */
export interface SimulatorBooks {
  exactTransactionLines: FeedRow[];
  twinfieldTransactionLines: FeedRow[];
}

const isoDate = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().slice(0, 10));
const isoInstant = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** Twinfield writes date-times to the second (YYYYMMDDHHMMSS). */
const toSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const cents = (amount: number | null): number | null => (amount === null ? null : amount / 100);
const orNull = <T>(value: T | '' | null | undefined): T | null => (value === '' || value === undefined ? null : value);

/** One Exact Online TransactionLine as the feed shows it: /Date(ms)/ values as dates and UTC instants, padded codes trimmed. */
function exactTransactionLine(row: Readonly<Record<string, unknown>>): FeedRow {
  const ms = (name: string) => row[name] as number | null;
  return {
    Division: row.Division,
    ID: row.ID,
    EntryID: row.EntryID,
    EntryNumber: row.EntryNumber,
    LineNumber: row.LineNumber,
    Date: isoDate(ms('Date')),
    FinancialYear: row.FinancialYear,
    FinancialPeriod: row.FinancialPeriod,
    JournalCode: row.JournalCode,
    Type: row.Type,
    Status: row.Status,
    GLAccount: row.GLAccount,
    GLAccountCode: row.GLAccountCode,
    GLAccountDescription: row.GLAccountDescription,
    Account: row.Account,
    AccountCode: typeof row.AccountCode === 'string' ? row.AccountCode.trim() : row.AccountCode,
    AccountName: row.AccountName,
    AmountDC: row.AmountDC,
    AmountFC: row.AmountFC,
    Currency: row.Currency,
    VATCode: row.VATCode,
    AmountVATFC: row.AmountVATFC,
    AmountVATBaseFC: row.AmountVATBaseFC,
    Quantity: row.Quantity,
    CostCenter: row.CostCenter,
    CostUnit: row.CostUnit,
    Project: row.Project,
    ProjectCode: row.ProjectCode,
    Item: row.Item,
    ItemCode: row.ItemCode,
    Description: row.Description,
    InvoiceNumber: row.InvoiceNumber,
    DueDate: isoDate(ms('DueDate')),
    YourRef: row.YourRef,
    Created: isoInstant(ms('Created')),
    Modified: isoInstant(ms('Modified')),
    Timestamp: row.Timestamp,
  };
}

/** Where a Twinfield transaction came from, by the kind of demo entry. */
const ORIGIN: Readonly<Record<EntryKind, string>> = { sales: 'invoice', receipt: 'bankstatement', payment: 'bankstatement', purchase: 'import', memorial: 'manual' };

/** One Twinfield transaction line (GeneralLedgerTransactions) from an office's books and dimensions. */
function twinfieldTransactionLine(books: OfficeBooks, { entry, line }: LineRow): FeedRow {
  const account = books.dimensionByCode(['BAS', 'PNL'], line.glAccount);
  const dimension2 = books.dimensionByCode(['DEB', 'CRD'], line.relation) ?? books.dimensionByCode(['KPL'], line.costCenter);
  const open = line.matchStatus === 'notmatchable' ? null : line.matchStatus === 'available' ? cents(line.amount) : 0;
  return {
    Office: books.code,
    JournalCode: entry.journal,
    EntryNumber: entry.number,
    LineNumber: line.lineNumber,
    Year: entry.year,
    Period: entry.period,
    YearPeriod: `${entry.year}/${String(entry.period).padStart(2, '0')}`,
    Status: entry.status,
    Date: entry.date,
    Currency: 'EUR',
    Relation: orNull(entry.relation),
    RelationName: orNull(books.dimensionByCode(['DEB', 'CRD'], entry.relation)?.name),
    InputDate: toSecond(entry.created),
    Modified: toSecond(entry.modified),
    UserName: 'DEMO',
    Origin: ORIGIN[entry.kind],
    GLAccount: line.glAccount,
    GLAccountName: orNull(account?.name),
    GLAccountType: orNull(account?.type),
    Dimension2: orNull(dimension2?.code),
    Dimension2Name: orNull(dimension2?.name),
    Dimension2Type: orNull(dimension2?.type),
    Project: orNull(line.project),
    ProjectName: orNull(books.dimensionByCode(['PRJ'], line.project)?.name),
    Amount: cents(line.amount),
    BaseAmount: cents(line.amount),
    ReportingAmount: cents(line.amount),
    DebitCredit: line.amount >= 0 ? 'debit' : 'credit',
    VatCode: orNull(line.vatCode),
    VatBaseAmount: cents(line.vatBaseAmount),
    Quantity: line.quantity,
    Description: orNull(line.description),
    InvoiceNumber: line.relation ? orNull(entry.invoiceNumber) : null,
    MatchStatus: line.matchStatus,
    MatchNumber: null,
    MatchDate: null,
    OpenBaseAmount: open,
    DueDate: line.relation ? orNull(entry.dueDate) : null,
  };
}

export function simulatorBooks(config: Config): SimulatorBooks {
  const options = { clock: new AdjustableClock(), ...config.sandbox };
  const exact = createExactOnlineSimulator(options);
  const twinfield = createTwinfieldSimulator(options);
  return {
    exactTransactionLines: [...exact.divisions.values()].flatMap((books) => books.current(ENTITIES.TransactionLines).rows.map(exactTransactionLine)),
    twinfieldTransactionLines: [...officeIndex(twinfield.ledgers).values()].flatMap((books) => books.lineRows().map((row) => twinfieldTransactionLine(books, row))),
  };
}

/** Rows in key order (the order of the feed's server-driven paging), compared as text as SQLite does. */
export function byKey(rows: readonly FeedRow[], key: readonly string[]): FeedRow[] {
  const compare = (a: unknown, b: unknown): number => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...rows].sort((a, b) => {
    for (const name of key) {
      const order = compare(a[name], b[name]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Only the named columns of each row, as `$select` asks. */
export function selected(rows: readonly FeedRow[], columns: readonly string[]): FeedRow[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
}
