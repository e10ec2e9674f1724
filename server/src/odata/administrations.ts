// Rows of the `Administrations` entity set, computed from the injected sync status and served through
// the same query path as the mirror tables (a json_each row source), so $filter, $orderby and paging
// behave identically on it.
import type { TableDescription } from '../tables/description';
import type { AdministrationStatus, TableSyncStatus } from './dependencies';
import type { EntitySetModel } from './model';
import type { RowSource } from './query';
import { concat, sql } from './sql';

type StoredCell = string | number | null;

/** One administration in the stored encoding of the `Administrations` properties (Boolean 0/1, instants in ms). */
function administrationRow(status: AdministrationStatus, tables: readonly TableDescription[], numericCodes: boolean): StoredCell[] | null {
  const code: StoredCell = numericCodes ? (/^-?\d{1,10}$/.test(status.code) ? Number(status.code) : null) : status.code;
  if (code === null) return null;
  const byTable = new Map<string, TableSyncStatus>(status.tables.map((t) => [t.table, t]));
  const described = tables.map((t) => byTable.get(t.name));
  const synced = described.every((t) => t?.lastSuccessAt != null);
  const failing = described.some((t) => t?.failing === true);
  const lastError = described
    .filter((t): t is TableSyncStatus => t?.lastError != null)
    .sort((a, b) => (b.lastError?.at ?? 0) - (a.lastError?.at ?? 0))[0];
  const state = !status.selected ? 'not selected' : failing ? 'error' : synced ? 'ok' : 'not synced';
  return [
    code,
    status.name,
    status.selected ? 1 : 0,
    state,
    synced && described.length > 0 ? Math.min(...described.map((t) => t?.lastSuccessAt as number)) : null,
    lastError?.lastError ? `${lastError.table}: ${lastError.lastError.message}` : null,
    lastError?.lastError?.at ?? null,
    ...described.map((t) => t?.rowCount ?? 0),
  ];
}

/** The `Administrations` rows as a FROM item; the column order is the set's property order. */
export function administrationsSource(set: EntitySetModel, tables: readonly TableDescription[], statuses: readonly AdministrationStatus[]): RowSource {
  const numericCodes = set.administration.type === 'Edm.Int32';
  const rows = statuses.map((s) => administrationRow(s, tables, numericCodes)).filter((r): r is StoredCell[] => r !== null);
  const columns = set.properties.map((p, i) => `json_extract(value, '$[${i}]') AS ${p.sql}`).join(', ');
  return { from: concat(`(SELECT ${columns} FROM json_each(`, sql('?', [JSON.stringify(rows)]), '))'), scope: null };
}
