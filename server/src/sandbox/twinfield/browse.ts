// Twinfield "browse data": the `<columns code="…">` request over an office's transactions, with criteria
// (none / equal / between / like), up to three sort fields, and the `<browse>` answer with `<th>`, `<tr>`,
// typed `<td>` cells and row keys. Each browse code is a declaration: its fields (type, label, how a row
// renders) and its rows; filtering, sorting and rendering are shared.
import { messages } from './messages';
import { DIMENSION_TYPE_NAMES, type Dimension, type DimensionType, type LineRow, type OfficeBooks, twinfieldDate, twinfieldDateTime, twinfieldValue } from './officeBooks';
import { attribute, child, children, childText, textOf, type XmlNode } from './xmlRequest';
import { type Attributes, PreparedAttributes, type XmlWriter } from './xmlWriter';
import type { BalanceRow } from '../demo/ledger';
import { JOURNALS } from '../demo/catalog';

export type CellType = 'String' | 'Decimal' | 'Value' | 'Date' | 'Datetime' | 'Long';
type Criterion = 'text' | 'number' | 'value' | 'date' | 'datetime' | 'yearperiod' | 'status';
export type Operator = 'none' | 'equal' | 'between' | 'like';

/** A business error of a browse request: answered inside HTTP 200 with result="0". */
export class BrowseError extends Error {}

interface FieldDef<R> {
  field: string;
  label: string;
  type: CellType;
  value: (row: R, books: OfficeBooks) => string;
  /** Display name of a coded value (`<td … name="Beschikbaar">available</td>`). */
  name?: (row: R) => string | undefined;
  /** How criteria compare; by default from the cell type. */
  criterion?: Criterion;
  /** The operator a browse definition read offers for it. */
  defaultOperator?: Operator;
  defaultFrom?: string;
}

interface RowKey {
  office: string;
  code: string;
  number: number;
  line: number;
}

