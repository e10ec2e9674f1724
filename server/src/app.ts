// The composition root: builds the express app from its parts. Each part exports a router or a
// middleware and is mounted here, and nowhere else.
import express from 'express';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Db } from './store/database';
import type { Vault } from './store/vault';
import { createExactOnlineSimulator } from './sandbox/exactonline';
import { createTwinfieldSimulator } from './sandbox/twinfield';
import { createAccessParts } from './web/access';
import { createHealthApiRouter } from './web/health-api';
import { createWebRouter } from './web/router';

export interface AppContext {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Db;
  vault: Vault;
  /** This server's own base URL (no trailing slash), known once it listens. */
  publicUrl(): string;
}

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  if (ctx.config.mode === 'sandbox') {
    // Simulated upstreams on the same server; never mounted by `serve`.
    const simulatorOptions = { clock: ctx.clock, ...ctx.config.sandbox };
    app.use('/sandbox/exactonline', createExactOnlineSimulator(simulatorOptions).router);
    app.use('/sandbox/twinfield', createTwinfieldSimulator(simulatorOptions).router);
  }

  // Accounts, API keys, feed authentication (access.feedAuth) and the connect extension point (access.connectProviders).
  const access = createAccessParts(ctx);
  app.use('/api', createHealthApiRouter(access));
  app.use(createWebRouter(ctx, access));

  return app;
}
