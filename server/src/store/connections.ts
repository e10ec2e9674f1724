// Repository of a workspace's upstream logins (connections) and the administrations they reach. A
// connection belongs to its workspace, not to the person who connected it. Token columns (*_enc) are
// read and written only by the token store; nothing here selects or returns them.
import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { SourceName } from '../tables/description';
import type { Db } from './database';

export type { SourceName };

/** What is stored: a login works, or a person must authorize it again. */
export type ConnectionStatus = 'ok' | 'needs_reauth';
/** What is shown: `expiring` is derived — the refresh token will die soon unless it is renewed. */
export type HealthState = 'ok' | 'expiring' | 'needs_reauth';

export interface Connection {
  id: number;
  workspaceId: number;
  source: SourceName;
  /** The upstream's identity of this login (Exact user id, Twinfield organisation code). */
  externalKey: string;
  label: string;
  baseUrl: string;
  authKind: 'oauth' | 'password';
  status: ConnectionStatus;
  statusReason: string | null;
  statusAt: number | null;
  /** When the upstream last issued a refresh token for this login (ms). */
  refreshRenewedAt: number | null;
  lastUsedAt: number | null;
  connectedBy: number | null;
  createdAt: number;
  extra: Record<string, unknown>;
}

export interface ConnectionHealth {
  state: HealthState;
  /** Why it is not `ok`, in words for the user; null when ok. */
  reason: string | null;
  /** When the state was recorded or, for a derived state, when it began (ms); null when unknown. */
  since: number | null;
  refreshRenewedAt: number | null;
  /** When the refresh token dies unless renewed (ms); null when the upstream's tokens do not age out. */
  refreshExpiresAt: number | null;
}

export interface Administration {
  id: number;
  workspaceId: number;
  connectionId: number;
  source: SourceName;
  /** Exact division number or Twinfield office code, as text. */
  code: string;
  name: string;
  selected: boolean;
  extra: Record<string, unknown>;
  discoveredAt: number;
}

export interface ConnectionInput {
  workspaceId: number;
  source: SourceName;
  externalKey: string;
  label: string;
  baseUrl: string;
  authKind?: 'oauth' | 'password';
  connectedBy?: number | null;
  extra?: Record<string, unknown>;
}

/** How long a refresh token lives without being used, per upstream (Exact: 30 days; Twinfield's do not age out in practice). */
export const REFRESH_TOKEN_LIFETIME_MS: Readonly<Record<SourceName, number | null>> = {
  exactonline: 30 * DAY,
  twinfield: null,
};

const SOURCE_LABEL: Readonly<Record<SourceName, string>> = { exactonline: 'Exact Online', twinfield: 'Twinfield' };

/** The columns listings read — deliberately without the *_enc token columns. */
const CONNECTION_COLUMNS = `id, workspace_id, source, external_key, label, base_url, auth_kind, status, status_reason, status_at,
  refresh_renewed_at, last_used_at, connected_by, created_at, extra_json`;

interface ConnectionRow {
  id: number;
  workspace_id: number;
  source: SourceName;
  external_key: string;
  label: string;
  base_url: string;
  auth_kind: 'oauth' | 'password';
  status: ConnectionStatus;
  status_reason: string | null;
  status_at: number | null;
  refresh_renewed_at: number | null;
  last_used_at: number | null;
  connected_by: number | null;
  created_at: number;
  extra_json: string;
}

interface AdministrationRow {
  id: number;
  workspace_id: number;
  connection_id: number;
  source: SourceName;
  code: string;
  name: string;
  selected: 0 | 1;
  extra_json: string;
  discovered_at: number;
}

const toConnection = (r: ConnectionRow): Connection => ({
  id: r.id,
  workspaceId: r.workspace_id,
  source: r.source,
  externalKey: r.external_key,
  label: r.label,
  baseUrl: r.base_url,
  authKind: r.auth_kind,
  status: r.status,
  statusReason: r.status_reason,
  statusAt: r.status_at,
  refreshRenewedAt: r.refresh_renewed_at,
  lastUsedAt: r.last_used_at,
  connectedBy: r.connected_by,
  createdAt: r.created_at,
  extra: JSON.parse(r.extra_json) as Record<string, unknown>,
});

