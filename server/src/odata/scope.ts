// Which administrations a $filter limits a request to, so the freshness step syncs only those. Only what
// the filter proves counts: `Division eq 1`, `Division in (1, 2)`, or-chains of those, and any of them
// ANDed with other conditions. Anything else means every selected administration.
import type { Expression } from './ast';
import { isIntegral, normalize, parseNumber } from './literals';

/** `all`, or the administration codes (Division numbers as decimal text, Office codes as written) a row must have. */
export type AdministrationScope = { all: true } | { all: false; codes: ReadonlySet<string> };

const ALL: AdministrationScope = { all: true };

function only(codes: Iterable<string>): AdministrationScope {
  return { all: false, codes: new Set(codes) };
}

/** The code a literal denotes, null for a literal no administration can have (null, 1.5), undefined when not a literal. */
function codeOf(e: Expression): string | null | undefined {
  if (e.kind !== 'literal') return undefined;
  const literal = e.literal;
  if (literal.type === 'string') return literal.value;
  if (literal.type === 'number') {
    try {
      const value = parseNumber(literal.text, e.position);
      return typeof value !== 'string' && isIntegral(value) ? normalize(value).units.toString() : null;
    } catch {
      return null;
    }
  }
  return null;
}

function isColumn(e: Expression, column: string): boolean {
  return e.kind === 'property' && e.path.length === 1 && e.path[0] === column;
}

export function administrationsInFilter(filter: Expression | null, administrationColumn: string): AdministrationScope {
  if (!filter) return ALL;
  switch (filter.kind) {
    case 'binary': {
      const { operator, left, right } = filter;
      if (operator === 'eq') {
        const [column, literal] = isColumn(left, administrationColumn) ? [left, right] : isColumn(right, administrationColumn) ? [right, left] : [null, null];
        if (!column || !literal) return ALL;
        const code = codeOf(literal);
        if (code === undefined) return ALL;
        return only(code === null ? [] : [code]);
      }
      if (operator === 'and') {
        const a = administrationsInFilter(left, administrationColumn);
        const b = administrationsInFilter(right, administrationColumn);
        if (a.all) return b;
        if (b.all) return a;
        return only([...a.codes].filter((c) => b.codes.has(c)));
      }
      if (operator === 'or') {
        const a = administrationsInFilter(left, administrationColumn);
        const b = administrationsInFilter(right, administrationColumn);
        if (a.all || b.all) return ALL;
        return only([...a.codes, ...b.codes]);
      }
      return ALL;
    }
    case 'in': {
      if (!isColumn(filter.operand, administrationColumn)) return ALL;
      const codes: string[] = [];
      for (const item of filter.list) {
        const code = codeOf(item);
        if (code === undefined) return ALL;
        if (code !== null) codes.push(code);
      }
      return only(codes);
    }
    default:
      return ALL;
  }
}
