// The Twinfield sandbox simulator: the login endpoints (OpenID Connect) and a "cluster" of SOAP services over
// the demo books, with Twinfield's real quirks, fair-use limits and faults, plus sandbox controls (statistics,
// simulated bookkeeping changes, injected faults, clock). Mounted at /sandbox/twinfield: the cluster URL is
// that mount point and the login endpoints live under …/auth/authentication/connect/.
import express, { type NextFunction, type Request, type Response } from 'express';
import { AdjustableClock, type Clock } from '../../clock';
import { FaultInjector, faultRequestSchema, SimulatorStats, type SimulatorOptions } from '../common/controls';
import { createDemoBooks, type DemoLedger } from '../demo/ledger';
import { deletedTransactionsService } from './deletedTransactions';
import { FairUse, type FairUseLimits, TWINFIELD_LIMITS } from './fairUse';
import { finderService } from './finder';
import { IdentityStore } from './identity';
import { oauthRouter } from './oauth';
import { officeIndex, type OfficeBooks, twinfieldDateTime } from './officeBooks';
import { processXmlService } from './processXml';
import { sessionService } from './session';
import { type ClusterContext, soapServiceRouter } from './soapService';

export { TWINFIELD_SANDBOX } from './identity';
export { TWINFIELD_LIMITS, type FairUseLimits } from './fairUse';

export interface TwinfieldSimulatorOptions extends SimulatorOptions {
  /** Fair-use limits; Twinfield's own (certified app) by default. */
  limits?: Partial<FairUseLimits>;
}

/** A transaction as the simulator reports changes: journal (daybook) code and number. */
export interface ChangedTransaction {
  code: string;
  number: number;
  lines: number;
}

/** The answer of `POST /_simulate`. */
export interface TwinfieldSimulation {
  administration: string;
  /** `fin.trs.head.modified` of inserted and updated transactions (YYYYMMDDHHMMSS). */
  modified: string;
  inserted: ChangedTransaction[];
  updated: ChangedTransaction[];
  deleted: ChangedTransaction[];
}

export interface TwinfieldSimulator {
  router: express.Router;
  ledgers: DemoLedger[];
  stats: SimulatorStats;
  faults: FaultInjector;
  clock: Clock;
  /** Office codes (NLA310101…), in administration order. */
  offices: string[];
  /** Applies bookkeeping changes to one office, as `POST /_simulate` does. */
  simulate(office: string, change: { insert?: number; update?: number; delete?: number }): TwinfieldSimulation;
  /** Ends all access tokens now (and refresh tokens too when asked), as `POST /_tokens/expire` does. */
  expireTokens(refreshTokensToo?: boolean): { accessTokens: number; refreshTokens: number };
  /** Forgets the credits spent in the current fair-use window. */
  resetCredits(): void;
}

class UnknownAdministration extends Error {}

