// Translates bound OData expressions into parameterised SQLite over the mirror's storage encoding
// (Decimal = INTEGER scaled by 10^scale, Date = 'YYYY-MM-DD', DateTimeOffset = INTEGER ms, Boolean = 0/1).
// Every value from the request becomes a bound parameter; SQL text holds only operators, quoted column
// names from the table descriptions, and constants derived from them (scales).
//
// Semantics follow OData 4.01 URL Conventions §5.1.1: eq/ne treat null as a value (null eq null is true);
// gt/lt are false when an operand is null, ge/le are gt-or-eq; and/or/not are three-valued, like SQL's;
// functions and arithmetic return null for null arguments. Comparisons of integer-stored values with
// literals are exact: `Amount gt 1.005` on a 2-digit Decimal becomes `Amount > 100` (cents), never a float.
//
// Known deviations: division and modulo by zero give null (the row does not match) instead of failing the
// request; a negative length in substring() computed from a column gives null; decimal division (div with
// a Decimal operand, and divby) is computed in double precision.
import type { ComparisonOperator } from './ast';
import { typeName, type Bound, type BoundType } from './binder';
import { ExpressionError } from './lexer';
import { exactToNumber, floorOf, normalize, rescale, type Exact } from './literals';

export type SqlValue = string | number | bigint | null;

export interface Sql {
  text: string;
  params: SqlValue[];
}

/**
 * Where a boolean is used. In `truth` position (a WHERE clause, and/or below it) false and null both
 * exclude a row, so comparisons can stay bare and index-friendly; under `not` or as a value they cannot.
 */
export type Position = 'truth' | 'value';

/** SQL functions the translator uses that SQLite lacks (Unicode case mapping and whitespace); register them on every connection that runs feed queries. */
export const SQL_FUNCTIONS: Record<string, (value: unknown) => string | null> = {
  lf_lower: (v) => (typeof v === 'string' ? v.toLowerCase() : v === null ? null : String(v).toLowerCase()),
  lf_upper: (v) => (typeof v === 'string' ? v.toUpperCase() : v === null ? null : String(v).toUpperCase()),
  lf_trim: (v) => (typeof v === 'string' ? v.trim() : v === null ? null : String(v).trim()),
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function sql(text: string, params: SqlValue[] = []): Sql {
  return { text, params };
}

/** Joins fragments and plain SQL text in order, keeping the parameters in the order of their `?`. */
export function concat(...parts: (string | Sql)[]): Sql {
  let text = '';
  const params: SqlValue[] = [];
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else {
      text += part.text;
      for (const p of part.params) params.push(p);
    }
  }
  return { text, params };
}

export function joinSql(parts: Sql[], separator: string): Sql {
  const out: (string | Sql)[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(separator);
    out.push(p);
  });
  return concat(...out);
}

/** `a OP b OP c…` as a balanced tree, so SQLite's expression depth grows with log n, not n. */
function balanced(parts: Sql[], operator: string): Sql {
  if (parts.length === 1) return parts[0];
  const middle = Math.ceil(parts.length / 2);
  return concat('(', balanced(parts.slice(0, middle), operator), ` ${operator} `, balanced(parts.slice(middle), operator), ')');
}

/**
 * An integer as a parameter, bound as a BigInt so SQLite types it INTEGER (better-sqlite3 binds every JS
 * number as REAL, which would turn `EntryNumber div 7` into a fractional division). Beyond 64 bits, a
 * double: no stored integer comes near it.
 */
export function integerParam(value: bigint): Sql {
  if (value < INT64_MIN || value > INT64_MAX) return sql('?', [Number(value)]);
  return sql('?', [value]);
}

const TRUE = sql('1');
const FALSE = sql('0');
const NULL = sql('NULL');

/** How a numeric value is held in SQL: an integer scaled by 10^scale, or a double. */
type Representation = { kind: 'integer'; scale: number } | { kind: 'real' };

function isLiteral(b: Bound): b is Bound & { node: 'literal' } {
  return b.node === 'literal';
}

function isNullLiteral(b: Bound): boolean {
  return isLiteral(b) && b.literal.type === 'Null';
}

function isNaNLiteral(b: Bound): boolean {
  return isLiteral(b) && b.literal.type === 'Number' && b.literal.value === 'NaN';
}

/** The exact value of a numeric or date-time literal (ms), or null for other nodes and for ±INF. */
function exactLiteral(b: Bound): Exact | null {
  if (!isLiteral(b)) return null;
  if (b.literal.type === 'Number' && typeof b.literal.value !== 'string') return b.literal.value;
  if (b.literal.type === 'DateTimeOffset') return b.literal.value.ms;
  return null;
}

