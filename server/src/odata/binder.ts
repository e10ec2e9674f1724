// Resolves a syntax tree against an entity set: property names to properties, literals to exact values,
// and every node to its type and whether it can be null. Type errors are found here, with positions,
// so the SQL translator only ever sees well-typed trees.
import type { ArithmeticOperator, ComparisonOperator, Expression } from './ast';
import { ExpressionError } from './lexer';
import { isIntegral, normalize, parseDate, parseGuid, parseInstant, parseNumber, type Exact, type Instant, type NumberValue } from './literals';
import type { EntitySetModel, PropertyModel } from './model';

/** Types as the translator needs them: integers, decimals (with scale) and doubles are kept apart for exactness. */
export type BoundType =
  | { kind: 'Boolean' }
  | { kind: 'String' }
  | { kind: 'Guid' }
  | { kind: 'Date' }
  | { kind: 'DateTimeOffset' }
  | { kind: 'Integer' }
  | { kind: 'Decimal'; scale: number }
  | { kind: 'Double' }
  /** A numeric literal, kept exact until the other operand decides its representation. */
  | { kind: 'Number' }
  | { kind: 'Null' };

export type LiteralValue =
  | { type: 'Null' }
  | { type: 'Boolean'; value: boolean }
  | { type: 'String'; value: string }
  | { type: 'Guid'; value: string }
  | { type: 'Date'; value: string }
  | { type: 'DateTimeOffset'; value: Instant }
  | { type: 'Number'; value: NumberValue };

export type Bound =
  | { node: 'property'; type: BoundType; nullable: boolean; property: PropertyModel }
  | { node: 'literal'; type: BoundType; nullable: boolean; literal: LiteralValue; position: number }
  | { node: 'compare'; type: BoundType; nullable: false; operator: ComparisonOperator; left: Bound; right: Bound }
  | { node: 'logical'; type: BoundType; nullable: boolean; operator: 'and' | 'or'; operands: Bound[] }
  | { node: 'not'; type: BoundType; nullable: boolean; operand: Bound }
  | { node: 'arithmetic'; type: BoundType; nullable: boolean; operator: ArithmeticOperator; left: Bound; right: Bound }
  | { node: 'negate'; type: BoundType; nullable: boolean; operand: Bound }
  | { node: 'in'; type: BoundType; nullable: false; operand: Bound; values: Bound[] }
  | { node: 'call'; type: BoundType; nullable: boolean; name: string; args: Bound[]; position: number };

const BOOLEAN: BoundType = { kind: 'Boolean' };
const STRING: BoundType = { kind: 'String' };
const INTEGER: BoundType = { kind: 'Integer' };
const DATE: BoundType = { kind: 'Date' };

export function propertyType(property: PropertyModel): BoundType {
  switch (property.type) {
    case 'Edm.Boolean':
      return BOOLEAN;
    case 'Edm.String':
      return STRING;
    case 'Edm.Guid':
      return { kind: 'Guid' };
    case 'Edm.Date':
      return DATE;
    case 'Edm.DateTimeOffset':
      return { kind: 'DateTimeOffset' };
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Int64':
      return INTEGER;
    case 'Edm.Decimal':
      return { kind: 'Decimal', scale: property.scale };
    case 'Edm.Double':
      return { kind: 'Double' };
  }
}

export function isNumeric(type: BoundType): boolean {
  return type.kind === 'Integer' || type.kind === 'Decimal' || type.kind === 'Double' || type.kind === 'Number';
}

export function typeName(type: BoundType): string {
  switch (type.kind) {
    case 'Integer':
      return 'an integer';
    case 'Decimal':
      return 'Edm.Decimal';
    case 'Number':
      return 'a number';
    case 'Null':
      return 'null';
    default:
      return `Edm.${type.kind}`;
  }
}

/** Whether values of these types can be compared (eq, gt…) with each other. */
export function comparable(a: BoundType, b: BoundType): boolean {
  if (a.kind === 'Null' || b.kind === 'Null') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  return a.kind === b.kind;
}

function fail(message: string, position: number): never {
  throw new ExpressionError(message, position);
}

