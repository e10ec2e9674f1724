// The one place feed errors become responses: OData JSON `{"error":{code,message,target,details}}` with the
// status the error carries. Any LedgerfeedError maps by its own status/code/target/details (so the sync
// engine's AdministrationSyncFailed answers 502/503 naming the administration and the upstream reason);
// anything else is a 500 with a generic message and the request id — never a stack trace or a path.
import type { Response } from 'express';
import { LedgerfeedError, type ErrorDetail } from '../errors';
import type { Logger } from '../logger';

/** The client accepts none of the representations the resource has. */
export class NotAcceptable extends LedgerfeedError {
  readonly code = 'NotAcceptable';
  readonly status = 406;
}

/** The feed is read-only. */
export class MethodNotAllowed extends LedgerfeedError {
  readonly code = 'MethodNotAllowed';
  readonly status = 405;
}

export const WWW_AUTHENTICATE = 'Basic realm="Ledgerfeed"';

export interface ODataErrorBody {
  error: { code: string; message: string; target: string | null; details: ErrorDetail[] };
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ODataErrorBody;
}

/** What a thrown value answers with. `requestId` goes into the message of unexpected errors. */
export function errorResponse(error: unknown, requestId: string): ErrorResponse {
  if (error instanceof LedgerfeedError && error.status !== 500) {
    const headers: Record<string, string> = {};
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) headers['Retry-After'] = String(Math.max(0, Math.ceil(retryAfter)));
    if (error.status === 401) headers['WWW-Authenticate'] = WWW_AUTHENTICATE;
    if (error.status === 405) headers['Allow'] = 'GET, HEAD';
    return {
      status: error.status,
      headers,
      body: { error: { code: error.code, message: error.message, target: error.target ?? null, details: error.details.map((d) => ({ ...d })) } },
    };
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    // http-errors raised by express itself (malformed URL and the like): their messages are written for clients.
    return { status, headers: {}, body: { error: { code: 'BadRequest', message: String((error as Error).message), target: null, details: [] } } };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { code: 'InternalError', message: `An unexpected error occurred. Quote request id ${requestId} to your administrator; the server log has the details.`, target: null, details: [] } },
  };
}

/** Answers `error` on `res`, or cuts the connection when the response has already started (a truncated body, never silently fewer rows). */
export function sendError(res: Response, error: unknown, requestId: string, logger: Logger): void {
  const answer = errorResponse(error, requestId);
  if (answer.status >= 500) logger.error({ err: error, requestId }, 'feed request failed');
  else logger.debug({ requestId, status: answer.status, code: answer.body.error.code, message: answer.body.error.message }, 'feed request refused');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('OData-Version', '4.0');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}
