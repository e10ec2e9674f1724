// The web pages: sign-in/out, workspaces with their connections and administrations, connect flows,
// API keys and members. Middleware is attached per route (not router-wide), so feed requests that pass
// through this router on their way to the OData routes never touch sessions or body parsers.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Clock } from '../clock';
import { DAY } from '../clock';
import { LedgerfeedError } from '../errors';
import type { Logger } from '../logger';
import { clientAddress } from '../auth/feed-auth';
import { InvalidAccountInput, type Accounts, type User, type WorkspaceAccess } from '../store/accounts';
import type { AccessParts } from './access';
import { ConnectFailed, readChoices } from './connect';
import { clientErrorStatus } from './errors';
import { CONNECTOR_CONTENT_TYPE, CONNECTOR_DOWNLOAD_PATH, CONNECTOR_FILE_NAME, CONNECTOR_NOT_BUILT, fileExists, GUIDE_PAGE_PATH, INSTALLED_CLIENT_FILES, renderGuide, type ClientFiles } from './downloads';
import { csrfTokenMatches, SessionCookie, type WebSession } from './sessions';
import { day, guidePage, keysPage, membersPage, messagePage, signInPage, workspacePage, workspacesPage, type Chrome, type ProviderButton } from './views';

/** What the pages need from the app beyond the access parts. */
export interface WebRouterContext {
  clock: Clock;
  logger: Logger;
  /** This server's base URL (no trailing slash); https makes the session cookie Secure. */
  publicUrl(): string;
  /** The connector download and the guide; the installation's dist/Ledgerfeed.mez and docs/power-bi.md unless given. */
  clientFiles?: ClientFiles;
}

/** Form bodies are small; the largest is a selection of a few thousand administrations. */
export const FORM_LIMITS = { limit: '128kb', parameterLimit: 20_000 } as const;

const SOURCES_OFFERED: ReadonlyArray<ProviderButton> = [
  { source: 'exactonline', displayName: 'Exact Online' },
  { source: 'twinfield', displayName: 'Twinfield' },
];

interface PageState {
  session: WebSession | null;
  user: User | null;
}
const STATE = Symbol('ledgerfeed.page');
type WithState = Response & { [STATE]?: PageState };

function state(res: Response): PageState {
  return (res as WithState)[STATE] ?? { session: null, user: null };
}
function chrome(res: Response): Chrome {
  const s = state(res);
  return { user: s.user, csrf: s.session?.csrfToken ?? null };
}
function signedInUser(res: Response): User {
  const user = state(res).user;
  if (!user) throw new Error('route needs signedIn');
  return user;
}
function signedInSession(res: Response): WebSession {
  const session = state(res).session;
  if (!session) throw new Error('route needs a session');
  return session;
}

/** Only paths on this server: `/x…`, never `//host` or `/\host` (which browsers treat as another host). */
export function localPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null;
  return /^\/(?![/\\])[^\\\s]*$/.test(value) ? value : null;
}

function field(req: Request, name: string): string {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function send(res: Response, status: number, page: string): void {
  res.status(status).type('html').send(page);
}

/** Express 4 does not catch rejected promises: route them to the error handler. */
const handle =
  (fn: (req: Request, res: Response) => unknown): RequestHandler =>
  (req, res, next) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };

