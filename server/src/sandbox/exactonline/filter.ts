// OData v2 `$filter` as Exact Online's WCF stack accepts it: parsed once against an entity's property types
// (typed literals `datetime'…'`, `guid'…'`, `123L`; operator/operand type checks answered with WCF's messages)
// and compiled to a row predicate. String comparisons follow SQL Server's default collation: case-insensitive,
// trailing spaces ignored by `eq`/`ne` (leading spaces count, which is why padded account codes bite).
import { InvalidQuery } from '../../errors';

export type EdmType = 'Guid' | 'String' | 'Int16' | 'Int32' | 'Int64' | 'Double' | 'Boolean' | 'DateTime';
/** A property value as the simulator holds it: DateTime as epoch ms, Guid lower-case. */
export type Value = string | number | boolean | null;
export type Row = Readonly<Record<string, Value>>;
/** Resolves a property name to its type; undefined for unknown properties. */
export type PropertyTypes = (name: string) => EdmType | undefined;

type ExprType = EdmType | 'Null';
type Evaluator = (row: Row) => Value;

interface Compiled {
  type: ExprType;
  evaluate: Evaluator;
  /** Properties this expression reads. */
  properties: Set<string>;
}

export interface CompiledFilter {
  text: string;
  matches(row: Row): boolean;
  /** Every property the filter reads (sync endpoints only allow Timestamp). */
  properties: ReadonlySet<string>;
  /** When the whole filter is `Timestamp gt N` (or ge): N and whether it is inclusive, for an index seek. */
  lowerBound?: { property: string; value: number; inclusive: boolean };
}

interface Token {
  kind: 'name' | 'number' | 'string' | 'typed' | 'open' | 'close' | 'comma' | 'minus' | 'end';
  text: string;
  /** For `typed`: the prefix (datetime, guid…). For `number`: the suffix letter, lower-case, or ''. */
  tag: string;
  position: number;
}

const NUMERIC: ReadonlySet<ExprType> = new Set(['Int16', 'Int32', 'Int64', 'Double']);
const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const ARITHMETIC = { add: 1, sub: 1, mul: 2, div: 2, mod: 2 } as const;
type ArithmeticOperator = keyof typeof ARITHMETIC;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'open' : c === ')' ? 'close' : 'comma', text: c, tag: '', position: start });
      i++;
    } else if (c === '-') {
      tokens.push({ kind: 'minus', text: c, tag: '', position: start });
      i++;
    } else if (c === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: 'string', text: value, tag: '', position: start });
      i = end;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?([LlMmDdFf])?/.exec(text.slice(i))!;
      tokens.push({ kind: 'number', text: m[0].replace(/[LlMmDdFf]$/, ''), tag: (m[1] ?? '').toLowerCase(), position: start });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      i += m[0].length;
      if (text[i] === "'" && /^(datetime|datetimeoffset|guid|time|x|binary)$/i.test(m[0])) {
        const { value, end } = readQuoted(text, i);
        tokens.push({ kind: 'typed', text: value, tag: m[0].toLowerCase(), position: start });
        i = end;
      } else {
        tokens.push({ kind: 'name', text: m[0], tag: '', position: start });
      }
    } else if (c === '/') {
      throw new InvalidQuery(`Navigation properties are not supported in $filter at position ${start} in '${text}'.`);
    } else {
      throw new InvalidQuery(`Syntax error at position ${start} in '${text}'.`);
    }
  }
  tokens.push({ kind: 'end', text: '', tag: '', position: text.length });
  return tokens;
}

function readQuoted(text: string, quote: number): { value: string; end: number } {
  let value = '';
  let i = quote + 1;
  for (;;) {
    if (i >= text.length) throw new InvalidQuery(`There is an unterminated string literal at position ${quote} in '${text}'.`);
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i++];
  }
}

/** Parses an OData v2 literal as it appears in a key predicate (`guid'…'`, `123L`, `42`, `'text'`). */
export function parseKeyLiteral(text: string): { type: EdmType; value: Value } {
  const tokens = tokenize(text);
  if (tokens.length !== 2) throw new InvalidQuery(`Bad key predicate '${text}'.`);
  const literal = literalOf(tokens[0], text);
  if (literal.type === 'Null') throw new InvalidQuery(`Bad key predicate '${text}'.`);
  return { type: literal.type, value: literal.value };
}

