// The Exact Online tables of the feed, described as data: columns with Edm types and a line a Power BI user
// understands, the key (always led by Division), how Ledgerfeed keeps the table current, and where Exact serves it.
//   exact-sync  Timestamp cursor over Exact's sync/… endpoint (1,000 a page) plus sync/Deleted for removals.
//   full        reloaded through bulk/… (1,000 a page) or the standard endpoint (60), skipped when a cheap probe
//               (at most two calls per division) says nothing changed since the last sync.
// Money is Edm.Decimal (kept exactly, 4 decimals; prices 6). Dates without a time of day are Edm.Date; Created and
// Modified are Edm.DateTimeOffset (UTC). Relation codes, which Exact pads with leading spaces, are stored trimmed.
import type { ColumnDescription, EdmType, TableDescription } from '../../tables/description';

/** How a `full` table's probe fingerprints the upstream without reading it. */
export type ExactProbe =
  /** `{endpoint}/$count` plus the latest `Modified`: any insert, update or removal changes one of them. */
  | { kind: 'count-modified' }
  /** High-water Timestamps of a related sync endpoint and of its sync/Deleted records (a table derived from it). */
  | { kind: 'sync-watermark'; sync: string; deletedEntityTypes: readonly number[] }
  /** The division's own row of system/Divisions. */
  | { kind: 'division' };

export interface ExactUpstream {
  /** Standard endpoint, the path after `/api/v1/{division}/`. */
  endpoint: string;
  /** `bulk/…` endpoint (1,000 rows a page) used for full reloads when Exact has one. */
  bulk?: string;
  /** `sync/…` endpoint of an `exact-sync` table. */
  sync?: string;
  /** sync/Deleted EntityType of this table's rows. */
  deletedEntityType?: number;
  /** Upstream property of a column whose name differs (Divisions: Division ← Code). */
  fields?: Readonly<Record<string, string>>;
  /** String columns Exact pads with spaces; stored trimmed. */
  trimmed?: readonly string[];
  /** How a `full` table is probed; exact-sync tables need none. */
  probe?: ExactProbe;
}

export type ExactTable = TableDescription<'exactonline', ExactUpstream>;

const MONEY_SCALE = 4;
const PRICE_SCALE = 6;

function column(name: string, type: EdmType, description: string, extra: Partial<ColumnDescription> = {}): ColumnDescription {
  return { name, type, description, ...extra };
}
const text = (name: string, description: string) => column(name, 'Edm.String', description);
const guid = (name: string, description: string) => column(name, 'Edm.Guid', description);
const int16 = (name: string, description: string) => column(name, 'Edm.Int16', description);
const int32 = (name: string, description: string) => column(name, 'Edm.Int32', description);
const bool = (name: string, description: string) => column(name, 'Edm.Boolean', description);
const date = (name: string, description: string) => column(name, 'Edm.Date', description);
const instant = (name: string, description: string) => column(name, 'Edm.DateTimeOffset', description);
const double = (name: string, description: string) => column(name, 'Edm.Double', description);
const money = (name: string, description: string) => column(name, 'Edm.Decimal', description, { scale: MONEY_SCALE });
const price = (name: string, description: string) => column(name, 'Edm.Decimal', description, { scale: PRICE_SCALE });

const DIVISION = column('Division', 'Edm.Int32', 'Exact Online division (administration) number this row belongs to.', { nullable: false });
const id = (what: string) => column('ID', 'Edm.Guid', `Exact Online's unique identifier of the ${what}.`, { nullable: false });
const CREATED = instant('Created', 'When the row was created in Exact Online (UTC).');
const MODIFIED = instant('Modified', 'When the row was last changed in Exact Online (UTC).');
const TIMESTAMP = column('Timestamp', 'Edm.Int64', "Exact Online's row version: grows with every change; used by Ledgerfeed to fetch only what changed.");
const relationCode = (name: string, whose: string) =>
  text(name, `Code of the ${whose}; Exact Online pads it with leading spaces to 18 characters, shown here without them.`);