export function createTwinfieldSimulator(options: TwinfieldSimulatorOptions): TwinfieldSimulator {
  const ledgers = createDemoBooks({ seed: options.seed, rowsPerAdministration: options.rows, administrations: options.administrations });
  const offices = officeIndex(ledgers);
  const stats = new SimulatorStats();
  const faults = new FaultInjector();
  const identity = new IdentityStore(options.clock, options.seed, ledgers[0].info.office);
  const fairUse = new FairUse(options.clock, options.minuteMs, { ...TWINFIELD_LIMITS, ...options.limits });
  const context: ClusterContext = {
    offices,
    officesById: new Map([...offices.values()].map((o) => [o.id.toLowerCase(), o])),
    identity,
    fairUse,
    stats,
    faults,
    latencyMs: options.latencyMs,
  };

  const simulate = (office: string, change: { insert?: number; update?: number; delete?: number }): TwinfieldSimulation => {
    const books = offices.get(office.toUpperCase());
    if (!books) throw new UnknownAdministration(office);
    books.rememberEntryDates();
    const now = options.clock.now();
    const result = books.ledger.simulate(change, now);
    books.rememberEntryDates();
    const described = (ids: string[]) => ids.map((id) => describe(books, id)).filter((t): t is ChangedTransaction => t !== undefined);
    return {
      administration: books.code,
      modified: twinfieldDateTime(now),
      inserted: described(result.inserted.entries),
      updated: described(result.updated.entries),
      deleted: described(result.deleted.entries),
    };
  };
  const expireTokens = (refreshTokensToo = false) => identity.expireTokens(refreshTokensToo);

  const router = express.Router();
  router.use(controlsRouter(options.clock, stats, faults, simulate, expireTokens));
  router.use(oauthRouter({ identity, stats, latencyMs: options.latencyMs }));
  const clusterUrl = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}`;
  for (const service of [processXmlService, finderService, sessionService, deletedTransactionsService]) {
    router.use(soapServiceRouter(service, context, clusterUrl));
  }

  return {
    router,
    ledgers,
    stats,
    faults,
    clock: options.clock,
    offices: [...offices.values()].map((o) => o.code),
    simulate,
    expireTokens,
    resetCredits: () => fairUse.reset(),
  };
}

function describe(books: OfficeBooks, entryId: string): ChangedTransaction | undefined {
  const entry = books.ledger.entries.get(entryId);
  if (entry) return { code: entry.journal, number: entry.number, lines: entry.lines.length };
  const deletion = books.ledger.deletions.find((d) => d.entryId === entryId);
  return deletion && { code: deletion.journal, number: deletion.number, lines: deletion.lineIds.length };
}

const count = (value: unknown) => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 10_000 ? (value as number) : undefined);

/** Sandbox controls: no authentication, no latency, no limits. */
function controlsRouter(
  clock: Clock,
  stats: SimulatorStats,
  faults: FaultInjector,
  simulate: TwinfieldSimulator['simulate'],
  expireTokens: TwinfieldSimulator['expireTokens'],
): express.Router {
  const router = express.Router();
  const json = express.json();

  router.get('/_stats', (_req, res) => {
    res.json(stats.toJSON());
  });

  router.post('/_stats/reset', (_req, res) => {
    stats.reset();
    res.json(stats.toJSON());
  });

  router.post('/_simulate', json, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const change = { insert: count(body.insert ?? 0), update: count(body.update ?? 0), delete: count(body.delete ?? 0) };
    if (typeof body.administration !== 'string' || change.insert === undefined || change.update === undefined || change.delete === undefined) {
      res.status(400).json({ error: 'expected {"administration":"NLA310101","insert":n,"update":n,"delete":n} with counts 0–10000' });
      return;
    }
    try {
      res.json(simulate(body.administration, change));
    } catch (error) {
      if (!(error instanceof UnknownAdministration)) throw error;
      res.status(404).json({ error: `unknown administration ${body.administration}` });
    }
  });

  router.get('/_faults', (_req, res) => {
    res.json({ pending: faults.pending() });
  });

  // `?administration=` forgets one office's queued faults (or `*`'s); without it, all of them.
  router.delete('/_faults', (req, res) => {
    const administration = typeof req.query.administration === 'string' ? req.query.administration : undefined;
    const cleared = faults.clear(administration === undefined || administration === '*' ? administration : administration.toUpperCase());
    res.json({ cleared, pending: faults.pending() });
  });

  router.post('/_faults', json, (req, res) => {
    const parsed = faultRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    const administration = parsed.data.administration === '*' ? '*' : parsed.data.administration.toUpperCase();
    res.json(faults.add({ ...parsed.data, administration }));
  });

  router.post('/_clock', json, (req, res) => {
    const advanceMs = (req.body as Record<string, unknown> | undefined)?.advanceMs;
    if (!(clock instanceof AdjustableClock)) {
      res.status(400).json({ error: 'this simulator runs on a clock that cannot be moved' });
      return;
    }
    if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
      res.status(400).json({ error: 'expected {"advanceMs": n} with n ≥ 0' });
      return;
    }
    clock.advance(advanceMs);
    res.json({ now: new Date(clock.now()).toISOString(), offsetMs: clock.offset });
  });

  router.post('/_tokens/expire', json, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.json(expireTokens(body.refreshTokens === true));
  });

  router.use(['/_stats', '/_simulate', '/_faults', '/_clock', '/_tokens'], (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    // Malformed JSON bodies of the controls are the caller's mistake.
    if (error instanceof SyntaxError) {
      res.status(400).json({ error: 'the body is not valid JSON' });
      return;
    }
    next(error);
  });

  return router;
}