function literalOf(token: Token, text: string): { type: ExprType; value: Value } {
  switch (token.kind) {
    case 'string':
      return { type: 'String', value: token.text };
    case 'number': {
      const value = Number(token.text);
      if (token.tag === 'l') {
        if (!/^\d+$/.test(token.text)) throw new InvalidQuery(`Unrecognized 'Edm.Int64' literal '${token.text}L' at position ${token.position} in '${text}'.`);
        return { type: 'Int64', value };
      }
      if (token.tag === '' && /^\d+$/.test(token.text)) return { type: value > 2_147_483_647 ? 'Int64' : 'Int32', value };
      return { type: 'Double', value };
    }
    case 'typed':
      if (token.tag === 'guid') {
        if (!GUID.test(token.text)) throw new InvalidQuery(`Unrecognized 'Edm.Guid' literal 'guid'${token.text}'' at position ${token.position} in '${text}'.`);
        return { type: 'Guid', value: token.text.toLowerCase() };
      }
      if (token.tag === 'datetime' || token.tag === 'datetimeoffset') {
        const ms = parseDateTimeLiteral(token.text, token.tag === 'datetimeoffset');
        if (ms === undefined) throw new InvalidQuery(`Unrecognized 'Edm.DateTime' literal '${token.tag}'${token.text}'' at position ${token.position} in '${text}'.`);
        return { type: 'DateTime', value: ms };
      }
      throw new InvalidQuery(`Literals of type '${token.tag}' are not supported at position ${token.position} in '${text}'.`);
    case 'name':
      if (token.text === 'true' || token.text === 'false') return { type: 'Boolean', value: token.text === 'true' };
      if (token.text === 'null') return { type: 'Null', value: null };
      break;
    default:
      break;
  }
  throw new InvalidQuery(`Expression expected at position ${token.position} in '${text}'.`);
}

/** `2024-01-01`, `2024-01-01T10:00[:00[.000]]` as UTC; `datetimeoffset` also takes a zone suffix. */
function parseDateTimeLiteral(text: string, withOffset: boolean): number | undefined {
  if (withOffset) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, Math.floor(Number(`0.${frac}`) * 1000));
  const check = new Date(ms);
  return check.getUTCMonth() === +mo - 1 && check.getUTCDate() === +d ? ms : undefined;
}

const edm = (t: ExprType) => (t === 'Null' ? 'null' : `Edm.${t}`);

function compatible(a: ExprType, b: ExprType): boolean {
  if (a === 'Null' || b === 'Null' || a === b) return true;
  return NUMERIC.has(a) && NUMERIC.has(b);
}

/** SQL Server's default collation: case-insensitive; `=` ignores trailing spaces. */
function compareValues(a: Value, b: Value, forEquality: boolean): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = (forEquality ? a.replace(/ +$/, '') : a).toLowerCase();
    const y = (forEquality ? b.replace(/ +$/, '') : b).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

interface FunctionDef {
  params: (EdmType | 'Numeric')[];
  optional?: number;
  returns: EdmType;
  apply(args: Value[]): Value;
}

const str = (v: Value) => (v === null ? null : String(v));
const FUNCTIONS: Record<string, FunctionDef> = {
  substringof: { params: ['String', 'String'], returns: 'Boolean', apply: ([n, h]) => n !== null && h !== null && String(h).toLowerCase().includes(String(n).toLowerCase()) },
  startswith: { params: ['String', 'String'], returns: 'Boolean', apply: ([h, n]) => n !== null && h !== null && String(h).toLowerCase().startsWith(String(n).toLowerCase()) },
  endswith: { params: ['String', 'String'], returns: 'Boolean', apply: ([h, n]) => n !== null && h !== null && String(h).toLowerCase().endsWith(String(n).toLowerCase()) },
  tolower: { params: ['String'], returns: 'String', apply: ([s]) => str(s)?.toLowerCase() ?? null },
  toupper: { params: ['String'], returns: 'String', apply: ([s]) => str(s)?.toUpperCase() ?? null },
  trim: { params: ['String'], returns: 'String', apply: ([s]) => str(s)?.trim() ?? null },
  length: { params: ['String'], returns: 'Int32', apply: ([s]) => (s === null ? null : String(s).length) },
  indexof: { params: ['String', 'String'], returns: 'Int32', apply: ([h, n]) => (h === null || n === null ? null : String(h).toLowerCase().indexOf(String(n).toLowerCase())) },
  concat: { params: ['String', 'String'], returns: 'String', apply: ([a, b]) => (a === null || b === null ? null : `${a}${b}`) },
  substring: {
    params: ['String', 'Int32', 'Int32'],
    optional: 1,
    returns: 'String',
    apply: ([s, from, len]) => (s === null || from === null ? null : len === undefined || len === null ? String(s).substring(Number(from)) : String(s).substr(Number(from), Number(len))),
  },
  year: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCFullYear()) },
  month: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCMonth() + 1) },
  day: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCDate()) },
  hour: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCHours()) },
  minute: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCMinutes()) },
  second: { params: ['DateTime'], returns: 'Int32', apply: ([d]) => (d === null ? null : new Date(Number(d)).getUTCSeconds()) },
  round: { params: ['Numeric'], returns: 'Double', apply: ([n]) => (n === null ? null : Math.round(Number(n))) },
  floor: { params: ['Numeric'], returns: 'Double', apply: ([n]) => (n === null ? null : Math.floor(Number(n))) },
  ceiling: { params: ['Numeric'], returns: 'Double', apply: ([n]) => (n === null ? null : Math.ceil(Number(n))) },
};

