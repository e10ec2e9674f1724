// Brings one administration's mirror of one table up to date: takes the cross-process lease, picks the
// strategy (incremental from the stored cursor, probe-then-reload for `full` tables, reload on CursorInvalid
// or when forced), retries retryable faults from the last committed cursor, and records the outcome.
import { performance } from 'node:perf_hooks';
import { sleep, type Clock } from '../clock';
import { LedgerfeedError } from '../errors';
import type { Logger } from '../logger';
import { CursorInvalid, type AdministrationRef, type ChangeBatch, type FetchContext, type SourceConnector } from '../sources/connector';
import { UpstreamMalformed } from '../sources/errors';
import type { SourceName, TableDescription } from '../tables/description';
import type { AdministrationSummary, SyncCounters, SyncEvent, SyncMode } from './events';
import type { SyncLeases } from './lease';
import type { MirrorWriter, StagedReload } from './mirror-writer';
import { describeError, retryDelay, type RetryPolicy, type SyncErrorInfo } from './retry';
import { storeMatch, storeRows, type StoredMatch } from './stored-rows';
import type { SyncStateStore } from './sync-state';

/** The outcome of syncing one administration's table. */
export interface TableSyncResult extends SyncCounters {
  workspaceId: number;
  source: SourceName;
  table: string;
  administration: AdministrationSummary;
  /** `synced` covers every way of ending up current (incremental, reload, unchanged probe, fresh already). */
  outcome: 'synced' | 'failed' | 'cancelled';
  /** How it became current; null when it did not. */
  mode: SyncMode | null;
  /** Rows of this administration in the mirror afterwards. */
  rowCount: number;
  attempts: number;
  elapsedMs: number;
  /** Start of the last successful sync (the mirror is current as of then), from sync_state. */
  lastSuccessAt: number | null;
  error?: SyncErrorInfo;
}

export interface AdministrationJob {
  workspaceId: number;
  administration: AdministrationRef;
  table: TableDescription;
  connector: SourceConnector;
  writer: MirrorWriter;
  /** Reload even if the cursor or the probe says otherwise. */
  forceReload: boolean;
  /** Skip the sync when the last success started after this instant (another process synced while we waited); null: never skip. */
  freshSince: number | null;
  signal: AbortSignal;
}

export interface AdministrationSyncDeps {
  state: SyncStateStore;
  leases: SyncLeases;
  clock: Clock;
  retry: RetryPolicy;
  logger: Logger;
  emit(event: SyncEvent): void;
}

/** Never rejects: every way a sync can end, including our own faults, is a result. */
export async function syncAdministrationTable(job: AdministrationJob, deps: AdministrationSyncDeps): Promise<TableSyncResult> {
  const sync = new AdministrationSync(job, deps);
  try {
    return await sync.run();
  } catch (err) {
    return sync.unexpected(err);
  }
}

class AdministrationSync {
  private readonly counters: SyncCounters = { pages: 0, rows: 0, added: 0, changed: 0, deleted: 0 };
  private readonly startedAt = performance.now();
  private readonly summary: AdministrationSummary;
  private attempts = 0;
  /** Set once the stored cursor proved unusable, so a retry does not ask for it again. */
  private reloadRequired: boolean;

  constructor(
    private readonly job: AdministrationJob,
    private readonly deps: AdministrationSyncDeps,
  ) {
    const { id, code, name } = job.administration;
    this.summary = { id, code, name };
    this.reloadRequired = job.forceReload;
  }

  async run(): Promise<TableSyncResult> {
    const { job, deps } = this;
    const table = job.table.name;
    const adminId = job.administration.id;
    let lease;
    try {
      lease = await deps.leases.acquire(adminId, table, job.signal, () =>
        deps.logger.debug({ administration: job.administration.code, table }, 'another process is syncing this administration; waiting'),
      );
    } catch (err) {
      if (job.signal.aborted) return this.cancelled();
      return this.failed(describeError(err), err);
    }
    try {
      const before = deps.state.read(adminId, table);
      if (job.freshSince !== null && !job.forceReload && before.lastSuccessAt !== null && before.lastSuccessAt > job.freshSince) {
        return this.finished('fresh');
      }
      this.emit({ type: 'started', forcedReload: job.forceReload });
      for (;;) {
        this.attempts++;
        const attemptStartedAt = deps.clock.now();
        try {
          deps.state.markAttempt(adminId, table, attemptStartedAt);
          const mode = await this.attempt(attemptStartedAt);
          return this.finished(mode);
        } catch (err) {
          if (job.signal.aborted) return this.cancelled();
          const error = describeError(err);
          const delayMs = retryDelay(deps.retry, this.attempts, err);
          if (delayMs === null) return this.failed(error, err);
          deps.logger.info({ administration: job.administration.code, table, attempt: this.attempts, delayMs, error: error.message }, 'sync attempt failed; retrying');
          this.emit({ type: 'retrying', attempt: this.attempts, delayMs, error, ...this.counters });
          try {
            await sleep(delayMs, job.signal);
          } catch {
            return this.cancelled();
          }
        }
      }
    } finally {
      lease.release();
    }
  }

