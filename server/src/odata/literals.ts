// Reads literal text from expressions into exact values: numbers as scaled integers (no binary rounding),
// dates checked for existence, instants as exact milliseconds since the epoch, GUIDs lower-cased.
import { ExpressionError } from './lexer';

/** An exact decimal: `units / 10^scale`, scale ≥ 0. */
export interface Exact {
  units: bigint;
  scale: number;
}

export type NumberValue = Exact | 'INF' | '-INF' | 'NaN';

/** Exponents beyond this are refused: 1e400 is out of range for every numeric Edm type anyway. */
const MAX_EXPONENT = 400;

export function parseNumber(text: string, position: number): NumberValue {
  if (text === 'INF' || text === '-INF' || text === 'NaN') return text;
  if (text === '-NaN') throw new ExpressionError('NaN has no sign', position);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new ExpressionError(`Malformed number literal '${text}'`, position);
  const exponent = Number(m[4] ?? 0);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new ExpressionError(`The number ${text} is out of range`, position);
  const fraction = m[3] ?? '';
  let units = BigInt(m[2] + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalize({ units: m[1] === '-' ? -units : units, scale });
}

/** Drops trailing zeros after the point: 2.50 → 2.5, 3.00 → 3. */
export function normalize(value: Exact): Exact {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale--;
  }
  return { units, scale };
}

export function isIntegral(value: Exact): boolean {
  return normalize(value).scale === 0;
}

/** The exact value multiplied by 10^scale, as a rational `units / 10^scale` with scale ≥ 0. */
export function rescale(value: Exact, scale: number): Exact {
  const shift = value.scale - scale;
  return shift <= 0 ? { units: value.units * 10n ** BigInt(-shift), scale: 0 } : { units: value.units, scale: shift };
}

/** Largest integer ≤ value. */
export function floorOf(value: Exact): bigint {
  if (value.scale === 0) return value.units;
  const divisor = 10n ** BigInt(value.scale);
  const q = value.units / divisor;
  return value.units < 0n && q * divisor !== value.units ? q - 1n : q;
}

export function exactToNumber(value: Exact): number {
  return Number(`${value.units}e-${value.scale}`);
}

export function exactText(value: Exact): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return `${negative ? '-' : ''}${whole}${value.scale > 0 ? '.' + fraction : ''}`;
}

/** Whether the calendar has this day (years 0000–9999; unlike Date.UTC, years below 100 are not moved to the 1900s). */
function dayExists(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function parseDate(text: string, position: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m || !dayExists(Number(m[1]), Number(m[2]), Number(m[3]))) throw new ExpressionError(`'${text}' is not a valid Edm.Date (YYYY-MM-DD, years 0000–9999)`, position);
  return text;
}

export interface Instant {
  /** Milliseconds since the epoch, exact (sub-millisecond digits are kept as fraction). */
  ms: Exact;
  /** Written in UTC (Z or +00:00): only then do hour(), day()… on the literal agree with the stored UTC values. */
  utc: boolean;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(?:([Zz])|([+ -])(\d{2}):(\d{2}))$/;

export function parseInstant(text: string, position: number): Instant {
  const m = INSTANT.exec(text);
  const invalid = () => new ExpressionError(`'${text}' is not a valid Edm.DateTimeOffset (YYYY-MM-DDThh:mm[:ss[.fff]] with Z or ±hh:mm, years 0000–9999)`, position);
  if (!m) throw invalid();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  if (!dayExists(year, month, day) || hour > 23 || minute > 59 || second > 59) throw invalid();
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) throw invalid();
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const base = date.getTime() - offsetMinutes * 60_000;
  const fraction = m[7] ?? '';
  const extra = Math.max(fraction.length - 3, 0); // digits below a millisecond
  const fractionUnits = BigInt((fraction + '000').slice(0, 3 + extra));
  const ms = normalize({ units: BigInt(base) * 10n ** BigInt(extra) + fractionUnits, scale: extra });
  return { ms, utc: offsetMinutes === 0 };
}

export function parseGuid(text: string): string {
  return text.toLowerCase();
}
