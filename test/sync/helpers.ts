// Shared set-up for the sync engine's tests: a temp data dir with a workspace and a connection, the engine
// with fast retries and leases, and the comparison of a mirror with what the fake upstream holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../server/src/store/database';
import { mirrorTableName, quoteIdentifier } from '../../server/src/store/mirror';
import type { UpstreamRow } from '../../server/src/sources/connector';
import type { TableDescription } from '../../server/src/tables/description';
import { toStored, type StoredValue } from '../../server/src/tables/values';
import { SyncEngine, type SyncEngineDeps } from '../../server/src/sync';
import type { FakeConnector } from './fake-connector';

export interface TestStore {
  dir: string;
  db: Db;
  workspaceId: number;
  connectionId: number;
  cleanup(): void;
}

/** A data dir in the temp folder with one workspace and one Exact Online connection. */
export function tempStore(settings: Record<string, unknown> = {}): TestStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sync-'));
  const db = openDatabase(dir);
  const workspaceId = Number(db.prepare("INSERT INTO workspaces (slug, name, settings_json, created_at) VALUES ('acme', 'Acme', ?, 0)").run(JSON.stringify(settings)).lastInsertRowid);
  const connectionId = Number(
    db
      .prepare("INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (?, 'exactonline', 'user-1', 'Exact (Acme)', 'http://127.0.0.1', 0)")
      .run(workspaceId).lastInsertRowid,
  );
  return {
    dir,
    db,
    workspaceId,
    connectionId,
    cleanup: () => {
      if (db.open) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const FAST = {
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 },
  lease: { ttlMs: 2_000, pollMs: 5 },
} satisfies Pick<SyncEngineDeps, 'retry' | 'lease'>;

export function createEngine(store: Pick<TestStore, 'db'>, connector: FakeConnector, overrides: Partial<SyncEngineDeps> = {}): SyncEngine {
  return new SyncEngine({
    db: store.db,
    config: { maxParallel: 8, maxStalenessSeconds: 60, serveStaleOnError: false },
    connectors: [connector],
    ...FAST,
    ...overrides,
  });
}

/** administrations.id by code. */
export function administrationIds(db: Db, workspaceId: number): Map<string, number> {
  const rows = db.prepare('SELECT id, code FROM administrations WHERE workspace_id = ?').all(workspaceId) as { id: number; code: string }[];
  return new Map(rows.map((r) => [r.code, r.id]));
}

type StoredRecord = Record<string, StoredValue>;

/** The mirror's rows of one administration, described columns only, in key order. */
export function mirrorRows(db: Db, table: TableDescription, administrationId: number): StoredRecord[] {
  const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const rows = db.prepare(`SELECT ${columns} FROM ${quoteIdentifier(mirrorTableName(table))} WHERE _administration_id = ?`).all(administrationId) as StoredRecord[];
  return sortByKey(table, rows);
}

/** What the mirror should hold for upstream rows of an administration. */
export function expectedRows(table: TableDescription, rows: readonly UpstreamRow[], code: string): StoredRecord[] {
  const stored = rows.map((row) =>
    Object.fromEntries(table.columns.map((c) => [c.name, toStored(c, c.name === table.administrationColumn ? (row[c.name] ?? code) : row[c.name])])),
  );
  return sortByKey(table, stored);
}

function sortByKey(table: TableDescription, rows: StoredRecord[]): StoredRecord[] {
  const keyOf = (row: StoredRecord) => table.key.map((k) => String(row[k])).join('\u0000');
  return rows.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

export function rowCount(db: Db, administrationId: number, table: string): number {
  const row = db.prepare('SELECT row_count FROM sync_state WHERE administration_id = ? AND table_name = ?').get(administrationId, table) as { row_count: number } | undefined;
  return row?.row_count ?? 0;
}