  /** One try; resumes from whatever the previous tries committed. */
  private async attempt(syncedAsOf: number): Promise<SyncMode> {
    const { job, deps } = this;
    const adminId = job.administration.id;
    const state = deps.state.read(adminId, job.table.name);
    if (job.table.sync === 'full') {
      const previous = state.lastSuccessAt !== null ? state.fingerprint : null;
      const fingerprint = job.connector.probe ? await job.connector.probe(job.table, this.context(), previous) : undefined;
      if (!this.reloadRequired && fingerprint !== undefined && state.lastSuccessAt !== null && state.fingerprint === fingerprint) {
        deps.state.markSucceeded(adminId, job.table.name, syncedAsOf);
        return 'unchanged';
      }
      await this.reload(syncedAsOf, fingerprint ?? null);
      return 'reload';
    }
    if (!this.reloadRequired) {
      try {
        await this.incremental(state.cursor);
        deps.state.markSucceeded(adminId, job.table.name, syncedAsOf);
        return 'incremental';
      } catch (err) {
        if (!(err instanceof CursorInvalid)) throw err;
        deps.logger.info({ administration: job.administration.code, table: job.table.name, reason: err.reason }, 'cursor can no longer be continued; reloading the table');
        this.reloadRequired = true;
      }
    }
    await this.reload(syncedAsOf, null);
    return 'reload';
  }

  /**
   * Continues from `cursor` (null: first load), committing each batch with its cursor as it arrives. Partial batches
   * wait in a staging table and commit with the batch that completes their unit; a failure before it drops them.
   */
  private async incremental(cursor: string | null): Promise<void> {
    const { job } = this;
    let staged: StagedReload | null = null;
    try {
      for await (const batch of job.connector.changes(job.table, this.context(), cursor)) {
        job.signal.throwIfAborted();
        const { deletes, upserts } = this.convert(batch);
        if (batch.partial) {
          if (deletes.length > 0) throw new UpstreamMalformed(`${job.table.source} ${job.table.name}: a partial batch for administration ${job.administration.code} carried deletes`, { administration: job.administration.code });
          staged ??= job.writer.beginReload(job.administration.id);
          staged.add(upserts);
          continue;
        }
        const counts = staged ? staged.merge({ deletes, upserts, cursor: batch.cursor }) : job.writer.applyBatch(job.administration.id, deletes, upserts, batch.cursor);
        staged = null;
        this.count(counts);
      }
      if (staged) throw new UpstreamMalformed(`${job.table.source} ${job.table.name}: the changes of administration ${job.administration.code} ended on a partial batch`, { administration: job.administration.code });
    } finally {
      staged?.discard();
    }
  }

  /**
   * Streams every row into staging (a snapshot, or the change stream from the beginning for incremental tables),
   * then swaps it in with one transaction. Until then the previous mirror stays as it was.
   */
  private async reload(syncedAsOf: number, fingerprint: string | null): Promise<void> {
    const { job, deps } = this;
    const staged: StagedReload = job.writer.beginReload(job.administration.id);
    try {
      let cursor: string | null = null;
      if (job.table.sync === 'full') {
        for await (const page of job.connector.snapshot(job.table, this.context())) {
          job.signal.throwIfAborted();
          staged.add(storeRows(job.writer.layout, page, job.administration.code));
        }
      } else {
        try {
          for await (const batch of job.connector.changes(job.table, this.context(), null)) {
            job.signal.throwIfAborted();
            const { deletes, upserts } = this.convert(batch);
            staged.remove(deletes);
            staged.add(upserts);
            cursor = batch.cursor;
          }
        } catch (err) {
          if (!(err instanceof CursorInvalid)) throw err;
          // A full change stream cannot have an invalid cursor; the upstream answered something inconsistent.
          throw new UpstreamMalformed(`${job.table.source} ${job.table.name}: the upstream refused to start a full reload: ${err.reason}`, {
            administration: job.administration.code,
            cause: err,
          });
        }
      }
      job.signal.throwIfAborted();
      const counts = staged.commit({ cursor, fingerprint, syncedAsOf });
      this.count(counts);
      deps.logger.debug({ administration: job.administration.code, table: job.table.name, ...counts }, 'reload swapped in');
    } finally {
      staged.discard();
    }
  }

