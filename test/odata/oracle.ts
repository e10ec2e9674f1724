// An independent model of what OData queries mean, for checking the feed's answers: OData's null rules
// written out by hand (URL Conventions §5.1.1), exact decimals as BigInt, strings compared by code point,
// and each fixture row turned into the JSON an OData client should receive. Shares no code with the feed.
import type { TableDescription } from '../../server/src/tables/description';
import type { FixtureRow } from './fixtures';

export type Value = string | number | boolean | bigint | null;

/** OData eq: null equals null and nothing else. */
export function eq(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  return compare(a, b) === 0;
}

export function ne(a: Value, b: Value): boolean {
  return !eq(a, b);
}

/** OData gt/lt: false when either side is null. */
export function gt(a: Value, b: Value): boolean {
  return a !== null && b !== null && compare(a, b) > 0;
}

export function lt(a: Value, b: Value): boolean {
  return a !== null && b !== null && compare(a, b) < 0;
}

/** ge/le: "see the rules for gt and eq". */
export function ge(a: Value, b: Value): boolean {
  return gt(a, b) || eq(a, b);
}

export function le(a: Value, b: Value): boolean {
  return lt(a, b) || eq(a, b);
}

function codePoints(s: string): number[] {
  return Array.from(s, (c) => c.codePointAt(0) as number);
}

export function compareStrings(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export function compare(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return (a as number) - (b as number);
}

/** A decimal text as an integer of `scale` digits after the point (exact). */
export function scaled(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const digits = BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale));
  return negative ? -digits : digits;
}

/** A decimal text written with exactly `scale` digits after the point. */
export function fixed(text: string, scale: number): string {
  const n = scaled(text, scale);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale > 0 ? '.' + digits.slice(digits.length - scale) : ''}`;
}

export function length(s: string | null): number | null {
  return s === null ? null : codePoints(s).length;
}

/** OData substring with a 0-based start; a negative start counts from the end. */
export function substring(s: string | null, start: number, count?: number): string | null {
  if (s === null) return null;
  const chars = Array.from(s);
  const from = start >= 0 ? start : chars.length + start;
  const to = count === undefined ? chars.length : from + count;
  return chars.slice(Math.max(from, 0), Math.max(Math.min(to, chars.length), 0)).join('');
}

export function indexOf(s: string | null, t: string): number | null {
  if (s === null) return null;
  const at = s.indexOf(t);
  return at < 0 ? -1 : Array.from(s.slice(0, at)).length;
}

export function instant(text: string | null): number | null {
  return text === null ? null : Date.parse(text);
}

/** The JSON an OData client should receive for a fixture row; `ieee754` puts Int64 and Decimal in strings. */
export function expectedJson(table: TableDescription, row: FixtureRow, ieee754: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of table.columns) {
    const v = row[c.name];
    if (v === null || v === undefined) {
      out[c.name] = null;
      continue;
    }
    switch (c.type) {
      case 'Edm.Decimal':
        out[c.name] = ieee754 ? fixed(String(v), c.scale ?? 2) : Number(fixed(String(v), c.scale ?? 2));
        break;
      case 'Edm.Int64':
        out[c.name] = ieee754 ? String(v) : Number(v);
        break;
      case 'Edm.DateTimeOffset':
        out[c.name] = new Date(Date.parse(String(v))).toISOString();
        break;
      default:
        out[c.name] = v;
    }
  }
  return out;
}

/** Orders rows by `keys` (nulls first ascending, last descending), then by the entity key. */
export function ordered(rows: FixtureRow[], table: TableDescription, keys: { of: (r: FixtureRow) => Value; desc?: boolean }[] = []): FixtureRow[] {
  const all = [...keys, ...table.key.map((k) => ({ of: (r: FixtureRow) => r[k] as Value, desc: false }))];
  return [...rows].sort((a, b) => {
    for (const k of all) {
      const x = k.of(a);
      const y = k.of(b);
      let c: number;
      if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
      else c = compare(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}