interface BrowseDefinition<R> {
  code: string;
  name: string;
  fields: Map<string, FieldDef<R>>;
  rows: (books: OfficeBooks) => R[];
  key?: (row: R, books: OfficeBooks) => RowKey;
  /** Codes 100 and 200: value columns go missing unless every requested column is visible. */
  valuesNeedAllVisible?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Fields of the transaction-line codes (000, 020, 030_x, 100, 200).

const STATUS_NAMES: Record<string, string> = { final: 'Definitief', provisional: 'Voorlopig', normal: 'Normaal' };
const MATCH_STATUS_NAMES: Record<string, string> = { available: 'Beschikbaar', matched: 'Afgeletterd', notmatchable: 'Niet afletterbaar' };
const JOURNAL_NAMES = new Map(JOURNALS.map((j) => [j.code, j.description]));

const yearPeriod = (year: number, period: number) => `${year}/${String(period).padStart(2, '0')}`;

function dim2(row: LineRow, books: OfficeBooks): Dimension | undefined {
  return books.dimensionByCode(['DEB', 'CRD'], row.line.relation) ?? books.dimensionByCode(['KPL'], row.line.costCenter);
}
function dim1(row: LineRow, books: OfficeBooks): Dimension | undefined {
  return books.dimensionByCode(['BAS', 'PNL'], row.line.glAccount);
}
const isOpenItem = (row: LineRow) => row.line.matchStatus !== 'notmatchable';

function origin(row: LineRow): string {
  switch (row.entry.kind) {
    case 'sales':
      return 'invoice';
    case 'receipt':
    case 'payment':
      return 'bankstatement';
    case 'purchase':
      return 'import';
    default:
      return 'manual';
  }
}

const LINE_FIELDS: FieldDef<LineRow>[] = [
  { field: 'fin.trs.head.office', label: 'Administratie', type: 'String', value: (_r, b) => b.code, defaultOperator: 'equal' },
  { field: 'fin.trs.head.officename', label: 'Adm.naam', type: 'String', value: (_r, b) => b.name },
  { field: 'fin.trs.head.year', label: 'Jaar', type: 'Long', value: (r) => String(r.entry.year) },
  { field: 'fin.trs.head.period', label: 'Periode', type: 'Long', value: (r) => String(r.entry.period) },
  { field: 'fin.trs.head.yearperiod', label: 'Jaar/periode (JJJJ/PP)', type: 'String', criterion: 'yearperiod', defaultOperator: 'between', value: (r) => yearPeriod(r.entry.year, r.entry.period) },
  { field: 'fin.trs.head.code', label: 'Dagboek', type: 'String', defaultOperator: 'equal', value: (r) => r.entry.journal },
  { field: 'fin.trs.head.shortname', label: 'Naam', type: 'String', value: (r) => JOURNAL_NAMES.get(r.entry.journal) ?? '' },
  { field: 'fin.trs.head.number', label: 'Boekingsnr.', type: 'Decimal', defaultOperator: 'between', value: (r) => String(r.entry.number) },
  { field: 'fin.trs.head.status', label: 'Status', type: 'String', criterion: 'status', defaultOperator: 'equal', defaultFrom: 'normal', value: (r) => r.entry.status, name: (r) => STATUS_NAMES[r.entry.status] },
  { field: 'fin.trs.head.date', label: 'Boekdatum', type: 'Date', defaultOperator: 'between', value: (r) => twinfieldDate(r.entry.date) },
  { field: 'fin.trs.head.curcode', label: 'Valuta', type: 'String', value: () => 'EUR' },
  { field: 'fin.trs.head.relation', label: 'Relatie', type: 'String', value: (r) => r.entry.relation ?? '' },
  { field: 'fin.trs.head.relationname', label: 'Relatienaam', type: 'String', value: (r, b) => b.dimensionByCode(['DEB', 'CRD'], r.entry.relation)?.name ?? '' },
  { field: 'fin.trs.head.inpdate', label: 'Invoerdatum', type: 'Datetime', value: (r) => twinfieldDateTime(r.entry.created) },
  { field: 'fin.trs.head.modified', label: 'Wijzigingsdatum', type: 'Datetime', defaultOperator: 'between', value: (r) => twinfieldDateTime(r.entry.modified) },
  { field: 'fin.trs.head.username', label: 'Gebruiker', type: 'String', value: () => 'DEMO' },
  { field: 'fin.trs.head.origin', label: 'Oorsprong', type: 'String', value: origin },
  { field: 'fin.trs.line.dim1', label: 'Grootboekrek.', type: 'String', defaultOperator: 'between', value: (r) => r.line.glAccount },
  { field: 'fin.trs.line.dim1name', label: 'Grootboekrek.naam', type: 'String', value: (r, b) => dim1(r, b)?.name ?? '' },
  { field: 'fin.trs.line.dim1type', label: 'Dimensietype 1', type: 'String', value: (r, b) => dim1(r, b)?.type ?? '' },
  { field: 'fin.trs.line.dim2', label: 'Kpl./rel.', type: 'String', defaultOperator: 'between', value: (r, b) => dim2(r, b)?.code ?? '' },
  { field: 'fin.trs.line.dim2name', label: 'Kpl./rel.naam', type: 'String', value: (r, b) => dim2(r, b)?.name ?? '' },
  { field: 'fin.trs.line.dim2type', label: 'Dimensietype 2', type: 'String', value: (r, b) => dim2(r, b)?.type ?? '' },
  { field: 'fin.trs.line.dim3', label: 'Act./proj.', type: 'String', defaultOperator: 'between', value: (r) => r.line.project ?? '' },
  { field: 'fin.trs.line.dim3name', label: 'Act./proj.naam', type: 'String', value: (r, b) => b.dimensionByCode(['PRJ'], r.line.project)?.name ?? '' },
  { field: 'fin.trs.line.dim3type', label: 'Dimensietype 3', type: 'String', value: (r) => (r.line.project ? 'PRJ' : '') },
  { field: 'fin.trs.line.valuesigned', label: 'Bedrag', type: 'Value', value: (r) => twinfieldValue(r.line.amount) },
  { field: 'fin.trs.line.basevaluesigned', label: 'Basisbedrag', type: 'Value', value: (r) => twinfieldValue(r.line.amount) },
  { field: 'fin.trs.line.repvaluesigned', label: 'Rapportagebedrag', type: 'Value', value: (r) => twinfieldValue(r.line.amount) },
  { field: 'fin.trs.line.debitcredit', label: 'D/C', type: 'String', value: (r) => (r.line.amount >= 0 ? 'debit' : 'credit'), name: (r) => (r.line.amount >= 0 ? 'Debet' : 'Credit') },
  { field: 'fin.trs.line.vatcode', label: 'Btw-code', type: 'String', value: (r) => r.line.vatCode ?? '' },
  { field: 'fin.trs.line.vatbasevaluesigned', label: 'Btw-basisbedrag', type: 'Value', value: (r) => twinfieldValue(r.line.vatBaseAmount) },
  { field: 'fin.trs.line.quantity', label: 'Aantal', type: 'Decimal', value: (r) => (r.line.quantity === null ? '' : String(r.line.quantity)) },
  { field: 'fin.trs.line.description', label: 'Omschrijving', type: 'String', value: (r) => r.line.description },
  { field: 'fin.trs.line.invnumber', label: 'Factuurnr.', type: 'String', value: (r) => (r.line.relation ? (r.entry.invoiceNumber ?? '') : '') },
  { field: 'fin.trs.line.matchstatus', label: 'Betaalstatus', type: 'String', value: (r) => r.line.matchStatus, name: (r) => MATCH_STATUS_NAMES[r.line.matchStatus] },
  // The demo books record whether a line is matched, not with which match set: number and date stay empty.
  { field: 'fin.trs.line.matchnumber', label: 'Betaalnr.', type: 'Long', value: () => '' },
  { field: 'fin.trs.line.matchdate', label: 'Betaaldatum', type: 'Date', value: () => '' },
  { field: 'fin.trs.line.openbasevaluesigned', label: 'Openstaand basisbedrag', type: 'Value', value: (r) => (isOpenItem(r) ? twinfieldValue(r.line.matchStatus === 'available' ? r.line.amount : 0) : '') },
  { field: 'fin.trs.line.openvaluesigned', label: 'Openstaand bedrag', type: 'Value', value: (r) => (isOpenItem(r) ? twinfieldValue(r.line.matchStatus === 'available' ? r.line.amount : 0) : '') },
  { field: 'fin.trs.line.datedue', label: 'Vervaldatum', type: 'Date', value: (r) => (r.line.relation ? twinfieldDate(r.entry.dueDate) : '') },
  { field: 'fin.trs.line.availableforpayruns', label: 'Beschikbaar voor betaalrun', type: 'String', value: (r) => String(r.line.matchStatus === 'available'), name: (r) => (r.line.matchStatus === 'available' ? 'Ja' : 'Nee') },
];

// ---------------------------------------------------------------------------------------------------------
// Fields of 040_1 (annual report totals): one row per account, year, period and status, from ledger.balances().

interface BalanceContext {
  row: BalanceRow;
  account?: Dimension;
}

const BALANCE_FIELDS: FieldDef<BalanceContext>[] = [
  { field: 'fin.trs.head.office', label: 'Administratie', type: 'String', value: (_r, b) => b.code, defaultOperator: 'equal' },
  { field: 'fin.trs.head.officename', label: 'Adm.naam', type: 'String', value: (_r, b) => b.name },
  { field: 'fin.trs.head.year', label: 'Jaar', type: 'Long', value: (c) => String(c.row.year) },
  { field: 'fin.trs.head.period', label: 'Periode', type: 'Long', value: (c) => String(c.row.period) },
  { field: 'fin.trs.head.yearperiod', label: 'Jaar/periode (JJJJ/PP)', type: 'String', criterion: 'yearperiod', defaultOperator: 'between', value: (c) => yearPeriod(c.row.year, c.row.period) },
  { field: 'fin.trs.head.status', label: 'Status', type: 'String', criterion: 'status', defaultOperator: 'equal', defaultFrom: 'normal', value: (c) => c.row.status, name: (c) => STATUS_NAMES[c.row.status] },
  { field: 'fin.trs.line.dim1', label: 'Grootboekrek.', type: 'String', defaultOperator: 'between', value: (c) => c.row.glAccount },
  { field: 'fin.trs.line.dim1name', label: 'Grootboekrek.naam', type: 'String', value: (c) => c.account?.name ?? '' },
  { field: 'fin.trs.line.dim1type', label: 'Dimensietype 1', type: 'String', value: (c) => c.account?.type ?? '' },
  { field: 'fin.trs.line.dim1group1', label: 'Groep 1', type: 'String', value: (c) => (c.account ? c.account.type : '') },
  { field: 'fin.trs.line.dim1group1name', label: 'Groepnaam 1', type: 'String', value: (c) => (c.account ? DIMENSION_TYPE_NAMES[c.account.type] : '') },
  { field: 'fin.trs.line.dim2', label: 'Kpl./rel.', type: 'String', defaultOperator: 'between', value: () => '' },
  { field: 'fin.trs.line.dim2name', label: 'Kpl./rel.naam', type: 'String', value: () => '' },
  { field: 'fin.trs.line.dim2type', label: 'Dimensietype 2', type: 'String', value: () => '' },
  { field: 'fin.trs.line.dim3', label: 'Act./proj.', type: 'String', defaultOperator: 'between', value: () => '' },
  { field: 'fin.trs.line.dim3name', label: 'Act./proj.naam', type: 'String', value: () => '' },
  { field: 'fin.trs.line.dim3type', label: 'Dimensietype 3', type: 'String', value: () => '' },
  { field: 'fin.trs.line.basevaluesigned', label: 'Basisbedrag', type: 'Value', value: (c) => twinfieldValue(c.row.amount) },
  { field: 'fin.trs.line.repvaluesigned', label: 'Rapportagebedrag', type: 'Value', value: (c) => twinfieldValue(c.row.amount) },
  { field: 'fin.trs.line.debitcredit', label: 'D/C', type: 'String', value: (c) => (c.row.amount >= 0 ? 'debit' : 'credit'), name: (c) => (c.row.amount >= 0 ? 'Debet' : 'Credit') },
];

const byField = <R>(fields: FieldDef<R>[]) => new Map(fields.map((f) => [f.field, f]));
const LINE_FIELD_MAP = byField(LINE_FIELDS);

function lineDefinition(code: string, name: string, relationType?: DimensionType): BrowseDefinition<LineRow> {
  return {
    code,
    name,
    fields: LINE_FIELD_MAP,
    rows: (books) => {
      const rows = books.lineRows();
      if (!relationType) return rows;
      return rows.filter((r) => r.line.relation !== null && books.dimension(relationType, r.line.relation) !== undefined);
    },
    key: (r, books) => ({ office: books.code, code: r.entry.journal, number: r.entry.number, line: r.line.lineNumber }),
    valuesNeedAllVisible: relationType !== undefined,
  };
}

const DEFINITIONS = new Map<string, BrowseDefinition<LineRow> | BrowseDefinition<BalanceContext>>([
  ['000', lineDefinition('000', 'Grootboekmutaties')],
  ['020', lineDefinition('020', 'Transactielijst')],
  ['030_1', lineDefinition('030_1', 'Grootboekkaart (transactievaluta)')],
  ['030_2', lineDefinition('030_2', 'Grootboekkaart (basisvaluta)')],
  ['030_3', lineDefinition('030_3', 'Grootboekkaart')],
  ['100', lineDefinition('100', 'Debiteurenmutaties', 'DEB')],
  ['200', lineDefinition('200', 'Crediteurenmutaties', 'CRD')],
  [
    '040_1',
    {
      code: '040_1',
      name: 'Jaarrapport totalen',
      fields: byField(BALANCE_FIELDS),
      rows: (books) => books.balances().map((row) => ({ row, account: books.dimensionByCode(['BAS', 'PNL'], row.glAccount) })),
    } satisfies BrowseDefinition<BalanceContext>,
  ],
]);

/** Browse codes the real service has that the sandbox does not serve. */
const REAL_BUT_ABSENT = new Set(['010', '050_1', '060', '130_1', '130_2', '130_3', '164', '230_2', '300', '302_1', '400', '410', '610_1', '670', '690', '900']);

function definition(code: string): BrowseDefinition<unknown> {
  const found = DEFINITIONS.get(code);
  if (found) return found as BrowseDefinition<unknown>;
  throw new BrowseError(REAL_BUT_ABSENT.has(code) ? messages.browseCodeNotInSandbox(code) : messages.unknownBrowseCode(code));
}

export function isBrowseCode(code: string): boolean {
  return DEFINITIONS.has(code);
}

// ---------------------------------------------------------------------------------------------------------
// Criteria.

type Predicate<R> = (row: R, books: OfficeBooks) => boolean;

function criterionOf(field: FieldDef<unknown>): Criterion {
  if (field.criterion) return field.criterion;
  switch (field.type) {
    case 'Decimal':
    case 'Long':
      return 'number';
    case 'Value':
      return 'value';
    case 'Date':
      return 'date';
    case 'Datetime':
      return 'datetime';
    default:
      return 'text';
  }
}

/** Normalises one bound of a criterion to a comparable value; throws on a value the field cannot take. */
function bound(criterion: Criterion, raw: string, field: string, side: 'from' | 'to'): string | number {
  const invalid = () => new BrowseError(messages.invalidValue(raw, field));
  switch (criterion) {
    case 'yearperiod':
      if (!/^\d{4}\/\d{2}$/.test(raw)) throw invalid();
      return raw;
    case 'date':
      if (!/^\d{8}$/.test(raw)) throw invalid();
      return raw;
    case 'datetime':
      if (/^\d{14}$/.test(raw)) return raw;
      if (/^\d{8}$/.test(raw)) return raw + (side === 'from' ? '000000' : '235959');
      throw invalid();
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw invalid();
      return Number(raw);
    }
    case 'value': {
      if (!/^-?\d+(\.\d{1,2})?$/.test(raw)) throw invalid();
      return Math.round(Number(raw) * 100);
    }
    default:
      return raw.toUpperCase();
  }
}

