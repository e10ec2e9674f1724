// The Exact Online entities the simulator serves, described as data (property names and Edm types in the
// order Exact serialises them, key, navigation) with one builder each that renders a division's demo books
// as rows. Endpoints (standard, bulk, sync) are views over these entities; see ENDPOINTS.
import type { DemoEntry, DemoGLAccount, DemoItem, DemoJournal, DemoLedger, DemoLine, DemoProject, DemoRelation } from '../demo/ledger';
import { POSTING } from '../demo/ledger';
import type { EdmType, Row, Value } from './filter';

/** What a builder may read: one division's books plus the lookups and numbering the simulator keeps for it. */
export interface BooksContext {
  readonly ledger: DemoLedger;
  readonly division: number;
  readonly user: DemoUser;
  /** The Exact Timestamp (row version) a ledger write is exposed as; changes on a division move. */
  timestamp(ledgerTimestamp: number): number;
  glAccount(code: string): DemoGLAccount;
  relation(code: string): DemoRelation | undefined;
  item(code: string): DemoItem | undefined;
  project(code: string): DemoProject | undefined;
  journal(code: string): DemoJournal;
  /** Stable GUID for a derived object of this division. */
  guid(path: string): string;
  /** Line ids that are payment terms (receivable/payable lines with a relation). */
  isPaymentTerm(line: DemoLine): boolean;
}

export interface DemoUser {
  id: string;
  userName: string;
  fullName: string;
  email: string;
  password: string;
}

export interface NavigationSpec {
  name: string;
  /** Entity the navigation leads to. */
  target: string;
  /** Property of the target that holds this entity's key. */
  foreignKey: string;
}

export interface EntitySpec {
  /** Entity set name as in the URL (`TransactionLines`). */
  name: string;
  /** `__metadata.type`. */
  type: string;
  key: string;
  properties: ReadonlyMap<string, EdmType>;
  navigation: readonly NavigationSpec[];
  build(ctx: BooksContext): Row[];
}

type PropertyList = Record<string, EdmType>;

function entity(name: string, type: string, key: string, properties: PropertyList, build: (ctx: BooksContext) => Row[], navigation: NavigationSpec[] = []): EntitySpec {
  return { name, type, key, properties: new Map(Object.entries(properties)), navigation, build };
}

/** Exact keeps relation codes right-aligned in 18 characters. */
export function padCode(code: string): string {
  return code.padStart(18, ' ');
}

const dateMs = (date: string) => Date.parse(`${date}T00:00:00Z`);
const money = (cents: number) => cents / 100;
const STATUS = (entry: DemoEntry) => (entry.status === 'final' ? 50 : 20);
const VAT_PERCENTAGE: Record<string, number> = { VH: 0.21, VL: 0.09, IH: 0.21 };
const VAT_DESCRIPTION: Record<string, string> = { VH: 'BTW hoog 21%', VL: 'BTW laag 9%', IH: 'Voorbelasting 21%' };
const COST_CENTER_DESCRIPTION: Record<string, string> = { KPL100: 'Verkoop', KPL200: 'Productie', KPL300: 'Administratie', KPL400: 'Directie' };
const COUNTRY_NAME: Record<string, string> = { NL: 'Nederland', BE: 'België', DE: 'Duitsland' };
const JOURNAL_TYPE_DESCRIPTION: Record<number, string> = { 10: 'Kas', 12: 'Bank', 20: 'Verkoop', 30: 'Inkoop', 90: 'Memoriaal' };
const TRANSACTION_TYPE_DESCRIPTION: Record<number, string> = { 20: 'Verkoopfactuur', 30: 'Inkoopfactuur', 40: 'Kasstroom', 90: 'Memoriaal' };

function audit(ctx: BooksContext, created: number, modified: number): Record<string, Value> {
  return { Created: created, Creator: ctx.user.id, CreatorFullName: ctx.user.fullName, Modified: modified, Modifier: ctx.user.id, ModifierFullName: ctx.user.fullName };
}
const AUDIT: PropertyList = { Created: 'DateTime', Creator: 'Guid', CreatorFullName: 'String', Modified: 'DateTime', Modifier: 'Guid', ModifierFullName: 'String' };

// ---------------------------------------------------------------------------------------------- GL accounts
const GL_ACCOUNT_PROPERTIES: PropertyList = {
  ID: 'Guid', BalanceSide: 'String', BalanceType: 'String', Code: 'String', Compress: 'Boolean', Costcenter: 'String', CostcenterDescription: 'String',
  Costunit: 'String', CostunitDescription: 'String', Created: 'DateTime', Creator: 'Guid', CreatorFullName: 'String', Description: 'String', Division: 'Int32',
  ExcludeVATListing: 'Int16', IsBlocked: 'Boolean', Matching: 'Boolean', Modified: 'DateTime', Modifier: 'Guid', ModifierFullName: 'String',
  PrivatePercentage: 'Double', ReportingCode: 'String', RevalueCurrency: 'Boolean', SearchCode: 'String', Type: 'Int32', TypeDescription: 'String',
  UseCostcenter: 'Int16', UseCostunit: 'Int16', VATCode: 'String', VATDescription: 'String', VATNonDeductiblePercentage: 'Double', YearEndCostGLAccount: 'Guid',
  YearEndReflectionGLAccount: 'Guid', Timestamp: 'Int64',
};

