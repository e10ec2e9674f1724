// Row encoders: for each (entity set, selected properties, IEEE754Compatible) one function, generated once,
// that turns a raw SQLite row (an array in select order) into the entity's JSON text. Generating the code
// removes the per-value type dispatch a generic serializer pays on every cell; it is what makes the feed
// stream at close to JSON.stringify speed (odata-v4-server's generic path managed ~5,000 rows/s).
//
// Values arrive in the mirror's encoding (see tables/values.ts). Edm.Date and Edm.Guid text is written
// between quotes as is: the mirror only holds what toStored validated ('YYYY-MM-DD', lower-case hex).
import { scaledToDecimalText } from '../tables/values';
import type { PropertyModel } from './model';

export type RowEncoder = (row: readonly unknown[]) => string;

/** The JSON text of a Double: a number, or OData's "INF", "-INF", "NaN" strings. */
function doubleText(v: number): string {
  if (Number.isFinite(v)) return '' + v;
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"INF"' : '"-INF"';
}

/** ISO 8601 in UTC with milliseconds and Z, as Power BI requires; null for a value no Date can hold. */
function instantText(v: number): string {
  const date = new Date(v);
  return Number.isFinite(date.getTime()) ? '"' + date.toISOString() + '"' : 'null';
}

const ZEROS = Array.from({ length: 20 }, (_, n) => '0'.repeat(n));

/** Exact decimal text of a scaled integer: a safe JS number (fast path) or decimal text (beyond 2^53). */
export function decimalFormatter(scale: number): (v: number | string) => string {
  const factor = 10 ** scale;
  return (v) => {
    if (typeof v !== 'number') return scaledToDecimalText(BigInt(v), scale);
    if (scale === 0) return '' + v;
    const negative = v < 0;
    const a = negative ? -v : v;
    let whole = Math.floor(a / factor);
    let fraction = a - whole * factor;
    // a / factor is rounded; correct the quotient when that rounding crossed an integer.
    if (fraction < 0) {
      whole -= 1;
      fraction += factor;
    } else if (fraction >= factor) {
      whole += 1;
      fraction -= factor;
    }
    const digits = '' + fraction;
    return (negative ? '-' : '') + whole + '.' + ZEROS[scale - digits.length] + digits;
  };
}

/** SQL that reads `property` for encoding: Int64 and Decimal come as text when beyond 2^53, so no digit is lost. */
export function selectSql(property: PropertyModel): string {
  if (property.type === 'Edm.Int64' || property.type === 'Edm.Decimal') {
    return `CASE WHEN ${property.sql} BETWEEN -9007199254740991 AND 9007199254740991 THEN ${property.sql} ELSE CAST(${property.sql} AS TEXT) END`;
  }
  return property.sql;
}

function valueCode(property: PropertyModel, index: number, ieee754: boolean, helpers: Map<string, unknown>): string {
  const v = `r[${index}]`;
  const orNull = (code: string) => `(${v} === null ? 'null' : ${code})`;
  switch (property.type) {
    case 'Edm.Int16':
    case 'Edm.Int32':
      return orNull(`'' + ${v}`);
    case 'Edm.Int64':
      return orNull(ieee754 ? `'"' + ${v} + '"'` : `'' + ${v}`);
    case 'Edm.Double':
      helpers.set('doubleText', doubleText);
      return orNull(`doubleText(${v})`);
    case 'Edm.Decimal': {
      const name = `decimal${property.scale}`;
      helpers.set(name, decimalFormatter(property.scale));
      return orNull(ieee754 ? `'"' + ${name}(${v}) + '"'` : `${name}(${v})`);
    }
    case 'Edm.Boolean':
      return orNull(`(${v} ? 'true' : 'false')`);
    case 'Edm.DateTimeOffset':
      helpers.set('instantText', instantText);
      return orNull(`instantText(${v})`);
    case 'Edm.Date':
    case 'Edm.Guid':
      return orNull(`'"' + ${v} + '"'`);
    case 'Edm.String':
      return orNull(`JSON.stringify(${v})`);
  }
}

/** Compiles the encoder of rows whose first `properties.length` cells are those properties, in order. */
export function compileEncoder(properties: readonly PropertyModel[], ieee754: boolean): RowEncoder {
  const helpers = new Map<string, unknown>();
  const parts = properties.map((p, i) => `${JSON.stringify((i === 0 ? '{' : ',') + JSON.stringify(p.name) + ':')} + ${valueCode(p, i, ieee754, helpers)}`);
  const body = `return function encode(r) { return ${parts.length > 0 ? parts.join(' + ') + " + '}'" : "'{}'"}; };`;
  // Property names are validated identifiers and enter the code only through JSON.stringify.
  const factory = new Function(...helpers.keys(), body) as (...args: unknown[]) => RowEncoder;
  return factory(...helpers.values());
}

/** Encoders by (selected properties with their types, IEEE754Compatible); bounded so arbitrary $select lists cannot grow it forever. */
export class EncoderCache {
  private readonly encoders = new Map<string, RowEncoder>();
  constructor(private readonly capacity = 256) {}

  get(properties: readonly PropertyModel[], ieee754: boolean): RowEncoder {
    // Types are part of the key: two feeds may have sets and properties of the same names.
    const key = `${ieee754 ? 1 : 0}|${properties.map((p) => `${p.name}:${p.type}:${p.scale}`).join(',')}`;
    let encoder = this.encoders.get(key);
    if (encoder) {
      this.encoders.delete(key); // re-insert: most recently used last
    } else {
      encoder = compileEncoder(properties, ieee754);
      if (this.encoders.size >= this.capacity) this.encoders.delete(this.encoders.keys().next().value as string);
    }
    this.encoders.set(key, encoder);
    return encoder;
  }
}
