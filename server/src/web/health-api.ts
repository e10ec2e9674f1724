// JSON view of a workspace's connections for scripts and monitoring: each connection's health and its
// administrations. Authenticated with an API key exactly like the feed.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logger';
import { feedUser } from '../auth/feed-auth';
import type { AccessParts } from './access';
import { clientErrorStatus } from './errors';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function notFound(res: Response, slug: string): void {
  res.status(404).json({ error: { code: 'NotFound', message: `No workspace named '${slug}'.` } });
}

/** Mounted at `/api`: `GET /workspaces`, `GET /workspaces/:slug/connections`. */
export function createHealthApiRouter(access: Pick<AccessParts, 'feedAuth' | 'accounts' | 'connections'>, logger: Logger): express.Router {
  const { feedAuth, accounts, connections } = access;
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/workspaces', feedAuth.requireKey, (_req, res) => {
    const user = feedUser(res);
    res.json({
      value: accounts.workspacesFor(user.userId).map((w) => ({ slug: w.slug, name: w.name, role: w.role, accessUntil: iso(w.expiresAt) })),
    });
  });

  router.get('/workspaces/:slug/connections', feedAuth.requireKey, (req, res, next) => {
    const slug = String(req.params.slug);
    feedAuth.workspaceFor(feedUser(res), slug).then((workspace) => {
      if (!workspace) return notFound(res, slug);
      res.json({
        workspace: { slug: workspace.slug, name: workspace.name },
        value: connections.inWorkspace(workspace.id).map((c) => {
          const health = connections.health(c);
          return {
            id: c.id,
            source: c.source,
            label: c.label,
            externalKey: c.externalKey,
            connectedAt: iso(c.createdAt),
            health: {
              state: health.state,
              reason: health.reason,
              since: iso(health.since),
              refreshRenewedAt: iso(health.refreshRenewedAt),
              refreshExpiresAt: iso(health.refreshExpiresAt),
            },
            administrations: connections
              .administrations(workspace.id, { connectionId: c.id })
              .map((a) => ({ id: a.id, code: a.code, name: a.name, selected: a.selected })),
          };
        }),
      });
    }, next);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: { code: 'NotFound', message: 'No such API resource: the API serves GET /api/workspaces and GET /api/workspaces/{workspace}/connections.' } });
  });

  // Answers JSON, never express's default page (which shows the stack trace outside production).
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = clientErrorStatus(err);
    if (status !== null) return void res.status(status).json({ error: { code: 'BadRequest', message: 'The request could not be read (an address with a malformed %-escape?).' } });
    logger.error({ err }, 'API request failed');
    res.status(500).json({ error: { code: 'InternalError', message: 'An unexpected error occurred; the server log has the details.' } });
  });

  return router;
}
