// The sync engine: the one component the OData layer (ensureFresh), the CLI (syncWorkspace), discovery
// (refreshAdministrations) and the status page (administrations, subscribe) call. It fans out over
// administrations with at most `maxParallel` administration syncs in flight across the whole engine,
// shares concurrent syncs of the same administration and table, and never answers with silently fewer rows.
import pLimit, { type LimitFunction } from 'p-limit';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../clock';
import type { Config } from '../config';
import { ConfigurationError, NotFound } from '../errors';
import { silentLogger, type Logger } from '../logger';
import type { AdministrationRef, SourceConnector } from '../sources/connector';
import type { Db } from '../store/database';
import { ensureMirrorTable } from '../store/mirror';
import type { SourceName, TableDescription } from '../tables/description';
import { syncAdministrationTable, type TableSyncResult } from './administration-sync';
import { refreshAdministrations, type DiscoveryResult } from './discovery';
import { AdministrationSyncFailed, type AdministrationFailure } from './errors';
import type { AdministrationSummary, SyncEvent, SyncObserver } from './events';
import { FlightRegistry } from './flights';
import { DEFAULT_LEASE_OPTIONS, SyncLeases, type LeaseOptions } from './lease';
import { MirrorWriter } from './mirror-writer';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type SyncErrorInfo } from './retry';
import { readAdministrationStatus, type AdministrationStatus } from './status';
import { SyncStateStore } from './sync-state';

export interface SyncEngineDeps {
  /**
   * The store. Best a connection of its own (`openDatabase(config.dataDir)`): better-sqlite3 refuses writes on a
   * connection while one of its statements is being iterated, and the OData layer streams with iterators.
   */
  db: Db;
  config: Pick<Config, 'maxParallel' | 'maxStalenessSeconds' | 'serveStaleOnError'>;
  /** One connector per source; tables of a source without a connector cannot be synced. */
  connectors: readonly SourceConnector[];
  clock?: Clock;
  logger?: Logger;
  /** Receives every sync event (metrics); more can be added with `subscribe`. */
  observer?: SyncObserver;
  retry?: Partial<RetryPolicy>;
  lease?: Partial<LeaseOptions>;
}

export interface EnsureFreshRequest {
  workspaceId: number;
  table: TableDescription;
  /** administrations.id of the administrations the query touches (all of the same source as `table`). */
  administrationIds: readonly number[];
  /** The requester's signal (client disconnect). A sync shared with other requesters continues without it. */
  signal?: AbortSignal;
  /** Overrides LEDGERFEED_MAX_STALENESS_S for this request (0 = always sync). */
  maxStalenessSeconds?: number;
}

export interface AdministrationFreshness {
  administration: AdministrationSummary;
  /** `fresh`: recent enough, not synced; `synced`: synced for this request; `stale`: the sync failed and the last good mirror is served. */
  state: 'fresh' | 'synced' | 'stale';
  /** The mirror reflects the upstream at least as of this instant (epoch ms). */
  lastSuccessAt: number | null;
  /** Why a `stale` administration could not be synced. */
  error?: SyncErrorInfo;
}

export interface FreshnessReport {
  source: SourceName;
  table: string;
  administrations: AdministrationFreshness[];
  /** The oldest `lastSuccessAt` among them ("data as of"); null when there were none. */
  asOf: number | null;
}

export interface SyncWorkspaceRequest {
  workspaceId: number;
  /** Only this source's administrations (default: both). */
  source?: SourceName;
  /** Only these tables, by entity-set name (default: every described table). */
  tables?: readonly string[];
  /** Reload every table in full instead of continuing from cursors and probes. */
  full?: boolean;
  signal?: AbortSignal;
  /** Receives the events of this run's syncs (progress bar), in addition to the engine's observers. */
  observer?: SyncObserver;
}

export interface WorkspaceSyncSummary {
  workspaceId: number;
  /** Epoch ms (engine clock). */
  startedAt: number;
  elapsedMs: number;
  /** One per selected administration and table, ordered by table then administration code. */
  results: TableSyncResult[];
  /** How many results have outcome `failed`. */
  failed: number;
}

