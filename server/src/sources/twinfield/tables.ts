// The Twinfield tables of the feed, described once as data: columns (Edm types and a line a Power BI user
// understands), key, sync strategy, and where each column comes from upstream (a browse field, the browse row's
// `<key>`, a Finder column, a dimension read). Every fanned-out table carries its office as `Office`.
import type { ColumnDescription, TableDescription } from '../../tables/description';

export type DimensionType = 'BAS' | 'PNL' | 'DEB' | 'CRD' | 'KPL' | 'PRJ';

/** Where a column's value comes from in a browse answer: a field, or a part of the row's `<key>`. */
export type BrowseSource = { field: string } | { key: 'office' | 'code' | 'number' | 'line' };

export interface BrowseColumnSource {
  column: string;
  source: BrowseSource;
}

export type TwinfieldUpstream =
  /** `<list><type>offices</type></list>`: one row per office. */
  | { kind: 'offices' }
  /** Transaction lines of a browse code, one book year per request, then `fin.trs.head.modified` + deleted transactions. */
  | { kind: 'transactions'; browseCode: '030_3' | '100' | '200'; columns: BrowseColumnSource[] }
  /** Annual report totals (040_1) per account, year, period and status. */
  | { kind: 'totals'; browseCode: '040_1'; columns: BrowseColumnSource[] }
  /** Dimensions from the Finder; `relation` details (address, VAT, payment terms) are read per dimension. */
  | { kind: 'dimensions'; dimensionTypes: DimensionType[]; details: 'relation' | 'none' };

export type TwinfieldTable = TableDescription<'twinfield', TwinfieldUpstream>;

const OFFICE: ColumnDescription = { name: 'Office', type: 'Edm.String', description: 'Twinfield office (administration) code, e.g. NLA310101.' };

interface LineColumn extends ColumnDescription {
  source: BrowseSource;
}

const field = (name: string): BrowseSource => ({ field: name });

/** Columns of a transaction-line browse (030_3, 100, 200); `dim2` names the second dimension as the table sees it. */
function lineColumns(dim2: { name: string; what: string }): LineColumn[] {
  return [
    { ...OFFICE, source: { key: 'office' } },
    { name: 'JournalCode', type: 'Edm.String', description: 'Journal (daybook) the transaction was booked in, e.g. VRK for sales.', source: { key: 'code' } },
    { name: 'EntryNumber', type: 'Edm.Int64', description: 'Transaction number within the journal.', source: { key: 'number' } },
    { name: 'LineNumber', type: 'Edm.Int32', description: 'Line number within the transaction.', source: { key: 'line' } },
    { name: 'Year', type: 'Edm.Int32', description: 'Book year of the transaction.', source: field('fin.trs.head.year') },
    { name: 'Period', type: 'Edm.Int32', description: 'Book period within the year (0 opening balance, 1–12 months, 13+ closing periods).', source: field('fin.trs.head.period') },
    { name: 'YearPeriod', type: 'Edm.String', description: 'Year and period as Twinfield writes them, YYYY/PP.', source: field('fin.trs.head.yearperiod') },
    { name: 'Status', type: 'Edm.String', description: 'final or provisional.', source: field('fin.trs.head.status') },
    { name: 'Date', type: 'Edm.Date', description: 'Transaction (booking) date; the date to filter on for incremental refresh.', source: field('fin.trs.head.date') },
    { name: 'Currency', type: 'Edm.String', description: 'Currency of the transaction, e.g. EUR.', source: field('fin.trs.head.curcode') },
    { name: 'Relation', type: 'Edm.String', description: 'Customer or supplier code of the transaction, if any.', source: field('fin.trs.head.relation') },
    { name: 'RelationName', type: 'Edm.String', description: 'Name of the customer or supplier of the transaction.', source: field('fin.trs.head.relationname') },
    { name: 'InputDate', type: 'Edm.DateTimeOffset', description: 'When the transaction was entered (UTC).', source: field('fin.trs.head.inpdate') },
    { name: 'Modified', type: 'Edm.DateTimeOffset', description: 'When the transaction was last changed (UTC).', source: field('fin.trs.head.modified') },
    { name: 'UserName', type: 'Edm.String', description: 'Twinfield user who entered the transaction.', source: field('fin.trs.head.username') },
    { name: 'Origin', type: 'Edm.String', description: 'Where the transaction came from (invoice, bank statement, import, manual…).', source: field('fin.trs.head.origin') },
    { name: 'GLAccount', type: 'Edm.String', description: 'General ledger account code (dimension 1).', source: field('fin.trs.line.dim1') },
    { name: 'GLAccountName', type: 'Edm.String', description: 'General ledger account name.', source: field('fin.trs.line.dim1name') },
    { name: 'GLAccountType', type: 'Edm.String', description: 'BAS for a balance sheet account, PNL for profit and loss.', source: field('fin.trs.line.dim1type') },
    { name: dim2.name, type: 'Edm.String', description: `${dim2.what} code (dimension 2).`, source: field('fin.trs.line.dim2') },
    { name: `${dim2.name}Name`, type: 'Edm.String', description: `${dim2.what} name.`, source: field('fin.trs.line.dim2name') },
    { name: `${dim2.name}Type`, type: 'Edm.String', description: 'Dimension type of dimension 2: DEB customer, CRD supplier, KPL cost center.', source: field('fin.trs.line.dim2type') },
    { name: 'Project', type: 'Edm.String', description: 'Project or activity code (dimension 3).', source: field('fin.trs.line.dim3') },
    { name: 'ProjectName', type: 'Edm.String', description: 'Project or activity name.', source: field('fin.trs.line.dim3name') },
    { name: 'Amount', type: 'Edm.Decimal', scale: 2, description: 'Amount in the transaction currency; debit positive, credit negative.', source: field('fin.trs.line.valuesigned') },
    { name: 'BaseAmount', type: 'Edm.Decimal', scale: 2, description: "Amount in the office's base currency; debit positive, credit negative.", source: field('fin.trs.line.basevaluesigned') },
    { name: 'ReportingAmount', type: 'Edm.Decimal', scale: 2, description: 'Amount in the reporting currency; debit positive, credit negative.', source: field('fin.trs.line.repvaluesigned') },
    { name: 'DebitCredit', type: 'Edm.String', description: 'debit or credit.', source: field('fin.trs.line.debitcredit') },
    { name: 'VatCode', type: 'Edm.String', description: 'VAT code of the line.', source: field('fin.trs.line.vatcode') },
    { name: 'VatBaseAmount', type: 'Edm.Decimal', scale: 2, description: 'VAT amount in the base currency.', source: field('fin.trs.line.vatbasevaluesigned') },
    { name: 'Quantity', type: 'Edm.Decimal', scale: 4, description: 'Quantity, when the line records one.', source: field('fin.trs.line.quantity') },
    { name: 'Description', type: 'Edm.String', description: 'Description of the line.', source: field('fin.trs.line.description') },
    { name: 'InvoiceNumber', type: 'Edm.String', description: 'Invoice number the line belongs to.', source: field('fin.trs.line.invnumber') },
    { name: 'MatchStatus', type: 'Edm.String', description: 'Payment (matching) status: available, matched or notmatchable.', source: field('fin.trs.line.matchstatus') },
    { name: 'MatchNumber', type: 'Edm.Int64', description: 'Number of the matching (payment) the line is part of.', source: field('fin.trs.line.matchnumber') },
    { name: 'MatchDate', type: 'Edm.Date', description: 'Date the line was matched (paid).', source: field('fin.trs.line.matchdate') },
    { name: 'OpenBaseAmount', type: 'Edm.Decimal', scale: 2, description: 'Amount still open (unpaid) in the base currency.', source: field('fin.trs.line.openbasevaluesigned') },
    { name: 'DueDate', type: 'Edm.Date', description: 'Due date of the invoice the line belongs to.', source: field('fin.trs.line.datedue') },
  ];
}