function representation(b: Bound): Representation {
  const type = b.type;
  switch (type.kind) {
    case 'Decimal':
      return { kind: 'integer', scale: type.scale };
    case 'Double':
      return { kind: 'real' };
    case 'Number': {
      const exact = exactLiteral(b);
      return exact ? { kind: 'integer', scale: normalize(exact).scale } : { kind: 'real' };
    }
    default:
      return { kind: 'integer', scale: 0 }; // Integer, DateTimeOffset (ms), Boolean
  }
}

/** `b` held as `target`: integers are rescaled exactly (only ever upwards), doubles converted. */
function numeric(b: Bound, target: Representation): Sql {
  if (isNullLiteral(b)) return NULL;
  const exact = exactLiteral(b);
  if (exact) {
    if (target.kind === 'real') return sql('?', [exactToNumber(exact)]);
    const scaled = rescale(exact, target.scale);
    if (scaled.scale !== 0) throw new Error('internal: a literal was rescaled downwards');
    return integerParam(scaled.units);
  }
  if (isLiteral(b) && b.literal.type === 'Number') return sql('?', [b.literal.value === '-INF' ? -Infinity : Infinity]);
  const own = representation(b);
  const text = value(b);
  if (target.kind === 'real') {
    if (own.kind === 'real') return text;
    return own.scale === 0 ? concat('(', text, ' * 1.0)') : concat('(', text, ` / ${10 ** own.scale}.0)`);
  }
  if (own.kind === 'real') throw new Error('internal: a double cannot be held as an integer');
  return own.scale === target.scale ? text : concat('(', text, ` * ${10n ** BigInt(target.scale - own.scale)})`);
}

const FLIPPED: Record<ComparisonOperator, ComparisonOperator> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
const SYMBOL: Record<ComparisonOperator, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** `left op right` with OData's null semantics, given which sides can be null. */
function comparison(op: ComparisonOperator, left: Sql, right: Sql, leftNullable: boolean, rightNullable: boolean, where: Position): Sql {
  const anyNullable = leftNullable || rightNullable;
  if (op === 'eq' || op === 'ne') {
    if (!anyNullable) return concat('(', left, ` ${SYMBOL[op]} `, right, ')');
    return concat('(', left, op === 'eq' ? ' IS ' : ' IS NOT ', right, ')');
  }
  const bare = concat('(', left, ` ${SYMBOL[op]} `, right, ')');
  const strict = !anyNullable || where === 'truth' ? bare : concat('coalesce(', left, ` ${SYMBOL[op]} `, right, ', 0)');
  // ge/le: "see the rules for gt and eq" — true when greater (less) or equal, and null eq null is true.
  if ((op === 'ge' || op === 'le') && leftNullable && rightNullable) return concat('(', strict, ' OR (', left, ' IS NULL AND ', right, ' IS NULL))');
  return strict;
}

/** An integer-stored value (scale `scale`) compared exactly with a literal that may have more digits. */
function exactComparison(op: ComparisonOperator, x: Bound, scale: number, literal: Exact, where: Position): Sql {
  const scaled = rescale(literal, scale);
  const column = numeric(x, { kind: 'integer', scale });
  if (scaled.scale === 0) return comparison(op, column, integerParam(scaled.units), x.nullable, false, where);
  // The literal falls strictly between two stored values: x > 2.5 ⇔ x > 2, x ≤ 2.5 ⇔ x ≤ 2, x = 2.5 never.
  const floor = integerParam(floorOf(scaled));
  switch (op) {
    case 'eq':
      return FALSE;
    case 'ne':
      return TRUE;
    case 'gt':
    case 'ge':
      return comparison('gt', column, floor, x.nullable, false, where);
    case 'lt':
    case 'le':
      return comparison('le', column, floor, x.nullable, false, where);
  }
}

function integerScale(b: Bound): number {
  const r = representation(b);
  return r.kind === 'integer' ? r.scale : 0;
}

function isIntegerStored(type: BoundType): boolean {
  return type.kind === 'Integer' || type.kind === 'Decimal' || type.kind === 'DateTimeOffset';
}

