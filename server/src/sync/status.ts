// Per-administration sync status, as the `Administrations` entity set and the status page show it:
// code, name, selected, and per table the last successful sync, the exact row count and the last error.
import type { Db } from '../store/database';
import type { SourceName } from '../tables/description';

export interface TableSyncStatus {
  table: string;
  /** Start of the last successful sync: the mirror reflects the upstream at least as of this instant (epoch ms). */
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  /** Rows of this administration in the mirror. */
  rowCount: number;
  /** The most recent failure, kept after later successes (see `failing`). */
  lastError: { code: string | null; message: string; at: number } | null;
  /** True when the most recent attempt failed: the mirror is older than it should be. */
  failing: boolean;
}

export interface AdministrationStatus {
  id: number;
  workspaceId: number;
  connectionId: number;
  source: SourceName;
  /** Division (Exact Online) or office (Twinfield) code. */
  code: string;
  name: string;
  selected: boolean;
  /** Set when the last discovery no longer listed this administration (epoch ms); it is then not synced. */
  missingSince: number | null;
  /** One entry per described table (never synced: nulls and 0) and per table with stored state. */
  tables: TableSyncStatus[];
  /** The latest error of a table that is currently failing, or null when every table is healthy. */
  lastError: { table: string; code: string | null; message: string; at: number } | null;
}

interface Row {
  id: number;
  workspace_id: number;
  connection_id: number;
  source: SourceName;
  code: string;
  name: string;
  selected: number;
  missing_since: number | null;
  table_name: string | null;
  last_success_at: number | null;
  last_attempt_at: number | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: number | null;
  row_count: number | null;
}

/**
 * Status of every administration of a workspace (optionally one source), ordered by source and code.
 * `describedTables` adds a row per described table even before its first sync.
 */
export function readAdministrationStatus(
  db: Db,
  query: { workspaceId: number; source?: SourceName; describedTables?: Partial<Record<SourceName, readonly string[]>> },
): AdministrationStatus[] {
  const rows = db
    .prepare<[number, string | null, string | null], Row>(
      `SELECT a.id, a.workspace_id, a.connection_id, a.source, a.code, a.name, a.selected, a.missing_since,
              s.table_name, s.last_success_at, s.last_attempt_at, s.last_error, s.last_error_code, s.last_error_at, s.row_count
       FROM administrations a LEFT JOIN sync_state s ON s.administration_id = a.id
       WHERE a.workspace_id = ? AND (? IS NULL OR a.source = ?)
       ORDER BY a.source, a.code, s.table_name`,
    )
    .all(query.workspaceId, query.source ?? null, query.source ?? null);
  const byId = new Map<number, AdministrationStatus>();
  for (const row of rows) {
    let status = byId.get(row.id);
    if (!status) {
      status = {
        id: row.id,
        workspaceId: row.workspace_id,
        connectionId: row.connection_id,
        source: row.source,
        code: row.code,
        name: row.name,
        selected: row.selected === 1,
        missingSince: row.missing_since,
        tables: [],
        lastError: null,
      };
      byId.set(row.id, status);
    }
    if (row.table_name === null) continue;
    const lastError = row.last_error !== null && row.last_error_at !== null ? { code: row.last_error_code, message: row.last_error, at: row.last_error_at } : null;
    status.tables.push({
      table: row.table_name,
      lastSuccessAt: row.last_success_at,
      lastAttemptAt: row.last_attempt_at,
      rowCount: row.row_count ?? 0,
      lastError,
      failing: lastError !== null && (row.last_success_at === null || lastError.at >= row.last_success_at),
    });
  }
  for (const status of byId.values()) {
    const known = new Set(status.tables.map((t) => t.table));
    for (const table of query.describedTables?.[status.source] ?? []) {
      if (!known.has(table)) status.tables.push({ table, lastSuccessAt: null, lastAttemptAt: null, rowCount: 0, lastError: null, failing: false });
    }
    status.tables.sort((a, b) => a.table.localeCompare(b.table));
    for (const t of status.tables) {
      if (t.failing && t.lastError && (!status.lastError || t.lastError.at > status.lastError.at)) status.lastError = { table: t.table, ...t.lastError };
    }
  }
  return [...byId.values()];
}
