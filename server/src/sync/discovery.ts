// Keeps a workspace's `administrations` in step with what a connection can see. New administrations are
// selected by default. An administration the connection no longer lists is kept — with its mirror, its
// selection and its history — but marked `missing_since`; it is not synced while missing (a request for it
// fails naming it, or serves its last mirror in serve-stale mode) and is unmarked when it shows up again.
import type { Clock } from '../clock';
import { NotFound } from '../errors';
import type { DiscoveredAdministration, SourceConnector } from '../sources/connector';
import type { Db } from '../store/database';
import type { SourceName } from '../tables/description';
import type { AdministrationSummary } from './events';

export interface DiscoveryResult {
  connectionId: number;
  workspaceId: number;
  source: SourceName;
  /** Newly found (inserted, selected). */
  added: AdministrationSummary[];
  /** Already known; name and extra facts refreshed. */
  updated: AdministrationSummary[];
  /** Were missing and are listed again. */
  reappeared: AdministrationSummary[];
  /** No longer listed by this connection: marked missing. */
  missing: AdministrationSummary[];
  /** Listed, but already provided by another connection of the workspace that still sees it: left with that one. */
  ownedElsewhere: AdministrationSummary[];
}

interface Existing {
  id: number;
  connection_id: number;
  missing_since: number | null;
}

/** Asks the connection's source for its administrations and records them (one transaction). */
export async function refreshAdministrations(
  db: Db,
  connectorFor: (source: SourceName) => SourceConnector,
  clock: Clock,
  connectionId: number,
  signal?: AbortSignal,
): Promise<DiscoveryResult> {
  const connection = db
    .prepare<[number], { workspace_id: number; source: SourceName }>('SELECT workspace_id, source FROM connections WHERE id = ?')
    .get(connectionId);
  if (!connection) throw new NotFound(`Connection ${connectionId} does not exist.`);
  const discovered = dedupe(await connectorFor(connection.source).discoverAdministrations(connectionId, signal));
  signal?.throwIfAborted();
  const now = clock.now();
  const { workspace_id: workspaceId, source } = connection;
  const result: DiscoveryResult = { connectionId, workspaceId, source, added: [], updated: [], reappeared: [], missing: [], ownedElsewhere: [] };
  db.transaction(() => {
    const find = db.prepare<[number, string, string], Existing>('SELECT id, connection_id, missing_since FROM administrations WHERE workspace_id = ? AND source = ? AND code = ?');
    const insert = db.prepare(
      'INSERT INTO administrations (workspace_id, connection_id, source, code, name, selected, extra_json, discovered_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)',
    );
    const update = db.prepare('UPDATE administrations SET connection_id = ?, name = ?, extra_json = ?, missing_since = NULL WHERE id = ?');
    for (const admin of discovered) {
      const extra = JSON.stringify(admin.extra ?? {});
      const existing = find.get(workspaceId, source, admin.code);
      if (!existing) {
        const id = Number(insert.run(workspaceId, connectionId, source, admin.code, admin.name, extra, now).lastInsertRowid);
        result.added.push({ id, code: admin.code, name: admin.name });
      } else if (existing.connection_id === connectionId || existing.missing_since !== null) {
        update.run(connectionId, admin.name, extra, existing.id);
        (existing.missing_since !== null ? result.reappeared : result.updated).push({ id: existing.id, code: admin.code, name: admin.name });
      } else {
        result.ownedElsewhere.push({ id: existing.id, code: admin.code, name: admin.name });
      }
    }
    const listed = new Set(discovered.map((a) => a.code));
    const stillMarked = db
      .prepare<[number], AdministrationSummary>('SELECT id, code, name FROM administrations WHERE connection_id = ? AND missing_since IS NULL')
      .all(connectionId);
    const mark = db.prepare('UPDATE administrations SET missing_since = ? WHERE id = ?');
    for (const admin of stillMarked) {
      if (listed.has(admin.code)) continue;
      mark.run(now, admin.id);
      result.missing.push(admin);
    }
  }).immediate();
  return result;
}

function dedupe(list: readonly DiscoveredAdministration[]): DiscoveredAdministration[] {
  const byCode = new Map<string, DiscoveredAdministration>();
  for (const admin of list) byCode.set(String(admin.code), { ...admin, code: String(admin.code) });
  return [...byCode.values()];
}