function comparable(criterion: Criterion, cell: string): string | number | undefined {
  if (criterion === 'number') return cell === '' ? undefined : Number(cell);
  if (criterion === 'value') return cell === '' ? undefined : Math.round(Number(cell) * 100);
  if (criterion === 'text') return cell.toUpperCase();
  return cell;
}

/** `*` and `%` match any run of characters, `?` one character; the rest literally, case-insensitively. */
function likePattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/[*%]/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const STATUS_SETS: Record<string, ReadonlySet<string>> = {
  normal: new Set(['final', 'provisional']),
  final: new Set(['final']),
  provisional: new Set(['provisional']),
};

function predicate<R>(field: FieldDef<R>, operator: Operator, from: string, to: string): Predicate<R> | undefined {
  if (operator === 'none' || (from === '' && to === '')) return undefined;
  const criterion = criterionOf(field as FieldDef<unknown>);
  const value = field.value;
  if (criterion === 'status') {
    if (operator !== 'equal') throw new BrowseError(messages.unknownOperator(operator, field.field));
    const statuses = STATUS_SETS[from.toLowerCase()];
    if (!statuses) throw new BrowseError(messages.invalidValue(from, field.field));
    return (row, books) => statuses.has(value(row, books));
  }
  if (operator === 'like') {
    if (criterion !== 'text' && criterion !== 'yearperiod') throw new BrowseError(messages.unknownOperator(operator, field.field));
    const pattern = likePattern(from);
    return (row, books) => pattern.test(value(row, books));
  }
  if (operator === 'equal') {
    const expected = bound(criterion, from, field.field, 'from');
    return (row, books) => comparable(criterion, value(row, books)) === expected;
  }
  const low = from === '' ? undefined : bound(criterion, from, field.field, 'from');
  const high = to === '' ? undefined : bound(criterion, to, field.field, 'to');
  return (row, books) => {
    const cell = comparable(criterion, value(row, books));
    if (cell === undefined || cell === '') return false;
    return (low === undefined || cell >= low) && (high === undefined || cell <= high);
  };
}

