// Reads the system query options of a request from the raw query string, as OData prescribes: split on
// '&' and the first '=', then percent-decode once ('+' also reads as a space, as ASP.NET and browsers
// send it; a literal plus is %2B). Unknown system options are refused, unsupported ones answered 501.
import { InvalidQuery, NotImplementedQuery, type LedgerfeedError } from '../errors';
import type { Expression, OrderByItem } from './ast';
import { ExpressionError } from './lexer';
import { parseFilter, parseOrderBy, parseSelect, type SelectItem } from './parser';

export interface QueryOptions {
  filter: { text: string; expression: Expression } | null;
  orderBy: { text: string; items: OrderByItem[] } | null;
  select: { text: string; all: boolean; items: SelectItem[] } | null;
  top: number | null;
  skip: number | null;
  count: boolean;
  skipToken: string | null;
  format: string | null;
  /** Every option as received (decoded), in order: the next link repeats the ones that still apply. */
  raw: [string, string][];
}

const SUPPORTED = new Set(['$filter', '$select', '$orderby', '$top', '$skip', '$count', '$skiptoken', '$format']);
const NOT_IMPLEMENTED = new Set(['$expand', '$apply', '$search', '$compute', '$deltatoken', '$schemaversion', '$index', '$levels']);
/** More $orderby keys than this is refused. */
export const MAX_ORDER_KEYS = 32;

/** An expression problem as the error the client gets, naming the query option it was in. */
export function toQueryError(option: string, error: ExpressionError): LedgerfeedError {
  if (error.unsupported) return new NotImplementedQuery(`${option}: ${error.message} (at position ${error.position})`, { target: option });
  return new InvalidQuery(`Invalid ${option}: ${error.message}`, error.position, { target: option });
}

/** Runs `fn`, turning expression problems into errors that name `option`. */
export function inOption<T>(option: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ExpressionError) throw toQueryError(option, error);
    throw error;
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new InvalidQuery(`Malformed percent-encoding in the query string: ${JSON.stringify(part.slice(0, 40))}`, undefined, { target: 'query' });
  }
}

function nonNegativeInteger(option: string, text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new InvalidQuery(`${option} must be a non-negative integer, not ${JSON.stringify(text.slice(0, 40))}`, undefined, { target: option });
  return Number(text.trim());
}

export function parseQueryOptions(rawQuery: string): QueryOptions {
  const options: QueryOptions = { filter: null, orderBy: null, select: null, top: null, skip: null, count: false, skipToken: null, format: null, raw: [] };
  const seen = new Set<string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const text = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (!name.startsWith('$')) continue; // custom query options and parameter alias definitions carry no meaning here
    if (NOT_IMPLEMENTED.has(name)) throw new NotImplementedQuery(`The query option ${name} is not supported by this feed`, { target: name });
    if (!SUPPORTED.has(name)) throw new InvalidQuery(`Unknown system query option ${name}; this feed supports ${[...SUPPORTED].join(', ')}`, undefined, { target: name });
    if (seen.has(name)) throw new InvalidQuery(`The query option ${name} is given more than once`, undefined, { target: name });
    seen.add(name);
    options.raw.push([name, text]);
    switch (name) {
      case '$filter':
        options.filter = { text, expression: inOption(name, () => parseFilter(text)) };
        break;
      case '$orderby': {
        const items = inOption(name, () => parseOrderBy(text));
        if (items.length > MAX_ORDER_KEYS) throw new InvalidQuery(`$orderby has more than ${MAX_ORDER_KEYS} keys`, undefined, { target: name });
        options.orderBy = { text, items };
        break;
      }
      case '$select':
        options.select = { text, ...inOption(name, () => parseSelect(text)) };
        break;
      case '$top':
        options.top = nonNegativeInteger(name, text);
        break;
      case '$skip':
        options.skip = nonNegativeInteger(name, text);
        break;
      case '$count': {
        const value = text.trim().toLowerCase();
        if (value !== 'true' && value !== 'false') throw new InvalidQuery(`$count must be true or false, not ${JSON.stringify(text.slice(0, 40))}`, undefined, { target: name });
        options.count = value === 'true';
        break;
      }
      case '$skiptoken':
        options.skipToken = text;
        break;
      case '$format':
        options.format = text;
        break;
    }
  }
  return options;
}

/** The raw query string after '?' of a request URL ('' when there is none). */
export function rawQueryOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}
