// Parses OData expressions ($filter, $orderby items, key predicates) and $select lists into syntax trees.
// A Pratt parser over the token stream; operator precedence is the table of OData 4.01 URL Conventions
// §5.1.1.15 (`in` binds like a primary, `not` and `-` tighter than any binary operator). Operator, keyword
// and function names are case-insensitive, as 4.01 asks. Errors carry the position they were found at.
import type { BinaryOperator, Expression, KeyPredicate, LiteralSyntax, OrderByItem } from './ast';
import { ExpressionError, tokenize, type Token } from './lexer';

/** Deeper nesting than this is refused: it keeps recursion and SQLite's expression depth bounded. */
export const MAX_NESTING = 64;
/** More nodes than this is refused as too complex (a 2,000-term or-chain still fits). */
export const MAX_NODES = 8000;

const BINARY_POWER: Record<string, number> = {
  or: 1,
  and: 2,
  eq: 3,
  ne: 3,
  gt: 4,
  ge: 4,
  lt: 4,
  le: 4,
  add: 5,
  sub: 5,
  mul: 6,
  div: 6,
  divby: 6,
  mod: 6,
};
const UNARY_POWER = 7;

const UNSUPPORTED_FUNCTIONS = new Set([
  'cast',
  'isof',
  'round',
  'floor',
  'ceiling',
  'now',
  'mindatetime',
  'maxdatetime',
  'fractionalseconds',
  'time',
  'totaloffsetminutes',
  'totalseconds',
  'matchespattern',
  'hassubset',
  'hassubsequence',
  'case',
]);

const TYPED_LITERAL_PREFIXES = new Set(['duration', 'binary', 'geography', 'geometry']);