function glAccountRows(ctx: BooksContext): Row[] {
  return ctx.ledger.glAccounts.map((a) => ({
    ID: a.id, BalanceSide: a.balanceSide, BalanceType: a.balanceType, Code: a.code, Compress: false, Costcenter: null, CostcenterDescription: null,
    Costunit: null, CostunitDescription: null, ...audit(ctx, a.created, a.modified), Description: a.description, Division: ctx.division,
    ExcludeVATListing: 0, IsBlocked: false, Matching: a.code === POSTING.receivables || a.code === POSTING.payables,
    PrivatePercentage: 0, ReportingCode: null, RevalueCurrency: false, SearchCode: a.code, Type: a.exactType, TypeDescription: a.exactTypeDescription,
    UseCostcenter: a.balanceType === 'W' ? 1 : 0, UseCostunit: 0, VATCode: a.vatCode, VATDescription: a.vatCode ? VAT_DESCRIPTION[a.vatCode] : null,
    VATNonDeductiblePercentage: 0, YearEndCostGLAccount: null, YearEndReflectionGLAccount: null, Timestamp: ctx.timestamp(a.timestamp),
  }));
}

// ---------------------------------------------------------------------------------------- transaction lines
const TRANSACTION_LINE_PROPERTIES: PropertyList = {
  ID: 'Guid', Account: 'Guid', AccountCode: 'String', AccountName: 'String', AmountDC: 'Double', AmountFC: 'Double', AmountVATBaseFC: 'Double',
  AmountVATFC: 'Double', Asset: 'Guid', AssetCode: 'String', AssetDescription: 'String', CostCenter: 'String', CostCenterDescription: 'String',
  CostUnit: 'String', CostUnitDescription: 'String', ...AUDIT, Currency: 'String', Date: 'DateTime', Description: 'String', Division: 'Int32',
  Document: 'Guid', DocumentNumber: 'Int32', DocumentSubject: 'String', DueDate: 'DateTime', EntryID: 'Guid', EntryNumber: 'Int32', ExchangeRate: 'Double',
  FinancialPeriod: 'Int16', FinancialYear: 'Int16', GLAccount: 'Guid', GLAccountCode: 'String', GLAccountDescription: 'String', InvoiceNumber: 'Int32',
  Item: 'Guid', ItemCode: 'String', ItemDescription: 'String', JournalCode: 'String', JournalDescription: 'String', LineNumber: 'Int32', LineType: 'Int16',
  Notes: 'String', OffsetID: 'Guid', OrderNumber: 'Int32', PaymentDiscountAmount: 'Double', PaymentReference: 'String', Project: 'Guid',
  ProjectCode: 'String', ProjectDescription: 'String', Quantity: 'Double', SerialNumber: 'String', Status: 'Int16', Subscription: 'Guid',
  SubscriptionDescription: 'String', TrackingNumber: 'String', TrackingNumberDescription: 'String', Type: 'Int32', VATCode: 'String',
  VATCodeDescription: 'String', VATPercentage: 'Double', VATType: 'String', YourRef: 'String', Timestamp: 'Int64',
};

