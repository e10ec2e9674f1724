// The composition root: builds Ledgerfeed from its parts — accounts and access, the token manager, the
// upstream connectors, the sync engine, the OData feed, the web pages, keep-alive, and (sandbox only) the
// simulators. Each part exports a factory or router and is wired here, and nowhere else.
import express from 'express';
import { sleep, type Clock } from './clock';
import type { Config } from './config';
import type { Logger } from './logger';
import { createFeedRouter, type FeedRouter } from './odata';
import { createOperations, type Operations } from './ops';
import { createExactOnlineSimulator } from './sandbox/exactonline';
import { createTwinfieldSimulator } from './sandbox/twinfield';
import { bootstrapSandbox } from './sandbox/bootstrap';
import type { SourceConnector } from './sources/connector';
import { createExactOnline } from './sources/exactonline';
import { createKeepAlive, type KeepAlive } from './sources/keepalive';
import { TokenManager } from './sources/tokens';
import { createTwinfieldSource } from './sources/twinfield';
import { openDatabase, type Db } from './store/database';
import type { Vault } from './store/vault';
import { readAdministrationStatus, SyncEngine } from './sync';
import type { SourceName } from './tables/description';
import { createAccessParts, type AccessParts } from './web/access';
import { createHealthApiRouter } from './web/health-api';
import { lastResortErrorHandler } from './web/errors';
import { createWebRouter } from './web/router';

export interface AppContext {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Db;
  vault: Vault;
  /** This server's own base URL (no trailing slash), known once it listens. */
  publicUrl(): string;
  /** The CLI builds the app to sync from its own process: the simulators stay in the running sandbox server. */
  withoutSimulators?: boolean;
}

export interface Ledgerfeed {
  app: express.Express;
  access: AccessParts;
  tokens: TokenManager;
  connectors: readonly SourceConnector[];
  sync: SyncEngine;
  keepAlive: KeepAlive;
  /** Metrics, readiness and request logging. */
  ops: Operations;
  /** Sandbox only: which sources the demo workspace got connected to at start, or why it could not be. */
  sandboxStatus(): { connected: SourceName[]; error?: string } | undefined;
  /** Work that needs the server listening: the sandbox connects its demo workspace; schedulers start. */
  start(): Promise<void>;
  /** Stops schedulers and syncs (committed batches stay) and closes the part's own store connections. */
  stop(): Promise<void>;
}

export function createLedgerfeed(ctx: AppContext): Ledgerfeed {
  const { config, clock, logger, db } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  const ops = createOperations(ctx);
  app.use(ops.requestLogger);
  app.use(ops.router);

  if (config.mode === 'sandbox' && !ctx.withoutSimulators && !config.sandbox.upstreamUrl) {
    // Simulated upstreams on the same server (unless they run elsewhere); never mounted by `serve`.
    const simulatorOptions = { clock, ...config.sandbox };
    app.use('/sandbox/exactonline', createExactOnlineSimulator(simulatorOptions).router);
    app.use('/sandbox/twinfield', createTwinfieldSimulator(simulatorOptions).router);
  }

  const access = createAccessParts(ctx);
  const tokens = new TokenManager(db, ctx.vault, clock, { onRefresh: ops.metrics.tokenRefresh });
  // In sandbox mode the sources find their simulators under this URL: our own server, or standalone simulators.
  const simulatorsUrl = () => config.sandbox.upstreamUrl ?? ctx.publicUrl();
  const upstream = { observer: ops.metrics.upstream, requestTimeoutMs: config.upstreamTimeoutMs };
  const exactOnline = createExactOnline({ config, clock, logger, db, tokens, publicUrl: simulatorsUrl }, upstream);
  if (exactOnline.connectProvider) access.connectProviders.register(exactOnline.connectProvider);
  const twinfield = createTwinfieldSource({ db, vault: ctx.vault, clock, config, logger, tokens, publicUrl: simulatorsUrl }, upstream);
  access.connectProviders.register(twinfield.connectProvider);
  const connectors: SourceConnector[] = [exactOnline.connector, twinfield.connector];

  // The engine writes on a connection of its own: the feed streams from iterators on others.
  const syncDb = openDatabase(config.dataDir);
  const sync = new SyncEngine({ db: syncDb, config, connectors, clock, logger, observer: ops.metrics.syncObserver });
  ops.metrics.watchSyncs(sync);
  const keepAlive = createKeepAlive({ db, clock, logger, config: config.keepAlive, sources: [exactOnline.keepAlive] });

  const tablesBySource = new Map<SourceName, SourceConnector['tables']>(connectors.map((c) => [c.source, c.tables]));
  const feed: FeedRouter = createFeedRouter({
    db,
    config,
    logger,
    publicUrl: ctx.publicUrl,
    tables: (source) => tablesBySource.get(source) ?? [],
    authenticate: (req) => access.feedAuth.authenticate(req),
    workspaceFor: (user, slug) => access.feedAuth.workspaceFor(user, slug),
    administrations: (workspaceId, source) => readAdministrationStatus(db, { workspaceId, source }),
    ensureFresh: async (request) => {
      await sync.ensureFresh(request);
    },
    onRowsServed: ops.metrics.rowsServed,
  });
  app.use('/odata', feed);
  app.use('/api', createHealthApiRouter(access, logger));
  app.use(createWebRouter(ctx, access));
  // Whatever error a router passed on is answered here, in the caller's format, without a stack trace.
  app.use(lastResortErrorHandler(logger));

  let sandboxStatus: { connected: SourceName[]; error?: string } | undefined;
  return {
    app,
    access,
    tokens,
    connectors,
    sync,
    keepAlive,
    ops,
    sandboxStatus: () => sandboxStatus,
    async start() {
      if (config.mode === 'sandbox') {
        // A demo connection that cannot be made does not stop the server: the user can connect from the page.
        try {
          sandboxStatus = await bootstrapSandbox({
            accounts: access.accounts,
            connections: access.connections,
            logger,
            baseUrl: ctx.publicUrl(),
            sources: connectors.map((c) => c.source),
          });
        } catch (err) {
          sandboxStatus = { connected: [], error: err instanceof Error ? err.message : String(err) };
          logger.error({ error: sandboxStatus.error }, 'the sandbox could not connect its demo workspace');
        }
      }
      if (config.keepAlive.enabled) keepAlive.start();
    },
    async stop() {
      keepAlive.stop();
      sync.close();
      // Cancelled syncs stop between batches; their connection closes once the last one has recorded its outcome.
      await syncsSettled(sync);
      feed.close();
      ops.close();
      syncDb.close();
    },
  };
}

/** Resolves when no sync runs or waits any more (polled: the engine offers counts, not an event). */
async function syncsSettled(sync: SyncEngine, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (sync.activeSyncs + sync.queuedSyncs > 0 && Date.now() < deadline) await sleep(10);
}
