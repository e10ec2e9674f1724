// Twinfield "browse data", pure: building the `<columns code="…">` request (criteria, sort, every column visible —
// codes 100 and 200 leave value columns out otherwise) and reading the `<browse>` answer with or without
// `optimize="true"` (then cells carry no field attribute and their order comes from `<th>`), with cells converted
// from their Twinfield types (String, Decimal, Value, Date, Datetime, Long) into values `toStored` accepts.
import type { EdmType } from '../../tables/description';
import { attributeOf, child, children, el, textOf, type XmlElement, type XmlObject, type XmlValue } from './xml';

export type CellType = 'String' | 'Decimal' | 'Value' | 'Date' | 'Datetime' | 'Long';
export type BrowseOperator = 'equal' | 'between' | 'like';

export interface BrowseCriterion {
  field: string;
  operator: BrowseOperator;
  from: string;
  /** `between` only. */
  to?: string;
}

export interface BrowseQuery {
  code: string;
  /** Fields to return, in order; criteria fields are returned too. */
  fields: readonly string[];
  criteria?: readonly BrowseCriterion[];
  /** At most 3. */
  sort?: ReadonlyArray<{ field: string; descending?: boolean }>;
  /** Leaves field/type attributes out of row cells (smaller answers). */
  optimize?: boolean;
}

/** The `<columns>` request. Every column is visible: for codes 100 and 200 a hidden one makes Twinfield drop the value columns. */
export function browseRequest(query: BrowseQuery): XmlElement {
  if ((query.sort?.length ?? 0) > 3) throw new RangeError('Twinfield sorts on at most 3 fields');
  const criteria = new Map((query.criteria ?? []).map((c) => [c.field, c]));
  const fields = [...query.fields, ...[...criteria.keys()].filter((f) => !query.fields.includes(f))];
  const column = (field: string) => {
    const criterion = criteria.get(field);
    return el(
      'column',
      {},
      el('field', {}, field),
      el('visible', {}, 'true'),
      criterion && el('ask', {}, 'true'),
      criterion && el('operator', {}, criterion.operator),
      criterion && el('from', {}, criterion.from),
      criterion && el('to', {}, criterion.to ?? ''),
    );
  };
  const sort = query.sort?.length ? el('sort', {}, ...query.sort.map((s) => el('field', { order: s.descending ? 'descending' : 'ascending' }, s.field))) : null;
  return el('columns', { code: query.code, optimize: query.optimize ? 'true' : undefined }, sort, ...fields.map(column));
}

export interface BrowseColumn {
  field: string;
  label?: string;
  type?: CellType;
}

export interface BrowseCell {
  text: string;
  /** The cell's own type attribute (absent when optimized). */
  type?: CellType;
  /** Display name of a coded value (`name="Beschikbaar"`). */
  name?: string;
}

export interface BrowseKey {
  office: string;
  code: string;
  number: string;
  line: string;
}

export interface BrowseRow {
  /** Aligned with the result's columns. */
  cells: BrowseCell[];
  key?: BrowseKey;
}

export interface BrowseResult {
  total: number;
  columns: BrowseColumn[];
  rows: BrowseRow[];
}

/** A browse answer that does not have the documented shape. */
export class BrowseShapeError extends Error {}

const CELL_TYPES = new Set<CellType>(['String', 'Decimal', 'Value', 'Date', 'Datetime', 'Long']);
/** A cell's or column's `type` attribute, when it is one Twinfield documents. */
export const cellType = (value: string | undefined): CellType | undefined => (value && CELL_TYPES.has(value as CellType) ? (value as CellType) : undefined);

/** Reads a `<browse>` element; cells are placed by their field attribute, or by position under `<th>` when optimized. */
export function readBrowse(browse: XmlObject): BrowseResult {
  const columns: BrowseColumn[] = children(child(browse, 'th'), 'td').map((td) => ({
    field: textOf(td).trim(),
    label: attributeOf(td, 'label'),
    type: cellType(attributeOf(td, 'type')),
  }));
  const position = new Map(columns.map((c, i) => [c.field, i]));
  const rows = children(browse, 'tr').map((tr, r): BrowseRow => {
    const cells: BrowseCell[] = columns.map(() => ({ text: '' }));
    children(tr, 'td').forEach((td, i) => {
      const field = attributeOf(td, 'field');
      const at = field === undefined ? i : position.get(field);
      if (at === undefined || at >= columns.length) throw new BrowseShapeError(`row ${r + 1} has a cell for ${field ?? `column ${i + 1}`}, which is not in the header`);
      cells[at] = { text: textOf(td), type: cellType(attributeOf(td, 'type')), name: attributeOf(td, 'name') };
    });
    return { cells, key: readKey(child(tr, 'key')) };
  });
  const totalText = attributeOf(browse, 'total');
  const total = totalText !== undefined && /^\d+$/.test(totalText) ? Number(totalText) : rows.length;
  return { total, columns, rows };
}

function readKey(key: XmlValue | undefined): BrowseKey | undefined {
  if (key === undefined || typeof key !== 'object' || Array.isArray(key)) return undefined;
  const part = (name: string) => textOf(child(key, name)).trim();
  return { office: part('office'), code: part('code'), number: part('number'), line: part('line') };
}

/** A cell that cannot be read as its column's type. */
export class CellValueError extends Error {}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A cell's text as a value of the column's Edm type, in a form `toStored` accepts: decimals stay exact text,
 * dates `YYYY-MM-DD`, date-times ISO 8601 in UTC (`YYYYMMDDHHMMSS` as the sandbox documents), integers as text.
 * Empty cells are null. `type` is the cell's Twinfield type, when known.
 */
export function cellValue(text: string, type: CellType | undefined, edm: EdmType): string | boolean | null {
  const value = edm === 'Edm.String' ? text : text.trim();
  if (value === '') return null;
  switch (edm) {
    case 'Edm.String':
      return value;
    case 'Edm.Decimal':
    case 'Edm.Double':
      if (!DECIMAL.test(value)) throw new CellValueError(`${JSON.stringify(text)} is not a ${type ?? 'Decimal'} number`);
      return value;
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Int64': {
      // Twinfield types some whole numbers (entry numbers) as Decimal: 202500001 or 202500001.00.
      const m = /^([+-]?\d+)(\.0*)?$/.exec(value);
      if (!m) throw new CellValueError(`${JSON.stringify(text)} is not a whole number`);
      return m[1];
    }
    case 'Edm.Date': {
      const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value);
      if (!m) throw new CellValueError(`${JSON.stringify(text)} is not a date (YYYYMMDD)`);
      return `${m[1]}-${m[2]}-${m[3]}`;
    }
    case 'Edm.DateTimeOffset': {
      const compact = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$/.exec(value);
      if (compact) {
        const [, y, mo, d, h = '00', mi = '00', s = '00'] = compact;
        return `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
      }
      if (/^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`))) {
        return /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
      }
      throw new CellValueError(`${JSON.stringify(text)} is not a date-time (YYYYMMDDHHMMSS)`);
    }
    case 'Edm.Boolean':
      if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw new CellValueError(`${JSON.stringify(text)} is not true or false`);
    case 'Edm.Guid':
      return value;
  }
}

/** Twinfield date-time criterion text, YYYYMMDDHHMMSS in UTC. */
export function twinfieldDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