// ---------------------------------------------------------------------------------------------------------
// The request.

interface RequestedColumn {
  field: string;
  label?: string;
  visible: boolean;
  operator: Operator;
  from: string;
  to: string;
}

export interface BrowseRequest {
  code: string;
  optimize: boolean;
  columns: RequestedColumn[];
  sort: { field: string; descending: boolean }[];
}

const OPERATORS = new Set<Operator>(['none', 'equal', 'between', 'like']);

/** Reads a `<columns code="…">` element; throws {@link BrowseError} on what Twinfield refuses. */
export function parseBrowseRequest(columns: XmlNode): BrowseRequest {
  const code = attribute(columns, 'code') ?? '';
  if (code === '') throw new BrowseError(messages.missingElement('columns code'));
  const parsed: BrowseRequest = { code, optimize: attribute(columns, 'optimize')?.toLowerCase() === 'true', columns: [], sort: [] };
  for (const column of children(columns, 'column')) {
    const field = childText(column, 'field')?.trim();
    if (!field) throw new BrowseError(messages.missingElement('field'));
    const operator = (childText(column, 'operator')?.trim() || 'none') as Operator;
    if (!OPERATORS.has(operator)) throw new BrowseError(messages.unknownOperator(operator, field));
    parsed.columns.push({
      field,
      label: childText(column, 'label') || undefined,
      visible: (childText(column, 'visible')?.trim().toLowerCase() ?? 'true') !== 'false',
      operator,
      from: childText(column, 'from')?.trim() ?? '',
      to: childText(column, 'to')?.trim() ?? '',
    });
  }
  for (const sortField of children(child(columns, 'sort'), 'field')) {
    const order = (attribute(sortField, 'order') ?? 'ascending').toLowerCase();
    if (order !== 'ascending' && order !== 'descending') throw new BrowseError(messages.invalidSortOrder(order));
    parsed.sort.push({ field: textOf(sortField)?.trim() ?? '', descending: order === 'descending' });
  }
  if (parsed.sort.length > 3) throw new BrowseError(messages.tooManySortFields());
  return parsed;
}