/** Resolves `expression` in the context of `set`. */
export function bind(expression: Expression, set: EntitySetModel): Bound {
  switch (expression.kind) {
    case 'literal':
      return bindLiteral(expression.literal, expression.position);
    case 'property': {
      const property = set.property(expression.path[0]);
      if (!property) fail(`${set.name} has no property '${expression.path[0]}'`, expression.position);
      if (expression.path.length > 1) fail(`${property.name} is a ${property.type} and has no member '${expression.path[1]}'`, expression.position);
      return { node: 'property', type: propertyType(property), nullable: property.nullable, property };
    }
    case 'not': {
      const operand = bind(expression.operand, set);
      if (operand.type.kind !== 'Boolean' && operand.type.kind !== 'Null') fail(`not needs a Boolean operand, not ${typeName(operand.type)}`, expression.position);
      return { node: 'not', type: BOOLEAN, nullable: operand.nullable, operand };
    }
    case 'negate': {
      const operand = bind(expression.operand, set);
      if (!isNumeric(operand.type) && operand.type.kind !== 'Null') fail(`- needs a numeric operand, not ${typeName(operand.type)}`, expression.position);
      if (operand.type.kind === 'Null') return operand;
      return { node: 'negate', type: arithmeticType(operand, 'negation'), nullable: operand.nullable, operand };
    }
    case 'binary': {
      const left = bind(expression.left, set);
      const right = bind(expression.right, set);
      const op = expression.operator;
      if (op === 'and' || op === 'or') {
        for (const [side, b] of [
          ['left', left],
          ['right', right],
        ] as const) {
          if (b.type.kind !== 'Boolean' && b.type.kind !== 'Null') fail(`The ${side} operand of ${op} must be a Boolean, not ${typeName(b.type)}`, expression.position);
        }
        // Chains of one operator are flattened, so the SQL can be balanced instead of thousands deep.
        const operands = [left, right].flatMap((b) => (b.node === 'logical' && b.operator === op ? b.operands : [b]));
        return { node: 'logical', type: BOOLEAN, nullable: operands.some((b) => b.nullable), operator: op, operands };
      }
      if (op === 'eq' || op === 'ne' || op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') {
        if (!comparable(left.type, right.type)) fail(`Cannot compare ${typeName(left.type)} with ${typeName(right.type)}`, expression.position);
        return { node: 'compare', type: BOOLEAN, nullable: false, operator: op, left, right };
      }
      return bindArithmetic(op, left, right, expression.position);
    }
    case 'in': {
      const operand = bind(expression.operand, set);
      const values = expression.list.map((item) => {
        const value = bind(item, set);
        if (value.node !== 'literal') fail('The list of in may only hold literal values', item.position);
        if (!comparable(operand.type, value.type)) fail(`Cannot compare ${typeName(operand.type)} with ${typeName(value.type)} in the list of in`, item.position);
        return value;
      });
      return { node: 'in', type: BOOLEAN, nullable: false, operand, values };
    }
    case 'call':
      return bindCall(expression.name, expression.args.map((a) => bind(a, set)), expression.args, expression.position);
  }
}

export function bindLiteral(literal: Extract<Expression, { kind: 'literal' }>['literal'], position: number): Bound {
  const make = (type: BoundType, value: LiteralValue): Bound => ({ node: 'literal', type, nullable: value.type === 'Null', literal: value, position });
  switch (literal.type) {
    case 'null':
      return make({ kind: 'Null' }, { type: 'Null' });
    case 'boolean':
      return make(BOOLEAN, { type: 'Boolean', value: literal.value });
    case 'string':
      return make(STRING, { type: 'String', value: literal.value });
    case 'number':
      return make({ kind: 'Number' }, { type: 'Number', value: parseNumber(literal.text, position) });
    case 'date':
      return make(DATE, { type: 'Date', value: parseDate(literal.text, position) });
    case 'datetimeoffset':
      return make({ kind: 'DateTimeOffset' }, { type: 'DateTimeOffset', value: parseInstant(literal.text, position) });
    case 'guid':
      return make({ kind: 'Guid' }, { type: 'Guid', value: parseGuid(literal.text) });
  }
}

/** The exact value of a numeric literal, refusing INF and NaN where only finite numbers make sense. */
export function finiteLiteral(b: Bound & { node: 'literal' }, where: string): Exact {
  const v = b.literal.type === 'Number' ? b.literal.value : null;
  if (v === null) fail(`${where} needs a number`, b.position);
  if (typeof v === 'string') throw new ExpressionError(`${v} is only supported in comparisons, not in ${where}`, b.position, true);
  return v;
}

/** Type of a numeric operand inside arithmetic: literals become integers or decimals of their own scale. */
export function arithmeticType(b: Bound, where: string): BoundType {
  if (b.type.kind !== 'Number') return b.type;
  const value = normalize(finiteLiteral(b as Bound & { node: 'literal' }, where));
  return value.scale === 0 ? INTEGER : { kind: 'Decimal', scale: value.scale };
}