const DIVISIONS: ExactTable = {
  source: 'exactonline',
  name: 'Divisions',
  description: 'The Exact Online divisions (administrations) in this feed, one row each, with their currency and status.',
  administrationColumn: 'Division',
  key: ['Division'],
  sync: 'full',
  columns: [
    column('Division', 'Edm.Int32', 'Division number; every other Exact Online table carries it in its Division column.', { nullable: false }),
    text('Description', 'Name of the division.'),
    column('Hid', 'Edm.Int64', 'Number of the division as shown in Exact Online.'),
    int32('Status', 'Status of the division: 0 inactive, 1 active, 2 archived.'),
    bool('Current', 'True for the division the connected user last opened in Exact Online.'),
    bool('IsMainDivision', 'True for the main division of the Exact Online licence.'),
    text('Currency', 'Home currency of the division (amounts "DC" are in it), e.g. EUR.'),
    text('Country', 'Country of the division, ISO code.'),
    text('City', 'City of the division.'),
    text('VATNumber', 'VAT number of the division.'),
    text('CustomerName', 'Customer the division belongs to (for accountants: the client).'),
    date('StartDate', 'Date the division started keeping its books in Exact Online.'),
    instant('DivisionMoveDate', 'When Exact Online last moved the division to another database (Ledgerfeed then reloads it); empty if never.'),
    CREATED,
    MODIFIED,
  ],
  upstream: { endpoint: 'system/Divisions', fields: { Division: 'Code' }, probe: { kind: 'division' } },
};

const GL_ACCOUNTS: ExactTable = {
  source: 'exactonline',
  name: 'GLAccounts',
  description: 'The chart of accounts: general ledger accounts with their balance type and account type.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    id('general ledger account'),
    text('Code', 'General ledger account number, e.g. 8000.'),
    text('Description', 'Name of the general ledger account.'),
    text('SearchCode', 'Short search code of the account.'),
    int32('Type', "Exact Online's account type number (e.g. 10 cash, 12 bank, 20 accounts receivable, 110 revenue); see TypeDescription."),
    text('TypeDescription', 'Account type in words.'),
    text('BalanceType', 'B: balance sheet account, W: profit and loss account.'),
    text('BalanceSide', 'D: debit, C: credit — the side the balance of this account is normally on.'),
    bool('IsBlocked', 'True when no new entries may be booked on the account.'),
    bool('Matching', 'True when entries on this account are matched against each other (receivables, payables).'),
    text('Costcenter', 'Default cost center of the account.'),
    text('Costunit', 'Default cost unit of the account.'),
    text('VATCode', 'Default VAT code of the account.'),
    text('ReportingCode', 'Reporting code of the account (for consolidation or external reporting).'),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: { endpoint: 'financial/GLAccounts', bulk: 'bulk/Financial/GLAccounts', sync: 'sync/Financial/GLAccounts', deletedEntityType: 7 },
};

const TRANSACTION_LINES: ExactTable = {
  source: 'exactonline',
  name: 'TransactionLines',
  description: 'Every line of every financial entry (the general ledger): amounts per account, period, relation, cost center and project.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    id('transaction line'),
    guid('EntryID', 'Identifier of the entry (booking) the line is part of; all lines of one entry share it.'),
    int32('EntryNumber', 'Entry number, unique within the journal and financial year.'),
    int32('LineNumber', 'Number of the line within its entry.'),
    date('Date', 'Booking date of the entry.'),
    int16('FinancialYear', 'Financial year the line is booked in.'),
    int16('FinancialPeriod', 'Financial period (usually the month) the line is booked in.'),
    text('JournalCode', 'Code of the journal the entry was booked in.'),
    int32('Type', 'Kind of entry: 20 sales invoice, 30 purchase invoice, 40 cash flow, 90 other (general journal) and more.'),
    int16('Status', 'Status of the entry: 20 open (not yet processed), 50 processed.'),
    guid('GLAccount', 'General ledger account of the line (GLAccounts.ID).'),
    text('GLAccountCode', 'Number of the general ledger account.'),
    text('GLAccountDescription', 'Name of the general ledger account.'),
    guid('Account', 'Customer or supplier of the line (Accounts.ID); empty when none.'),
    relationCode('AccountCode', 'customer or supplier'),
    text('AccountName', 'Name of the customer or supplier.'),
    money('AmountDC', 'Amount in the division\'s home currency; debit positive, credit negative.'),
    money('AmountFC', 'Amount in the currency of the entry (Currency).'),
    text('Currency', 'Currency of the entry, e.g. EUR.'),
    text('VATCode', 'VAT code of the line.'),
    money('AmountVATFC', 'VAT amount in the currency of the entry, on VAT lines.'),
    money('AmountVATBaseFC', 'Amount the VAT was calculated on, in the currency of the entry.'),
    double('Quantity', 'Quantity on the line, when it has one.'),
    text('CostCenter', 'Cost center code of the line.'),
    text('CostUnit', 'Cost unit code of the line.'),
    guid('Project', 'Project of the line (Projects.ID).'),
    text('ProjectCode', 'Code of the project.'),
    guid('Item', 'Item of the line (Items.ID).'),
    text('ItemCode', 'Code of the item.'),
    text('Description', 'Description of the line.'),
    int32('InvoiceNumber', 'Invoice number, on sales and purchase entries.'),
    date('DueDate', 'Due date of the invoice, on receivable and payable lines.'),
    text('YourRef', "The relation's own reference (e.g. the supplier's invoice number)."),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: {
    endpoint: 'financialtransaction/TransactionLines',
    bulk: 'bulk/Financial/TransactionLines',
    sync: 'sync/Financial/TransactionLines',
    deletedEntityType: 1,
    trimmed: ['AccountCode'],
  },
};