interface OutputColumn<R> {
  def: FieldDef<R>;
  label: string;
  /** Attributes of a row cell, escaped once per column; with a `name`, once per distinct name. */
  cellAttributes: (row: R) => PreparedAttributes;
}

function cellAttributes<R>(def: FieldDef<R>, optimize: boolean): (row: R) => PreparedAttributes {
  const base: Record<string, string> = optimize ? {} : { field: def.field, hideforuser: 'false', type: def.type };
  const plain = new PreparedAttributes(base);
  const nameOf = def.name;
  if (!nameOf) return () => plain;
  // Names come from small vocabularies (statuses, match statuses), so a cache per column stays tiny.
  const named = new Map<string, PreparedAttributes>();
  return (row) => {
    const name = nameOf(row);
    if (name === undefined) return plain;
    let prepared = named.get(name);
    if (!prepared) named.set(name, (prepared = new PreparedAttributes({ ...base, name })));
    return prepared;
  };
}

/** A validated browse request with its rows selected and sorted, ready to write. */
export interface PreparedBrowse {
  total: number;
  /** Writes the `<browse>` element; `root` adds attributes to it (a namespace reset). */
  write(writer: XmlWriter, root?: Attributes): void;
}

/**
 * Validates a browse request against one office and selects its rows; throws {@link BrowseError} for what
 * Twinfield refuses (unknown code or field, bad operator or value), so nothing is written for a refusal.
 */
