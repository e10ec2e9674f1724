// One sync per administration and table across every Ledgerfeed process sharing a data dir: a lease row in
// `sync_leases`, claimed atomically, kept alive by a heartbeat, and taken over when it expires or when its
// owner process on this host is gone (a crash must not block the next sync for a whole lease period).
import crypto from 'node:crypto';
import os from 'node:os';
import { sleep, systemClock } from '../clock';
import type { Db } from '../store/database';

export interface LeaseOptions {
  /** How long a lease holds without a heartbeat. */
  ttlMs: number;
  /** How often a process waiting for another's lease looks again. */
  pollMs: number;
}

export const DEFAULT_LEASE_OPTIONS: LeaseOptions = { ttlMs: 30_000, pollMs: 250 };

export interface HeldLease {
  release(): void;
}

export class SyncLeases {
  /** host:pid:random — the pid lets a restarted process on the same host see that the holder died. */
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomUUID()}`;

  constructor(
    private readonly db: Db,
    private readonly options: LeaseOptions = DEFAULT_LEASE_OPTIONS,
  ) {}

  /** Claims the lease, waiting while another process holds it. `onWait` runs once if it had to wait. */
  async acquire(administrationId: number, table: string, signal: AbortSignal, onWait?: () => void): Promise<HeldLease> {
    let waited = false;
    for (;;) {
      signal.throwIfAborted();
      if (this.claim(administrationId, table)) return this.hold(administrationId, table);
      if (!waited) onWait?.();
      waited = true;
      await sleep(this.options.pollMs, signal);
    }
  }

  /** Who holds the lease now, if anyone (status page, tests). */
  holder(administrationId: number, table: string): string | undefined {
    const row = this.db
      .prepare<[number, string, number], { owner: string }>('SELECT owner FROM sync_leases WHERE administration_id = ? AND table_name = ? AND expires_at >= ?')
      .get(administrationId, table, systemClock.now());
    return row?.owner;
  }

  private claim(administrationId: number, table: string): boolean {
    // Real time, not an injected clock: the lease is about real concurrency between processes.
    const now = systemClock.now();
    const claimed = this.db
      .prepare(
        `INSERT INTO sync_leases (administration_id, table_name, owner, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (administration_id, table_name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE sync_leases.expires_at < ?`,
      )
      .run(administrationId, table, this.owner, now + this.options.ttlMs, now).changes;
    if (claimed === 1) return true;
    const current = this.db
      .prepare<[number, string], { owner: string }>('SELECT owner FROM sync_leases WHERE administration_id = ? AND table_name = ?')
      .get(administrationId, table);
    if (!current || !ownerIsGone(current.owner)) return false;
    return (
      this.db
        .prepare('UPDATE sync_leases SET owner = ?, expires_at = ? WHERE administration_id = ? AND table_name = ? AND owner = ?')
        .run(this.owner, now + this.options.ttlMs, administrationId, table, current.owner).changes === 1
    );
  }

  private hold(administrationId: number, table: string): HeldLease {
    const heartbeat = setInterval(() => {
      try {
        this.db
          .prepare('UPDATE sync_leases SET expires_at = ? WHERE administration_id = ? AND table_name = ? AND owner = ?')
          .run(systemClock.now() + this.options.ttlMs, administrationId, table, this.owner);
      } catch {
        // A busy store skips one beat; the next one (a third of the lease later) extends it.
      }
    }, Math.max(10, Math.floor(this.options.ttlMs / 3)));
    heartbeat.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        try {
          this.db.prepare('DELETE FROM sync_leases WHERE administration_id = ? AND table_name = ? AND owner = ?').run(administrationId, table, this.owner);
        } catch {
          // Not released: the lease runs out by itself after ttlMs.
        }
      },
    };
  }
}

/** True when the owner ran on this host under a pid that no longer exists. */
function ownerIsGone(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
