// OData v2 query options of an Exact Online GET ($filter $select $orderby $top $skip $skiptoken $expand) and
// keyset paging over a pre-sorted index: a page seeks to the row after the skiptoken's sort values, so paging stays
// correct while rows are inserted or deleted between calls, and never re-sorts.
import { InvalidQuery } from '../../errors';
import { compareForOrder, compileFilter, type CompiledFilter, type EdmType, type Row, type Value } from './filter';

export interface OrderKey {
  property: string;
  descending: boolean;
}

export interface EntityShape {
  /** Model type name, used in WCF-style messages. */
  type: string;
  /** Property types in the order they are serialised. */
  properties: ReadonlyMap<string, EdmType>;
  /** Navigation properties (serialised as `__deferred`). */
  navigation: readonly string[];
  /** The property that orders the default index and breaks ties (unique within a view). */
  key: string;
}

export interface QueryOptions {
  filter?: CompiledFilter;
  /** Selected properties (and navigation properties) in entity order; undefined = all. */
  select?: string[];
  selectGiven: boolean;
  orderby: OrderKey[];
  top?: number;
  skip: number;
  skiptoken?: SkipToken;
  expand: string[];
}

/** What `$skiptoken` carries: the sort values of the last row served and how many rows were served so far. */
export interface SkipToken {
  after: Value[];
  served: number;
}

const KNOWN_OPTIONS = new Set(['$filter', '$select', '$orderby', '$top', '$skip', '$skiptoken', '$expand', '$format']);

export function parseQueryOptions(params: URLSearchParams, shape: EntityShape): QueryOptions {
  for (const name of params.keys()) {
    if (name === '$count' || name === '$inlinecount') throw new InvalidQuery(`The query parameter '${name}' is not supported. Use the /$count path segment.`);
    if (name.startsWith('$') && !KNOWN_OPTIONS.has(name)) throw new InvalidQuery(`The query parameter '${name}' begins with a system-reserved '$' character but is not recognized.`);
  }
  const single = (name: string): string | undefined => {
    const all = params.getAll(name);
    if (all.length > 1) throw new InvalidQuery(`Query option '${name}' was specified more than once, but it must be specified at most once.`);
    return all[0];
  };
  const types = (name: string) => shape.properties.get(name);
  const filterText = single('$filter');
  const selectText = single('$select');
  const options: QueryOptions = {
    filter: filterText === undefined ? undefined : compileFilter(filterText, types, shape.type),
    selectGiven: selectText !== undefined && selectText.trim() !== '',
    select: undefined,
    orderby: [],
    skip: 0,
    expand: [],
  };
  if (options.selectGiven) options.select = parseSelect(selectText!, shape);
  const orderby = single('$orderby');
  if (orderby !== undefined) options.orderby = parseOrderby(orderby, shape);
  const top = single('$top');
  if (top !== undefined) options.top = nonNegative('$top', top);
  const skip = single('$skip');
  if (skip !== undefined) options.skip = nonNegative('$skip', skip);
  const skiptoken = single('$skiptoken');
  if (skiptoken !== undefined) options.skiptoken = decodeSkipToken(skiptoken);
  const expand = single('$expand');
  if (expand !== undefined && expand.trim() !== '') {
    options.expand = expand.split(',').map((e) => e.trim());
    for (const name of options.expand) {
      if (!shape.navigation.includes(name)) throw new InvalidQuery(`No property '${name}' exists in type '${shape.type}' at position 0.`);
    }
  }
  const format = single('$format');
  if (format !== undefined && format !== 'json' && format !== 'atom' && format !== 'xml') throw new InvalidQuery(`Unsupported $format value '${format}'.`);
  return options;
}

function nonNegative(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidQuery(`Invalid integer value '${text}' for query option ${name}.`);
  return Number(text.trim());
}

function parseSelect(text: string, shape: EntityShape): string[] | undefined {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.includes('*')) return undefined;
  const wanted = new Set<string>();
  for (const name of names) {
    if (!shape.properties.has(name) && !shape.navigation.includes(name)) throw new InvalidQuery(`No property '${name}' exists in type '${shape.type}' at position 0.`);
    wanted.add(name);
  }
  return [...shape.properties.keys(), ...shape.navigation].filter((n) => wanted.has(n));
}

