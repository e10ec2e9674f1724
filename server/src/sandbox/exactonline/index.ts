// The simulated Exact Online: its real wire protocol, limits and quirks over the deterministic demo books, mounted
// by Ledgerfeed at /sandbox/exactonline and used by every test above the Exact Online client.
//
// Served (API base `{mount}/api/v1`; see endpoints.ts for the full table):
//   OAuth     GET/POST /api/oauth2/auth (HTML login, demo/demo; client sandbox-client / sandbox-secret),
//             POST /api/oauth2/token (authorization_code, refresh_token; credentials in body or HTTP Basic).
//   API       current/Me, {div}/system/Divisions (+AllDivisions; the division in that URL is not checked),
//             standard endpoints (60 a page), bulk/… and sync/… (1000 a page), sync/Deleted,
//             {set}/$count, {set}(key), {set}(key)/{navigation}, read/financial/RevenueListByYear?year=.
//   Controls  GET /_stats, POST /_stats/reset (also resets the rate-limit windows), POST /_simulate,
//             GET|POST|DELETE /_faults, POST /_clock (AdjustableClock only), POST /_tokens/expire.
//
// Faults (common/controls.ts) queue per division and may be aimed with `match` at calls whose path and query after
// /api/v1/ contain a text. Besides failing a call (status, timeout, malformed or a given body) they can spoil its
// real answer: truncated with the connection dropped, dripped a byte at a time, a word where the first row has a
// number (`wrongType`), the first row without its key (the entity's own key, also on sync endpoints; EntityKey on
// sync/Deleted), or the page's rows repeated (`huge`). `DELETE /_faults?administration=` forgets queued faults.
//
// Limits: 60 calls per `minuteMs` window (resets at the next whole window) and 5000 a day (midnight UTC) per
// client_id per division; token calls are not counted; current/Me counts against the current division (310101).
// Every API response carries the six X-RateLimit-* headers except a minutely 429, which carries only the
// three minutely ones (calls without a valid token report the budget without consuming it).
//
// Quirks a client must survive, all deterministic:
//  - JSON only when asked (Accept: application/json or $format=json); otherwise an Atom XML feed, as Exact's default.
//  - Timestamp (Int64) is a JSON number in divisions 310101/310103/310105/310107 and a JSON string in
//    310102/310104/310106/310108 (WCF serialises Int64 as text on some endpoints). Values exceed 2^32, as the
//    SQL rowversions behind them do.
//  - After POST /_simulate with updates, sync/Financial/TransactionLines serves each updated line twice: its
//    previous version with a lower Timestamp, directly followed by the current one (keep the highest Timestamp).
//    These older versions remain until a division move.
//  - read/financial/RevenueListByYear answers `{"d":[…]}` (bare array, no `results`, no paging).
//  - Authorization codes contain `!`, `+`, `/`, `=`: URL-decode the callback, form-encode the token request.
//  - Access tokens are ~650 characters, refresh tokens ~330: size storage accordingly.
//  - Relation codes (crm/Accounts.Code, AccountCode elsewhere) are right-aligned in 18 characters; string
//    comparison in $filter is case-insensitive and ignores trailing (not leading) spaces, as SQL Server does.
//  - $filter literals are typed (guid'…', datetime'…', 123L): a Guid compared with a plain string is a 400.
//  - Standard and bulk endpoints with a sync twin demand a $filter, also on /$count ("This endpoint has mandatory
//    filtering applied. …"); bulk, sync, and the standard TransactionLines, SalesInvoiceLines, Receivables and
//    Payments demand $select (or $top=1). Sync endpoints accept $filter on Timestamp only and no $orderby/$skip;
//    without $filter they start from the beginning.
//  - `$count` as a query option is a 400; use the /$count path (plain text number, honours $filter).
//  - 429 bodies are not JSON (empty per minute, plain text per day). Unknown division: 403 with
//    `Reason: NoDivisionAccess`. Errors otherwise use {"error":{"code":"","message":{"lang":"","value":…}}}.
//  - A division move (POST /_simulate {moveDivision:true}) sets Divisions.DivisionMoveDate and renumbers every
//    Timestamp below the previous maximum: a stored cursor then silently skips rows unless the client resyncs.
//  - sync/Deleted keeps two months (by the clock) of deletions; TransactionLines (1), PaymentTerms (10) and
//    SalesInvoices (13) are the EntityTypes the demo books delete.
//  - The sandbox is read-only: other methods than GET answer 405.
import express from 'express';
import { SANDBOX_CREDENTIALS } from '../../config';
import { addedLatency, FaultInjector, SimulatorStats, type SimulatorOptions } from '../common/controls';
import { createDemoBooks, type DemoLedger } from '../demo/ledger';
import { apiRouter, trackInFlight } from './api';
import { DivisionBooks, demoUser } from './books';
import { controlsRouter } from './controls';
import type { DemoUser } from './entities';
import { oauthRouter, TokenAuthority, type OAuthApp } from './oauth';
import { RateLimiter, type RateLimits } from './ratelimit';

export interface ExactOnlineSimulatorOptions extends SimulatorOptions {
  /** Calls per minute window per app per division (default 60). */
  minutelyLimit?: number;
  /** Calls per UTC day per app per division (default 5000). */
  dailyLimit?: number;
  /** The app registered at this host (default: the sandbox app), e.g. to stand in for a real country host. */
  app?: OAuthApp;
}

export interface ExactOnlineSimulator {
  router: express.Router;
  ledgers: DemoLedger[];
  /** The simulator's view of each division (Timestamps, deletion log, move date), by division code. */
  divisions: ReadonlyMap<number, DivisionBooks>;
  stats: SimulatorStats;
  faults: FaultInjector;
  authority: TokenAuthority;
  limits: RateLimits;
  /** The registered OAuth app. */
  app: OAuthApp;
  /** The demo login (user name and password `demo`). */
  user: DemoUser;
}

export { DivisionBooks } from './books';
export { TokenAuthority } from './oauth';
export { ENDPOINTS, type Endpoint } from './endpoints';
export { padCode } from './entities';

export function createExactOnlineSimulator(options: ExactOnlineSimulatorOptions): ExactOnlineSimulator {
  const ledgers = createDemoBooks({ seed: options.seed, rowsPerAdministration: options.rows, administrations: options.administrations });
  const user = demoUser(options.seed);
  const divisions = new Map(ledgers.map((l) => [l.info.division, new DivisionBooks(l, user)]));
  const stats = new SimulatorStats();
  const faults = new FaultInjector();
  const app: OAuthApp = options.app ?? { clientId: SANDBOX_CREDENTIALS.exactOnline.clientId, clientSecret: SANDBOX_CREDENTIALS.exactOnline.clientSecret };
  const authority = new TokenAuthority(options.clock, [app]);
  const limits: RateLimits = { minutely: options.minutelyLimit ?? 60, daily: options.dailyLimit ?? 5000, minuteMs: options.minuteMs };
  const limiter = new RateLimiter(options.clock, limits);

  const router = express.Router();
  router.use(controlsRouter({ clock: options.clock, books: divisions, stats, faults, authority, limiter }));
  // Counted from arrival, so calls waiting out the added latency show as in flight.
  router.use('/api/v1', trackInFlight(stats));
  router.use('/api', addedLatency(options.latencyMs));
  router.use(oauthRouter({ authority, user, stats }));
  router.use(apiRouter({ clock: options.clock, books: divisions, user, currentDivision: ledgers[0].info.division, authority, limiter, faults, stats }));

  return { router, ledgers, divisions, stats, faults, authority, limits, app, user };
}