const ACCOUNTS: ExactTable = {
  source: 'exactonline',
  name: 'Accounts',
  description: 'Relations: customers, suppliers and prospects, with address and classification.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    id('relation'),
    relationCode('Code', 'relation'),
    text('Name', 'Name of the relation.'),
    text('SearchCode', 'Short search code of the relation.'),
    text('Status', 'Relation status: A none, S suspect, P prospect, C customer.'),
    bool('IsSales', 'True when the relation is a customer (can receive sales invoices).'),
    bool('IsSupplier', 'True when the relation is a supplier.'),
    bool('IsPurchase', 'True when purchase entries can be booked on the relation.'),
    bool('Blocked', 'True when the relation is blocked.'),
    text('Type', 'Kind of relation record (A: account).'),
    text('AddressLine1', 'Street and number.'),
    text('Postcode', 'Postal code.'),
    text('City', 'City.'),
    text('Country', 'Country, ISO code.'),
    text('Email', 'E-mail address.'),
    text('Phone', 'Telephone number.'),
    text('VATNumber', 'VAT number.'),
    text('ChamberOfCommerce', 'Chamber of Commerce (company registry) number.'),
    guid('Classification1', 'First classification of the relation.'),
    guid('Parent', 'Parent relation, for relations that belong to a group.'),
    text('PaymentConditionSales', 'Payment condition code for sales to this relation.'),
    text('PaymentConditionPurchase', 'Payment condition code for purchases from this relation.'),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: { endpoint: 'crm/Accounts', bulk: 'bulk/CRM/Accounts', sync: 'sync/CRM/Accounts', deletedEntityType: 2, trimmed: ['Code'] },
};

