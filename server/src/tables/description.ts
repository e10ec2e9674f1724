// A table is described once, as data; CSDL, mirror DDL, sync and serialization are all derived from it.
export type SourceName = 'exactonline' | 'twinfield';
export const SOURCES: readonly SourceName[] = ['exactonline', 'twinfield'];

export type EdmType =
  | 'Edm.String'
  | 'Edm.Guid'
  | 'Edm.Boolean'
  | 'Edm.Int16'
  | 'Edm.Int32'
  | 'Edm.Int64'
  | 'Edm.Double'
  | 'Edm.Decimal'
  | 'Edm.Date'
  | 'Edm.DateTimeOffset';

export interface ColumnDescription {
  name: string;
  type: EdmType;
  /** One line for the user; becomes Core.Description in $metadata. */
  description: string;
  /** Defaults to true, except for key columns which are never null. */
  nullable?: boolean;
  /** Edm.Decimal only: digits after the point kept exactly (default 2). */
  scale?: number;
}

/** How a table stays current: `exact-sync` (Timestamp cursor + sync/Deleted), `twinfield-modified` (modified-since + deleted transactions), `full` (reload, diffed). */
export type SyncStrategy = 'exact-sync' | 'twinfield-modified' | 'full';

export const ADMINISTRATION_COLUMN = { exactonline: 'Division', twinfield: 'Office' } as const;

export interface TableDescription<S extends SourceName = SourceName, Upstream = unknown> {
  source: S;
  /** Entity set name in the feed, e.g. `TransactionLines`. */
  name: string;
  description: string;
  columns: ColumnDescription[];
  /** Key columns in order; always includes the administration column. */
  key: string[];
  /** `Division` (Edm.Int32) for Exact Online, `Office` (Edm.String) for Twinfield. */
  administrationColumn: (typeof ADMINISTRATION_COLUMN)[S];
  sync: SyncStrategy;
  /** How the source's client fetches it (endpoint, browse code…); opaque outside the source. */
  upstream: Upstream;
}

export function columnOf(table: TableDescription, name: string): ColumnDescription | undefined {
  return table.columns.find((c) => c.name === name);
}

export function decimalScale(column: ColumnDescription): number {
  return column.scale ?? 2;
}

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Checks a description's internal consistency; called for every description in the tests and at start. */
export function validateTable(table: TableDescription): string[] {
  const problems: string[] = [];
  const where = `${table.source}/${table.name}`;
  if (!IDENTIFIER.test(table.name)) problems.push(`${where}: table name is not an identifier`);
  const names = new Set<string>();
  for (const c of table.columns) {
    if (!IDENTIFIER.test(c.name) || c.name.startsWith('_')) problems.push(`${where}: column ${c.name} is not a valid name`);
    if (names.has(c.name)) problems.push(`${where}: column ${c.name} appears twice`);
    names.add(c.name);
    if (!c.description) problems.push(`${where}: column ${c.name} has no description`);
    if (c.scale !== undefined && (c.type !== 'Edm.Decimal' || c.scale < 0 || c.scale > 8)) problems.push(`${where}: column ${c.name} has an invalid scale`);
  }
  if (table.key.length === 0) problems.push(`${where}: no key`);
  for (const k of table.key) if (!names.has(k)) problems.push(`${where}: key column ${k} is not a column`);
  if (!table.key.includes(table.administrationColumn)) problems.push(`${where}: key must include ${table.administrationColumn}`);
  const admin = columnOf(table, table.administrationColumn);
  const expected = table.source === 'exactonline' ? 'Edm.Int32' : 'Edm.String';
  if (!admin || admin.type !== expected) problems.push(`${where}: ${table.administrationColumn} must be ${expected}`);
  return problems;
}
