// Builds the shared pieces of accounts and access once per app (the failure limiter must be one instance
// for the feed, the API and the sign-in form), for the composition root to mount and hand to other parts.
import type { AppContext } from '../app';
import { createFeedAuth, type FeedAuth } from '../auth/feed-auth';
import { FailureLimiter } from '../auth/failure-limiter';
import { Accounts } from '../store/accounts';
import { Connections } from '../store/connections';
import { ConnectAttempts, ConnectProviders } from './connect';
import { WebSessions } from './sessions';

export interface AccessParts {
  accounts: Accounts;
  connections: Connections;
  limiter: FailureLimiter;
  feedAuth: FeedAuth;
  sessions: WebSessions;
  connectAttempts: ConnectAttempts;
  /** Register each upstream's ConnectProvider here (app.ts). */
  connectProviders: ConnectProviders;
}

export function createAccessParts(ctx: AppContext): AccessParts {
  const accounts = new Accounts(ctx.db, ctx.clock, { mode: ctx.config.mode, grants: ctx.config.grants });
  const limiter = new FailureLimiter(ctx.clock);
  return {
    accounts,
    connections: new Connections(ctx.db, ctx.clock),
    limiter,
    feedAuth: createFeedAuth({ accounts, limiter, logger: ctx.logger }),
    sessions: new WebSessions(ctx.db, ctx.clock),
    connectAttempts: new ConnectAttempts(ctx.db, ctx.clock, ctx.vault),
    connectProviders: new ConnectProviders(),
  };
}
