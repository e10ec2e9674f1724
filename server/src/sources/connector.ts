// The contract between an upstream (Exact Online, Twinfield) and the sync engine. A source knows how to
// fetch pages and what the next cursor is; the engine owns parallelism over administrations, retries,
// freshness, and committing each batch together with its cursor in one SQLite transaction.
import type { SourceName, TableDescription } from '../tables/description';

/** An administration as the engine hands it to a source. */
export interface AdministrationRef {
  /** administrations.id in the store. */
  id: number;
  /** Division code (Exact Online) or office code (Twinfield). */
  code: string;
  name: string;
  connectionId: number;
  workspaceId: number;
}

/** An administration as a connection reports it during discovery. */
export interface DiscoveredAdministration {
  code: string;
  name: string;
  /** Source-specific facts worth keeping (e.g. Exact's DivisionMoveDate). */
  extra?: Record<string, unknown>;
}

/** A row keyed by column name; values in any form `toStored` accepts for the column's Edm type. */
export type UpstreamRow = Record<string, unknown>;

/** Values of some columns; a row matches when it equals every given column. */
export type RowMatch = Record<string, unknown>;

export interface FetchContext {
  administration: AdministrationRef;
  signal: AbortSignal;
  /** Report upstream pages as they arrive (progress bars, status page). */
  progress(delta: { pages: number; rows: number }): void;
}

export interface ChangeBatch {
  /** Rows of this administration to remove first: every stored row matching one of these (e.g. by ID, or by journal + entry number). */
  deletes: RowMatch[];
  /** Rows to insert or replace by key, applied in order (the source resolves duplicates). */
  upserts: UpstreamRow[];
  /** Where to continue after this batch; stored in the same transaction as the batch's rows. */
  cursor: string;
  /**
   * More rows of the same unit follow (a book year streamed in pieces): the engine keeps these upserts aside (on
   * disk) and commits them together with the next batch that is not partial — so a unit that fails half-way leaves
   * nothing in the mirror. A partial batch carries no deletes; its cursor is not stored.
   */
  partial?: boolean;
}

/** The stored cursor cannot be continued (division moved, deletion log expired…): the engine reloads the table in full. */
export class CursorInvalid extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CursorInvalid';
  }
}

export interface SourceConnector {
  readonly source: SourceName;
  readonly tables: readonly TableDescription[];

  /** The administrations a connection can see. */
  discoverAdministrations(connectionId: number, signal?: AbortSignal): Promise<DiscoveredAdministration[]>;

  /** Every row of a table for one administration, page by page (strategy `full`, and reloads). */
  snapshot(table: TableDescription, ctx: FetchContext): AsyncIterable<UpstreamRow[]>;

  /**
   * Changes since `cursor` for incremental strategies (`exact-sync`, `twinfield-modified`); `null` starts from
   * the beginning (first load). Each batch ends at a position the engine may commit. Throws CursorInvalid
   * when the cursor cannot be continued.
   */
  changes(table: TableDescription, ctx: FetchContext, cursor: string | null): AsyncIterable<ChangeBatch>;

  /**
   * A cheap fingerprint of a `full` table's upstream state (a count, a latest modification, the row version of a
   * table it is derived from…). When it equals the one stored at the last successful sync, the engine skips the
   * reload. `previous` is that stored fingerprint (so a probe can ask "anything since?"). Undefined: always reload.
   */
  probe?(table: TableDescription, ctx: FetchContext, previous?: string | null): Promise<string | undefined>;
}
