// Who is asking the feed: resolves an API key (Basic password or Bearer token) to its user, and a
// workspace slug to a workspace that user may reach right now. Workspaces the user may not reach are
// answered exactly like workspaces that do not exist.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TooManyRequests } from '../errors';
import type { Logger } from '../logger';
import type { Accounts } from '../store/accounts';
import { parseAuthorization } from './credentials';
import type { FailureLimiter } from './failure-limiter';

export interface AuthenticatedUser {
  userId: number;
  username: string;
  apiKeyId: number;
}

export interface FeedWorkspace {
  id: number;
  slug: string;
  name: string;
}

export interface FeedAuth {
  /**
   * The key's user, or null when no credentials or wrong ones were sent (wrong ones count against the
   * client address). Throws TooManyRequests while the address is blocked.
   */
  authenticate(req: Request): Promise<AuthenticatedUser | null>;
  /** The workspace when the user may reach it right now; null when it does not exist or they may not. */
  workspaceFor(user: AuthenticatedUser, slug: string): Promise<FeedWorkspace | null>;
  /** Middleware: answers 401 (with WWW-Authenticate) or 429 (with Retry-After) itself; on success `feedUser(res)` is the user. */
  requireKey: RequestHandler;
}

export const WWW_AUTHENTICATE = 'Basic realm="Ledgerfeed"';

const USER = Symbol('ledgerfeed.feedUser');
type WithUser = Response & { [USER]?: AuthenticatedUser };

/** The user `requireKey` authenticated for this response; throws when the middleware did not run. */
export function feedUser(res: Response): AuthenticatedUser {
  const user = (res as WithUser)[USER];
  if (!user) throw new Error('feedUser() called on a route without requireKey');
  return user;
}

/** The address failures are counted against (express's req.ip, which honours the app's `trust proxy`). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** 401 in the OData error shape, with the challenge Power Query and Excel need to offer a credential prompt. */
export function sendUnauthorized(res: Response, message = 'An API key is required: send it as the Basic password (the user name may be empty) or as a Bearer token.'): void {
  res.status(401).set('WWW-Authenticate', WWW_AUTHENTICATE).json({ error: { code: 'Unauthorized', message } });
}

export function sendTooManyRequests(res: Response, retryAfterSeconds: number): void {
  res
    .status(429)
    .set('Retry-After', String(retryAfterSeconds))
    .json({ error: { code: 'TooManyRequests', message: `Too many failed sign-in attempts from this address; try again in ${retryAfterSeconds} seconds.` } });
}

export function createFeedAuth(deps: { accounts: Accounts; limiter: FailureLimiter; logger: Logger }): FeedAuth {
  const { accounts, limiter, logger } = deps;

  async function authenticate(req: Request): Promise<AuthenticatedUser | null> {
    const credentials = parseAuthorization(req.get('authorization'));
    if (!credentials) return null;
    const address = clientAddress(req);
    const wait = limiter.retryAfterSeconds(address);
    if (wait > 0) throw new TooManyRequests('Too many failed attempts from this address.', wait);
    const found = accounts.findActiveApiKey(credentials.key);
    const userMatches =
      found !== null && (credentials.kind === 'bearer' || credentials.username === '' || credentials.username.toLowerCase() === found.user.username.toLowerCase());
    if (!found || !userMatches) {
      limiter.recordFailure(address);
      // Neither the key nor any part of it is logged: it may be a password typed in the wrong field.
      logger.info({ address, scheme: credentials.kind, reason: found ? 'user name does not match the key' : 'unknown or revoked key' }, 'feed authentication failed');
      return null;
    }
    accounts.recordApiKeyUse(found.key, { address });
    return { userId: found.user.id, username: found.user.username, apiKeyId: found.key.id };
  }

  async function workspaceFor(user: AuthenticatedUser, slug: string): Promise<FeedWorkspace | null> {
    const access = accounts.accessTo(user.userId, slug);
    return access ? { id: access.id, slug: access.slug, name: access.name } : null;
  }

  const requireKey: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    authenticate(req).then(
      (user) => {
        if (!user) return sendUnauthorized(res);
        (res as WithUser)[USER] = user;
        next();
      },
      (err: unknown) => {
        if (err instanceof TooManyRequests) return sendTooManyRequests(res, err.retryAfterSeconds);
        next(err);
      },
    );
  };

  return { authenticate, workspaceFor, requireKey };
}