  private convert(batch: ChangeBatch): { deletes: StoredMatch[]; upserts: ReturnType<typeof storeRows> } {
    const layout = this.job.writer.layout;
    const code = this.job.administration.code;
    if (typeof batch.cursor !== 'string') {
      throw new UpstreamMalformed(`${this.job.table.source} ${this.job.table.name}: a batch for administration ${code} came without a cursor`, { administration: code });
    }
    const deletes: StoredMatch[] = [];
    for (const match of batch.deletes) {
      const stored = storeMatch(layout, match, code);
      if (stored) deletes.push(stored);
    }
    return { deletes, upserts: storeRows(layout, batch.upserts, code) };
  }

  private context(): FetchContext {
    return {
      administration: this.job.administration,
      signal: this.job.signal,
      progress: (delta) => {
        this.counters.pages += delta.pages;
        this.counters.rows += delta.rows;
        this.emit({ type: 'progress', ...this.counters });
      },
    };
  }

  private count(counts: { added: number; changed: number; deleted: number }): void {
    this.counters.added += counts.added;
    this.counters.changed += counts.changed;
    this.counters.deleted += counts.deleted;
  }

  private finished(mode: SyncMode): TableSyncResult {
    const state = this.deps.state.read(this.job.administration.id, this.job.table.name);
    this.emit({ type: 'finished', mode, rowCount: state.rowCount, attempts: this.attempts, ...this.counters });
    return this.result('synced', mode, state.rowCount, state.lastSuccessAt);
  }

  private failed(error: SyncErrorInfo, cause: unknown): TableSyncResult {
    const { job, deps } = this;
    try {
      deps.state.markFailed(job.administration.id, job.table.name, { code: error.code, message: error.message }, deps.clock.now());
    } catch (err) {
      deps.logger.error({ error: err instanceof Error ? err.message : String(err) }, 'could not record a sync failure');
    }
    deps.logger.warn(
      { administration: job.administration.code, name: job.administration.name, table: job.table.name, attempts: this.attempts, error: error.message, code: error.code },
      'administration sync failed',
    );
    // A fault of our own (not a classified upstream error) needs its stack to be fixed.
    if (cause instanceof Error && !(cause instanceof LedgerfeedError)) deps.logger.error({ stack: cause.stack }, 'unexpected error while syncing');
    this.emit({ type: 'failed', error, attempts: this.attempts, ...this.counters });
    const state = this.stateOrNothing();
    return { ...this.result('failed', null, state.rowCount, state.lastSuccessAt), error };
  }

  /** A fault outside the attempt loop (the store itself failing): reported like any failure, recorded if the store lets us. */
  unexpected(err: unknown): TableSyncResult {
    if (this.job.signal.aborted) return this.cancelled();
    return this.failed(describeError(err), err);
  }

  private cancelled(): TableSyncResult {
    this.emit({ type: 'cancelled', ...this.counters });
    const state = this.stateOrNothing();
    return this.result('cancelled', null, state.rowCount, state.lastSuccessAt);
  }

  private stateOrNothing(): { rowCount: number; lastSuccessAt: number | null } {
    try {
      return this.deps.state.read(this.job.administration.id, this.job.table.name);
    } catch {
      return { rowCount: 0, lastSuccessAt: null };
    }
  }

  private result(outcome: TableSyncResult['outcome'], mode: SyncMode | null, rowCount: number, lastSuccessAt: number | null): TableSyncResult {
    return {
      workspaceId: this.job.workspaceId,
      source: this.job.table.source,
      table: this.job.table.name,
      administration: this.summary,
      outcome,
      mode,
      rowCount,
      attempts: this.attempts,
      elapsedMs: Math.round(performance.now() - this.startedAt),
      lastSuccessAt,
      ...this.counters,
    };
  }

  private emit(event: DistributiveOmit<SyncEvent, 'workspaceId' | 'source' | 'table' | 'administration' | 'elapsedMs'>): void {
    this.deps.emit({
      ...event,
      workspaceId: this.job.workspaceId,
      source: this.job.table.source,
      table: this.job.table.name,
      administration: this.summary,
      elapsedMs: Math.round(performance.now() - this.startedAt),
    } as SyncEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