export function createWebRouter(ctx: WebRouterContext, access: AccessParts): express.Router {
  const { accounts, connections, sessions, connectAttempts: attempts, connectProviders: providers, limiter } = access;
  const { clock, logger } = ctx;
  const clientFiles = ctx.clientFiles ?? INSTALLED_CLIENT_FILES;
  const cookie = new SessionCookie(() => ctx.publicUrl());
  const router = express.Router();
  const form = express.urlencoded({ extended: false, ...FORM_LIMITS });

  const page: RequestHandler = (req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    });
    const id = cookie.read(req);
    const session = id ? sessions.find(id) : null;
    const user = session?.userId != null ? accounts.userById(session.userId) : null;
    (res as WithState)[STATE] = { session, user };
    next();
  };

  const signedIn: RequestHandler = (req, res, next) => {
    if (state(res).user) return next();
    if (req.method === 'GET') return res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
    send(res, 403, messagePage(chrome(res), 'Signed out', 'Your session has ended. Sign in again, then repeat what you were doing.', { href: '/signin', text: 'Sign in' }));
  };

  const csrf: RequestHandler = (req, res, next) => {
    const session = state(res).session;
    if (session && csrfTokenMatches(session, field(req, '_csrf'))) return next();
    send(
      res,
      403,
      messagePage(chrome(res), 'Form expired', 'This form has expired or did not come from this Ledgerfeed page. Go back, reload the page and try again.'),
    );
  };

  const post = [page, form, csrf];

  function startSession(res: Response, userId: number | null): WebSession {
    const started = sessions.start(userId);
    cookie.write(res, started.cookieValue, started.session);
    (res as WithState)[STATE] = { session: started.session, user: userId === null ? null : accounts.userById(userId) };
    return started.session;
  }

  /** The workspace when the signed-in user may reach it now; otherwise a 404 that looks the same whether it exists or not. */
  function workspaceOr404(req: Request, res: Response): WorkspaceAccess | null {
    const access = accounts.accessTo(signedInUser(res).id, String(req.params.slug));
    if (!access) send(res, 404, messagePage(chrome(res), 'Not found', 'There is no workspace at this address that you can open.', { href: '/workspaces', text: 'Your workspaces' }));
    return access;
  }

  // ── sign-in and sign-out ────────────────────────────────────────────────

  router.get('/', page, (_req, res) => res.redirect(303, state(res).user ? '/workspaces' : '/signin'));

  router.get('/signin', page, (req, res) => {
    const next = localPath(req.query.next);
    if (state(res).user) return res.redirect(303, next ?? '/workspaces');
    const session = state(res).session ?? startSession(res, null);
    send(res, 200, signInPage({ csrf: session.csrfToken, next }));
  });

  router.post(
    '/signin',
    ...post,
    handle(async (req, res) => {
      const address = clientAddress(req);
      const next = localPath(field(req, 'next'));
      const username = field(req, 'username').trim();
      const wait = limiter.retryAfterSeconds(address);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        return send(res, 429, signInPage({ csrf: signedInSession(res).csrfToken, next, username, error: `Too many failed attempts from your address. Try again in ${Math.ceil(wait / 60)} minutes.` }));
      }
      const user = username ? await accounts.verifyPassword(username, field(req, 'password')) : null;
      if (!user) {
        limiter.recordFailure(address);
        accounts.audit({ action: 'user.signin_failed', userId: accounts.userByUsername(username)?.id ?? null, detail: { address } });
        return send(res, 401, signInPage({ csrf: signedInSession(res).csrfToken, next, username, error: 'The user name or password is not right.' }));
      }
      // A new session id at sign-in, so a session id planted before sign-in is worthless afterwards.
      sessions.end(signedInSession(res));
      startSession(res, user.id);
      accounts.audit({ action: 'user.signin', userId: user.id, detail: { address } });
      res.redirect(303, next ?? '/workspaces');
    }),
  );

  router.post('/signout', ...post, (req, res) => {
    const s = state(res);
    if (s.session) sessions.end(s.session);
    if (s.user) accounts.audit({ action: 'user.signout', userId: s.user.id, detail: { address: clientAddress(req) } });
    cookie.clear(res);
    res.redirect(303, '/signin');
  });

  // ── workspaces ──────────────────────────────────────────────────────────

  router.get('/workspaces', page, signedIn, (_req, res) => {
    send(res, 200, workspacesPage(chrome(res), { workspaces: accounts.workspacesFor(signedInUser(res).id) }));
  });

  router.post('/workspaces', ...post, signedIn, (req, res) => {
    const input = { slug: field(req, 'slug').trim(), name: field(req, 'name') };
    try {
      const workspace = accounts.createWorkspace({ ...input, ownerId: signedInUser(res).id });
      res.redirect(303, `/workspaces/${encodeURIComponent(workspace.slug)}`);
    } catch (err) {
      if (!(err instanceof InvalidAccountInput)) throw err;
      send(res, 400, workspacesPage(chrome(res), { workspaces: accounts.workspacesFor(signedInUser(res).id), error: err.message, form: input }));
    }
  });

  router.get('/workspaces/:slug', page, signedIn, (req, res) => {
    const workspace = workspaceOr404(req, res);
    if (!workspace) return;
    const views = connections.inWorkspace(workspace.id).map((connection) => ({
      connection,
      connectedBy: connection.connectedBy === null ? null : (accounts.userById(connection.connectedBy)?.username ?? null),
      health: connections.health(connection),
      administrations: connections.administrations(workspace.id, { connectionId: connection.id }),
      reconnectChoices: providers.get(connection.source)?.reconnectChoices?.(connection),
    }));
    send(res, 200, workspacePage(chrome(res), { workspace, connections: views, providers: SOURCES_OFFERED.map((p) => ({ ...p, choices: providers.get(p.source)?.connectChoices?.() })), feedBaseUrl: ctx.publicUrl() }));
  });

  router.post('/workspaces/:slug/connections/:connectionId/administrations', ...post, signedIn, (req, res) => {
    const workspace = workspaceOr404(req, res);
    if (!workspace) return;
    const connection = connections.byId(Number(req.params.connectionId));
    if (!connection || connection.workspaceId !== workspace.id) {
      return send(res, 404, messagePage(chrome(res), 'Not found', 'That connection is not part of this workspace.', { href: `/workspaces/${encodeURIComponent(workspace.slug)}`, text: workspace.name }));
    }
    const raw: unknown = (req.body as Record<string, unknown>).administration;
    const ids = new Set((Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number).filter(Number.isSafeInteger));
    const changed = connections.setSelection(workspace.id, connection.id, ids);
    if (changed.selected.length + changed.deselected.length > 0) {
      accounts.audit({
        action: 'administration.select',
        workspaceId: workspace.id,
        userId: signedInUser(res).id,
        detail: { connectionId: connection.id, selected: changed.selected.length, deselected: changed.deselected.length },
      });
    }
    res.redirect(303, `/workspaces/${encodeURIComponent(workspace.slug)}#connection-${connection.id}`);
  });

  // ── connecting an upstream login ────────────────────────────────────────

  const callbackUri = (source: string): string => `${ctx.publicUrl()}/connect/${source}/callback`;

  router.post(
    '/workspaces/:slug/connect/:source',
    ...post,
    signedIn,
    handle(async (req, res) => {
      const workspace = workspaceOr404(req, res);
      if (!workspace) return;
      const offered = SOURCES_OFFERED.find((s) => s.source === req.params.source);
      const provider = providers.get(String(req.params.source));
      if (!offered || !provider) {
        const name = offered?.displayName ?? 'This service';
        return send(res, offered ? 503 : 404, messagePage(chrome(res), 'Cannot connect', `${name} is not set up on this server yet: its administrator has to configure the app registration first.`, backTo(workspace)));
      }
      const { choices, problem } = readChoices(provider, (req.body ?? {}) as Record<string, unknown>);
      if (problem) return send(res, 400, messagePage(chrome(res), 'Cannot connect', problem, backTo(workspace)));
      const user = signedInUser(res);
      const started = attempts.begin({ sessionHash: signedInSession(res).idHash, workspaceId: workspace.id, userId: user.id, source: provider.source, choices });
      const url = await provider.authorizationUrl({
        workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name },
        user: { id: user.id, username: user.username },
        state: started.state,
        nonce: started.nonce,
        codeChallenge: started.codeChallenge,
        codeChallengeMethod: 'S256',
        redirectUri: callbackUri(provider.source),
        choices,
      });
      if (!/^https?:\/\//i.test(url)) throw new Error(`the ${provider.source} connect provider returned a non-http authorize URL`);
      res.redirect(303, url);
    }),
  );

  router.get(
    '/connect/:source/callback',
    page,
    handle(async (req, res) => {
      const source = String(req.params.source);
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') query.set(k, v);
      const session = state(res).session;
      const attempt = attempts.consume({ state: query.get('state') ?? '', sessionHash: session?.idHash ?? null, source });
      const provider = providers.get(source);
      if (!attempt || !provider || !session) {
        return failConnect(res, null, new ConnectFailed('invalid_state', 'This connection attempt is unknown, has expired, or was started in another browser session. Start again from the workspace page.'));
      }
      const user = state(res).user;
      const workspace = user && user.id === attempt.userId ? accounts.workspacesFor(user.id).find((w) => w.id === attempt.workspaceId) : undefined;
      if (!user || !workspace) {
        return failConnect(res, null, new ConnectFailed('invalid_state', 'You are no longer signed in with access to the workspace this connection was for. Sign in and start again.'));
      }
      const upstreamError = query.get('error');
      if (upstreamError) {
        const failure = upstreamError === 'access_denied' ? 'denied' : 'upstream';
        const description = (query.get('error_description') ?? '').slice(0, 300);
        const message =
          failure === 'denied'
            ? `${provider.displayName} did not give Ledgerfeed access (consent was declined). Nothing was connected.`
            : `${provider.displayName} refused the connection: ${upstreamError}${description ? ` — ${description}` : ''}.`;
        return failConnect(res, workspace, new ConnectFailed(failure, message));
      }
      const code = query.get('code');
      if (!code) return failConnect(res, workspace, new ConnectFailed('upstream', `${provider.displayName} sent no authorization code back. Try connecting again.`));
      try {
        const connection = await provider.complete({
          workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name },
          user: { id: user.id, username: user.username },
          code,
          codeVerifier: attempt.codeVerifier,
          nonce: attempt.nonce,
          redirectUri: callbackUri(provider.source),
          choices: attempt.choices,
          query,
        });
        accounts.audit({
          action: 'connection.connect',
          workspaceId: workspace.id,
          userId: user.id,
          detail: { connectionId: connection.id, source: connection.source, label: connection.label, externalKey: connection.externalKey },
        });
        res.redirect(303, `/workspaces/${encodeURIComponent(workspace.slug)}#connection-${connection.id}`);
      } catch (err) {
        if (err instanceof ConnectFailed) return failConnect(res, workspace, err);
        logger.error({ err, source }, 'connecting an upstream login failed');
        failConnect(res, workspace, new ConnectFailed('upstream', `Connecting ${provider.displayName} failed unexpectedly. Try again in a moment; if it keeps failing, ask your administrator to look at the server log.`));
      }
    }),
  );

  function backTo(workspace: WorkspaceAccess | null): { href: string; text: string } {
    return workspace ? { href: `/workspaces/${encodeURIComponent(workspace.slug)}`, text: `Back to ${workspace.name}` } : { href: '/workspaces', text: 'Your workspaces' };
  }

  function failConnect(res: Response, workspace: WorkspaceAccess | null, failure: ConnectFailed): void {
    const user = state(res).user;
    if (workspace && user) {
      accounts.audit({ action: 'connection.connect_failed', workspaceId: workspace.id, userId: user.id, detail: { failure: failure.failure } });
    }
    const title = failure.failure === 'denied' ? 'Not connected' : 'Could not connect';
    send(res, failure.status, messagePage(chrome(res), title, failure.message, backTo(workspace)));
  }

  // ── Power BI and Excel: the connector and the guide ─────────────────────

  router.get(
    CONNECTOR_DOWNLOAD_PATH,
    page,
    signedIn,
    handle(async (_req, res) => {
      if (!(await fileExists(clientFiles.connector))) {
        logger.warn({ file: clientFiles.connector }, 'the connector download was asked for, but the connector has not been built (npm run build)');
        return send(res, 404, messagePage(chrome(res), 'Connector not built', CONNECTOR_NOT_BUILT));
      }
      res.attachment(CONNECTOR_FILE_NAME).type(CONNECTOR_CONTENT_TYPE);
      // dotfiles 'allow': the installation itself may sit below a dot-folder; a client that leaves mid-download is no error.
      await new Promise<void>((resolve, reject) =>
        res.sendFile(clientFiles.connector, { dotfiles: 'allow' }, (err) => (err && !res.headersSent ? reject(err) : resolve())),
      );
    }),
  );

  router.get(
    GUIDE_PAGE_PATH,
    page,
    handle(async (_req, res) => {
      const guide = await renderGuide(clientFiles.guide);
      if (guide === null) return send(res, 404, messagePage(chrome(res), 'Guide not installed', 'This server was installed without its docs/ folder; the guide to Power BI and Excel is docs/power-bi.md of the Ledgerfeed distribution.'));
      send(res, 200, guidePage(chrome(res), guide));
    }),
  );

  // ── API keys ────────────────────────────────────────────────────────────

  router.get('/keys', page, signedIn, (_req, res) => {
    send(res, 200, keysPage(chrome(res), { keys: accounts.apiKeys(signedInUser(res).id) }));
  });

  router.post('/keys', ...post, signedIn, (req, res) => {
    const user = signedInUser(res);
    try {
      const created = accounts.createApiKey(user.id, field(req, 'name'));
      // Rendered, not redirected: this response is the only place the key ever appears.
      send(res, 201, keysPage(chrome(res), { keys: accounts.apiKeys(user.id), created: { name: created.key.name, plaintext: created.plaintext } }));
    } catch (err) {
      if (!(err instanceof InvalidAccountInput)) throw err;
      send(res, 400, keysPage(chrome(res), { keys: accounts.apiKeys(user.id), error: err.message }));
    }
  });

  router.post('/keys/:keyId/revoke', ...post, signedIn, (req, res) => {
    accounts.revokeApiKey(signedInUser(res).id, Number(req.params.keyId));
    res.redirect(303, '/keys');
  });

  // ── members ─────────────────────────────────────────────────────────────

  function renderMembers(res: Response, workspace: WorkspaceAccess, status: number, error?: string): void {
    const now = clock.now();
    const { defaultDays, maxDays } = accounts.grantDefaults;
    send(
      res,
      status,
      membersPage(chrome(res), {
        workspace,
        members: accounts.members(workspace.id),
        grantUntil: day(now + defaultDays * DAY),
        grantMax: day(now + maxDays * DAY),
        today: day(now),
        audit: workspace.role === 'owner' ? accounts.auditLog({ workspaceId: workspace.id, limit: 50 }) : [],
        error,
      }),
    );
  }

  router.get('/workspaces/:slug/members', page, signedIn, (req, res) => {
    const workspace = workspaceOr404(req, res);
    if (workspace) renderMembers(res, workspace, 200);
  });

  router.post('/workspaces/:slug/members', ...post, signedIn, (req, res) => {
    const workspace = workspaceOr404(req, res);
    if (!workspace) return;
    try {
      accounts.grant({ workspaceId: workspace.id, username: field(req, 'username').trim(), grantedBy: signedInUser(res).id, expiresAt: accounts.grantEnd(field(req, 'until')) });
      res.redirect(303, `/workspaces/${encodeURIComponent(workspace.slug)}/members`);
    } catch (err) {
      if (!(err instanceof InvalidAccountInput)) throw err;
      renderMembers(res, workspace, 400, err.message);
    }
  });

  router.post('/workspaces/:slug/members/:userId/revoke', ...post, signedIn, (req, res) => {
    const workspace = workspaceOr404(req, res);
    if (!workspace) return;
    try {
      accounts.revoke({ workspaceId: workspace.id, userId: Number(req.params.userId), revokedBy: signedInUser(res).id });
      res.redirect(303, `/workspaces/${encodeURIComponent(workspace.slug)}/members`);
    } catch (err) {
      if (!(err instanceof InvalidAccountInput)) throw err;
      renderMembers(res, workspace, 400, err.message);
    }
  });

  // ── errors: a readable page, never a stack trace ─────────────────────────

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const clientStatus = clientErrorStatus(err);
    if (clientStatus === 413) return send(res, 413, messagePage(chrome(res), 'Too much data', 'That form sent more data than Ledgerfeed accepts.'));
    if (clientStatus === 415) return send(res, 415, messagePage(chrome(res), 'Cannot read that form', 'Ledgerfeed reads forms sent as UTF-8 text.'));
    if (clientStatus !== null) return send(res, clientStatus, messagePage(chrome(res), 'Bad request', 'That request could not be read.'));
    if (err instanceof LedgerfeedError && err.status < 500) return send(res, err.status, messagePage(chrome(res), 'Cannot do that', err.message));
    logger.error({ err, path: req.path }, 'web page failed');
    send(res, 500, messagePage(chrome(res), 'Something went wrong', 'Ledgerfeed could not complete this request. Try again; if it keeps failing, ask your administrator to look at the server log.'));
  });

  return router;
}
