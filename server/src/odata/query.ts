// Builds the SQL of a feed request from its compiled options: the page query (selected properties, the
// values the next page continues after, keyset condition, order, limit) and the count query. Paging is
// keyset paging on the $orderby keys plus the entity key as tiebreaker, so no row is lost or repeated
// between pages, whatever the order and wherever the nulls are; $skiptoken carries the last row's keys.
import crypto from 'node:crypto';
import { InvalidQuery } from '../errors';
import type { Expression, OrderByItem } from './ast';
import { bind, propertyType, type Bound } from './binder';
import { selectSql } from './encoder';
import { inOption } from './options';
import type { EntitySetModel, PropertyModel } from './model';
import type { SelectItem } from './parser';
import { concat, joinSql, predicate, sql, value, type Sql, type SqlValue } from './sql';
import { ExpressionError } from './lexer';

/** Where a set's rows come from: a FROM item and the rows of it the request may see. */
export interface RowSource {
  from: Sql;
  scope: Sql | null;
}

export interface OrderKey {
  /** The SQL value ordered by. */
  expression: Sql;
  descending: boolean;
  nullable: boolean;
  /** How the key's value travels in $skiptoken. */
  kind: 'integer' | 'real' | 'text';
  /** What the page query selects to learn the last row's value (exact: integers beyond 2^53 as text). */
  read: Sql;
}

/** `$filter` (or a key predicate, `option` 'key') bound to the set and translated to a WHERE condition. */
export function compileFilter(set: EntitySetModel, expression: Expression, option = '$filter'): { bound: Bound; where: Sql } {
  return inOption(option, () => {
    const bound = bind(expression, set);
    if (bound.type.kind !== 'Boolean' && bound.type.kind !== 'Null') throw new ExpressionError('The filter must be a Boolean expression (a comparison, a Boolean property, contains(…)…)', expression.position);
    return { bound, where: predicate(bound, 'truth') };
  });
}

/** The properties a response holds, in the set's order (`$select` names are checked, duplicates ignored). */
export function compileSelect(set: EntitySetModel, select: { all: boolean; items: SelectItem[] } | null): PropertyModel[] {
  if (!select || select.all) return [...set.properties];
  const wanted = new Set<string>();
  for (const item of select.items) {
    if (!set.property(item.name)) throw new InvalidQuery(`Invalid $select: ${set.name} has no property '${item.name}'`, item.position, { target: '$select' });
    wanted.add(item.name);
  }
  return set.properties.filter((p) => wanted.has(p.name));
}

function keyKind(b: Bound): OrderKey['kind'] {
  switch (b.type.kind) {
    case 'Integer':
    case 'Decimal':
    case 'DateTimeOffset':
    case 'Boolean':
      return 'integer';
    case 'Double':
    case 'Number':
      return 'real';
    default:
      return 'text';
  }
}

function orderKey(b: Bound, descending: boolean): OrderKey {
  const expression = value(b);
  const kind = keyKind(b);
  const small = b.node === 'property' && b.property.type !== 'Edm.Int64' && b.property.type !== 'Edm.Decimal';
  const read = kind === 'integer' && !small ? concat('CAST(', expression, ' AS TEXT)') : expression;
  return { expression, descending, nullable: b.nullable, kind, read };
}

function refersToProperty(b: Bound): boolean {
  switch (b.node) {
    case 'property':
      return true;
    case 'literal':
      return false;
    case 'compare':
    case 'arithmetic':
      return refersToProperty(b.left) || refersToProperty(b.right);
    case 'logical':
      return b.operands.some(refersToProperty);
    case 'not':
    case 'negate':
      return refersToProperty(b.operand);
    case 'in':
      return refersToProperty(b.operand);
    case 'call':
      return b.args.some(refersToProperty);
  }
}

/** `$orderby` keys followed by the entity key (ascending) as tiebreaker. */
export function compileOrder(set: EntitySetModel, items: readonly OrderByItem[] | null): OrderKey[] {
  const keys: OrderKey[] = [];
  const ordered = new Set<string>();
  inOption('$orderby', () => {
    for (const item of items ?? []) {
      const bound = bind(item.expression, set);
      if (bound.node === 'property') ordered.add(bound.property.name);
      // A constant orders nothing, and SQLite would read `ORDER BY 1` as "the first column".
      if (!refersToProperty(bound)) continue;
      keys.push(orderKey(bound, item.descending));
    }
  });
  for (const key of set.key) {
    if (!ordered.has(key.name)) keys.push(orderKey({ node: 'property', type: propertyType(key), nullable: false, property: key }, false));
  }
  return keys;
}

/** Identifies an ordering, so a $skiptoken is only accepted by a request that orders the same way. */
export function orderFingerprint(set: EntitySetModel, order: readonly OrderKey[]): string {
  const text = set.name + '|' + order.map((k) => `${k.expression.text}:${k.expression.params.join(',')}:${k.descending ? 'd' : 'a'}`).join('|');
  return crypto.createHash('sha256').update(text).digest('base64url').slice(0, 10);
}

export interface Continuation {
  /** The last delivered row's order key values, as bound parameters. */
  after: SqlValue[];
  /** Rows still owed under $top, or null without $top. */
  remaining: number | null;
}