function bindArithmetic(op: ArithmeticOperator, left: Bound, right: Bound, position: number): Bound {
  for (const b of [left, right]) {
    if (!isNumeric(b.type) && b.type.kind !== 'Null') fail(`${op} needs numeric operands, not ${typeName(b.type)}`, position);
  }
  const nullable = left.nullable || right.nullable || op === 'div' || op === 'divby' || op === 'mod';
  const types = [left, right].filter((b) => b.type.kind !== 'Null').map((b) => arithmeticType(b, op));
  if (types.length === 0) return { node: 'literal', type: { kind: 'Null' }, nullable: true, literal: { type: 'Null' }, position };
  let type: BoundType;
  const scaleOf = (t: BoundType) => (t.kind === 'Decimal' ? t.scale : 0);
  if (types.some((t) => t.kind === 'Double') || op === 'divby' || (op === 'div' && types.some((t) => t.kind === 'Decimal'))) type = { kind: 'Double' };
  else if (types.every((t) => t.kind === 'Integer')) type = INTEGER;
  else if (op === 'mul') type = { kind: 'Decimal', scale: types.reduce((s, t) => s + scaleOf(t), 0) };
  else type = { kind: 'Decimal', scale: Math.max(...types.map(scaleOf)) };
  if (type.kind === 'Decimal' && type.scale > 18) fail('The result of this arithmetic has more than 18 digits after the point', position);
  return { node: 'arithmetic', type, nullable, operator: op, left, right };
}

interface Signature {
  args: ((t: BoundType) => boolean)[];
  optional?: number;
  result: BoundType;
  what: string[];
}

const isString = (t: BoundType) => t.kind === 'String';
const isInteger = (t: BoundType) => t.kind === 'Integer' || t.kind === 'Number';
const isDateLike = (t: BoundType) => t.kind === 'Date' || t.kind === 'DateTimeOffset';
const isInstant = (t: BoundType) => t.kind === 'DateTimeOffset';

const FUNCTIONS: Record<string, Signature> = {
  contains: { args: [isString, isString], result: BOOLEAN, what: ['a string', 'a string'] },
  startswith: { args: [isString, isString], result: BOOLEAN, what: ['a string', 'a string'] },
  endswith: { args: [isString, isString], result: BOOLEAN, what: ['a string', 'a string'] },
  indexof: { args: [isString, isString], result: INTEGER, what: ['a string', 'a string'] },
  length: { args: [isString], result: INTEGER, what: ['a string'] },
  tolower: { args: [isString], result: STRING, what: ['a string'] },
  toupper: { args: [isString], result: STRING, what: ['a string'] },
  trim: { args: [isString], result: STRING, what: ['a string'] },
  concat: { args: [isString, isString], result: STRING, what: ['a string', 'a string'] },
  substring: { args: [isString, isInteger, isInteger], optional: 1, result: STRING, what: ['a string', 'an integer', 'an integer'] },
  year: { args: [isDateLike], result: INTEGER, what: ['an Edm.Date or Edm.DateTimeOffset'] },
  month: { args: [isDateLike], result: INTEGER, what: ['an Edm.Date or Edm.DateTimeOffset'] },
  day: { args: [isDateLike], result: INTEGER, what: ['an Edm.Date or Edm.DateTimeOffset'] },
  hour: { args: [isInstant], result: INTEGER, what: ['an Edm.DateTimeOffset'] },
  minute: { args: [isInstant], result: INTEGER, what: ['an Edm.DateTimeOffset'] },
  second: { args: [isInstant], result: INTEGER, what: ['an Edm.DateTimeOffset'] },
  date: { args: [isInstant], result: DATE, what: ['an Edm.DateTimeOffset'] },
};

function bindCall(name: string, args: Bound[], syntax: Expression[], position: number): Bound {
  const signature = FUNCTIONS[name];
  if (!signature) fail(`Unknown function ${name}()`, position);
  const max = signature.args.length;
  const min = max - (signature.optional ?? 0);
  if (args.length < min || args.length > max) fail(`${name}() takes ${min === max ? min : `${min} or ${max}`} argument${max === 1 ? '' : 's'}, not ${args.length}`, position);
  args.forEach((a, i) => {
    if (a.type.kind === 'Null') return;
    if (!signature.args[i](a.type)) fail(`Argument ${i + 1} of ${name}() must be ${signature.what[i]}, not ${typeName(a.type)}`, syntax[i].position);
    if (a.node === 'literal' && a.type.kind === 'Number') {
      const value = finiteLiteral(a, `${name}()`);
      if (!isIntegral(value)) fail(`Argument ${i + 1} of ${name}() must be an integer`, syntax[i].position);
      if (name === 'substring' && i === 2 && value.units < 0n) fail('The length given to substring() must not be negative', syntax[i].position);
    }
    // Instants are stored in UTC, so hour(), day()… of a literal written with another offset would disagree (URL Conventions §5.1.1.7).
    if (a.node === 'literal' && a.literal.type === 'DateTimeOffset' && !a.literal.value.utc) {
      fail(`${name}() of a date-time literal needs it written in UTC (Z)`, syntax[i].position);
    }
  });
  const nullable = args.some((a) => a.nullable) || name === 'substring';
  return { node: 'call', type: signature.result, nullable, name, args, position };
}