const SALES_INVOICES: ExactTable = {
  source: 'exactonline',
  name: 'SalesInvoices',
  description: 'Sales invoices and credit notes with their totals, customer, status and dates.',
  administrationColumn: 'Division',
  key: ['Division', 'InvoiceID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    column('InvoiceID', 'Edm.Guid', "Exact Online's unique identifier of the invoice.", { nullable: false }),
    int32('InvoiceNumber', 'Invoice number.'),
    int32('Type', 'Kind of invoice: 8020 sales invoice, 8021 credit note, and others.'),
    int16('Status', 'Invoice status: 10 draft, 20 open, 50 processed.'),
    date('InvoiceDate', 'Invoice date.'),
    date('DueDate', 'Date the invoice is due.'),
    date('OrderDate', 'Date of the order.'),
    guid('InvoiceTo', 'Customer invoiced (Accounts.ID).'),
    text('InvoiceToName', 'Name of the customer invoiced.'),
    guid('OrderedBy', 'Customer who ordered (Accounts.ID).'),
    text('OrderedByName', 'Name of the customer who ordered.'),
    money('AmountDC', "Invoice total including VAT in the division's home currency."),
    money('AmountFC', 'Invoice total including VAT in the invoice currency.'),
    money('AmountFCExclVat', 'Invoice total excluding VAT in the invoice currency.'),
    money('VATAmountDC', "VAT amount in the division's home currency."),
    money('VATAmountFC', 'VAT amount in the invoice currency.'),
    text('Currency', 'Currency of the invoice.'),
    text('Journal', 'Code of the sales journal.'),
    text('PaymentCondition', 'Payment condition code.'),
    text('Description', 'Description of the invoice.'),
    text('YourRef', "The customer's reference."),
    guid('Salesperson', 'Salesperson (user) of the invoice.'),
    text('SalespersonFullName', 'Name of the salesperson.'),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: { endpoint: 'salesinvoice/SalesInvoices', bulk: 'bulk/SalesInvoice/SalesInvoices', sync: 'sync/SalesInvoice/SalesInvoices', deletedEntityType: 13 },
};

const SALES_INVOICE_LINES: ExactTable = {
  source: 'exactonline',
  name: 'SalesInvoiceLines',
  description: 'Lines of sales invoices: item, quantity, price and amounts.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: [
    DIVISION,
    id('invoice line'),
    guid('InvoiceID', 'Invoice the line belongs to (SalesInvoices.InvoiceID).'),
    int32('LineNumber', 'Number of the line on the invoice.'),
    guid('Item', 'Item sold (Items.ID).'),
    text('ItemCode', 'Code of the item.'),
    text('ItemDescription', 'Description of the item.'),
    text('Description', 'Description on the invoice line.'),
    double('Quantity', 'Quantity; negative on credit notes.'),
    text('UnitCode', 'Unit of the quantity.'),
    price('UnitPrice', 'Price per unit in the invoice currency.'),
    price('NetPrice', 'Price per unit after discount.'),
    double('Discount', 'Discount as a fraction (0.1 = 10 %).'),
    money('AmountDC', "Line amount excluding VAT in the division's home currency."),
    money('AmountFC', 'Line amount excluding VAT in the invoice currency.'),
    money('VATAmountDC', "VAT of the line in the division's home currency."),
    text('VATCode', 'VAT code of the line.'),
    double('VATPercentage', 'VAT rate as a fraction (0.21 = 21 %).'),
    guid('GLAccount', 'Revenue account the line is booked on (GLAccounts.ID).'),
    text('CostCenter', 'Cost center code.'),
    guid('Project', 'Project of the line (Projects.ID).'),
  ],
  upstream: {
    endpoint: 'salesinvoice/SalesInvoiceLines',
    // Lines change with their invoice: the invoices' sync watermark (and their deletions) tell when to reload.
    probe: { kind: 'sync-watermark', sync: 'sync/SalesInvoice/SalesInvoices', deletedEntityTypes: [13] },
  },
};

const JOURNALS: ExactTable = {
  source: 'exactonline',
  name: 'Journals',
  description: 'Journals (day books): cash, bank, sales, purchase and general journals.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: [
    DIVISION,
    id('journal'),
    text('Code', 'Journal code, as in TransactionLines.JournalCode.'),
    text('Description', 'Name of the journal.'),
    int32('Type', 'Kind of journal: 10 cash, 12 bank, 20 sales, 30 purchase, 90 general journal.'),
    text('TypeDescription', 'Kind of journal in words.'),
    text('Currency', 'Currency of the journal.'),
    guid('GLAccount', 'General ledger account of a cash or bank journal (GLAccounts.ID).'),
    text('GLAccountCode', 'Number of that general ledger account.'),
    text('GLAccountDescription', 'Name of that general ledger account.'),
    CREATED,
    MODIFIED,
  ],
  upstream: { endpoint: 'financial/Journals', probe: { kind: 'count-modified' } },
};