const LINE_KEY = ['Office', 'JournalCode', 'EntryNumber', 'LineNumber'];

function transactionTable(name: string, description: string, browseCode: '030_3' | '100' | '200', dim2: { name: string; what: string }): TwinfieldTable {
  const columns = lineColumns(dim2);
  return {
    source: 'twinfield',
    name,
    description,
    columns: columns.map(({ source: _source, ...column }) => column),
    key: LINE_KEY,
    administrationColumn: 'Office',
    sync: 'twinfield-modified',
    upstream: { kind: 'transactions', browseCode, columns: columns.map((c) => ({ column: c.name, source: c.source })) },
  };
}

const TOTALS_COLUMNS: LineColumn[] = [
  { ...OFFICE, source: field('fin.trs.head.office') },
  { name: 'GLAccount', type: 'Edm.String', description: 'General ledger account code.', source: field('fin.trs.line.dim1') },
  { name: 'Year', type: 'Edm.Int32', description: 'Book year.', source: field('fin.trs.head.year') },
  { name: 'Period', type: 'Edm.Int32', description: 'Book period within the year (0 opening balance, 1–12 months, 13+ closing periods).', source: field('fin.trs.head.period') },
  { name: 'Status', type: 'Edm.String', description: 'final or provisional: totals of final and of provisional transactions are separate rows.', source: field('fin.trs.head.status') },
  { name: 'YearPeriod', type: 'Edm.String', description: 'Year and period as Twinfield writes them, YYYY/PP.', source: field('fin.trs.head.yearperiod') },
  { name: 'GLAccountName', type: 'Edm.String', description: 'General ledger account name.', source: field('fin.trs.line.dim1name') },
  { name: 'GLAccountType', type: 'Edm.String', description: 'BAS for a balance sheet account, PNL for profit and loss.', source: field('fin.trs.line.dim1type') },
  { name: 'BaseAmount', type: 'Edm.Decimal', scale: 2, description: "Total of the period in the office's base currency; debit positive, credit negative.", source: field('fin.trs.line.basevaluesigned') },
  { name: 'ReportingAmount', type: 'Edm.Decimal', scale: 2, description: 'Total of the period in the reporting currency; debit positive, credit negative.', source: field('fin.trs.line.repvaluesigned') },
];