function tokenValue(kind: OrderKey['kind'], v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (kind === 'integer') return String(v);
  if (kind === 'real') return typeof v === 'number' && !Number.isFinite(v) ? (v > 0 ? 'INF' : '-INF') : Number(v);
  return String(v);
}

export function encodeSkipToken(order: readonly OrderKey[], lastKeys: readonly unknown[], remaining: number | null, fingerprint: string): string {
  const payload = { f: fingerprint, k: order.map((k, i) => tokenValue(k.kind, lastKeys[i])), r: remaining };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

const INVALID_TOKEN = 'Invalid $skiptoken: it does not come from a next link of this request (the query may have changed); restart from the first page';

export function decodeSkipToken(text: string, order: readonly OrderKey[], fingerprint: string): Continuation {
  const invalid = () => new InvalidQuery(INVALID_TOKEN, undefined, { target: '$skiptoken' });
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,20000}$/.test(text)) throw invalid();
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const p = payload as { f?: unknown; k?: unknown; r?: unknown };
  if (typeof p !== 'object' || p === null || p.f !== fingerprint || !Array.isArray(p.k) || p.k.length !== order.length) throw invalid();
  if (p.r !== null && !(typeof p.r === 'number' && Number.isSafeInteger(p.r) && p.r > 0)) throw invalid();
  const after = p.k.map((v: unknown, i: number): SqlValue => {
    if (v === null) return null;
    switch (order[i].kind) {
      case 'integer':
        if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
          const n = BigInt(v);
          return n >= -(2n ** 63n) && n < 2n ** 63n ? n : Number(n);
        }
        if (typeof v === 'string' && Number.isFinite(Number(v))) return Number(v);
        throw invalid();
      case 'real':
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        if (v === 'INF' || v === '-INF') return v === 'INF' ? Infinity : -Infinity;
        throw invalid();
      case 'text':
        if (typeof v === 'string') return v;
        throw invalid();
    }
  });
  return { after, remaining: p.r as number | null };
}

/** Rows strictly after `after` in the order of `order` (nulls sort first ascending, last descending, as in SQLite). */
export function afterCondition(order: readonly OrderKey[], after: readonly SqlValue[]): Sql {
  const uniform = order.every((k) => k.descending === order[0].descending);
  if (uniform && order.every((k) => !k.nullable) && after.every((v) => v !== null)) {
    // Row-value comparison: SQLite seeks an index on these columns instead of scanning.
    const symbol = order[0].descending ? '<' : '>';
    const params = after.map((v) => sql('?', [v]));
    if (order.length === 1) return concat('(', order[0].expression, ` ${symbol} `, params[0], ')');
    return concat(
      '((',
      joinSql(
        order.map((k) => k.expression),
        ', ',
      ),
      `) ${symbol} (`,
      joinSql(params, ', '),
      '))',
    );
  }
  const terms: Sql[] = [];
  order.forEach((key, i) => {
    const v = after[i];
    let beyond: Sql | null;
    if (!key.descending) beyond = v === null ? concat('(', key.expression, ' IS NOT NULL)') : concat('(', key.expression, ' > ', sql('?', [v]), ')');
    else beyond = v === null ? null : concat('(', key.expression, ' < ', sql('?', [v]), ' OR ', key.expression, ' IS NULL)');
    if (!beyond) return;
    const equal = order.slice(0, i).map((k, j) => concat('(', k.expression, ' IS ', sql('?', [after[j]]), ')'));
    terms.push(equal.length > 0 ? concat('(', joinSql([...equal, beyond], ' AND '), ')') : beyond);
  });
  return terms.length > 0 ? concat('(', joinSql(terms, ' OR '), ')') : sql('0');
}

function whereClause(conditions: (Sql | null)[]): Sql {
  const present = conditions.filter((c): c is Sql => c !== null);
  return present.length > 0 ? concat(' WHERE ', joinSql(present, ' AND ')) : sql('');
}

export interface PageQuery {
  source: RowSource;
  select: readonly PropertyModel[];
  where: Sql | null;
  order: readonly OrderKey[];
  after: readonly SqlValue[] | null;
  limit: number;
  offset: number;
}

/** SELECT of a page: the selected properties, then the order key values (for the next $skiptoken). */
export function pageStatement(q: PageQuery): Sql {
  const columns = [...q.select.map((p) => sql(selectSql(p))), ...q.order.map((k) => k.read)];
  return concat(
    'SELECT ',
    joinSql(columns, ', '),
    ' FROM ',
    q.source.from,
    whereClause([q.source.scope, q.where, q.after ? afterCondition(q.order, q.after) : null]),
    ' ORDER BY ',
    joinSql(
      q.order.map((k) => concat(k.expression, k.descending ? ' DESC' : ' ASC')),
      ', ',
    ),
    ' LIMIT ',
    sql('?', [q.limit]),
    ' OFFSET ',
    sql('?', [q.offset]),
  );
}

export function countStatement(source: RowSource, where: Sql | null): Sql {
  return concat('SELECT count(*) FROM ', source.from, whereClause([source.scope, where]));
}
