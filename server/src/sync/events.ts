// What the engine tells its observers (CLI progress bar, status page, metrics) while it syncs: one event
// stream per administration and table — started, progress, retrying, then finished, failed or cancelled.
import type { SourceName } from '../tables/description';
import type { SyncErrorInfo } from './retry';

export interface AdministrationSummary {
  id: number;
  code: string;
  name: string;
}

/** How a sync brought the mirror up to date. `unchanged`: the probe fingerprint matched; `fresh`: another sync had just done it. */
export type SyncMode = 'incremental' | 'reload' | 'unchanged' | 'fresh';

interface SyncEventBase {
  workspaceId: number;
  source: SourceName;
  table: string;
  administration: AdministrationSummary;
  /** Milliseconds since this administration's sync started (real time). */
  elapsedMs: number;
}

/** Upstream pages and rows fetched so far, and what was written to the mirror so far. */
export interface SyncCounters {
  pages: number;
  rows: number;
  added: number;
  changed: number;
  deleted: number;
}

export type SyncEvent =
  | (SyncEventBase & { type: 'started'; forcedReload: boolean })
  | (SyncEventBase & SyncCounters & { type: 'progress' })
  | (SyncEventBase & SyncCounters & { type: 'retrying'; attempt: number; delayMs: number; error: SyncErrorInfo })
  | (SyncEventBase & SyncCounters & { type: 'finished'; mode: SyncMode; rowCount: number; attempts: number })
  | (SyncEventBase & SyncCounters & { type: 'failed'; error: SyncErrorInfo; attempts: number })
  | (SyncEventBase & SyncCounters & { type: 'cancelled' });

export type SyncEventType = SyncEvent['type'];

/** Receives every event; must not throw (an observer that throws is logged and ignored) and must be quick. */
export type SyncObserver = (event: SyncEvent) => void;