const toAdministration = (r: AdministrationRow): Administration => ({
  id: r.id,
  workspaceId: r.workspace_id,
  connectionId: r.connection_id,
  source: r.source,
  code: r.code,
  name: r.name,
  selected: r.selected === 1,
  extra: JSON.parse(r.extra_json) as Record<string, unknown>,
  discoveredAt: r.discovered_at,
});

export interface ConnectionsOptions {
  /** A refresh token that dies within this window shows as `expiring` (default 7 days). */
  expiringWithinMs?: number;
}

export class Connections {
  private readonly expiringWithinMs: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    options: ConnectionsOptions = {},
  ) {
    this.expiringWithinMs = options.expiringWithinMs ?? 7 * DAY;
  }

  /**
   * Creates the connection, or updates the one with the same workspace + source + external key (a
   * person connecting the same login again). Either way it is a fresh login, so its status is `ok`.
   */
  upsert(input: ConnectionInput): Connection {
    const now = this.clock.now();
    const row = this.db
      .prepare(
        `INSERT INTO connections (workspace_id, source, external_key, label, base_url, auth_kind, status, status_reason, status_at, extra_json, connected_by, created_at)
         VALUES (@workspaceId, @source, @externalKey, @label, @baseUrl, @authKind, 'ok', NULL, @now, @extra, @connectedBy, @now)
         ON CONFLICT (workspace_id, source, external_key) DO UPDATE SET
           label = excluded.label, base_url = excluded.base_url, auth_kind = excluded.auth_kind, status = 'ok', status_reason = NULL,
           status_at = excluded.status_at, extra_json = excluded.extra_json, connected_by = COALESCE(excluded.connected_by, connections.connected_by)
         RETURNING ${CONNECTION_COLUMNS}`,
      )
      .get({
        workspaceId: input.workspaceId,
        source: input.source,
        externalKey: input.externalKey,
        label: input.label,
        baseUrl: input.baseUrl,
        authKind: input.authKind ?? 'oauth',
        extra: JSON.stringify(input.extra ?? {}),
        connectedBy: input.connectedBy ?? null,
        now,
      }) as ConnectionRow;
    return toConnection(row);
  }

  byId(id: number): Connection | null {
    const row = this.db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id = ?`).get(id) as ConnectionRow | undefined;
    return row ? toConnection(row) : null;
  }

  find(workspaceId: number, source: SourceName, externalKey: string): Connection | null {
    const row = this.db
      .prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE workspace_id = ? AND source = ? AND external_key = ?`)
      .get(workspaceId, source, externalKey) as ConnectionRow | undefined;
    return row ? toConnection(row) : null;
  }

  /** The workspace's connections (optionally of one source), oldest first. */
  inWorkspace(workspaceId: number, source?: SourceName): Connection[] {
    const rows = (
      source
        ? this.db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE workspace_id = ? AND source = ? ORDER BY created_at, id`).all(workspaceId, source)
        : this.db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE workspace_id = ? ORDER BY source, created_at, id`).all(workspaceId)
    ) as ConnectionRow[];
    return rows.map(toConnection);
  }

  /** Records that a login no longer works (e.g. its refresh token was refused); `reason` is shown to the user. */
  markNeedsReauth(connectionId: number, reason: string): void {
    this.db
      .prepare("UPDATE connections SET status = 'needs_reauth', status_reason = ?, status_at = ? WHERE id = ?")
      .run(reason, this.clock.now(), connectionId);
  }

  markOk(connectionId: number): void {
    this.db.prepare("UPDATE connections SET status = 'ok', status_reason = NULL, status_at = ? WHERE id = ? AND status <> 'ok'").run(this.clock.now(), connectionId);
  }

  /** What the status page and the health API show, derived against the clock. */
  health(connection: Connection): ConnectionHealth {
    const lifetime = REFRESH_TOKEN_LIFETIME_MS[connection.source];
    const refreshExpiresAt = lifetime !== null && connection.refreshRenewedAt !== null ? connection.refreshRenewedAt + lifetime : null;
    const base = { refreshRenewedAt: connection.refreshRenewedAt, refreshExpiresAt };
    if (connection.status === 'needs_reauth') {
      return { ...base, state: 'needs_reauth', reason: connection.statusReason ?? 'The login must be authorized again.', since: connection.statusAt };
    }
    const now = this.clock.now();
    const source = SOURCE_LABEL[connection.source];
    if (refreshExpiresAt !== null && refreshExpiresAt <= now) {
      return {
        ...base,
        state: 'needs_reauth',
        reason: `The ${source} login was not renewed for ${Math.round(lifetime! / DAY)} days and expired on ${new Date(refreshExpiresAt).toISOString()}.`,
        since: refreshExpiresAt,
      };
    }
    if (refreshExpiresAt !== null && refreshExpiresAt - now <= this.expiringWithinMs) {
      return {
        ...base,
        state: 'expiring',
        reason: `The ${source} login expires on ${new Date(refreshExpiresAt).toISOString()} unless it is renewed before then.`,
        since: refreshExpiresAt - this.expiringWithinMs,
      };
    }
    return { ...base, state: 'ok', reason: null, since: connection.statusAt };
  }

  /**
   * Records the administrations a connection reaches. New ones are selected; known ones keep their
   * selection and move to this connection (the newest login that reaches an administration serves it).
   */
  upsertAdministrations(connectionId: number, discovered: ReadonlyArray<{ code: string; name: string; extra?: Record<string, unknown> }>): Administration[] {
    const connection = this.byId(connectionId);
    if (!connection) throw new RangeError(`no connection ${connectionId}`);
    const now = this.clock.now();
    const statement = this.db.prepare(
      `INSERT INTO administrations (workspace_id, connection_id, source, code, name, selected, extra_json, discovered_at)
       VALUES (@workspaceId, @connectionId, @source, @code, @name, 1, @extra, @now)
       ON CONFLICT (workspace_id, source, code) DO UPDATE SET connection_id = excluded.connection_id, name = excluded.name, extra_json = excluded.extra_json
       RETURNING *`,
    );
    return this.db.transaction(() =>
      discovered.map((a) =>
        toAdministration(
          statement.get({
            workspaceId: connection.workspaceId,
            connectionId,
            source: connection.source,
            code: a.code,
            name: a.name,
            extra: JSON.stringify(a.extra ?? {}),
            now,
          }) as AdministrationRow,
        ),
      ),
    )();
  }

  /** A workspace's administrations, by source then code; filters narrow to one source, one connection, or the selected ones. */
  administrations(workspaceId: number, filter: { source?: SourceName; connectionId?: number; selectedOnly?: boolean } = {}): Administration[] {
    const where = ['workspace_id = @workspaceId'];
    const params: Record<string, string | number> = { workspaceId };
    if (filter.source) {
      where.push('source = @source');
      params.source = filter.source;
    }
    if (filter.connectionId !== undefined) {
      where.push('connection_id = @connectionId');
      params.connectionId = filter.connectionId;
    }
    if (filter.selectedOnly) where.push('selected = 1');
    const rows = this.db
      .prepare(`SELECT * FROM administrations WHERE ${where.join(' AND ')} ORDER BY source, length(code), code`)
      .all(params) as AdministrationRow[];
    return rows.map(toAdministration);
  }

  administrationById(workspaceId: number, administrationId: number): Administration | null {
    const row = this.db.prepare('SELECT * FROM administrations WHERE workspace_id = ? AND id = ?').get(workspaceId, administrationId) as AdministrationRow | undefined;
    return row ? toAdministration(row) : null;
  }

  /** Selects or deselects one administration of the workspace; false when it is not one of the workspace's. */
  setSelected(workspaceId: number, administrationId: number, selected: boolean): boolean {
    return this.db.prepare('UPDATE administrations SET selected = ? WHERE workspace_id = ? AND id = ?').run(selected ? 1 : 0, workspaceId, administrationId).changes > 0;
  }

  /**
   * Makes exactly `selectedIds` the selected administrations among those of one connection (a submitted
   * form of checkboxes). Returns the ids whose selection changed.
   */
  setSelection(workspaceId: number, connectionId: number, selectedIds: ReadonlySet<number>): { selected: number[]; deselected: number[] } {
    return this.db.transaction(() => {
      const changed = { selected: [] as number[], deselected: [] as number[] };
      for (const a of this.administrations(workspaceId, { connectionId })) {
        const want = selectedIds.has(a.id);
        if (want === a.selected) continue;
        this.setSelected(workspaceId, a.id, want);
        (want ? changed.selected : changed.deselected).push(a.id);
      }
      return changed;
    })();
  }
}
