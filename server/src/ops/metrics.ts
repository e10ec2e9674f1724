// Prometheus metrics of one Ledgerfeed instance, in a registry of its own (two instances in one process — the
// tests — do not share counters). Every label has a bounded set of values: HTTP routes are templates, never raw
// URLs; administrations, tables and workspaces are what the store holds; statuses are HTTP codes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitHeadroom, UpstreamCall, UpstreamObserver } from '../sources/upstream-observer';
import type { Connections } from '../store/connections';
import type { Db } from '../store/database';
import type { SyncEvent, SyncObserver } from '../sync';

export interface MetricsDeps {
  db: Db;
  connections: Connections;
}

/** What the metrics read from the sync engine at each scrape. */
export interface SyncActivity {
  readonly activeSyncs: number;
  readonly queuedSyncs: number;
}

export type TokenRefreshOutcome = 'renewed' | 'rejected' | 'failed';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const SYNC_LABELS = ['workspace', 'source', 'administration', 'table'] as const;

export class LedgerfeedMetrics {
  readonly registry = new Registry();
  private readonly workspaceSlugs = new Map<number, string>();
  private syncActivity: SyncActivity | null = null;

  private readonly httpRequests = new Counter({
    name: 'ledgerfeed_http_requests_total',
    help: 'HTTP requests answered, by route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'ledgerfeed_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response, by route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120],
    registers: [this.registry],
  });
  private readonly feedRows = new Counter({
    name: 'ledgerfeed_feed_rows_served_total',
    help: 'Rows written by feed collection responses.',
    labelNames: ['source', 'table'] as const,
    registers: [this.registry],
  });
  private readonly syncs = new Counter({
    name: 'ledgerfeed_syncs_total',
    help: 'Administration syncs of one table that ended, by outcome (incremental, reload, unchanged, fresh, failed, cancelled).',
    labelNames: ['source', 'table', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly syncDuration = new Histogram({
    name: 'ledgerfeed_sync_duration_seconds',
    help: 'Duration of administration syncs of one table.',
    labelNames: ['source', 'table'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });
  private readonly syncLastDuration = new Gauge({
    name: 'ledgerfeed_sync_last_duration_seconds',
    help: 'Duration of the last sync of a table of an administration.',
    labelNames: SYNC_LABELS,
    registers: [this.registry],
  });
  private readonly syncRows = new Counter({
    name: 'ledgerfeed_sync_rows_total',
    help: 'Rows the syncs wrote to the mirror, by change (added, changed, deleted).',
    labelNames: [...SYNC_LABELS, 'change'] as const,
    registers: [this.registry],
  });
  private readonly mirrorRows = new Gauge({
    name: 'ledgerfeed_mirror_rows',
    help: 'Rows of an administration in the mirror of a table after its last successful sync.',
    labelNames: SYNC_LABELS,
    registers: [this.registry],
  });
  private readonly upstreamCalls = new Counter({
    name: 'ledgerfeed_upstream_calls_total',
    help: 'HTTP calls to an upstream, by administration and status (none: no answer).',
    labelNames: ['source', 'administration', 'status'] as const,
    registers: [this.registry],
  });
  private readonly upstreamRateLimited = new Counter({
    name: 'ledgerfeed_upstream_rate_limited_total',
    help: 'Calls an upstream refused for its rate or fair-use limits (429).',
    labelNames: ['source', 'administration'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitRemaining = new Gauge({
    name: 'ledgerfeed_upstream_rate_limit_remaining',
    help: 'Calls left in the rate-limit window, as the upstream last announced it.',
    labelNames: ['source', 'administration', 'window'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitLimit = new Gauge({
    name: 'ledgerfeed_upstream_rate_limit',
    help: 'Calls the rate-limit window allows, as the upstream last announced it.',
    labelNames: ['source', 'administration', 'window'] as const,
    registers: [this.registry],
  });
  private readonly tokenRefreshes = new Counter({
    name: 'ledgerfeed_token_refreshes_total',
    help: 'Refreshes of upstream logins, by outcome (renewed; rejected: the login needs re-authorization; failed: may pass).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(private readonly deps: MetricsDeps) {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: 'ledgerfeed_syncs_active',
      help: 'Administration syncs running now.',
      registers: [this.registry],
      collect() {
        this.set(metrics.syncActivity?.activeSyncs ?? 0);
      },
    });
    new Gauge({
      name: 'ledgerfeed_syncs_queued',
      help: 'Administration syncs waiting for a free slot (LEDGERFEED_MAX_PARALLEL).',
      registers: [this.registry],
      collect() {
        this.set(metrics.syncActivity?.queuedSyncs ?? 0);
      },
    });
    new Gauge({
      name: 'ledgerfeed_connections',
      help: 'Upstream logins by health (ok, expiring, needs_reauth).',
      labelNames: ['source', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { source, state } of metrics.connectionHealth()) this.inc({ source, state });
      },
    });
  }

  /** Lets the scrape read how busy the sync engine is. */
  watchSyncs(activity: SyncActivity): void {
    this.syncActivity = activity;
  }

  observeRequest(request: { method: string; route: string; status: number; seconds: number }): void {
    this.httpRequests.inc({ method: request.method, route: request.route, status: String(request.status) });
    this.httpDuration.observe({ method: request.method, route: request.route }, request.seconds);
  }

  /** For the feed router's `onRowsServed`. */
  readonly rowsServed = (served: { source: string; table: string; rows: number }): void => {
    this.feedRows.inc({ source: served.source, table: served.table }, served.rows);
  };

  /** For the sync engine's `observer`. */
  readonly syncObserver: SyncObserver = (event: SyncEvent): void => {
    if (event.type !== 'finished' && event.type !== 'failed' && event.type !== 'cancelled') return;
    const labels = { workspace: this.workspaceSlug(event.workspaceId), source: event.source, administration: event.administration.code, table: event.table };
    const outcome = event.type === 'finished' ? event.mode : event.type;
    this.syncs.inc({ source: event.source, table: event.table, outcome });
    this.syncDuration.observe({ source: event.source, table: event.table }, event.elapsedMs / 1000);
    this.syncLastDuration.set(labels, event.elapsedMs / 1000);
    for (const change of ['added', 'changed', 'deleted'] as const) {
      if (event[change] > 0) this.syncRows.inc({ ...labels, change }, event[change]);
    }
    if (event.type === 'finished') this.mirrorRows.set(labels, event.rowCount);
  };

  /** For the upstream clients' `observer`. */
  readonly upstream: UpstreamObserver = {
    call: (call: UpstreamCall) => {
      const administration = call.administration ?? 'none';
      this.upstreamCalls.inc({ source: call.source, administration, status: call.status === null ? 'none' : String(call.status) });
      if (call.rateLimited) this.upstreamRateLimited.inc({ source: call.source, administration });
    },
    headroom: (headroom: RateLimitHeadroom) => {
      const labels = { source: headroom.source, administration: headroom.administration, window: headroom.window };
      this.rateLimitRemaining.set(labels, headroom.remaining);
      if (headroom.limit !== null) this.rateLimitLimit.set(labels, headroom.limit);
    },
  };

  /** For the TokenManager's `onRefresh`. */
  readonly tokenRefresh = (event: { connectionId: number; outcome: TokenRefreshOutcome }): void => {
    const source = this.deps.connections.byId(event.connectionId)?.source ?? 'unknown';
    this.tokenRefreshes.inc({ source, outcome: event.outcome });
  };

  /** Upstream calls counted so far (the CLI's sync summary). */
  async upstreamCallCount(): Promise<number> {
    const { values } = await this.upstreamCalls.get();
    return values.reduce((sum, v) => sum + v.value, 0);
  }

  /** The exposition text for a scrape. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private workspaceSlug(workspaceId: number): string {
    let slug = this.workspaceSlugs.get(workspaceId);
    if (slug === undefined) {
      const row = this.deps.db.prepare('SELECT slug FROM workspaces WHERE id = ?').get(workspaceId) as { slug: string } | undefined;
      slug = row?.slug ?? String(workspaceId);
      this.workspaceSlugs.set(workspaceId, slug);
    }
    return slug;
  }

  private connectionHealth(): Array<{ source: string; state: string }> {
    const ids = this.deps.db.prepare('SELECT id FROM connections').pluck().all() as number[];
    return ids.flatMap((id) => {
      const connection = this.deps.connections.byId(id);
      return connection ? [{ source: connection.source, state: this.deps.connections.health(connection).state }] : [];
    });
  }
}
