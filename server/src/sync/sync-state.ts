// Per administration and table: the cursor, the probe fingerprint, the exact mirror row count and the outcome
// of the last attempts (`sync_state`). Writes that belong with mirror rows run inside the writer's transaction.
import type { Db } from '../store/database';
import type { Statement } from 'better-sqlite3';

export interface SyncStateRow {
  cursor: string | null;
  fingerprint: string | null;
  /** Start time of the last sync that completed: the mirror reflects the upstream at least as of then. */
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
  lastErrorCode: string | null;
  lastErrorAt: number | null;
  rowCount: number;
}

interface RawState {
  cursor: string | null;
  fingerprint: string | null;
  last_success_at: number | null;
  last_attempt_at: number | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_at: number | null;
  row_count: number;
}

export class SyncStateStore {
  private readonly select: Statement<[number, string], RawState>;
  private readonly ensure: Statement<[number, string]>;
  private readonly attempt: Statement<[number, number, string]>;
  private readonly advance: Statement<[string, number, number, string]>;
  private readonly replace: Statement<[string | null, string | null, number, number, number, string]>;
  private readonly success: Statement<[number, number, string]>;
  private readonly failure: Statement<[string, string | null, number, number, string]>;

  constructor(private readonly db: Db) {
    this.select = db.prepare(
      'SELECT cursor, fingerprint, last_success_at, last_attempt_at, last_error, last_error_code, last_error_at, row_count FROM sync_state WHERE administration_id = ? AND table_name = ?',
    );
    this.ensure = db.prepare('INSERT INTO sync_state (administration_id, table_name) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.attempt = db.prepare('UPDATE sync_state SET last_attempt_at = ? WHERE administration_id = ? AND table_name = ?');
    this.advance = db.prepare('UPDATE sync_state SET cursor = ?, row_count = row_count + ? WHERE administration_id = ? AND table_name = ?');
    this.replace = db.prepare(
      'UPDATE sync_state SET cursor = ?, fingerprint = ?, row_count = ?, last_success_at = ? WHERE administration_id = ? AND table_name = ?',
    );
    this.success = db.prepare('UPDATE sync_state SET last_success_at = ? WHERE administration_id = ? AND table_name = ?');
    this.failure = db.prepare('UPDATE sync_state SET last_error = ?, last_error_code = ?, last_error_at = ? WHERE administration_id = ? AND table_name = ?');
  }

  read(administrationId: number, table: string): SyncStateRow {
    const raw = this.select.get(administrationId, table);
    if (!raw) {
      return { cursor: null, fingerprint: null, lastSuccessAt: null, lastAttemptAt: null, lastError: null, lastErrorCode: null, lastErrorAt: null, rowCount: 0 };
    }
    return {
      cursor: raw.cursor,
      fingerprint: raw.fingerprint,
      lastSuccessAt: raw.last_success_at,
      lastAttemptAt: raw.last_attempt_at,
      lastError: raw.last_error,
      lastErrorCode: raw.last_error_code,
      lastErrorAt: raw.last_error_at,
      rowCount: raw.row_count,
    };
  }

  /** Records that a sync starts now (creating the row on first sight). */
  markAttempt(administrationId: number, table: string, at: number): void {
    this.db.transaction(() => {
      this.ensure.run(administrationId, table);
      this.attempt.run(at, administrationId, table);
    })();
  }

  /** Inside the batch transaction: the batch's cursor and the row-count change its rows made. */
  advanceCursor(administrationId: number, table: string, cursor: string, rowDelta: number): void {
    this.advance.run(cursor, rowDelta, administrationId, table);
  }

  /** Inside the swap transaction of a reload: everything about the table's state replaced at once. */
  replaceAfterReload(administrationId: number, table: string, state: { cursor: string | null; fingerprint: string | null; rowCount: number; syncedAsOf: number }): void {
    this.replace.run(state.cursor, state.fingerprint, state.rowCount, state.syncedAsOf, administrationId, table);
  }

  markSucceeded(administrationId: number, table: string, syncedAsOf: number): void {
    this.success.run(syncedAsOf, administrationId, table);
  }

  markFailed(administrationId: number, table: string, error: { code: string | null; message: string }, at: number): void {
    this.failure.run(error.message, error.code, at, administrationId, table);
  }
}
