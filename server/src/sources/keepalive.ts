// Keeps unused upstream logins alive: an Exact Online refresh token dies after 30 days without a refresh, so every
// login whose refresh token has not been renewed for `keepAlive.days` is renewed now — through the TokenManager,
// so never twice at once and never too early. A login the upstream refuses is left marked needs_reauth with the
// reason and the date (the workspace page and the connections API show it). Generic over sources.
import type { Clock } from '../clock';
import { DAY, HOUR } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Db } from '../store/database';
import type { SourceName } from '../tables/description';
import { LoginNeedsReauthorization } from './tokens';

/** A source whose logins age out when unused. */
export interface KeepAliveSource {
  source: SourceName;
  /** How long a refresh token lives without being renewed (Exact Online: 30 days). */
  refreshLifetimeMs: number;
  /** Renews the login now (TokenManager.renew with the source's refresh and policy). */
  renew(connectionId: number, signal?: AbortSignal): Promise<void>;
}

export interface KeepAliveOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config['keepAlive'];
  sources: readonly KeepAliveSource[];
  /** How often the scheduler looks (ms, default one hour). */
  intervalMs?: number;
  /** Delay of the first look after start (ms, default one minute). */
  firstRunDelayMs?: number;
}

export interface KeepAliveOutcome {
  connectionId: number;
  source: SourceName;
  label: string;
  outcome: 'renewed' | 'needs_reauth' | 'failed';
  /** Why, for needs_reauth and failed (no secrets). */
  reason?: string;
}

export interface KeepAliveReport {
  at: number;
  outcomes: KeepAliveOutcome[];
}

/** Renews a login this long before its refresh token would die, at the latest. */
const SAFETY_BEFORE_EXPIRY_MS = 5 * DAY;

export class KeepAlive {
  private timer: NodeJS.Timeout | null = null;
  private firstRun: NodeJS.Timeout | null = null;
  private running: Promise<KeepAliveReport> | null = null;
  private abort = new AbortController();

  constructor(private readonly options: KeepAliveOptions) {}

  /** Whether the scheduler runs at all (LEDGERFEED_KEEPALIVE). */
  get enabled(): boolean {
    return this.options.config.enabled;
  }

  /** Starts the scheduler (no-op when keep-alive is off); its timers never keep the process alive. */
  start(): void {
    if (!this.enabled || this.timer) return;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const tick = () => {
      if (this.running) return; // a slow run is not overlapped
      this.runOnce().catch((err) => this.options.logger.error({ error: err instanceof Error ? err.message : String(err) }, 'keep-alive run failed'));
    };
    this.firstRun = setTimeout(tick, this.options.firstRunDelayMs ?? 60_000);
    this.firstRun.unref();
    this.timer = setInterval(tick, this.options.intervalMs ?? HOUR);
    this.timer.unref();
  }

  /** Stops the scheduler and abandons a run in progress (a refresh already sent is still completed and stored). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.firstRun) clearTimeout(this.firstRun);
    this.timer = this.firstRun = null;
    this.abort.abort(new Error('keep-alive stopped'));
  }

  /** One pass: renews every login that is due at `now`. Used by the scheduler, the CLI and tests. */
  runOnce(now: number = this.options.clock.now()): Promise<KeepAliveReport> {
    if (this.running) return this.running;
    this.running = this.pass(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** How long a login of `source` may go without renewal before keep-alive renews it. */
  maxIdleMs(source: KeepAliveSource): number {
    return Math.min(this.options.config.days * DAY, source.refreshLifetimeMs - SAFETY_BEFORE_EXPIRY_MS);
  }

  private async pass(now: number): Promise<KeepAliveReport> {
    const outcomes: KeepAliveOutcome[] = [];
    for (const source of this.options.sources) {
      for (const due of this.due(source, now)) {
        if (this.abort.signal.aborted) break;
        outcomes.push(await this.renew(source, due));
      }
    }
    if (outcomes.length > 0) {
      const count = (o: KeepAliveOutcome['outcome']) => outcomes.filter((x) => x.outcome === o).length;
      this.options.logger.info({ renewed: count('renewed'), needsReauth: count('needs_reauth'), failed: count('failed') }, 'keep-alive renewed idle logins');
    }
    return { at: now, outcomes };
  }

  /** Healthy OAuth logins of the source whose refresh token was last renewed too long ago (or never recorded). */
  private due(source: KeepAliveSource, now: number): { id: number; label: string }[] {
    return this.options.db
      .prepare(
        `SELECT id, label FROM connections
         WHERE source = ? AND auth_kind = 'oauth' AND status = 'ok' AND refresh_token_enc IS NOT NULL
           AND (refresh_renewed_at IS NULL OR refresh_renewed_at <= ?)
         ORDER BY refresh_renewed_at, id`,
      )
      .all(source.source, now - this.maxIdleMs(source)) as { id: number; label: string }[];
  }

  private async renew(source: KeepAliveSource, connection: { id: number; label: string }): Promise<KeepAliveOutcome> {
    const base = { connectionId: connection.id, source: source.source, label: connection.label };
    try {
      await source.renew(connection.id, this.abort.signal);
      return { ...base, outcome: 'renewed' };
    } catch (err) {
      const reason = err instanceof LoginNeedsReauthorization ? err.reason : err instanceof Error ? err.message : String(err);
      if (err instanceof LoginNeedsReauthorization) {
        // The TokenManager has marked the connection needs_reauth with the reason and the date.
        this.options.logger.warn({ connectionId: connection.id, source: source.source, reason }, 'keep-alive found a login that needs to be connected again');
        return { ...base, outcome: 'needs_reauth', reason };
      }
      // Passing trouble (network, rate limit, another process renewing right now): the next run tries again.
      this.options.logger.warn({ connectionId: connection.id, source: source.source, reason }, 'keep-alive could not renew a login; will try again');
      return { ...base, outcome: 'failed', reason };
    }
  }
}

export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  return new KeepAlive(options);
}