/** Recursive-descent parser over the token list; each level returns a compiled, type-checked expression. */
class Parser {
  private index = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly types: PropertyTypes,
    private readonly entityType: string,
  ) {}

  parse(): Compiled {
    const expression = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.error(`Syntax error at position ${rest.position} in '${this.text}'.`);
    if (expression.type !== 'Boolean') throw this.error(`Expression of type '${edm(expression.type)}' expected to be of type 'Edm.Boolean' in '${this.text}'.`);
    return expression;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }
  private next(): Token {
    return this.tokens[this.index++];
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text === word;
  }
  private error(message: string): InvalidQuery {
    return new InvalidQuery(message);
  }

  private boolean(e: Compiled, at: Token, op: string): void {
    if (e.type !== 'Boolean' && e.type !== 'Null') throw this.error(`Operator '${op}' incompatible with operand type '${edm(e.type)}' at position ${at.position} in '${this.text}'.`);
  }

  private or(): Compiled {
    let left = this.and();
    while (this.isWord('or')) {
      const at = this.next();
      const right = this.and();
      this.boolean(left, at, 'or');
      this.boolean(right, at, 'or');
      const [l, r] = [left.evaluate, right.evaluate];
      left = { type: 'Boolean', evaluate: (row) => l(row) === true || r(row) === true, properties: union(left, right) };
    }
    return left;
  }

  private and(): Compiled {
    let left = this.not();
    while (this.isWord('and')) {
      const at = this.next();
      const right = this.not();
      this.boolean(left, at, 'and');
      this.boolean(right, at, 'and');
      const [l, r] = [left.evaluate, right.evaluate];
      left = { type: 'Boolean', evaluate: (row) => l(row) === true && r(row) === true, properties: union(left, right) };
    }
    return left;
  }

  /** `not` applies to the comparison after it (`not A eq B` is `not (A eq B)`), as Exact users write it. */
  private not(): Compiled {
    if (!this.isWord('not')) return this.comparison();
    const at = this.next();
    const operand = this.not();
    this.boolean(operand, at, 'not');
    const e = operand.evaluate;
    return { type: 'Boolean', evaluate: (row) => e(row) !== true, properties: operand.properties };
  }

  private comparison(): Compiled {
    const left = this.additive();
    const t = this.peek();
    if (t.kind !== 'name' || !COMPARISONS.has(t.text)) return left;
    this.next();
    const right = this.additive();
    if (!compatible(left.type, right.type)) {
      throw this.error(`Operator '${t.text}' incompatible with operand types '${edm(left.type)}' and '${edm(right.type)}' at position ${t.position} in '${this.text}'.`);
    }
    const [l, r] = [left.evaluate, right.evaluate];
    const op = t.text;
    const properties = union(left, right);
    const evaluate: Evaluator = (row) => {
      const a = l(row);
      const b = r(row);
      if (a === null || b === null) return op === 'eq' ? a === b : op === 'ne' ? a !== b : false;
      const c = compareValues(a, b, op === 'eq' || op === 'ne');
      switch (op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        default:
          return c <= 0;
      }
    };
    return { type: 'Boolean', evaluate, properties };
  }

  private additive(): Compiled {
    return this.arithmetic(1);
  }

  private arithmetic(level: 1 | 2): Compiled {
    let left = level === 1 ? this.arithmetic(2) : this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'name' || !(t.text in ARITHMETIC) || ARITHMETIC[t.text as ArithmeticOperator] !== level) return left;
      this.next();
      const right = level === 1 ? this.arithmetic(2) : this.unary();
      for (const side of [left, right]) {
        if (!NUMERIC.has(side.type) && side.type !== 'Null') {
          throw this.error(`Operator '${t.text}' incompatible with operand types '${edm(left.type)}' and '${edm(right.type)}' at position ${t.position} in '${this.text}'.`);
        }
      }
      const [l, r] = [left.evaluate, right.evaluate];
      const op = t.text as ArithmeticOperator;
      const type: EdmType = left.type === 'Double' || right.type === 'Double' || op === 'div' ? 'Double' : left.type === 'Int64' || right.type === 'Int64' ? 'Int64' : 'Int32';
      const evaluate: Evaluator = (row) => {
        const a = l(row);
        const b = r(row);
        if (a === null || b === null) return null;
        const [x, y] = [Number(a), Number(b)];
        return op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x % y;
      };
      left = { type, evaluate, properties: union(left, right) };
    }
  }

  private unary(): Compiled {
    const t = this.peek();
    if (t.kind === 'minus') {
      this.next();
      const operand = this.unary();
      if (!NUMERIC.has(operand.type)) throw this.error(`Operator '-' incompatible with operand type '${edm(operand.type)}' at position ${t.position} in '${this.text}'.`);
      const e = operand.evaluate;
      return { type: operand.type, evaluate: (row) => { const v = e(row); return v === null ? null : -Number(v); }, properties: operand.properties };
    }
    return this.primary();
  }

  private primary(): Compiled {
    const t = this.next();
    if (t.kind === 'open') {
      const inner = this.or();
      if (this.next().kind !== 'close') throw this.error(`')' or operator expected at position ${this.tokens[this.index - 1].position} in '${this.text}'.`);
      return inner;
    }
    if (t.kind === 'name' && this.peek().kind === 'open' && t.text in FUNCTIONS) return this.call(t);
    if (t.kind === 'name' && t.text !== 'true' && t.text !== 'false' && t.text !== 'null') {
      if (this.peek().kind === 'open') throw this.error(`Unknown function '${t.text}' at position ${t.position} in '${this.text}'.`);
      const type = this.types(t.text);
      if (!type) throw this.error(`No property '${t.text}' exists in type '${this.entityType}' at position ${t.position}.`);
      const name = t.text;
      return { type, evaluate: (row) => row[name] ?? null, properties: new Set([name]) };
    }
    const literal = literalOf(t, this.text);
    const value = literal.value;
    return { type: literal.type, evaluate: () => value, properties: new Set() };
  }

  private call(name: Token): Compiled {
    const def = FUNCTIONS[name.text];
    this.next(); // (
    const args: Compiled[] = [];
    if (this.peek().kind !== 'close') {
      for (;;) {
        args.push(this.or());
        if (this.peek().kind === 'comma') {
          this.next();
          continue;
        }
        break;
      }
    }
    if (this.next().kind !== 'close') throw this.error(`')' expected at position ${this.tokens[this.index - 1].position} in '${this.text}'.`);
    const min = def.params.length - (def.optional ?? 0);
    if (args.length < min || args.length > def.params.length) {
      throw this.error(`No function signature for the function with name '${name.text}' matches the specified arguments at position ${name.position}.`);
    }
    args.forEach((arg, i) => {
      const want = def.params[i];
      const ok = arg.type === 'Null' || (want === 'Numeric' ? NUMERIC.has(arg.type) : compatible(want, arg.type));
      if (!ok) throw this.error(`No function signature for the function with name '${name.text}' matches the specified arguments at position ${name.position}.`);
    });
    const evaluators = args.map((a) => a.evaluate);
    const properties = new Set<string>();
    for (const a of args) for (const p of a.properties) properties.add(p);
    return { type: def.returns, evaluate: (row) => def.apply(evaluators.map((e) => e(row))), properties };
  }
}

