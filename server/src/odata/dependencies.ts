// What the feed needs from the rest of Ledgerfeed, injected so the router can be wired to the real
// authentication and sync engine, or to simple stand-ins in tests.
import type { Request } from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Db } from '../store/database';
import type { SourceName, TableDescription } from '../tables/description';

/**
 * Sync status of one table of one administration (times in ms since the epoch). The sync part's
 * `readAdministrationStatus` returns this shape, so its result can be passed as is.
 */
export interface TableSyncStatus {
  /** Entity set name of the table, e.g. `TransactionLines`. */
  table: string;
  rowCount: number;
  lastSuccessAt: number | null;
  /** The most recent failure, kept after later successes. */
  lastError: { message: string; at: number } | null;
  /** The most recent attempt failed: the mirror is older than it should be. */
  failing: boolean;
}

/** An administration of a workspace (Exact division, Twinfield office), selected or not, with its sync status. */
export interface AdministrationStatus {
  /** `administrations.id`: the `_administration_id` of its mirror rows. */
  id: number;
  /** Division number as text (Exact Online) or office code (Twinfield). */
  code: string;
  name: string;
  selected: boolean;
  /** Tables that were never synced may be missing. */
  tables: readonly TableSyncStatus[];
}

export interface FreshnessRequest {
  workspaceId: number;
  table: TableDescription;
  /** The selected administrations the request reads (narrowed by a $filter on Division/Office); never empty. */
  administrationIds: number[];
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

export interface FeedDependencies<User = unknown> {
  db: Db;
  config: Pick<Config, 'pageSize'>;
  logger: Logger;
  /** The described tables of a source; read once per source. */
  tables(source: SourceName): readonly TableDescription[];
  /** The caller, or null (answered 401 with `WWW-Authenticate: Basic realm="Ledgerfeed"`). May throw a LedgerfeedError (e.g. 429). */
  authenticate(req: Request): Promise<User | null>;
  /** The workspace when the user may reach it; null is answered 404, like a workspace that does not exist. */
  workspaceFor(user: User, slug: string): Promise<{ id: number; slug: string } | null>;
  /** Every administration of the workspace for the source, selected or not. */
  administrations(workspaceId: number, source: SourceName): readonly AdministrationStatus[] | Promise<readonly AdministrationStatus[]>;
  /** Brings the mirror of `table` up to date for the administrations; throws a LedgerfeedError naming a failed administration. */
  ensureFresh(request: FreshnessRequest): Promise<void>;
  /** Public base URL (no trailing slash) for @odata.context and next links; defaults to the request's scheme and host. */
  publicUrl?(): string;
  /** Told how many rows each collection response wrote (metrics); must be quick and must not throw. */
  onRowsServed?(served: { source: SourceName; table: string; rows: number }): void;
}
