// Turns rows as Exact Online sends them into rows of a described table: `/Date(ms)/` into Edm.Date text or epoch
// ms, padded relation codes trimmed, the division filled in, and duplicates of a sync batch resolved by the
// highest Timestamp. Pure functions.
import type { UpstreamRow } from '../connector';
import { upstreamField, type ExactTable } from './tables';
import { exactDate, exactInstant, int64, type ExactRow } from './wire';

/** How each column of a table is read from an Exact row, worked out once per table (a sync converts many thousands). */
interface ColumnReader {
  name: string;
  field: string;
  kind: 'date' | 'instant' | 'trimmed' | 'plain';
  administration: boolean;
}

const readers = new WeakMap<ExactTable, ColumnReader[]>();

function readersOf(table: ExactTable): ColumnReader[] {
  let list = readers.get(table);
  if (!list) {
    const trimmed = table.upstream.trimmed ?? [];
    list = table.columns.map((column) => ({
      name: column.name,
      field: upstreamField(table, column.name),
      kind: column.type === 'Edm.Date' ? 'date' : column.type === 'Edm.DateTimeOffset' ? 'instant' : column.type === 'Edm.String' && trimmed.includes(column.name) ? 'trimmed' : 'plain',
      administration: column.name === table.administrationColumn,
    }));
    readers.set(table, list);
  }
  return list;
}

/** One Exact row as a row of `table`; values are left for `toStored` to validate. */
export function toTableRow(table: ExactTable, raw: ExactRow, division: number): UpstreamRow {
  const row: UpstreamRow = {};
  for (const column of readersOf(table)) {
    let value = raw[column.field];
    if (column.administration && (value === null || value === undefined)) value = division;
    if (column.kind === 'date') value = exactDate(value);
    else if (column.kind === 'instant') value = exactInstant(value);
    else if (column.kind === 'trimmed' && typeof value === 'string') value = value.trim();
    row[column.name] = value ?? null;
  }
  return row;
}

/**
 * The rows of one sync page with each key once, at its highest Timestamp (after an update Exact may send the
 * previous version of a row next to the current one). Order follows each key's first appearance.
 */
export function latestVersions(rows: readonly ExactRow[], key: string): ExactRow[] {
  const byKey = new Map<string, ExactRow>();
  for (const row of rows) {
    const id = String(row[key]).toLowerCase();
    const seen = byKey.get(id);
    if (!seen || (int64(row.Timestamp) ?? -1n) >= (int64(seen.Timestamp) ?? -1n)) byKey.set(id, row);
  }
  return [...byKey.values()];
}

/** The highest Timestamp among rows, or `floor` when none is higher. */
export function highestTimestamp(rows: readonly ExactRow[], floor: bigint): bigint {
  let max = floor;
  for (const row of rows) {
    const ts = int64(row.Timestamp);
    if (ts !== undefined && ts > max) max = ts;
  }
  return max;
}