function union(a: Compiled, b: Compiled): Set<string> {
  return new Set([...a.properties, ...b.properties]);
}

/** Parses and type-checks `$filter` text for an entity; throws InvalidQuery with WCF's wording on any error. */
export function compileFilter(text: string, types: PropertyTypes, entityType: string): CompiledFilter {
  if (text.trim() === '') throw new InvalidQuery(`Expression expected at position 0 in '${text}'.`);
  const tokens = tokenize(text);
  const compiled = new Parser(text, tokens, types, entityType).parse();
  return { text, matches: (row) => compiled.evaluate(row) === true, properties: compiled.properties, lowerBound: lowerBoundOf(tokens, types) };
}

/** Recognises the whole filter being `Prop gt|ge <integer>` so a sorted index can seek instead of scanning. */
function lowerBoundOf(tokens: Token[], types: PropertyTypes): CompiledFilter['lowerBound'] {
  if (tokens.length !== 4) return undefined;
  const [prop, op, num] = tokens;
  if (prop.kind !== 'name' || op.kind !== 'name' || (op.text !== 'gt' && op.text !== 'ge') || num.kind !== 'number') return undefined;
  const type = types(prop.text);
  if (!type || !NUMERIC.has(type)) return undefined;
  return { property: prop.text, value: Number(num.text), inclusive: op.text === 'ge' };
}

/** Orders two values the way Exact's SQL does: nulls first, strings case-insensitive. */
export function compareForOrder(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareValues(a, b, false);
}