function transactionLineRow(ctx: BooksContext, entry: DemoEntry, line: DemoLine): Record<string, Value> {
  const gl = ctx.glAccount(line.glAccount);
  const relation = line.relation ? ctx.relation(line.relation) : undefined;
  const item = line.item ? ctx.item(line.item) : undefined;
  const project = line.project ? ctx.project(line.project) : undefined;
  const journal = ctx.journal(entry.journal);
  const isVatLine = line.vatBaseAmount !== null;
  const invoiced = entry.kind === 'sales' || entry.kind === 'purchase';
  return {
    ID: line.id, Account: relation?.id ?? null, AccountCode: relation ? padCode(relation.code) : null, AccountName: relation?.name ?? null,
    AmountDC: money(line.amount), AmountFC: money(line.amount), AmountVATBaseFC: isVatLine ? money(line.vatBaseAmount!) : null,
    AmountVATFC: isVatLine ? money(line.amount) : null, Asset: null, AssetCode: null, AssetDescription: null,
    CostCenter: line.costCenter, CostCenterDescription: line.costCenter ? COST_CENTER_DESCRIPTION[line.costCenter] ?? null : null,
    CostUnit: null, CostUnitDescription: null, ...audit(ctx, entry.created, line.modified), Currency: 'EUR', Date: dateMs(entry.date),
    Description: line.description, Division: ctx.division, Document: null, DocumentNumber: null, DocumentSubject: null,
    DueDate: entry.dueDate && line.relation ? dateMs(entry.dueDate) : null, EntryID: entry.id, EntryNumber: entry.number, ExchangeRate: 1,
    FinancialPeriod: entry.period, FinancialYear: entry.year, GLAccount: gl.id, GLAccountCode: gl.code, GLAccountDescription: gl.description,
    InvoiceNumber: invoiced ? entry.number : null, Item: item?.id ?? null, ItemCode: item?.code ?? null, ItemDescription: item?.description ?? null,
    JournalCode: entry.journal, JournalDescription: journal.description, LineNumber: line.lineNumber, LineType: 0, Notes: null, OffsetID: null,
    OrderNumber: null, PaymentDiscountAmount: null, PaymentReference: null, Project: project?.id ?? null, ProjectCode: project?.code ?? null,
    ProjectDescription: project?.description ?? null, Quantity: line.quantity, SerialNumber: null, Status: STATUS(entry), Subscription: null,
    SubscriptionDescription: null, TrackingNumber: null, TrackingNumberDescription: null, Type: journal.exactTransactionType, VATCode: line.vatCode,
    VATCodeDescription: line.vatCode ? VAT_DESCRIPTION[line.vatCode] ?? null : null, VATPercentage: line.vatCode ? VAT_PERCENTAGE[line.vatCode] ?? 0 : null,
    VATType: line.vatCode ? (line.vatCode === 'IH' ? 'P' : 'S') : null, YourRef: entry.kind === 'purchase' ? entry.invoiceNumber : null,
    Timestamp: ctx.timestamp(line.timestamp),
  };
}

function transactionLineRows(ctx: BooksContext): Row[] {
  const rows: Row[] = [];
  for (const entry of ctx.ledger.entries.values()) for (const line of entry.lines) rows.push(transactionLineRow(ctx, entry, line));
  return rows;
}

// -------------------------------------------------------------------------------- transactions (headers)
const TRANSACTION_PROPERTIES: PropertyList = {
  EntryID: 'Guid', ClosingBalanceFC: 'Double', Created: 'DateTime', Date: 'DateTime', Description: 'String', Division: 'Int32', EntryNumber: 'Int32',
  FinancialPeriod: 'Int16', FinancialYear: 'Int16', JournalCode: 'String', JournalDescription: 'String', Modified: 'DateTime', OpeningBalanceFC: 'Double',
  Status: 'Int16', StatusDescription: 'String', Type: 'Int32', TypeDescription: 'String',
};

function transactionRows(ctx: BooksContext): Row[] {
  return [...ctx.ledger.entries.values()].map((e) => {
    const journal = ctx.journal(e.journal);
    return {
      EntryID: e.id, ClosingBalanceFC: null, Created: e.created, Date: dateMs(e.date), Description: e.description, Division: ctx.division, EntryNumber: e.number,
      FinancialPeriod: e.period, FinancialYear: e.year, JournalCode: e.journal, JournalDescription: journal.description, Modified: e.modified, OpeningBalanceFC: null,
      Status: STATUS(e), StatusDescription: e.status === 'final' ? 'Verwerkt' : 'Open', Type: journal.exactTransactionType,
      TypeDescription: TRANSACTION_TYPE_DESCRIPTION[journal.exactTransactionType] ?? null,
    };
  });
}

// ------------------------------------------------------------------------------------------- CRM accounts
const ACCOUNT_PROPERTIES: PropertyList = {
  ID: 'Guid', Accountant: 'Guid', AccountManager: 'Guid', AccountManagerFullName: 'String', ActivitySector: 'Guid', AddressLine1: 'String',
  AddressLine2: 'String', Blocked: 'Boolean', ChamberOfCommerce: 'String', City: 'String', Classification: 'String', Classification1: 'Guid', Code: 'String',
  CodeAtSupplier: 'String', Country: 'String', CountryName: 'String', ...AUDIT, CreditLinePurchase: 'Double', CreditLineSales: 'Double', Currency: 'String',
  CustomerSince: 'DateTime', DiscountPurchase: 'Double', DiscountSales: 'Double', Division: 'Int32', Email: 'String', GLAccountPurchase: 'Guid',
  GLAccountSales: 'Guid', InvoiceAccount: 'Guid', IsAccountant: 'Int16', IsCompetitor: 'Int16', IsPurchase: 'Boolean', IsSales: 'Boolean',
  IsSupplier: 'Boolean', Language: 'String', MainContact: 'Guid', Name: 'String', Parent: 'Guid', PaymentConditionPurchase: 'String',
  PaymentConditionPurchaseDescription: 'String', PaymentConditionSales: 'String', PaymentConditionSalesDescription: 'String', Phone: 'String',
  Postcode: 'String', SearchCode: 'String', StartDate: 'DateTime', Status: 'String', Type: 'String', VATNumber: 'String', Website: 'String',
  Timestamp: 'Int64',
};

