// How each Edm type is held in the mirror (SQLite) and turned back into OData JSON. Pure functions.
//   String, Guid          TEXT (Guid lower-case)
//   Boolean               INTEGER 0/1
//   Int16, Int32, Int64   INTEGER
//   Double                REAL
//   Decimal               INTEGER scaled by 10^scale (exact; comparisons and sums stay exact)
//   Date                  TEXT 'YYYY-MM-DD'
//   DateTimeOffset        INTEGER milliseconds since the epoch, UTC
import type { ColumnDescription, EdmType } from './description';
import { decimalScale } from './description';

export type StoredValue = string | number | bigint | null;

export const SQL_TYPE: Record<EdmType, 'TEXT' | 'INTEGER' | 'REAL'> = {
  'Edm.String': 'TEXT',
  'Edm.Guid': 'TEXT',
  'Edm.Boolean': 'INTEGER',
  'Edm.Int16': 'INTEGER',
  'Edm.Int32': 'INTEGER',
  'Edm.Int64': 'INTEGER',
  'Edm.Double': 'REAL',
  'Edm.Decimal': 'INTEGER',
  'Edm.Date': 'TEXT',
  'Edm.DateTimeOffset': 'INTEGER',
};

export class ValueError extends Error {}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal written as text or a JS number, scaled to an integer with `scale` digits after the point,
 * rounded half away from zero. Numbers are read through their shortest round-trip text, so 0.1 is 0.1.
 */
export function decimalToScaled(value: string | number, scale: number): number | bigint {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new ValueError(`not a decimal: ${JSON.stringify(value)}`);
  const negative = m[1] === '-';
  let digits = (m[2] || '0') + (m[3] ?? '');
  const pointAt = (m[2] || "0").length + Number(m[4] ?? 0); // digits before the point
  // Shift so that exactly `scale` digits follow the point, remembering the first dropped digit for rounding.
  const wantLength = pointAt + scale;
  if (wantLength < 0) return 0;
  let roundUp = false;
  if (digits.length > wantLength) {
    roundUp = digits.charCodeAt(wantLength) >= 53; // '5'
    digits = digits.slice(0, wantLength);
  } else {
    digits = digits.padEnd(wantLength, '0');
  }
  let n = BigInt(digits === '' ? '0' : digits);
  if (roundUp) n += 1n;
  if (negative) n = -n;
  return Number.isSafeInteger(Number(n)) ? Number(n) : n;
}

/** The exact decimal text of a scaled integer, e.g. (-12150, 2) → "-121.50". */
export function scaledToDecimalText(value: number | bigint, scale: number): string {
  const n = BigInt(value);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? '.' + frac : ''}`;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new ValueError(`not a finite number: ${n}`);
  return String(n);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isValidDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_DATE_START = /^\d{4}-\d{2}-\d{2}(?:$|[T ])/;

/** Accepts what upstream clients hand over (already decoded from the wire) and returns the mirror's form. */
export function toStored(column: ColumnDescription, value: unknown): StoredValue {
  if (value === null || value === undefined) return null;
  // An object or array where one value is due is a malformed row, not text: String() would store "[object Object]".
  if ((typeof value === 'object' && !(value instanceof Date)) || typeof value === 'function' || typeof value === 'symbol') {
    throw new ValueError(`${column.name}: not a single value: ${describeValue(value)}`);
  }
  switch (column.type) {
    case 'Edm.String':
      return String(value);
    case 'Edm.Guid': {
      const s = String(value).toLowerCase();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)) throw new ValueError(`${column.name}: not a GUID: ${JSON.stringify(value)}`);
      return s;
    }
    case 'Edm.Boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value === 1 || value === 0) return value;
      if (value === 'true' || value === 'false') return value === 'true' ? 1 : 0;
      throw new ValueError(`${column.name}: not a boolean: ${JSON.stringify(value)}`);
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Int64': {
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) {
        const big = BigInt(value.trim());
        return Number.isSafeInteger(Number(big)) ? Number(big) : big;
      }
      throw new ValueError(`${column.name}: not an integer: ${JSON.stringify(value)}`);
    }
    case 'Edm.Double': {
      // Number() would also read true, '0x10' and ' ' as numbers.
      const n = typeof value === 'number' ? value : typeof value === 'string' && DOUBLE.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw new ValueError(`${column.name}: not a number: ${describeValue(value)}`);
      return n;
    }
    case 'Edm.Decimal':
      if (typeof value !== 'number' && typeof value !== 'string') throw new ValueError(`${column.name}: not a decimal: ${JSON.stringify(value)}`);
      return decimalToScaled(value, decimalScale(column));
    case 'Edm.Date': {
      const s = value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
      if (!isValidDate(s)) throw new ValueError(`${column.name}: not a date: ${JSON.stringify(value)}`);
      return s;
    }
    case 'Edm.DateTimeOffset': {
      // Only ISO 8601 text: Date.parse would also read '12' as December 2001.
      const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' && ISO_DATE_START.test(value.trim()) ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) throw new ValueError(`${column.name}: not a date-time: ${describeValue(value)}`);
      return ms;
    }
  }
}

/** A rejected value for a message, shortened (a whole upstream object may be large). */
function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** The JSON value OData serializes for a stored value (IEEE754Compatible decides Int64/Decimal as strings). */
export function storedToJson(column: ColumnDescription, value: StoredValue, ieee754Compatible = false): string | number | boolean | null {
  if (value === null) return null;
  switch (column.type) {
    case 'Edm.Boolean':
      return value === 1 || value === 1n;
    case 'Edm.Int64':
      if (ieee754Compatible || typeof value === 'bigint') return String(value);
      return Number(value);
    case 'Edm.Decimal': {
      const text = scaledToDecimalText(value as number | bigint, decimalScale(column));
      // A JSON number only when a double reads it back to the same decimal; else a string (IEEE754Compatible).
      if (!ieee754Compatible && Math.abs(Number(value)) <= Number.MAX_SAFE_INTEGER && String(Number(text)) === trimDecimal(text)) return Number(text);
      return text;
    }
    case 'Edm.DateTimeOffset':
      return new Date(Number(value)).toISOString();
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Double':
      return Number(value);
    default:
      return String(value);
  }
}

function trimDecimal(text: string): string {
  if (!text.includes('.')) return text === '-0' ? '0' : text;
  const t = text.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}
