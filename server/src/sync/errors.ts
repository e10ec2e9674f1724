// The error a feed request fails with when administrations could not be synced: it names every failed
// administration and the upstream's reason, so a report never silently shows fewer rows.
import { LedgerfeedError } from '../errors';
import type { SourceName } from '../tables/description';
import type { SyncErrorInfo } from './retry';

export interface AdministrationFailure {
  administrationId: number;
  /** Division or office code. */
  code: string;
  name: string;
  source: SourceName;
  table: string;
  error: SyncErrorInfo;
}

/**
 * One or more administrations failed to sync. `status` is 503 when every failure is one that passes with time or
 * a user's action (a login needing re-authorization, a rate limit), else 502. `target` lists the failed
 * administrations' codes; `details` has one entry per administration (code = the error's code, target = the
 * administration's code, message = its name and the upstream's reason).
 */
export class AdministrationSyncFailed extends LedgerfeedError {
  readonly code = 'AdministrationSyncFailed';
  readonly status: 502 | 503;

  constructor(readonly failures: readonly AdministrationFailure[]) {
    super(failureMessage(failures), {
      target: failures.map((f) => f.code).join(', '),
      details: failures.map((f) => ({ code: f.error.code, target: f.code, message: `${f.name} (${f.code}), ${f.table}: ${f.error.message}` })),
    });
    this.status = failures.length > 0 && failures.every((f) => f.error.status === 503) ? 503 : 502;
  }
}

function failureMessage(failures: readonly AdministrationFailure[]): string {
  const tables = [...new Set(failures.map((f) => f.table))].join(', ');
  if (failures.length === 1) {
    const f = failures[0];
    return `Administration "${f.name}" (${f.code}) could not be synced (${tables}): ${f.error.message}`;
  }
  return `${failures.length} administrations could not be synced (${tables}): ${failures.map((f) => `"${f.name}" (${f.code}): ${f.error.message}`).join('; ')}`;
}

/** Raised into a sync when every requester waiting for it has gone away. */
export class SyncCancelled extends Error {
  constructor(reason = 'every requester of this sync has gone away') {
    super(reason);
    this.name = 'SyncCancelled';
  }
}