const REPORTING_BALANCE: ExactTable = {
  source: 'exactonline',
  name: 'ReportingBalance',
  description: 'Balances per general ledger account, financial year and period (debit, credit and net), as Exact Online reports them.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: [
    DIVISION,
    column('ID', 'Edm.Int64', 'Identifier of the balance row.', { nullable: false }),
    int32('ReportingYear', 'Financial year.'),
    int32('ReportingPeriod', 'Financial period (usually the month); 0 holds the opening balance where Exact reports one.'),
    guid('GLAccount', 'General ledger account (GLAccounts.ID).'),
    text('GLAccountCode', 'Number of the general ledger account.'),
    text('GLAccountDescription', 'Name of the general ledger account.'),
    text('BalanceType', 'B: balance sheet account, W: profit and loss account.'),
    money('Amount', "Net amount of the period (debit minus credit) in the division's home currency."),
    money('AmountDebit', 'Debit total of the period.'),
    money('AmountCredit', 'Credit total of the period.'),
    int32('Count', 'Number of transaction lines behind the balance.'),
    int32('Status', 'Status of the lines counted: 20 open, 50 processed.'),
    int32('Type', 'Kind of entries counted (0: all).'),
    text('CostCenterCode', 'Cost center of the balance, when balances are split by cost center.'),
    text('CostUnitCode', 'Cost unit of the balance, when balances are split by cost unit.'),
  ],
  upstream: {
    endpoint: 'financial/ReportingBalance',
    // Balances only change when transaction lines do: their sync watermark and deletions say when to reload.
    probe: { kind: 'sync-watermark', sync: 'sync/Financial/TransactionLines', deletedEntityTypes: [1] },
  },
};

const BUDGETS: ExactTable = {
  source: 'exactonline',
  name: 'Budgets',
  description: 'Budget amounts per general ledger account, year and period, per budget scenario.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: [
    DIVISION,
    id('budget line'),
    guid('BudgetScenario', 'Budget scenario the amount belongs to.'),
    text('BudgetScenarioCode', 'Code of the budget scenario.'),
    text('BudgetScenarioDescription', 'Name of the budget scenario.'),
    guid('GLAccount', 'General ledger account (GLAccounts.ID).'),
    text('GLAccountCode', 'Number of the general ledger account.'),
    text('GLAccountDescription', 'Name of the general ledger account.'),
    int16('ReportingYear', 'Financial year of the budget.'),
    int16('ReportingPeriod', 'Financial period of the budget.'),
    money('AmountDC', "Budgeted amount in the division's home currency."),
    text('Costcenter', 'Cost center of the budget, if any.'),
    text('Costunit', 'Cost unit of the budget, if any.'),
    guid('Item', 'Item of the budget, if any (Items.ID).'),
    text('ItemCode', 'Code of that item.'),
    CREATED,
    MODIFIED,
  ],
  upstream: { endpoint: 'budget/Budgets', probe: { kind: 'count-modified' } },
};

/** Receivables and payables (payment terms) share Exact's shape. */
function termColumns(who: string): ColumnDescription[] {
  return [
    DIVISION,
    id('payment term'),
    guid('Account', `The ${who} (Accounts.ID).`),
    relationCode('AccountCode', who),
    text('AccountName', `Name of the ${who}.`),
    money('AmountDC', "Amount in the division's home currency."),
    money('AmountFC', 'Amount in the currency of the entry.'),
    text('Currency', 'Currency of the entry.'),
    text('Description', 'Description of the term.'),
    int32('InvoiceNumber', 'Invoice number.'),
    date('InvoiceDate', 'Invoice date.'),
    date('DueDate', 'Date the amount is due.'),
    date('EntryDate', 'Booking date of the entry.'),
    guid('EntryID', 'Entry the term was booked in (TransactionLines.EntryID).'),
    int32('EntryNumber', 'Entry number.'),
    text('Journal', 'Journal code of the entry.'),
    text('GLAccountCode', 'Number of the general ledger account the term is on.'),
    text('PaymentCondition', 'Payment condition code.'),
    int32('PaymentDays', 'Payment term in days.'),
    bool('IsFullyPaid', 'True when the term has been paid in full.'),
    int16('Status', 'Status: 20 open, 50 processed.'),
    money('TransactionAmountDC', "Amount of the booked line in the division's home currency."),
    text('YourRef', `The ${who}'s reference.`),
    CREATED,
    MODIFIED,
  ];
}

const RECEIVABLES: ExactTable = {
  source: 'exactonline',
  name: 'Receivables',
  description: 'Open amounts customers owe (accounts receivable), per invoice or payment term.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: termColumns('customer'),
  upstream: { endpoint: 'cashflow/Receivables', bulk: 'bulk/Cashflow/Receivables', trimmed: ['AccountCode'], probe: { kind: 'count-modified' } },
};

const PAYMENTS: ExactTable = {
  source: 'exactonline',
  name: 'Payments',
  description: 'Open amounts owed to suppliers (accounts payable), per invoice or payment term.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'full',
  columns: termColumns('supplier'),
  upstream: { endpoint: 'cashflow/Payments', bulk: 'bulk/Cashflow/Payments', trimmed: ['AccountCode'], probe: { kind: 'count-modified' } },
};