const code = (what: string): ColumnDescription => ({ name: 'Code', type: 'Edm.String', description: `${what} code.` });
const name = (what: string): ColumnDescription => ({ name: 'Name', type: 'Edm.String', description: `${what} name.` });
const hidden: ColumnDescription = { name: 'Hidden', type: 'Edm.Boolean', description: 'True when the dimension is hidden (blocked or no longer in use) in Twinfield.' };

function dimensionTable(tableName: string, description: string, columns: ColumnDescription[], dimensionTypes: DimensionType[], details: 'relation' | 'none'): TwinfieldTable {
  return {
    source: 'twinfield',
    name: tableName,
    description,
    columns: [OFFICE, ...columns],
    key: ['Office', 'Code'],
    administrationColumn: 'Office',
    sync: 'full',
    upstream: { kind: 'dimensions', dimensionTypes, details },
  };
}

const RELATION_COLUMNS = (what: string): ColumnDescription[] => [
  code(what),
  name(what),
  { name: 'ShortName', type: 'Edm.String', description: `${what} short name.` },
  hidden,
  { name: 'Country', type: 'Edm.String', description: 'Country code of the default address, e.g. NL.' },
  { name: 'City', type: 'Edm.String', description: 'City of the default address.' },
  { name: 'Postcode', type: 'Edm.String', description: 'Postcode of the default address.' },
  { name: 'VatNumber', type: 'Edm.String', description: 'VAT identification number.' },
  { name: 'ChamberOfCommerce', type: 'Edm.String', description: 'Chamber of Commerce (KvK) registration number.' },
  { name: 'PaymentDays', type: 'Edm.Int32', description: 'Payment term in days.' },
  { name: 'Id', type: 'Edm.String', description: "Twinfield's unique id (uid) of the dimension." },
];

export const TWINFIELD_TABLES: readonly TwinfieldTable[] = [
  {
    source: 'twinfield',
    name: 'Offices',
    description: 'The Twinfield offices (administrations) of the connected organisation.',
    columns: [
      OFFICE,
      { name: 'Name', type: 'Edm.String', description: 'Name of the office.' },
      { name: 'ShortName', type: 'Edm.String', description: 'Short name of the office.' },
    ],
    key: ['Office'],
    administrationColumn: 'Office',
    sync: 'full',
    upstream: { kind: 'offices' },
  },
  transactionTable('GeneralLedgerTransactions', 'Every general ledger transaction line (browse 030_3), final and provisional.', '030_3', { name: 'Dimension2', what: 'Customer, supplier or cost center' }),
  transactionTable('CustomerTransactions', 'Transaction lines on customers (browse 100), with payment status and open amounts.', '100', { name: 'Customer', what: 'Customer' }),
  transactionTable('SupplierTransactions', 'Transaction lines on suppliers (browse 200), with payment status and open amounts.', '200', { name: 'Supplier', what: 'Supplier' }),
  {
    source: 'twinfield',
    name: 'AnnualReportTotals',
    description: 'Totals per general ledger account, year, period and status (browse 040_1): the basis of balance sheets and profit and loss.',
    columns: TOTALS_COLUMNS.map(({ source: _source, ...column }) => column),
    key: ['Office', 'GLAccount', 'Year', 'Period', 'Status'],
    administrationColumn: 'Office',
    sync: 'full',
    upstream: { kind: 'totals', browseCode: '040_1', columns: TOTALS_COLUMNS.map((c) => ({ column: c.name, source: c.source })) },
  },
  dimensionTable(
    'GeneralLedgerAccounts',
    'General ledger accounts: balance sheet (BAS) and profit and loss (PNL).',
    [code('Account'), name('Account'), { name: 'Type', type: 'Edm.String', description: 'BAS for a balance sheet account, PNL for profit and loss.' }, hidden],
    ['BAS', 'PNL'],
    'none',
  ),
  dimensionTable('Customers', 'Customers (debtors, dimension type DEB) with their default address, VAT number and payment term.', RELATION_COLUMNS('Customer'), ['DEB'], 'relation'),
  dimensionTable('Suppliers', 'Suppliers (creditors, dimension type CRD) with their default address, VAT number and payment term.', RELATION_COLUMNS('Supplier'), ['CRD'], 'relation'),
  dimensionTable('CostCenters', 'Cost centers (dimension type KPL).', [code('Cost center'), name('Cost center'), hidden], ['KPL'], 'none'),
  dimensionTable('Projects', 'Projects (dimension type PRJ).', [code('Project'), name('Project'), hidden], ['PRJ'], 'none'),
];

export function twinfieldTable(tableName: string): TwinfieldTable | undefined {
  return TWINFIELD_TABLES.find((t) => t.name === tableName);
}