class Parser {
  private index = 0;
  private depth = 0;
  private nodes = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  expect(kind: Token['kind'], what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) throw new ExpressionError(`Expected ${what} but found ${describe(token)}`, token.position);
    return this.next();
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'eof') throw new ExpressionError(`Unexpected ${describe(token)} after the end of the expression`, token.position);
  }

  count(position: number): void {
    if (++this.nodes > MAX_NODES) throw new ExpressionError(`The expression is too complex (more than ${MAX_NODES} parts)`, position);
  }

  /** Parses operands and binary operators binding tighter than `minPower`; stops before `stopWords` (e.g. asc/desc). */
  expression(minPower = 0, stopWords: ReadonlySet<string> = NO_WORDS): Expression {
    if (++this.depth > MAX_NESTING) throw new ExpressionError(`The expression is nested too deeply (more than ${MAX_NESTING} levels)`, this.peek().position);
    let left = this.unary(stopWords);
    for (;;) {
      const token = this.peek();
      if (token.kind === ')' || token.kind === ',' || token.kind === 'eof') break;
      if (token.kind !== 'identifier') throw new ExpressionError(`Expected an operator (eq, ne, gt, ge, lt, le, and, or, add, sub, mul, div, mod, in) but found ${describe(token)}`, token.position);
      const word = token.text.toLowerCase();
      if (stopWords.has(word)) break;
      if (word === 'in') {
        this.next();
        left = { kind: 'in', operand: left, list: this.list(), position: token.position };
        this.count(token.position);
        continue;
      }
      if (word === 'has') throw new ExpressionError('The has operator (enumeration flags) is not supported', token.position, true);
      const power = BINARY_POWER[word];
      if (power === undefined) {
        const expected = stopWords.size > 0 ? `an operator, ${[...stopWords].join(' or ')}` : 'an operator (eq, ne, gt, ge, lt, le, and, or, add, sub, mul, div, mod, in)';
        throw new ExpressionError(`Expected ${expected} but found '${token.text}'`, token.position);
      }
      if (power <= minPower) break;
      this.next();
      const right = this.expression(power, stopWords);
      left = { kind: 'binary', operator: word as BinaryOperator, left, right, position: token.position };
      this.count(token.position);
    }
    this.depth--;
    return left;
  }

  private list(): Expression[] {
    const open = this.peek();
    if (open.kind !== '(') throw new ExpressionError(`Expected '(' and a list of values after in but found ${describe(open)}`, open.position);
    this.next();
    const items = [this.expression()];
    while (this.peek().kind === ',') {
      this.next();
      items.push(this.expression());
    }
    this.expect(')', "',' or ')' in the list of in");
    return items;
  }

  private unary(stopWords: ReadonlySet<string>): Expression {
    const token = this.next();
    this.count(token.position);
    switch (token.kind) {
      case '-': {
        const operand = this.expression(UNARY_POWER, stopWords);
        if (operand.kind === 'literal' && operand.literal.type === 'number') {
          const text = operand.literal.text;
          return { kind: 'literal', literal: { type: 'number', text: text.startsWith('-') ? text.slice(1) : `-${text}` }, position: token.position };
        }
        return { kind: 'negate', operand, position: token.position };
      }
      case '(': {
        const inner = this.expression();
        this.expect(')', "')'");
        return inner;
      }
      case 'string':
        return literal({ type: 'string', value: token.text }, token);
      case 'number':
        return literal({ type: 'number', text: token.text }, token);
      case 'date':
        return literal({ type: 'date', text: token.text }, token);
      case 'datetimeoffset':
        return literal({ type: 'datetimeoffset', text: token.text }, token);
      case 'guid':
        return literal({ type: 'guid', text: token.text }, token);
      case 'timeofday':
        throw new ExpressionError('Edm.TimeOfDay literals are not supported', token.position, true);
      case 'identifier':
        return this.identifier(token, stopWords);
      default:
        throw new ExpressionError(`Expected an expression but found ${describe(token)}`, token.position);
    }
  }

  private identifier(token: Token, stopWords: ReadonlySet<string>): Expression {
    const word = token.text.toLowerCase();
    const following = this.peek();
    if (following.kind === 'string' && following.position === token.position + token.text.length) {
      if (TYPED_LITERAL_PREFIXES.has(word) || token.text.includes('.')) {
        throw new ExpressionError(`${token.text}'…' literals are not supported`, token.position, true);
      }
      throw new ExpressionError(`Unknown literal prefix '${token.text}'`, token.position);
    }
    if (word === 'not') {
      const operand = this.expression(UNARY_POWER, stopWords);
      return { kind: 'not', operand, position: token.position };
    }
    if (following.kind === '(') return this.call(token);
    if (word === 'true' || word === 'false') return literal({ type: 'boolean', value: word === 'true' }, token);
    if (word === 'null') return literal({ type: 'null' }, token);
    if (token.text === 'INF' || token.text === 'NaN') return literal({ type: 'number', text: token.text }, token);
    if (token.text.startsWith('$')) throw new ExpressionError(`${token.text} is not supported in expressions`, token.position, true);
    if (token.text.includes('.')) throw new ExpressionError(`Unknown name '${token.text}' (type casts and enumerations are not supported)`, token.position, true);
    const path = [token.text];
    while (this.peek().kind === '/') {
      this.next();
      const segment = this.expect('identifier', 'a property name after /');
      if (this.peek().kind === '(') {
        const lambda = segment.text.toLowerCase();
        const what = lambda === 'any' || lambda === 'all' ? 'Lambda operators (any/all) are' : 'Bound functions are';
        throw new ExpressionError(`${what} not supported`, segment.position, true);
      }
      if (segment.text === '$count') throw new ExpressionError('/$count in expressions is not supported', segment.position, true);
      path.push(segment.text);
    }
    return { kind: 'property', path, position: token.position };
  }

  private call(name: Token): Expression {
    const fn = name.text.toLowerCase();
    if (UNSUPPORTED_FUNCTIONS.has(fn) || fn.startsWith('geo.')) throw new ExpressionError(`The function ${fn}() is not supported`, name.position, true);
    if (name.text.includes('.')) throw new ExpressionError(`Custom functions such as ${name.text}() are not supported`, name.position, true);
    this.next(); // (
    const args: Expression[] = [];
    if (this.peek().kind !== ')') {
      args.push(this.expression());
      while (this.peek().kind === ',') {
        this.next();
        args.push(this.expression());
      }
    }
    this.expect(')', `',' or ')' in the arguments of ${fn}()`);
    return { kind: 'call', name: fn, args, position: name.position };
  }
}

