// What an upstream client reports about its calls, for metrics: one report per HTTP exchange with the
// upstream (and per failed attempt), and the rate-limit headroom the upstream announced. Generic over
// sources, so Exact Online and Twinfield feed the same metrics; a client without an observer reports nothing.
import type { SourceName } from '../tables/description';

export interface UpstreamCall {
  source: SourceName;
  /** Division (Exact Online) or office (Twinfield) the call was for; null for calls about no one administration (current/Me, logins, cluster look-ups). */
  administration: string | null;
  /** HTTP status of the answer; null when there was none (network failure, time limit, cancelled). */
  status: number | null;
  /** The upstream refused the call for its rate or fair-use limits (Exact's 429, Twinfield's fair-use fault). */
  rateLimited: boolean;
  /** Real time from sending to the end of the answer (ms). */
  durationMs: number;
}

export interface RateLimitHeadroom {
  source: SourceName;
  administration: string;
  /** The window the upstream counts in, e.g. `minutely` and `daily` at Exact Online. */
  window: string;
  /** Calls left in the window, as the upstream last announced. */
  remaining: number;
  /** Calls the window allows; null when the upstream did not say. */
  limit: number | null;
}

/** Both callbacks must be quick and must not throw; a client calls them after each exchange. */
export interface UpstreamObserver {
  call(call: UpstreamCall): void;
  headroom(headroom: RateLimitHeadroom): void;
}