function parseOrderby(text: string, shape: EntityShape): OrderKey[] {
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(part);
    if (!m) throw new InvalidQuery(`Syntax error in $orderby '${text}'.`);
    if (!shape.properties.has(m[1])) throw new InvalidQuery(`No property '${m[1]}' exists in type '${shape.type}' at position 0.`);
    return { property: m[1], descending: m[2] === 'desc' };
  });
}

export function encodeSkipToken(token: SkipToken): string {
  return `eol.${Buffer.from(JSON.stringify([token.served, ...token.after]), 'utf8').toString('base64url')}`;
}

function decodeSkipToken(text: string): SkipToken {
  const bad = () => new InvalidQuery(`Invalid $skiptoken '${text}'.`);
  if (!text.startsWith('eol.')) throw bad();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text.slice(4), 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || parsed.length < 2) throw bad();
    const after = parsed.slice(1) as unknown[];
    if (!after.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) throw bad();
    return { served: parsed[0], after: after as Value[] };
  } catch {
    throw bad();
  }
}

/** The full ordering of a view: requested keys plus the view's unique key as tie-breaker. */
export function effectiveOrder(orderby: OrderKey[], key: string): OrderKey[] {
  return orderby.some((o) => o.property === key) ? orderby : [...orderby, { property: key, descending: false }];
}

export function orderSignature(order: OrderKey[]): string {
  return order.map((o) => `${o.property} ${o.descending ? 'desc' : 'asc'}`).join(',');
}

export function rowComparator(order: OrderKey[]): (a: Row, b: Row) => number {
  return (a, b) => {
    for (const o of order) {
      const c = compareForOrder(a[o.property] ?? null, b[o.property] ?? null);
      if (c !== 0) return o.descending ? -c : c;
    }
    return 0;
  };
}

function compareToTuple(row: Row, tuple: Value[], order: OrderKey[]): number {
  for (let i = 0; i < order.length; i++) {
    const c = compareForOrder(row[order[i].property] ?? null, tuple[i] ?? null);
    if (c !== 0) return order[i].descending ? -c : c;
  }
  return 0;
}

/** Index of the first row strictly after `tuple` in `sorted` (binary search). */
function seekAfter(sorted: readonly Row[], tuple: Value[], order: OrderKey[]): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareToTuple(sorted[mid], tuple, order) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first row whose numeric `property` is above (or at) `value`, for ascending indexes on it. */
function seekLowerBound(sorted: readonly Row[], property: string, value: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = Number(sorted[mid][property]);
    if (inclusive ? v < value : v <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Page {
  rows: Row[];
  /** Skiptoken of the next page when more rows match. */
  next?: SkipToken;
}

/** One page of `sorted` (already in `order`) under the query's filter, $skip, $top and skiptoken. */
export function readPage(sorted: readonly Row[], order: OrderKey[], options: QueryOptions, pageSize: number, extraFilter?: (row: Row) => boolean): Page {
  const served = options.skiptoken?.served ?? 0;
  const budget = options.top === undefined ? Infinity : Math.max(0, options.top - served);
  const take = Math.min(pageSize, budget);
  let index = options.skiptoken ? seekAfter(sorted, options.skiptoken.after, order) : 0;
  const bound = options.filter?.lowerBound;
  if (bound && order.length === 1 && order[0].property === bound.property && !order[0].descending) {
    index = Math.max(index, seekLowerBound(sorted, bound.property, bound.value, bound.inclusive));
  }
  const matches = (row: Row) => (!extraFilter || extraFilter(row)) && (!options.filter || options.filter.matches(row));
  let toSkip = options.skiptoken ? 0 : options.skip;
  const rows: Row[] = [];
  for (; index < sorted.length && rows.length < take; index++) {
    const row = sorted[index];
    if (!matches(row)) continue;
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    rows.push(row);
  }
  if (rows.length === 0 || rows.length < take || budget <= rows.length) return { rows };
  let more = false;
  for (; index < sorted.length; index++) {
    if (matches(sorted[index])) {
      more = true;
      break;
    }
  }
  if (!more) return { rows };
  const last = rows[rows.length - 1];
  return { rows, next: { after: order.map((o) => last[o.property] ?? null), served: served + rows.length } };
}

/** Rows matching the filter (for `/$count`). */
export function countMatching(rows: readonly Row[], filter: CompiledFilter | undefined, extraFilter?: (row: Row) => boolean): number {
  let n = 0;
  for (const row of rows) if ((!extraFilter || extraFilter(row)) && (!filter || filter.matches(row))) n++;
  return n;
}