export function prepareBrowse(request: BrowseRequest, books: OfficeBooks): PreparedBrowse {
  const def = definition(request.code);
  const fields = def.fields as Map<string, FieldDef<unknown>>;
  const fieldDef = (name: string) => {
    const found = fields.get(name);
    if (!found) throw new BrowseError(messages.unknownField(name, request.code));
    return found;
  };

  const predicates: Predicate<unknown>[] = [];
  for (const column of request.columns) {
    const p = predicate(fieldDef(column.field), column.operator, column.from, column.to);
    if (p) predicates.push(p);
  }
  const sort = request.sort.map((s) => ({ def: fieldDef(s.field), descending: s.descending }));

  const dropValues = def.valuesNeedAllVisible === true && request.columns.some((c) => !c.visible);
  const output = request.columns
    .filter((c) => c.visible)
    .map((c) => ({ def: fieldDef(c.field), label: c.label ?? fieldDef(c.field).label }))
    .filter((c) => !(dropValues && c.def.type === 'Value'))
    .map((c): OutputColumn<unknown> => ({ ...c, cellAttributes: cellAttributes(c.def, request.optimize) }));

  let rows = def.rows(books).filter((row) => predicates.every((p) => p(row, books)));
  if (sort.length > 0) rows = sortRows(rows, sort, books);

  return {
    total: rows.length,
    write(writer, root = {}) {
      const total = rows.length;
      writer.open('browse', { ...root, result: '1', first: total === 0 ? '0' : '1', last: String(total), total: String(total) });
      writer.open('th');
      for (const column of output) writer.element('td', column.def.field, { label: column.label, hideforuser: 'false', type: column.def.type });
      writer.close('th');
      for (const row of rows) {
        writer.open('tr');
        for (const column of output) writer.element('td', column.def.value(row, books), column.cellAttributes(row));
        if (def.key) {
          const key = def.key(row, books);
          writer.open('key').element('office', key.office).element('code', key.code).element('number', key.number).element('line', key.line).close('key');
        }
        writer.close('tr');
      }
      writer.close('browse');
    },
  };
}