const NO_WORDS: ReadonlySet<string> = new Set();
const ORDER_WORDS: ReadonlySet<string> = new Set(['asc', 'desc']);

function literal(value: LiteralSyntax, token: Token): Expression {
  return { kind: 'literal', literal: value, position: token.position };
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'the end of the text';
    case 'string':
      return `the string '${token.text.length > 20 ? token.text.slice(0, 20) + '…' : token.text}'`;
    case 'identifier':
    case 'number':
    case 'date':
    case 'datetimeoffset':
    case 'guid':
    case 'timeofday':
      return `'${token.text}'`;
    default:
      return `'${token.kind}'`;
  }
}

function nonEmpty(text: string, what: string): void {
  if (text.trim() === '') throw new ExpressionError(`${what} is empty`, 0);
}

/** `$filter` text → expression. */
export function parseFilter(text: string): Expression {
  nonEmpty(text, 'The filter');
  const parser = new Parser(tokenize(text));
  const expression = parser.expression();
  parser.expectEnd();
  return expression;
}

/** `$orderby` text → items, each an expression with an optional asc/desc. */
export function parseOrderBy(text: string): OrderByItem[] {
  nonEmpty(text, 'The order');
  const parser = new Parser(tokenize(text));
  const items: OrderByItem[] = [];
  for (;;) {
    const expression = parser.expression(0, ORDER_WORDS);
    let descending = false;
    const word = parser.peek();
    if (word.kind === 'identifier' && ORDER_WORDS.has(word.text.toLowerCase())) {
      descending = word.text.toLowerCase() === 'desc';
      parser.next();
    }
    items.push({ expression, descending });
    const after = parser.peek();
    if (after.kind === 'eof') return items;
    if (after.kind !== ',') throw new ExpressionError(`Expected ',', asc or desc but found ${describe(after)}`, after.position);
    parser.next();
  }
}

/** The text between the parentheses of a key predicate → one value or Name=value pairs. */
export function parseKeyPredicate(text: string): KeyPredicate {
  nonEmpty(text, 'The key');
  const parser = new Parser(tokenize(text));
  if (parser.peek().kind === 'identifier' && parser.peek(1).kind === '=') {
    const values: { name: string; value: Expression; position: number }[] = [];
    for (;;) {
      const name = parser.expect('identifier', 'a key property name');
      parser.expect('=', "'='");
      values.push({ name: name.text, value: parser.expression(), position: name.position });
      if (parser.peek().kind !== ',') break;
      parser.next();
    }
    parser.expectEnd();
    return { kind: 'named', values };
  }
  const value = parser.expression();
  parser.expectEnd();
  return { kind: 'single', value };
}

export interface SelectItem {
  name: string;
  position: number;
}

/** `$select` text → `*` or property names (paths, nested options and qualified names are refused). */
export function parseSelect(text: string): { all: boolean; items: SelectItem[] } {
  nonEmpty(text, 'The select list');
  const tokens = tokenize(text);
  const items: SelectItem[] = [];
  let all = false;
  let i = 0;
  for (;;) {
    const token = tokens[i++];
    if (token.kind === '*') all = true;
    else if (token.kind === 'identifier' && !token.text.includes('.') && !token.text.startsWith('$')) items.push({ name: token.text, position: token.position });
    else if (token.kind === 'identifier') throw new ExpressionError(`'${token.text}' cannot be selected: only property names and * are supported`, token.position, token.text.includes('.'));
    else throw new ExpressionError(`Expected a property name or * but found ${describe(token)}`, token.position);
    const after = tokens[i++];
    if (after.kind === 'eof') return { all, items };
    if (after.kind === '/' || after.kind === '(') throw new ExpressionError('Paths and nested options in $select are not supported', after.position, true);
    if (after.kind !== ',') throw new ExpressionError(`Expected ',' but found ${describe(after)}`, after.position);
  }
}
