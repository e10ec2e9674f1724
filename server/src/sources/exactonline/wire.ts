// Exact Online's wire format, decoded: OData v2 verbose JSON (`d` as `{results, __next}`, a bare array, or one
// object), `/Date(ms)/` values, Int64 as a JSON number or string, the error body, and the six X-RateLimit-*
// headers. Pure functions; the HTTP client and the connector build on them.

/** One row as Exact sends it (`__metadata` and `__deferred` navigation links left in place). */
export type ExactRow = Record<string, unknown>;

export interface ExactCollection {
  rows: ExactRow[];
  /** Absolute URL of the next page, opaque; absent on the last page. */
  next?: string;
}

export class WireError extends Error {}

/**
 * Parses a JSON body keeping integers beyond 2^53 exact: a bare integer of 16 or more digits after a property name
 * becomes a string (Int64 Timestamps are SQL rowversions; a double would silently change them).
 */
export function parseExactJson(text: string): unknown {
  const guarded = text.replace(/("[A-Za-z_][A-Za-z0-9_]*"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"');
  try {
    return JSON.parse(guarded);
  } catch (err) {
    throw new WireError(`the body is not valid JSON (${(err as Error).message})`);
  }
}

/** The rows and next link of a collection body, whichever of Exact's shapes it has. */
export function readCollection(body: unknown): ExactCollection {
  if (!isObject(body) || !('d' in body)) throw new WireError('the body has no "d" member');
  const d = body.d;
  if (Array.isArray(d)) return { rows: d.filter(isObject) as ExactRow[] };
  if (!isObject(d)) throw new WireError('"d" is neither an object nor an array');
  if ('results' in d) {
    if (!Array.isArray(d.results)) throw new WireError('"d.results" is not an array');
    const next = d.__next;
    if (next !== undefined && next !== null && typeof next !== 'string') throw new WireError('"d.__next" is not a string');
    return { rows: d.results.filter(isObject) as ExactRow[], next: next || undefined };
  }
  // A single entity (a key lookup) is `d` itself.
  return { rows: [d as ExactRow] };
}

const DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/** Milliseconds since the epoch of `/Date(ms)/` (the optional offset does not change the instant), or undefined. */
export function parseExactDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** An Exact date-time as epoch ms (from `/Date(ms)/` or an ISO string); null for null; anything else unchanged, for `toStored` to refuse. */
export function exactInstant(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const ms = parseExactDate(value);
  if (ms !== undefined) return ms;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const parsed = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || value.length <= 10 ? value : `${value}Z`);
    return Number.isFinite(parsed) ? parsed : value;
  }
  return value;
}

/** An Exact date without time of day ('YYYY-MM-DD', UTC calendar day of the instant); other values unchanged. */
export function exactDate(value: unknown): unknown {
  const ms = exactInstant(value);
  if (typeof ms !== 'number') return ms;
  return new Date(ms).toISOString().slice(0, 10);
}

/** A datetime'…' filter literal as Exact accepts it (no zone: Exact reads it as UTC). */
export function datetimeLiteral(ms: number): string {
  return `datetime'${new Date(ms).toISOString().replace(/Z$/, '')}'`;
}

/** An Int64 (number or string) as a BigInt, or undefined when it is not one. */
export function int64(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return undefined;
}

/** The message of Exact's error body `{"error":{"code":"","message":{"lang":"","value":"…"}}}` or an OAuth error body. */
export function exactErrorMessage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const error = body.error;
  if (isObject(error)) {
    const message = error.message;
    if (isObject(message) && typeof message.value === 'string') return message.value;
    if (typeof message === 'string') return message;
  }
  if (typeof error === 'string') return typeof body.error_description === 'string' ? `${error}: ${body.error_description}` : error;
  return undefined;
}

export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Epoch ms when the window starts over. */
  resetAt: number;
}

/** What a response said about the budget; either window may be missing (a minutely 429 carries only its own). */
export interface RateLimitHeaders {
  daily?: RateLimitWindow;
  minutely?: RateLimitWindow;
  /** Retry-After, when the service sent one. */
  retryAfterMs?: number;
}

type HeaderSource = { get(name: string): string | null };

function numberHeader(headers: HeaderSource, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\s*\d+(\.\d+)?\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/** Reset values are epoch milliseconds; a value that can only be seconds is read as seconds, defensively. */
function epochMs(value: number): number {
  return value < 100_000_000_000 ? value * 1000 : value;
}

function window(headers: HeaderSource, prefix: string): RateLimitWindow | undefined {
  const limit = numberHeader(headers, `${prefix}-Limit`);
  const remaining = numberHeader(headers, `${prefix}-Remaining`);
  const reset = numberHeader(headers, `${prefix}-Reset`);
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  return { limit, remaining, resetAt: epochMs(reset) };
}

export function readRateLimitHeaders(headers: HeaderSource, now: number): RateLimitHeaders {
  const result: RateLimitHeaders = {};
  const daily = window(headers, 'X-RateLimit');
  const minutely = window(headers, 'X-RateLimit-Minutely');
  if (daily) result.daily = daily;
  if (minutely) result.minutely = minutely;
  const retryAfter = headers.get('Retry-After');
  if (retryAfter !== null) {
    if (/^\s*\d+\s*$/.test(retryAfter)) result.retryAfterMs = Number(retryAfter) * 1000;
    else if (Number.isFinite(Date.parse(retryAfter))) result.retryAfterMs = Math.max(0, Date.parse(retryAfter) - now);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
