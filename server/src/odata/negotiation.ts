// Content negotiation for the feed: which JSON flavour a client accepts (Accept header or $format, with
// odata.metadata and IEEE754Compatible), whether it accepts CSDL XML, and its Prefer: odata.maxpagesize.
// Lenient on purpose: Power BI's Accept lists JSON, Atom and XML with q-values; 406 is kept for requests
// that clearly accept none of what the feed produces.
import { InvalidQuery } from '../errors';
import { NotAcceptable } from './errors';

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

export interface JsonFormat {
  /** `minimal` (the default) or `none` (no @odata.context). `full` is answered as minimal. */
  metadata: 'minimal' | 'none';
  /** Int64 and Decimal values as JSON strings (the client asked with IEEE754Compatible=true). */
  ieee754: boolean;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
}

function parseMediaRange(text: string): MediaRange | null {
  const [essence, ...rest] = text.split(';');
  const [type, subtype] = essence.trim().toLowerCase().split('/');
  if (!type || !subtype) return null;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = unquote(p.slice(eq + 1));
    if (name === 'q') {
      const n = Number(value);
      q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 1;
    } else params.set(name, value);
  }
  return { type, subtype: subtype.trim(), params, q };
}

function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [];
  return header
    .split(',')
    .map(parseMediaRange)
    .filter((r): r is MediaRange => r !== null);
}

function covers(range: MediaRange, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}

function jsonFormatOf(params: Map<string, string>): JsonFormat {
  return {
    metadata: (params.get('odata.metadata') ?? '').toLowerCase() === 'none' ? 'none' : 'minimal',
    ieee754: (params.get('ieee754compatible') ?? '').toLowerCase() === 'true',
  };
}

/** The JSON flavour to answer with; throws NotAcceptable when the client clearly accepts no JSON. */
export function negotiateJson(accept: string | undefined, format: string | null): JsonFormat {
  if (format !== null) {
    const f = format.trim().toLowerCase();
    if (f === 'json') return { metadata: 'minimal', ieee754: false };
    const range = parseMediaRange(format);
    if (range && range.type === 'application' && range.subtype === 'json') return jsonFormatOf(range.params);
    if (!range && f !== 'xml' && f !== 'atom') throw new InvalidQuery(`$format must be json or a media type such as application/json, not ${JSON.stringify(format.slice(0, 60))}`, undefined, { target: '$format' });
    throw new NotAcceptable(`$format=${format.slice(0, 60)} is not available: this resource is served as JSON ($format=json).`);
  }
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { metadata: 'minimal', ieee754: false };
  const best = ranges.filter((r) => r.q > 0 && covers(r, 'application', 'json')).sort((a, b) => b.q - a.q)[0];
  if (!best) throw new NotAcceptable('This resource is served as application/json, which the Accept header does not allow.');
  return jsonFormatOf(best.params);
}

/** Throws NotAcceptable unless the client accepts CSDL XML ($metadata). */
export function negotiateXml(accept: string | undefined, format: string | null): void {
  if (format !== null) {
    const f = format.trim().toLowerCase();
    const range = parseMediaRange(format);
    if (f === 'xml' || (range && covers({ ...range, q: 1 }, 'application', 'xml'))) return;
    throw new NotAcceptable(`$format=${format.slice(0, 60)} is not available: $metadata is served as CSDL XML only.`);
  }
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return;
  if (ranges.some((r) => r.q > 0 && (covers(r, 'application', 'xml') || covers(r, 'text', 'xml')))) return;
  throw new NotAcceptable('$metadata is served as CSDL XML (application/xml), which the Accept header does not allow.');
}

/** `odata.maxpagesize` (or 4.01 `maxpagesize`) from Prefer headers, or null when absent or not a positive integer. */
export function preferredMaxPageSize(prefer: string | string[] | undefined): number | null {
  const headers = Array.isArray(prefer) ? prefer : prefer ? [prefer] : [];
  for (const header of headers) {
    for (const preference of header.split(',')) {
      const [first] = preference.split(';');
      const eq = first.indexOf('=');
      if (eq < 0) continue;
      const name = first.slice(0, eq).trim().toLowerCase();
      if (name !== 'odata.maxpagesize' && name !== 'maxpagesize') continue;
      const value = unquote(first.slice(eq + 1));
      if (/^\d{1,9}$/.test(value) && Number(value) > 0) return Number(value);
    }
  }
  return null;
}
