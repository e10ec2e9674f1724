// Splits an OData expression ($filter, $orderby, key predicates) into tokens, each with its 0-based
// position in the decoded option text, so every syntax error can say where it is.
//
// Why not odata-v4-parser (a dependency of odata-v4-server): it rejects the `in` operator and exponent
// doubles (1e3), and reports every problem as "Unexpected character at N" with a position that is often
// not where the problem is (`Name eq 'abc` → "at 4"). Power BI and Excel users read these messages.

/**
 * A problem in an expression's text. `unsupported` marks valid OData the feed does not implement (answered 501),
 * everything else is malformed (answered 400). The option layer adds which query option it was.
 */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export type TokenKind =
  | 'identifier' // names, keywords (and, eq, true, null, INF…) and qualified names (Namespace.Name)
  | 'string' // '…' with '' as an escaped quote; `text` holds the unescaped value
  | 'number' // [-]digits[.digits][e[±]digits]; `text` holds the literal as written
  | 'date' // YYYY-MM-DD
  | 'datetimeoffset' // YYYY-MM-DDThh:mm[:ss[.fff…]](Z|±hh:mm)
  | 'guid'
  | 'timeofday'
  | '('
  | ')'
  | ','
  | '/'
  | '='
  | '-'
  | '*'
  | ':'
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset of the token's first character in the option text. */
  position: number;
}

const WHITESPACE = /[ \t]+/y;
const GUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_.-])/y;
// A '+' offset that arrived as '+' in a form-encoded URL reads as a space; accept it there, where it is unambiguous.
const DATETIMEOFFSET = /-?\d{4,}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+ -]\d{2}:\d{2})(?![0-9A-Za-z_.:])/y;
const DATE = /-?\d{4,}-\d{2}-\d{2}(?![0-9A-Za-z_.:-])/y;
const TIMEOFDAY = /\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![0-9A-Za-z_.:])/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[$A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const SINGLE: Record<string, TokenKind> = { '(': '(', ')': ')', ',': ',', '/': '/', '=': '=', '*': '*', ':': ':' };

function match(pattern: RegExp, text: string, at: number): string | null {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  return m ? m[0] : null;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const space = match(WHITESPACE, text, at);
    if (space) {
      at += space.length;
      continue;
    }
    const c = text[at];
    if (c === "'") {
      let value = '';
      let i = at + 1;
      for (;;) {
        const next = text.indexOf("'", i);
        if (next < 0) throw new ExpressionError('Unterminated string literal: a string starts here but has no closing quote', at);
        value += text.slice(i, next);
        if (text[next + 1] === "'") {
          value += "'";
          i = next + 2;
          continue;
        }
        i = next + 1;
        break;
      }
      tokens.push({ kind: 'string', text: value, position: at });
      at = i;
      continue;
    }
    if (c in SINGLE) {
      tokens.push({ kind: SINGLE[c], text: c, position: at });
      at += 1;
      continue;
    }
    if (c === '@') throw new ExpressionError('Parameter aliases (@name) are not supported', at, true);
    if (c === '[' || c === '{') throw new ExpressionError('JSON array and object literals are not supported', at, true);
    const startsNumeric = (c >= '0' && c <= '9') || (c === '-' && /[0-9]/.test(text[at + 1] ?? ''));
    if (/[0-9A-Fa-f]/.test(c)) {
      const guid = match(GUID, text, at);
      if (guid) {
        tokens.push({ kind: 'guid', text: guid, position: at });
        at += guid.length;
        continue;
      }
    }
    if (startsNumeric) {
      const instant = match(DATETIMEOFFSET, text, at);
      if (instant) {
        tokens.push({ kind: 'datetimeoffset', text: instant, position: at });
        at += instant.length;
        continue;
      }
      const date = match(DATE, text, at);
      if (date) {
        tokens.push({ kind: 'date', text: date, position: at });
        at += date.length;
        continue;
      }
      if (/^-?\d{4,}-\d{2}-\d{2}[Tt]/.test(text.slice(at, at + 16))) {
        throw new ExpressionError('Malformed Edm.DateTimeOffset literal: expected YYYY-MM-DDThh:mm[:ss[.fff]] followed by Z or an offset ±hh:mm', at);
      }
      const time = match(TIMEOFDAY, text, at);
      if (time) {
        tokens.push({ kind: 'timeofday', text: time, position: at });
        at += time.length;
        continue;
      }
      const number = match(NUMBER, text, at);
      if (number) {
        const after = text[at + number.length];
        if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) {
          throw new ExpressionError(`Malformed number literal '${text.slice(at, at + number.length + 1)}' (type suffixes such as M, L or d are OData 3 syntax)`, at);
        }
        tokens.push({ kind: 'number', text: number, position: at });
        at += number.length;
        continue;
      }
    }
    if (c === '-') {
      tokens.push({ kind: '-', text: '-', position: at });
      at += 1;
      continue;
    }
    const name = match(IDENTIFIER, text, at);
    if (name) {
      tokens.push({ kind: 'identifier', text: name, position: at });
      at += name.length;
      continue;
    }
    throw new ExpressionError(`Unexpected character ${JSON.stringify(c)}`, at);
  }
  tokens.push({ kind: 'eof', text: '', position: text.length });
  return tokens;
}
