// The sync engine's public surface: what the OData layer, the CLI, the status page and metrics use.
export { SyncEngine } from './engine';
export type {
  AdministrationFreshness,
  EnsureFreshRequest,
  FreshnessReport,
  SyncEngineDeps,
  SyncWorkspaceRequest,
  WorkspaceSyncSummary,
} from './engine';
export type { TableSyncResult } from './administration-sync';
export { AdministrationSyncFailed, SyncCancelled, type AdministrationFailure } from './errors';
export type { AdministrationSummary, SyncCounters, SyncEvent, SyncEventType, SyncMode, SyncObserver } from './events';
export type { DiscoveryResult } from './discovery';
export { readAdministrationStatus, type AdministrationStatus, type TableSyncStatus } from './status';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type SyncErrorInfo } from './retry';
export { DEFAULT_LEASE_OPTIONS, type LeaseOptions } from './lease';
