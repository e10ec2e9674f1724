// The syntax tree of OData expressions as written, before names and types are resolved against an entity set.
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type ArithmeticOperator = 'add' | 'sub' | 'mul' | 'div' | 'divby' | 'mod';
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ComparisonOperator | ArithmeticOperator | LogicalOperator;

export type LiteralSyntax =
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string }
  /** Exactly as written (e.g. "-12.50", "1e3"); INF, -INF and NaN are kept by name. */
  | { type: 'number'; text: string }
  | { type: 'date'; text: string }
  | { type: 'datetimeoffset'; text: string }
  | { type: 'guid'; text: string };

export type Expression =
  | { kind: 'literal'; literal: LiteralSyntax; position: number }
  /** A property name; `path` has more than one segment for `A/B` member access. */
  | { kind: 'property'; path: string[]; position: number }
  | { kind: 'binary'; operator: BinaryOperator; left: Expression; right: Expression; position: number }
  | { kind: 'not'; operand: Expression; position: number }
  | { kind: 'negate'; operand: Expression; position: number }
  | { kind: 'in'; operand: Expression; list: Expression[]; position: number }
  /** A canonical function call; `name` is lower-cased. */
  | { kind: 'call'; name: string; args: Expression[]; position: number };

export interface OrderByItem {
  expression: Expression;
  descending: boolean;
}

/** A key predicate in a resource path: `(value)` or `(Name=value,…)`. */
export type KeyPredicate = { kind: 'single'; value: Expression } | { kind: 'named'; values: { name: string; value: Expression; position: number }[] };
