// How an HTTP-level error becomes an answer when no part answered it in its own format: which thrown errors are
// the client's fault (a body the parser refused, an undecodable %-escape) and the app's last error handler,
// which answers JSON under /odata and /api and a page elsewhere — never express's default page, which shows
// the stack trace and file paths outside production.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';
import { messagePage } from './views';

/**
 * The 4xx status of an error the client caused, or null: body-parser and express raise http-errors marked
 * `expose` (413 too large, 415 charset, 400 unreadable), and express's route matching a URIError (400).
 */
export function clientErrorStatus(err: unknown): number | null {
  const status = (err as { status?: unknown } | null)?.status;
  const expose = (err as { expose?: unknown } | null)?.expose;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  return expose === true || err instanceof URIError ? status : null;
}

function explain(status: number): { title: string; message: string } {
  if (status === 413) return { title: 'Too much data', message: 'The request sent more data than Ledgerfeed accepts.' };
  if (status === 415) return { title: 'Cannot read that', message: 'Ledgerfeed cannot read a body in that content type, charset or encoding.' };
  if (status < 500) return { title: 'Bad request', message: 'The request could not be read.' };
  return { title: 'Something went wrong', message: 'Ledgerfeed could not complete this request. Try again; if it keeps failing, ask your administrator to look at the server log.' };
}

/** Mount last: answers any error the routers before it passed on. */
export function lastResortErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = clientErrorStatus(err) ?? 500;
    if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
    // Half an answer cannot be turned into an error any more: cut it, so the client sees it is incomplete.
    if (res.headersSent) return void res.destroy();
    const { title, message } = explain(status);
    if (/^\/(odata|api)(\/|$)/.test(req.path)) {
      res.status(status).json({ error: { code: status >= 500 ? 'InternalError' : 'BadRequest', message } });
      return;
    }
    res.status(status).type('html').send(messagePage({ user: null, csrf: null }, title, message));
  };
}