interface AdministrationRow {
  id: number;
  workspace_id: number;
  connection_id: number;
  source: SourceName;
  code: string;
  name: string;
  missing_since: number | null;
}

export class SyncEngine {
  private readonly db: Db;
  private readonly config: SyncEngineDeps['config'];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly connectors = new Map<SourceName, SourceConnector>();
  private readonly observers = new Set<SyncObserver>();
  private readonly limit: LimitFunction;
  private readonly flights = new FlightRegistry<TableSyncResult, SyncObserver>();
  private readonly writers = new WeakMap<TableDescription, MirrorWriter>();
  private readonly state: SyncStateStore;
  private readonly leases: SyncLeases;
  private closed = false;

  constructor(deps: SyncEngineDeps) {
    this.db = deps.db;
    this.config = deps.config;
    this.clock = deps.clock ?? systemClock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'sync' });
    this.retry = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    for (const connector of deps.connectors) this.connectors.set(connector.source, connector);
    if (deps.observer) this.observers.add(deps.observer);
    this.limit = pLimit(deps.config.maxParallel);
    this.state = new SyncStateStore(this.db);
    this.leases = new SyncLeases(this.db, { ...DEFAULT_LEASE_OPTIONS, ...deps.lease });
  }

  /** Adds an observer of every sync event; returns the function that removes it. */
  subscribe(observer: SyncObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Administration syncs running right now (never more than `maxParallel`). */
  get activeSyncs(): number {
    return this.limit.activeCount;
  }

  /** Administration syncs waiting for a free slot. */
  get queuedSyncs(): number {
    return this.limit.pendingCount;
  }

  /**
   * Makes the mirror of `table` current enough for a query over `administrationIds`: syncs, in parallel, those
   * whose last successful sync is older than the allowed staleness, sharing syncs already in flight.
   * Throws AdministrationSyncFailed naming every administration that could not be synced — unless serve-stale
   * mode is on (LEDGERFEED_SERVE_STALE_ON_ERROR or the workspace setting `serveStaleOnError`) and it has synced
   * before, in which case its last good mirror is served and reported as `stale`. Rejects with the signal's
   * reason when the requester goes away.
   */
  async ensureFresh(request: EnsureFreshRequest): Promise<FreshnessReport> {
    this.assertOpen();
    const { table, workspaceId, signal } = request;
    signal?.throwIfAborted();
    const connector = this.connectorFor(table.source);
    const writer = this.writerFor(table);
    const administrations = this.loadAdministrations(workspaceId, table.source, request.administrationIds);
    const now = this.clock.now();
    const stalenessMs = (request.maxStalenessSeconds ?? this.config.maxStalenessSeconds) * 1000;
    // Fresh means: the last successful sync started after this instant. With staleness 0, after this request.
    const freshSince = stalenessMs > 0 ? now - stalenessMs : now;
    const outcomes = await Promise.all(
      administrations.map(async (admin): Promise<{ admin: AdministrationRow; result: TableSyncResult | null }> => {
        const state = this.state.read(admin.id, table.name);
        if (stalenessMs > 0 && state.lastSuccessAt !== null && state.lastSuccessAt > freshSince) return { admin, result: null };
        if (admin.missing_since !== null) return { admin, result: this.unavailable(admin, table) };
        const result = await this.requestSync(admin, table, connector, writer, { forced: false, freshSince, signal });
        return { admin, result };
      }),
    );
    signal?.throwIfAborted();
    const serveStale = this.serveStale(workspaceId);
    const report: AdministrationFreshness[] = [];
    const failures: AdministrationFailure[] = [];
    for (const { admin, result } of outcomes) {
      const summary = { id: admin.id, code: admin.code, name: admin.name };
      if (!result) {
        report.push({ administration: summary, state: 'fresh', lastSuccessAt: this.state.read(admin.id, table.name).lastSuccessAt });
      } else if (result.outcome === 'synced') {
        report.push({ administration: summary, state: 'synced', lastSuccessAt: result.lastSuccessAt });
      } else {
        const error = result.error ?? { code: 'SyncCancelled', message: 'the sync was cancelled (the server is shutting down)', retryable: true, status: 503 };
        if (serveStale && result.lastSuccessAt !== null) {
          report.push({ administration: summary, state: 'stale', lastSuccessAt: result.lastSuccessAt, error });
        } else {
          failures.push({ administrationId: admin.id, code: admin.code, name: admin.name, source: table.source, table: table.name, error });
        }
      }
    }
    if (failures.length > 0) throw new AdministrationSyncFailed(failures);
    const times = report.map((r) => r.lastSuccessAt);
    const asOf = times.length === 0 || times.includes(null) ? null : Math.min(...(times as number[]));
    return { source: table.source, table: table.name, administrations: report, asOf };
  }

  /**
   * Syncs the selected administrations of a workspace now — every described table, or the given ones — and
   * reports per administration and table what changed. Failures are reported in the summary, not thrown;
   * rejects only when `signal` aborts, or for an unknown table or an unconfigured source asked for by name.
   */
  async syncWorkspace(request: SyncWorkspaceRequest): Promise<WorkspaceSyncSummary> {
    this.assertOpen();
    const { workspaceId, signal, observer } = request;
    signal?.throwIfAborted();
    const startedAt = this.clock.now();
    const started = performance.now();
    if (request.source && !this.connectors.has(request.source)) throw new ConfigurationError(`No ${request.source} connector is configured.`);
    const sources = request.source ? [request.source] : [...this.connectors.keys()];
    const tables = this.resolveTables(sources, request.tables);
    const administrations = this.db
      .prepare<[number], AdministrationRow>(
        'SELECT id, workspace_id, connection_id, source, code, name, missing_since FROM administrations WHERE workspace_id = ? AND selected = 1 ORDER BY source, code',
      )
      .all(workspaceId)
      .filter((a) => sources.includes(a.source));
    const pending: Promise<TableSyncResult>[] = [];
    // Table by table, so the administrations of one table run side by side (the fan-out the product promises).
    for (const table of tables) {
      const connector = this.connectorFor(table.source);
      const writer = this.writerFor(table);
      for (const admin of administrations) {
        if (admin.source !== table.source) continue;
        if (admin.missing_since !== null) {
          pending.push(Promise.resolve(this.unavailable(admin, table)));
          continue;
        }
        pending.push(
          this.requestSync(admin, table, connector, writer, { forced: request.full ?? false, freshSince: request.full ? null : startedAt, signal, observer }),
        );
      }
    }
    const results = await Promise.all(pending);
    return {
      workspaceId,
      startedAt,
      elapsedMs: Math.round(performance.now() - started),
      results,
      failed: results.filter((r) => r.outcome === 'failed').length,
    };
  }

  /** Discovers the administrations a connection can see and records them (see discovery.ts for the rules). */
  refreshAdministrations(connectionId: number, signal?: AbortSignal): Promise<DiscoveryResult> {
    this.assertOpen();
    return refreshAdministrations(this.db, (source) => this.connectorFor(source), this.clock, connectionId, signal);
  }

  /** Sync status per administration of a workspace, with a row per described table (the `Administrations` entity set). */
  administrations(workspaceId: number, source?: SourceName): AdministrationStatus[] {
    const describedTables: Partial<Record<SourceName, string[]>> = {};
    for (const [name, connector] of this.connectors) describedTables[name] = connector.tables.map((t) => t.name);
    return readAdministrationStatus(this.db, { workspaceId, source, describedTables });
  }

  /** Cancels every sync in flight (committed batches stay committed) and refuses new requests. */
  close(): void {
    this.closed = true;
    // Queued syncs still start, see their cancelled signal and end at once, so every waiter gets an answer.
    this.flights.cancelAll('the sync engine is shutting down');
  }

  private requestSync(
    admin: AdministrationRow,
    table: TableDescription,
    connector: SourceConnector,
    writer: MirrorWriter,
    options: { forced: boolean; freshSince: number | null; signal?: AbortSignal; observer?: SyncObserver },
  ): Promise<TableSyncResult> {
    const administration: AdministrationRef = {
      id: admin.id,
      code: admin.code,
      name: admin.name,
      connectionId: admin.connection_id,
      workspaceId: admin.workspace_id,
    };
    return this.flights.request({
      key: `${admin.id}/${table.source}/${table.name}`,
      forced: options.forced,
      signal: options.signal,
      listener: options.observer,
      run: (signal, listeners) =>
        this.limit(() =>
          syncAdministrationTable(
            { workspaceId: admin.workspace_id, administration, table, connector, writer, forceReload: options.forced, freshSince: options.freshSince, signal },
            { state: this.state, leases: this.leases, clock: this.clock, retry: this.retry, logger: this.logger, emit: (event) => this.emit(event, listeners) },
          ),
        ),
    });
  }

  private emit(event: SyncEvent, listeners: ReadonlySet<SyncObserver>): void {
    for (const observer of [...this.observers, ...listeners]) {
      try {
        observer(event);
      } catch (err) {
        this.logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'a sync observer threw; ignored');
      }
    }
  }

  /** A failed result for an administration its connection no longer lists (it is not synced, see discovery.ts). */
  private unavailable(admin: AdministrationRow, table: TableDescription): TableSyncResult {
    const state = this.state.read(admin.id, table.name);
    const since = new Date(admin.missing_since ?? 0).toISOString();
    return {
      workspaceId: admin.workspace_id,
      source: table.source,
      table: table.name,
      administration: { id: admin.id, code: admin.code, name: admin.name },
      outcome: 'failed',
      mode: null,
      pages: 0,
      rows: 0,
      added: 0,
      changed: 0,
      deleted: 0,
      rowCount: state.rowCount,
      attempts: 0,
      elapsedMs: 0,
      lastSuccessAt: state.lastSuccessAt,
      error: {
        code: 'AdministrationUnavailable',
        message: `its connection no longer lists this administration (since ${since}); reconnect with access to it, or deselect it`,
        retryable: false,
        status: 502,
      },
    };
  }

  private connectorFor(source: SourceName): SourceConnector {
    const connector = this.connectors.get(source);
    if (!connector) throw new ConfigurationError(`No ${source} connector is configured.`);
    return connector;
  }

  private writerFor(table: TableDescription): MirrorWriter {
    let writer = this.writers.get(table);
    if (!writer) {
      ensureMirrorTable(this.db, table, this.clock.now());
      writer = new MirrorWriter(this.db, table, this.state);
      this.writers.set(table, writer);
    }
    return writer;
  }

  private resolveTables(sources: readonly SourceName[], names: readonly string[] | undefined): TableDescription[] {
    const available = sources.flatMap((s) => this.connectors.get(s)?.tables ?? []);
    if (!names) return [...available];
    const unknown = names.filter((n) => !available.some((t) => t.name === n));
    if (unknown.length > 0) {
      throw new NotFound(`Unknown table ${unknown.join(', ')}. Tables: ${[...new Set(available.map((t) => t.name))].sort().join(', ')}.`);
    }
    return available.filter((t) => names.includes(t.name));
  }

  private loadAdministrations(workspaceId: number, source: SourceName, ids: readonly number[]): AdministrationRow[] {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return [];
    const rows = this.db
      .prepare<[number, string, string], AdministrationRow>(
        `SELECT id, workspace_id, connection_id, source, code, name, missing_since FROM administrations
         WHERE workspace_id = ? AND source = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY code`,
      )
      .all(workspaceId, source, JSON.stringify(wanted));
    if (rows.length !== wanted.length) {
      const found = new Set(rows.map((r) => r.id));
      throw new NotFound(`Administration ${wanted.filter((id) => !found.has(id)).join(', ')} is not a ${source} administration of this workspace.`);
    }
    return rows;
  }

  private serveStale(workspaceId: number): boolean {
    const row = this.db.prepare<[number], { settings_json: string }>('SELECT settings_json FROM workspaces WHERE id = ?').get(workspaceId);
    try {
      const setting = row ? (JSON.parse(row.settings_json) as { serveStaleOnError?: unknown }).serveStaleOnError : undefined;
      if (typeof setting === 'boolean') return setting;
    } catch {
      // A malformed settings document falls back to the server-wide default.
    }
    return this.config.serveStaleOnError;
  }

  private assertOpen(): void {
    if (this.closed) throw new ConfigurationError('The sync engine is shut down.');
  }
}