function sortRows<R>(rows: R[], sort: { def: FieldDef<R>; descending: boolean }[], books: OfficeBooks): R[] {
  // Keys are computed once per row, then a stable sort (Array.prototype.sort is stable) over them.
  const keyed = rows.map((row, index) => ({
    row,
    index,
    keys: sort.map(({ def }) => {
      const cell = def.value(row, books);
      const numeric = def.type === 'Decimal' || def.type === 'Long' || def.type === 'Value';
      return numeric ? (cell === '' ? Number.NEGATIVE_INFINITY : Number(cell)) : cell;
    }),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const x = a.keys[i];
      const y = b.keys[i];
      if (x === y) continue;
      const order = x < y ? -1 : 1;
      return sort[i].descending ? -order : order;
    }
    return a.index - b.index;
  });
  return keyed.map((k) => k.row);
}

/** Answers `<read><type>browse</type><code>…</code></read>`: the definition, every field as a column. Throws {@link BrowseError} for an unknown code. */
export function browseDefinitionWriter(code: string, books: OfficeBooks): (writer: XmlWriter, root: Attributes) => void {
  const def = definition(code);
  return (writer, root) => {
    writer.open('browse', { ...root, result: '1' });
    writer.element('office', books.code, { name: books.name, shortname: books.shortname });
    writer.element('code', def.code).element('name', def.name).element('shortname', def.name).element('visible', 'true');
    writer.open('columns', { code: def.code });
    let id = 1;
    for (const field of (def.fields as Map<string, FieldDef<unknown>>).values()) {
      const operator = field.defaultOperator ?? 'none';
      writer.open('column', { id: String(id++) });
      writer.element('field', field.field).element('label', field.label).element('visible', 'true');
      writer.element('ask', String(operator !== 'none')).element('operator', operator);
      writer.element('from', field.defaultFrom ?? '').element('to', '').element('finderparam', '');
      writer.close('column');
    }
    writer.close('columns');
    writer.close('browse');
  };
}