const ITEMS: ExactTable = {
  source: 'exactonline',
  name: 'Items',
  description: 'Items (products and services) with their prices and revenue and cost accounts.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    id('item'),
    text('Code', 'Item code.'),
    text('Description', 'Description of the item.'),
    text('SearchCode', 'Short search code of the item.'),
    bool('IsSalesItem', 'True when the item can be sold.'),
    bool('IsPurchaseItem', 'True when the item can be purchased.'),
    bool('IsStockItem', 'True when stock is kept of the item.'),
    text('Unit', 'Unit the item is sold in.'),
    price('StandardSalesPrice', 'Standard sales price per unit.'),
    price('CostPriceStandard', 'Standard cost price per unit.'),
    text('CostPriceCurrency', 'Currency of the cost price.'),
    guid('GLRevenue', 'Revenue account of the item (GLAccounts.ID).'),
    text('GLRevenueCode', 'Number of the revenue account.'),
    guid('GLCosts', 'Cost account of the item (GLAccounts.ID).'),
    text('GLCostsCode', 'Number of the cost account.'),
    text('SalesVatCode', 'VAT code on sales of the item.'),
    date('StartDate', 'Date from which the item can be used.'),
    date('EndDate', 'Date until which the item can be used.'),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: { endpoint: 'logistics/Items', bulk: 'bulk/Logistics/Items', sync: 'sync/Logistics/Items', deletedEntityType: 9 },
};

const PROJECTS: ExactTable = {
  source: 'exactonline',
  name: 'Projects',
  description: 'Projects with their customer, budget and dates.',
  administrationColumn: 'Division',
  key: ['Division', 'ID'],
  sync: 'exact-sync',
  columns: [
    DIVISION,
    id('project'),
    text('Code', 'Project code.'),
    text('Description', 'Description of the project.'),
    guid('Account', 'Customer of the project (Accounts.ID).'),
    relationCode('AccountCode', 'customer'),
    text('AccountName', 'Name of the customer.'),
    int32('Type', 'Kind of project (e.g. 2 fixed price, 3 time and material, 4 non-billable, 5 prepaid).'),
    text('TypeDescription', 'Kind of project in words.'),
    money('BudgetedAmount', 'Budgeted amount of the project.'),
    money('BudgetedCosts', 'Budgeted costs of the project.'),
    money('BudgetedRevenue', 'Budgeted revenue of the project.'),
    guid('Manager', 'Project manager (user).'),
    text('ManagerFullname', 'Name of the project manager.'),
    date('StartDate', 'Start date of the project.'),
    date('EndDate', 'End date of the project.'),
    CREATED,
    MODIFIED,
    TIMESTAMP,
  ],
  upstream: { endpoint: 'project/Projects', sync: 'sync/Project/Projects', deletedEntityType: 21, trimmed: ['AccountCode'] },
};

/** Every Exact Online table of the feed, in the order the service document lists them. */
export const EXACT_TABLES: readonly ExactTable[] = [
  DIVISIONS,
  GL_ACCOUNTS,
  TRANSACTION_LINES,
  ACCOUNTS,
  SALES_INVOICES,
  SALES_INVOICE_LINES,
  JOURNALS,
  REPORTING_BALANCE,
  BUDGETS,
  RECEIVABLES,
  PAYMENTS,
  ITEMS,
  PROJECTS,
];

/** The upstream property a column is read from. */
export function upstreamField(table: ExactTable, column: string): string {
  return table.upstream.fields?.[column] ?? column;
}

/** The `$select` of a table: every column's upstream property. */
export function selectOf(table: ExactTable): string {
  return table.columns.map((c) => upstreamField(table, c.name)).join(',');
}

/** The table's own key column (the key without Division). */
export function ownKey(table: ExactTable): string {
  const own = table.key.filter((k) => k !== table.administrationColumn);
  if (own.length !== 1) throw new Error(`exactonline/${table.name}: expected one key column besides Division`);
  return own[0];
}

export function isExactTable(table: TableDescription): table is ExactTable {
  return table.source === 'exactonline' && typeof table.upstream === 'object' && table.upstream !== null && 'endpoint' in table.upstream;
}