function accountRows(ctx: BooksContext): Row[] {
  const revenue = ctx.glAccount(POSTING.revenueHigh).id;
  return [...ctx.ledger.customers, ...ctx.ledger.suppliers].map((r, n) => {
    const customer = r.kind === 'customer';
    const condition = String(r.paymentDays);
    return {
      ID: r.id, Accountant: null, AccountManager: customer ? ctx.user.id : null, AccountManagerFullName: customer ? ctx.user.fullName : null, ActivitySector: null,
      AddressLine1: `Stationsweg ${1 + ((n * 7) % 120)}`, AddressLine2: null, Blocked: r.blocked, ChamberOfCommerce: r.chamberOfCommerce, City: r.city,
      Classification: null, Classification1: null, Code: padCode(r.code), CodeAtSupplier: null, Country: r.country, CountryName: COUNTRY_NAME[r.country] ?? r.country,
      ...audit(ctx, r.created, r.modified), CreditLinePurchase: null, CreditLineSales: null, Currency: 'EUR', CustomerSince: customer ? r.created : null,
      DiscountPurchase: 0, DiscountSales: 0, Division: ctx.division, Email: `info@${r.name.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
      GLAccountPurchase: customer ? null : ctx.glAccount('4700').id, GLAccountSales: customer ? revenue : null, InvoiceAccount: null, IsAccountant: 0,
      IsCompetitor: 0, IsPurchase: !customer, IsSales: customer, IsSupplier: !customer, Language: r.country === 'NL' ? 'NL' : 'EN', MainContact: null, Name: r.name,
      Parent: null, PaymentConditionPurchase: customer ? null : condition, PaymentConditionPurchaseDescription: customer ? null : `${condition} dagen`,
      PaymentConditionSales: customer ? condition : null, PaymentConditionSalesDescription: customer ? `${condition} dagen` : null,
      Phone: `0${30 + (n % 60)}-${String(1_000_000 + n * 7919).slice(-7)}`, Postcode: r.postcode, SearchCode: r.name.slice(0, 10).toUpperCase(),
      StartDate: null, Status: customer ? 'C' : 'A', Type: 'A', VATNumber: r.vatNumber, Website: null, Timestamp: ctx.timestamp(r.timestamp),
    };
  });
}

// --------------------------------------------------------------------------------- sales invoices (+lines)
const SALES_INVOICE_PROPERTIES: PropertyList = {
  InvoiceID: 'Guid', AmountDC: 'Double', AmountDiscount: 'Double', AmountDiscountExclVat: 'Double', AmountFC: 'Double', AmountFCExclVat: 'Double',
  ...AUDIT, Currency: 'String', DeliverTo: 'Guid', DeliverToName: 'String', Description: 'String', Division: 'Int32', Document: 'Guid', DueDate: 'DateTime',
  InvoiceDate: 'DateTime', InvoiceNumber: 'Int32', InvoiceTo: 'Guid', InvoiceToName: 'String', Journal: 'String', JournalDescription: 'String',
  OrderDate: 'DateTime', OrderedBy: 'Guid', OrderedByName: 'String', OrderNumber: 'Int32', PaymentCondition: 'String', PaymentConditionDescription: 'String',
  Remarks: 'String', Salesperson: 'Guid', SalespersonFullName: 'String', Status: 'Int16', StatusDescription: 'String', Type: 'Int32', TypeDescription: 'String',
  VATAmountDC: 'Double', VATAmountFC: 'Double', YourRef: 'String', Timestamp: 'Int64',
};

function salesEntries(ctx: BooksContext): DemoEntry[] {
  return [...ctx.ledger.entries.values()].filter((e) => e.kind === 'sales' && e.invoiceId !== null);
}

function salesInvoiceRows(ctx: BooksContext): Row[] {
  return salesEntries(ctx).map((e) => {
    const customer = ctx.relation(e.relation!)!;
    const total = e.lines[0].amount;
    const vat = -e.lines[e.lines.length - 1].amount;
    const credit = total < 0;
    return {
      InvoiceID: e.invoiceId, AmountDC: money(total), AmountDiscount: 0, AmountDiscountExclVat: 0, AmountFC: money(total), AmountFCExclVat: money(total - vat),
      ...audit(ctx, e.created, e.modified), Currency: 'EUR', DeliverTo: customer.id, DeliverToName: customer.name, Description: e.description, Division: ctx.division,
      Document: null, DueDate: e.dueDate ? dateMs(e.dueDate) : null, InvoiceDate: dateMs(e.date), InvoiceNumber: e.number, InvoiceTo: customer.id,
      InvoiceToName: customer.name, Journal: e.journal, JournalDescription: ctx.journal(e.journal).description, OrderDate: dateMs(e.date), OrderedBy: customer.id,
      OrderedByName: customer.name, OrderNumber: e.number % 100_000, PaymentCondition: String(customer.paymentDays), PaymentConditionDescription: `${customer.paymentDays} dagen`,
      Remarks: null, Salesperson: ctx.user.id, SalespersonFullName: ctx.user.fullName, Status: STATUS(e), StatusDescription: e.status === 'final' ? 'Verwerkt' : 'Open',
      Type: credit ? 8021 : 8020, TypeDescription: credit ? 'Creditnota' : 'Verkoopfactuur', VATAmountDC: money(vat), VATAmountFC: money(vat), YourRef: null,
      Timestamp: ctx.timestamp(Math.max(...e.lines.map((l) => l.timestamp))),
    };
  });
}

const SALES_INVOICE_LINE_PROPERTIES: PropertyList = {
  ID: 'Guid', AmountDC: 'Double', AmountFC: 'Double', CostCenter: 'String', CostCenterDescription: 'String', Description: 'String', Discount: 'Double',
  Division: 'Int32', GLAccount: 'Guid', GLAccountDescription: 'String', InvoiceID: 'Guid', Item: 'Guid', ItemCode: 'String', ItemDescription: 'String',
  LineNumber: 'Int32', NetPrice: 'Double', Project: 'Guid', ProjectDescription: 'String', Quantity: 'Double', UnitCode: 'String', UnitPrice: 'Double',
  VATAmountDC: 'Double', VATAmountFC: 'Double', VATCode: 'String', VATCodeDescription: 'String', VATPercentage: 'Double',
};

function salesInvoiceLineRows(ctx: BooksContext): Row[] {
  const rows: Row[] = [];
  for (const e of salesEntries(ctx)) {
    for (const line of e.lines) {
      if (!line.item) continue;
      const item = ctx.item(line.item)!;
      const gl = ctx.glAccount(line.glAccount);
      const project = line.project ? ctx.project(line.project) : undefined;
      const amount = -line.amount;
      const sign = amount < 0 ? -1 : 1;
      const vat = Math.round(amount * (VAT_PERCENTAGE[line.vatCode ?? ''] ?? 0));
      rows.push({
        ID: ctx.guid(`salesinvoiceline/${line.id}`), AmountDC: money(amount), AmountFC: money(amount), CostCenter: line.costCenter,
        CostCenterDescription: line.costCenter ? COST_CENTER_DESCRIPTION[line.costCenter] ?? null : null, Description: item.description, Discount: 0,
        Division: ctx.division, GLAccount: gl.id, GLAccountDescription: gl.description, InvoiceID: e.invoiceId, Item: item.id, ItemCode: item.code,
        ItemDescription: item.description, LineNumber: line.lineNumber, NetPrice: money(item.unitPrice), Project: project?.id ?? null,
        ProjectDescription: project?.description ?? null, Quantity: (line.quantity ?? 1) * sign, UnitCode: 'stuk', UnitPrice: money(item.unitPrice),
        VATAmountDC: money(vat), VATAmountFC: money(vat), VATCode: line.vatCode, VATCodeDescription: line.vatCode ? VAT_DESCRIPTION[line.vatCode] ?? null : null,
        VATPercentage: VAT_PERCENTAGE[line.vatCode ?? ''] ?? 0,
      });
    }
  }
  return rows;
}

// -------------------------------------------------------------------------------------------------- journals
const JOURNAL_PROPERTIES: PropertyList = {
  ID: 'Guid', Code: 'String', Currency: 'String', Description: 'String', Division: 'Int32', GLAccount: 'Guid', GLAccountCode: 'String',
  GLAccountDescription: 'String', Type: 'Int32', TypeDescription: 'String', Created: 'DateTime', Modified: 'DateTime',
};

function journalRows(ctx: BooksContext): Row[] {
  const created = Date.UTC(2025, 0, 1);
  return ctx.ledger.journals.map((j) => {
    const gl = j.code === 'BNK' ? ctx.glAccount(POSTING.bank) : j.code === 'KAS' ? ctx.glAccount(POSTING.cash) : undefined;
    return {
      ID: j.id, Code: j.code, Currency: 'EUR', Description: j.description, Division: ctx.division, GLAccount: gl?.id ?? null, GLAccountCode: gl?.code ?? null,
      GLAccountDescription: gl?.description ?? null, Type: j.exactJournalType, TypeDescription: JOURNAL_TYPE_DESCRIPTION[j.exactJournalType] ?? null, Created: created, Modified: created,
    };
  });
}

// ----------------------------------------------------------------------------------------- reporting balance
const REPORTING_BALANCE_PROPERTIES: PropertyList = {
  ID: 'Int64', Amount: 'Double', AmountCredit: 'Double', AmountDebit: 'Double', BalanceType: 'String', CostCenterCode: 'String', CostCenterDescription: 'String',
  CostUnitCode: 'String', CostUnitDescription: 'String', Count: 'Int32', Division: 'Int32', GLAccount: 'Guid', GLAccountCode: 'String',
  GLAccountDescription: 'String', ReportingPeriod: 'Int32', ReportingYear: 'Int32', Status: 'Int32', Type: 'Int32',
};

function reportingBalanceRows(ctx: BooksContext): Row[] {
  const index = new Map(ctx.ledger.glAccounts.map((a, i) => [a.code, i]));
  return ctx.ledger.balances().map((b) => {
    const gl = ctx.glAccount(b.glAccount);
    return {
      // Stable per account, year, period and status, so a refresh updates rather than duplicates.
      ID: (b.year * 100 + b.period) * 10_000 + (index.get(b.glAccount) ?? 0) * 10 + (b.status === 'final' ? 0 : 1),
      Amount: money(b.amount), AmountCredit: money(b.credit), AmountDebit: money(b.debit), BalanceType: gl.balanceType, CostCenterCode: null,
      CostCenterDescription: null, CostUnitCode: null, CostUnitDescription: null, Count: b.count, Division: ctx.division, GLAccount: gl.id, GLAccountCode: gl.code,
      GLAccountDescription: gl.description, ReportingPeriod: b.period, ReportingYear: b.year, Status: b.status === 'final' ? 50 : 20, Type: 0,
    };
  });
}

// -------------------------------------------------------------------------------------------------- budgets
const BUDGET_PROPERTIES: PropertyList = {
  ID: 'Guid', AmountDC: 'Double', BudgetScenario: 'Guid', BudgetScenarioCode: 'String', BudgetScenarioDescription: 'String', Costcenter: 'String',
  CostcenterDescription: 'String', Costunit: 'String', CostunitDescription: 'String', ...AUDIT, Division: 'Int32', GLAccount: 'Guid', GLAccountCode: 'String',
  GLAccountDescription: 'String', HID: 'Int64', Item: 'Guid', ItemCode: 'String', ItemDescription: 'String', ReportingPeriod: 'Int16', ReportingYear: 'Int16',
};

function budgetRows(ctx: BooksContext): Row[] {
  const scenario = ctx.guid('budgetscenario/BEGROTING');
  return ctx.ledger.budgets.map((b, n) => {
    const gl = ctx.glAccount(b.glAccount);
    return {
      ID: b.id, AmountDC: money(b.amount), BudgetScenario: scenario, BudgetScenarioCode: 'BEGROTING', BudgetScenarioDescription: 'Begroting', Costcenter: null,
      CostcenterDescription: null, Costunit: null, CostunitDescription: null, ...audit(ctx, b.modified, b.modified), Division: ctx.division, GLAccount: gl.id,
      GLAccountCode: gl.code, GLAccountDescription: gl.description, HID: n + 1, Item: null, ItemCode: null, ItemDescription: null, ReportingPeriod: b.period,
      ReportingYear: b.year,
    };
  });
}

// ---------------------------------------------------------------------- receivables, payables, payment terms
const TERM_PROPERTIES: PropertyList = {
  ID: 'Guid', Account: 'Guid', AccountCode: 'String', AccountName: 'String', AmountDC: 'Double', AmountDiscountDC: 'Double', AmountFC: 'Double', ...AUDIT,
  Currency: 'String', Description: 'String', Division: 'Int32', DueDate: 'DateTime', EntryDate: 'DateTime', EntryID: 'Guid', EntryNumber: 'Int32',
  GLAccount: 'Guid', GLAccountCode: 'String', GLAccountDescription: 'String', InvoiceDate: 'DateTime', InvoiceNumber: 'Int32', IsFullyPaid: 'Boolean',
  Journal: 'String', JournalDescription: 'String', PaymentCondition: 'String', PaymentConditionDescription: 'String', PaymentDays: 'Int32',
  Status: 'Int16', TransactionAmountDC: 'Double', TransactionEntryID: 'Guid', TransactionID: 'Guid', TransactionReportingPeriod: 'Int16',
  TransactionReportingYear: 'Int16', TransactionStatus: 'Int16', TransactionType: 'Int32', YourRef: 'String',
};

/** One open or settled term: a receivable or payable line that carries a relation. */
function termRow(ctx: BooksContext, entry: DemoEntry, line: DemoLine, sign: 1 | -1): Record<string, Value> {
  const relation = ctx.relation(line.relation!)!;
  const gl = ctx.glAccount(line.glAccount);
  const journal = ctx.journal(entry.journal);
  const invoiced = entry.kind === 'sales' || entry.kind === 'purchase';
  const open = line.matchStatus === 'available';
  return {
    ID: line.id, Account: relation.id, AccountCode: padCode(relation.code), AccountName: relation.name, AmountDC: money(sign * line.amount), AmountDiscountDC: 0,
    AmountFC: money(sign * line.amount), ...audit(ctx, entry.created, line.modified), Currency: 'EUR', Description: line.description, Division: ctx.division,
    DueDate: dateMs(entry.dueDate ?? entry.date), EntryDate: dateMs(entry.date), EntryID: entry.id, EntryNumber: entry.number, GLAccount: gl.id, GLAccountCode: gl.code,
    GLAccountDescription: gl.description, InvoiceDate: dateMs(entry.date), InvoiceNumber: invoiced ? entry.number : null, IsFullyPaid: !open, Journal: entry.journal,
    JournalDescription: journal.description, PaymentCondition: String(relation.paymentDays), PaymentConditionDescription: `${relation.paymentDays} dagen`,
    PaymentDays: relation.paymentDays, Status: open ? 20 : 50, TransactionAmountDC: money(line.amount), TransactionEntryID: entry.id, TransactionID: line.id,
    TransactionReportingPeriod: entry.period, TransactionReportingYear: entry.year, TransactionStatus: STATUS(entry), TransactionType: journal.exactTransactionType,
    YourRef: entry.kind === 'purchase' ? entry.invoiceNumber : null,
  };
}

function termRows(ctx: BooksContext, pick: (line: DemoLine) => boolean, sign: (line: DemoLine) => 1 | -1, withTimestamp: boolean): Row[] {
  const rows: Row[] = [];
  for (const entry of ctx.ledger.entries.values()) {
    for (const line of entry.lines) {
      if (!ctx.isPaymentTerm(line) || !pick(line)) continue;
      const row = termRow(ctx, entry, line, sign(line));
      if (withTimestamp) row.Timestamp = ctx.timestamp(line.timestamp);
      rows.push(row);
    }
  }
  return rows;
}

const receivableRows = (ctx: BooksContext) => termRows(ctx, (l) => l.glAccount === POSTING.receivables && l.matchStatus === 'available', () => 1, false);
const payableRows = (ctx: BooksContext) => termRows(ctx, (l) => l.glAccount === POSTING.payables && l.matchStatus === 'available', () => -1, false);
const paymentTermRows = (ctx: BooksContext) => termRows(ctx, () => true, () => 1, true);

// ---------------------------------------------------------------------------------------- items, projects
const ITEM_PROPERTIES: PropertyList = {
  ID: 'Guid', Barcode: 'String', Code: 'String', CostPriceCurrency: 'String', CostPriceStandard: 'Double', ...AUDIT, Description: 'String', Division: 'Int32',
  EndDate: 'DateTime', ExtraDescription: 'String', GLCosts: 'Guid', GLCostsCode: 'String', GLRevenue: 'Guid', GLRevenueCode: 'String',
  GLRevenueDescription: 'String', IsFractionAllowedItem: 'Boolean', IsPurchaseItem: 'Boolean', IsSalesItem: 'Boolean', IsStockItem: 'Boolean', Notes: 'String',
  SalesVatCode: 'String', SalesVatCodeDescription: 'String', SearchCode: 'String', StandardSalesPrice: 'Double', StartDate: 'DateTime', Stock: 'Double',
  Unit: 'String', UnitDescription: 'String', UnitType: 'String', Timestamp: 'Int64',
};

function itemRows(ctx: BooksContext): Row[] {
  const costs = ctx.glAccount('7000');
  return ctx.ledger.items.map((it) => {
    const revenue = ctx.glAccount(it.glRevenue);
    return {
      ID: it.id, Barcode: null, Code: it.code, CostPriceCurrency: 'EUR', CostPriceStandard: money(Math.round(it.unitPrice * 0.6)), ...audit(ctx, it.created, it.modified),
      Description: it.description, Division: ctx.division, EndDate: null, ExtraDescription: null, GLCosts: costs.id, GLCostsCode: costs.code, GLRevenue: revenue.id,
      GLRevenueCode: revenue.code, GLRevenueDescription: revenue.description, IsFractionAllowedItem: false, IsPurchaseItem: false, IsSalesItem: true, IsStockItem: false,
      Notes: null, SalesVatCode: it.vatCode, SalesVatCodeDescription: VAT_DESCRIPTION[it.vatCode] ?? null, SearchCode: it.code, StandardSalesPrice: money(it.unitPrice),
      StartDate: it.created, Stock: 0, Unit: 'stuk', UnitDescription: 'Stuk', UnitType: 'O', Timestamp: ctx.timestamp(it.timestamp),
    };
  });
}

const PROJECT_PROPERTIES: PropertyList = {
  ID: 'Guid', Account: 'Guid', AccountCode: 'String', AccountName: 'String', BudgetedAmount: 'Double', BudgetedCosts: 'Double', BudgetedRevenue: 'Double',
  Code: 'String', ...AUDIT, Description: 'String', Division: 'Int32', EndDate: 'DateTime', Manager: 'Guid', ManagerFullname: 'String', Notes: 'String',
  StartDate: 'DateTime', Type: 'Int32', TypeDescription: 'String', Timestamp: 'Int64',
};

function projectRows(ctx: BooksContext): Row[] {
  return ctx.ledger.projects.map((p, n) => {
    const customer = ctx.relation(p.customer);
    return {
      ID: p.id, Account: customer?.id ?? null, AccountCode: customer ? padCode(customer.code) : null, AccountName: customer?.name ?? null,
      BudgetedAmount: 10_000 + n * 2_500, BudgetedCosts: 6_000 + n * 1_500, BudgetedRevenue: 10_000 + n * 2_500, Code: p.code, ...audit(ctx, p.created, p.modified),
      Description: p.description, Division: ctx.division, EndDate: null, Manager: ctx.user.id, ManagerFullname: ctx.user.fullName, Notes: null,
      StartDate: dateMs(p.startDate), Type: 3, TypeDescription: 'Nacalculatie', Timestamp: ctx.timestamp(p.timestamp),
    };
  });
}

// ------------------------------------------------------------------------------------------------- catalogue
const M = 'Exact.Web.Api.Models';
export const ENTITIES = {
  GLAccounts: entity('GLAccounts', `${M}.GLAccount`, 'ID', GL_ACCOUNT_PROPERTIES, glAccountRows),
  TransactionLines: entity('TransactionLines', `${M}.TransactionLine`, 'ID', TRANSACTION_LINE_PROPERTIES, transactionLineRows),
  Transactions: entity('Transactions', `${M}.Transaction`, 'EntryID', TRANSACTION_PROPERTIES, transactionRows, [
    { name: 'TransactionLines', target: 'TransactionLines', foreignKey: 'EntryID' },
  ]),
  Accounts: entity('Accounts', `${M}.Account`, 'ID', ACCOUNT_PROPERTIES, accountRows),
  SalesInvoices: entity('SalesInvoices', `${M}.SalesInvoice`, 'InvoiceID', SALES_INVOICE_PROPERTIES, salesInvoiceRows, [
    { name: 'SalesInvoiceLines', target: 'SalesInvoiceLines', foreignKey: 'InvoiceID' },
  ]),
  SalesInvoiceLines: entity('SalesInvoiceLines', `${M}.SalesInvoiceLine`, 'ID', SALES_INVOICE_LINE_PROPERTIES, salesInvoiceLineRows),
  Journals: entity('Journals', `${M}.Journal`, 'ID', JOURNAL_PROPERTIES, journalRows),
  ReportingBalance: entity('ReportingBalance', `${M}.ReportingBalance`, 'ID', REPORTING_BALANCE_PROPERTIES, reportingBalanceRows),
  Budgets: entity('Budgets', `${M}.Budget`, 'ID', BUDGET_PROPERTIES, budgetRows),
  Receivables: entity('Receivables', `${M}.Receivable`, 'ID', TERM_PROPERTIES, receivableRows),
  Payments: entity('Payments', `${M}.Payment`, 'ID', TERM_PROPERTIES, payableRows),
  PaymentTerms: entity('PaymentTerms', `${M}.PaymentTerm`, 'ID', { ...TERM_PROPERTIES, Timestamp: 'Int64' }, paymentTermRows),
  Items: entity('Items', `${M}.Item`, 'ID', ITEM_PROPERTIES, itemRows),
  Projects: entity('Projects', `${M}.Project`, 'ID', PROJECT_PROPERTIES, projectRows),
} satisfies Record<string, EntitySpec>;
export type EntityName = keyof typeof ENTITIES;

/** sync/Deleted EntityType codes of the entities the demo books can delete. */
export const DELETED_ENTITY_TYPES = { TransactionLines: 1, Accounts: 2, GLAccounts: 7, Items: 9, PaymentTerms: 10, SalesInvoices: 13, Projects: 21 } as const;

export const DELETED_PROPERTIES: ReadonlyMap<string, EdmType> = new Map<string, EdmType>(
  Object.entries({ ID: 'Guid', DeletedBy: 'Guid', DeletedDate: 'DateTime', Division: 'Int32', EntityKey: 'Guid', EntityType: 'Int32', Timestamp: 'Int64' }),
);