function compare(op: ComparisonOperator, left: Bound, right: Bound, where: Position): Sql {
  if (isNullLiteral(left) && isNullLiteral(right)) return op === 'eq' || op === 'ge' || op === 'le' ? TRUE : FALSE;
  if (isNullLiteral(left) || isNullLiteral(right)) {
    const other = isNullLiteral(right) ? left : right;
    const x = value(other);
    if (op === 'ne') return concat('(', x, ' IS NOT NULL)');
    if (op === 'gt' || op === 'lt') return FALSE;
    return concat('(', x, ' IS NULL)');
  }
  if (isNaNLiteral(left) || isNaNLiteral(right)) return op === 'ne' ? TRUE : FALSE;
  const leftExact = exactLiteral(left);
  const rightExact = exactLiteral(right);
  if (leftExact && rightExact) return constantComparison(op, leftExact, rightExact);
  if (rightExact && isIntegerStored(left.type)) return exactComparison(op, left, integerScale(left), rightExact, where);
  if (leftExact && isIntegerStored(right.type)) return exactComparison(FLIPPED[op], right, integerScale(right), leftExact, where);
  if (isNumericOrInstant(left.type) && isNumericOrInstant(right.type)) {
    const l = representation(left);
    const r = representation(right);
    const target: Representation = l.kind === 'real' || r.kind === 'real' ? { kind: 'real' } : { kind: 'integer', scale: Math.max(l.scale, r.scale) };
    return comparison(op, numeric(left, target), numeric(right, target), left.nullable, right.nullable, where);
  }
  return comparison(op, value(left), value(right), left.nullable, right.nullable, where);
}

/** Two exact literals compared in JS, exactly. */
function constantComparison(op: ComparisonOperator, a: Exact, b: Exact): Sql {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale).units;
  const y = rescale(b, scale).units;
  const result = { eq: x === y, ne: x !== y, gt: x > y, ge: x >= y, lt: x < y, le: x <= y }[op];
  return result ? TRUE : FALSE;
}

function isNumericOrInstant(type: BoundType): boolean {
  return isIntegerStored(type) || type.kind === 'Double' || type.kind === 'Number';
}

function inList(b: Extract<Bound, { node: 'in' }>, where: Position): Sql {
  const x = b.operand;
  if (isNullLiteral(x)) return b.values.some(isNullLiteral) ? TRUE : FALSE;
  const hasNull = b.values.some(isNullLiteral);
  const items: Sql[] = [];
  const own = representation(x);
  for (const v of b.values) {
    if (isNullLiteral(v) || isNaNLiteral(v)) continue;
    const exact = exactLiteral(v);
    if (exact && own.kind === 'integer') {
      const scaled = rescale(exact, own.scale);
      if (scaled.scale === 0) items.push(integerParam(scaled.units)); // else it lies between stored values: never equal
    } else if (isNumericOrInstant(x.type)) {
      items.push(numeric(v, own.kind === 'real' || representation(v).kind === 'real' ? { kind: 'real' } : own));
    } else {
      items.push(value(v));
    }
  }
  const operand = isNumericOrInstant(x.type) && own.kind === 'integer' ? numeric(x, own) : value(x);
  const member = items.length > 0 ? concat('(', operand, ' IN (', joinSql(items, ', '), '))') : null;
  const strict = member && x.nullable && where === 'value' ? concat('coalesce(', member, ', 0)') : member;
  if (!hasNull) return strict ?? FALSE;
  const isNull = concat('(', operand, ' IS NULL)');
  return strict ? concat('(', strict, ' OR ', isNull, ')') : isNull;
}

function arithmetic(b: Extract<Bound, { node: 'arithmetic' }>): Sql {
  const type = b.type;
  const symbol = { add: '+', sub: '-', mul: '*', div: '/', divby: '/', mod: '%' }[b.operator];
  if (type.kind === 'Null') return NULL;
  if (type.kind === 'Double') {
    const l = numeric(b.left, { kind: 'real' });
    const r = numeric(b.right, { kind: 'real' });
    return b.operator === 'mod' ? concat('mod(', l, ', ', r, ')') : concat('(', l, ` ${symbol} `, r, ')');
  }
  if (type.kind === 'Decimal' && b.operator === 'mul') {
    return concat('(', numeric(b.left, representation(b.left)), ' * ', numeric(b.right, representation(b.right)), ')');
  }
  const target: Representation = { kind: 'integer', scale: type.kind === 'Decimal' ? type.scale : 0 };
  return concat('(', numeric(b.left, target), ` ${symbol} `, numeric(b.right, target), ')');
}

function dateTimePart(x: Bound, format: string): Sql {
  return concat(`strftime('${format}', `, value(x), " / 1000.0, 'unixepoch')");
}

