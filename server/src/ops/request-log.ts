// One structured log line and one metrics observation per HTTP request, under a request id (the caller's
// X-Request-Id when it is a plain token, else a new one) that is echoed in the response. Nothing that can hold
// a secret is logged: no headers at all (Authorization, Cookie), and no query string outside the feed — the
// OAuth callback carries `code=`, the simulators' token checks carry tokens.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';
import { SOURCES } from '../tables/description';
import type { LedgerfeedMetrics } from './metrics';

/** A caller's request id is reused only when it cannot smuggle anything into the log. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Health checks and scrapes arrive every few seconds; the simulators' traffic is the server talking to itself. */
const QUIET_ROUTES = /^(\/healthz|\/readyz|\/metrics|\/sandbox\/)/;

export function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** What a log line shows of the URL: the path, plus the query string only for the feed (OData options, never secrets). */
export function loggedTarget(originalUrl: string): string {
  const queryAt = originalUrl.indexOf('?');
  if (queryAt < 0) return originalUrl;
  return originalUrl.startsWith('/odata/') ? originalUrl : originalUrl.slice(0, queryAt);
}

/** The feed's routes as templates: the workspace and the entity set are placeholders, the source is one of two. */
function feedRoute(path: string): string {
  const [, , source = '', ...rest] = path.split('/').slice(1);
  if (!(SOURCES as readonly string[]).includes(source)) return '/odata/*';
  const base = `/odata/:workspace/${source}`;
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return `${base}/`;
  if (rest[0] === '$metadata') return `${base}/$metadata`;
  const entity = rest[0].includes('(') ? ':entitySet(:key)' : ':entitySet';
  if (rest[1] === '$count') return `${base}/${entity}/$count`;
  return rest.length > 1 ? `${base}/${entity}/:property` : `${base}/${entity}`;
}

/** The route template a request matched — bounded, whatever URL was sent. */
export function routeOf(req: Request, res: Response): string {
  const path = (req.originalUrl.split('?')[0] || '/').replace(/\/{2,}/g, '/');
  if (path === '/odata' || path.startsWith('/odata/')) return feedRoute(path);
  const simulator = /^\/sandbox\/(exactonline|twinfield)(\/|$)/.exec(path);
  if (simulator) return `/sandbox/${simulator[1]}/*`;
  const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof routePath === 'string') return `${req.baseUrl}${routePath}`;
  return res.statusCode === 404 ? 'unmatched' : 'other';
}

export function createRequestLogger(deps: { logger: Logger; metrics: LedgerfeedMetrics }): RequestHandler {
  const logger = deps.logger.child({ component: 'http' });
  return (req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    let done = false;
    const complete = () => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(req, res);
      deps.metrics.observeRequest({ method: req.method, route, status: res.statusCode, seconds });
      const aborted = !res.writableFinished;
      const level = res.statusCode >= 500 ? 'error' : QUIET_ROUTES.test(route) ? 'debug' : 'info';
      logger[level](
        {
          requestId,
          method: req.method,
          url: loggedTarget(req.originalUrl),
          route,
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          ...(aborted ? { aborted } : {}),
        },
        aborted ? 'request aborted' : 'request completed',
      );
    };
    res.once('finish', complete);
    res.once('close', complete);
    next();
  };
}
