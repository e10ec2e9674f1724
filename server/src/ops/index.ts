// Operating Ledgerfeed, for the composition root: request logging with request ids, Prometheus metrics and
// the observers that feed them, health and readiness, and (used by the CLI) graceful shutdown.
import type express from 'express';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { Connections } from '../store/connections';
import type { Db } from '../store/database';
import type { Vault } from '../store/vault';
import { createHealthRouter, Readiness } from './health';
import { LedgerfeedMetrics } from './metrics';
import { createRequestLogger } from './request-log';

export { LedgerfeedMetrics, METRICS_CONTENT_TYPE, type SyncActivity, type TokenRefreshOutcome } from './metrics';
export { Readiness, isDirectLocal, type ReadinessReport } from './health';
export { drain, exitOnSignals, DEFAULT_GRACE_MS } from './shutdown';
export { routeOf, loggedTarget } from './request-log';

export interface Operations {
  metrics: LedgerfeedMetrics;
  readiness: Readiness;
  /** Mount before everything else: a request id, one log line and one metrics observation per request. */
  requestLogger: express.RequestHandler;
  /** /healthz, /readyz and /metrics. */
  router: express.Router;
  /** Closes the readiness check's store connection. */
  close(): void;
}

export function createOperations(ctx: { config: Config; logger: Logger; db: Db; vault: Vault; clock: Clock }): Operations {
  const metrics = new LedgerfeedMetrics({ db: ctx.db, connections: new Connections(ctx.db, ctx.clock) });
  const readiness = new Readiness({ dataDir: ctx.config.dataDir, vault: ctx.vault });
  return {
    metrics,
    readiness,
    requestLogger: createRequestLogger({ logger: ctx.logger, metrics }),
    router: createHealthRouter({ readiness, metrics, config: ctx.config }),
    close: () => readiness.close(),
  };
}