function call(b: Extract<Bound, { node: 'call' }>): Sql {
  const [a, c, d] = b.args;
  switch (b.name) {
    case 'contains':
      return concat('(instr(', value(a), ', ', value(c), ') > 0)');
    case 'startswith':
      return concat('(substr(', value(a), ', 1, length(', value(c), ')) = ', value(c), ')');
    case 'endswith':
      return concat('(substr(', value(a), ', length(', value(a), ') - length(', value(c), ') + 1) = ', value(c), ')');
    case 'indexof':
      return concat('(instr(', value(a), ', ', value(c), ') - 1)');
    case 'length':
      return concat('length(', value(a), ')');
    case 'tolower':
      return concat('lf_lower(', value(a), ')');
    case 'toupper':
      return concat('lf_upper(', value(a), ')');
    case 'trim':
      return concat('lf_trim(', value(a), ')');
    case 'concat':
      return concat('(', value(a), ' || ', value(c), ')');
    case 'substring': {
      // OData's start is 0-based, and a negative start counts from the end (SQLite's substr does the same for negatives).
      const start = isLiteral(c) && exactLiteral(c) ? startParam(exactLiteral(c) as Exact) : concat('(CASE WHEN ', value(c), ' >= 0 THEN ', value(c), ' + 1 ELSE ', value(c), ' END)');
      if (!d) return concat('substr(', value(a), ', ', start, ')');
      if (isLiteral(d)) return concat('substr(', value(a), ', ', start, ', ', value(d), ')');
      return concat('(CASE WHEN ', value(d), ' < 0 THEN NULL ELSE substr(', value(a), ', ', start, ', ', value(d), ') END)');
    }
    case 'year':
      return a.type.kind === 'Date' ? concat('CAST(substr(', value(a), ', 1, 4) AS INTEGER)') : concat('CAST(', dateTimePart(a, '%Y'), ' AS INTEGER)');
    case 'month':
      return a.type.kind === 'Date' ? concat('CAST(substr(', value(a), ', 6, 2) AS INTEGER)') : concat('CAST(', dateTimePart(a, '%m'), ' AS INTEGER)');
    case 'day':
      return a.type.kind === 'Date' ? concat('CAST(substr(', value(a), ', 9, 2) AS INTEGER)') : concat('CAST(', dateTimePart(a, '%d'), ' AS INTEGER)');
    case 'hour':
      return concat('CAST(', dateTimePart(a, '%H'), ' AS INTEGER)');
    case 'minute':
      return concat('CAST(', dateTimePart(a, '%M'), ' AS INTEGER)');
    case 'second':
      return concat('CAST(', dateTimePart(a, '%S'), ' AS INTEGER)');
    case 'date':
      return dateTimePart(a, '%Y-%m-%d');
    default:
      throw new Error(`internal: no translation for ${b.name}()`);
  }
}

function startParam(start: Exact): Sql {
  const n = normalize(start).units;
  return integerParam(n >= 0n ? n + 1n : n);
}

/** A boolean-typed node as a condition. */
export function predicate(b: Bound, where: Position = 'truth'): Sql {
  switch (b.node) {
    case 'compare':
      return compare(b.operator, b.left, b.right, where);
    case 'logical':
      return balanced(
        b.operands.map((o) => predicate(o, where)),
        b.operator === 'and' ? 'AND' : 'OR',
      );
    case 'not':
      return concat('(NOT ', predicate(b.operand, 'value'), ')');
    case 'in':
      return inList(b, where);
    default:
      if (b.type.kind !== 'Boolean' && b.type.kind !== 'Null') throw new ExpressionError(`Expected a Boolean expression, not ${typeName(b.type)}`, 0);
      return value(b);
  }
}

/** Any node as a SQL value in its own representation (see `representation`). */
export function value(b: Bound): Sql {
  switch (b.node) {
    case 'property':
      return sql(b.property.sql);
    case 'literal': {
      const literal = b.literal;
      switch (literal.type) {
        case 'Null':
          return NULL;
        case 'Boolean':
          return literal.value ? TRUE : FALSE;
        case 'String':
        case 'Guid':
        case 'Date':
          return sql('?', [literal.value]);
        case 'DateTimeOffset':
          return integerParam(floorOf(literal.value.ms));
        case 'Number':
          if (literal.value === 'NaN') throw new ExpressionError('NaN is only supported in comparisons', b.position, true);
          return numeric(b, representation(b));
      }
      break;
    }
    case 'compare':
    case 'logical':
    case 'not':
    case 'in':
      return predicate(b, 'value');
    case 'arithmetic':
      return arithmetic(b);
    case 'negate':
      return concat('(- ', numeric(b.operand, representation(b)), ')');
    case 'call':
      return call(b);
  }
  throw new Error('internal: unknown node');
}
