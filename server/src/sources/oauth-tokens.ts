// What both upstreams' OAuth token endpoints answer, read one way: the token set (expiry counted from when the
// request was sent) and simple-oauth2's failures (Boom errors of @hapi/wreck) turned into a TokenRequestFailed
// whose message names the service and the upstream's reason, and never holds a token or a code.
import { SECOND } from '../clock';
import type { TokenSet } from './tokens';

/** A token request that did not give a token: `refused` by the upstream, `unavailable` (network, 5xx), or `not_configured` here. */
export class TokenRequestFailed extends Error {
  constructor(
    readonly kind: 'refused' | 'unavailable' | 'not_configured',
    message: string,
    readonly status?: number,
    /** The OAuth `error` code (invalid_grant, access_denied…). */
    readonly error?: string,
    /** The OAuth `error_description`, shortened. */
    readonly description?: string,
    /** Exact Online's `Reason` header (e.g. TooEarlyToRefreshTokens). */
    readonly reasonHeader?: string,
  ) {
    super(message);
    this.name = 'TokenRequestFailed';
  }
}

/** The parts of a Boom error from simple-oauth2's HTTP client (@hapi/wreck) that are safe to read. */
interface WreckFailure {
  isBoom?: boolean;
  message?: string;
  output?: { statusCode?: number };
  data?: { isResponseError?: boolean; payload?: unknown; res?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> } } | null;
}

/** A token endpoint's answer as a TokenSet; `expires_in` may be a number or (Exact Online) a string. */
export function tokenSetFrom(body: Record<string, unknown>, requestedAt: number, service: { name: string; defaultLifetimeS: number }): TokenSet {
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new TokenRequestFailed('unavailable', `${service.name} answered the token request without an access token.`);
  }
  const seconds = Number.parseInt(String(body.expires_in ?? ''), 10);
  const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds : service.defaultLifetimeS;
  const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null;
  return { accessToken, accessExpiresAt: requestedAt + lifetime * SECOND, refreshToken };
}

/** What simple-oauth2 threw while `doing` something (e.g. "renewing the login"), as a TokenRequestFailed. */
export function tokenRequestFailure(err: unknown, serviceName: string, doing: string): TokenRequestFailed {
  if (err instanceof TokenRequestFailed) return err;
  const boom = err as WreckFailure;
  const res = boom?.data?.res;
  if (boom?.isBoom && boom.data?.isResponseError && res?.statusCode) {
    const status = res.statusCode;
    const payload = boom.data.payload;
    const body = payload && typeof payload === 'object' && !Buffer.isBuffer(payload) ? (payload as Record<string, unknown>) : {};
    const error = typeof body.error === 'string' ? body.error : undefined;
    const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 300) : undefined;
    const reasonRaw = res.headers?.reason;
    const reasonHeader = Array.isArray(reasonRaw) ? reasonRaw[0] : reasonRaw;
    const detail = [error, description].filter(Boolean).join(': ') || `HTTP ${status}`;
    const kind = status >= 500 || status === 429 || status === 408 ? 'unavailable' : 'refused';
    return new TokenRequestFailed(kind, `${serviceName} refused ${doing} (${status}, ${detail}).`, status, error, description, reasonHeader);
  }
  if (boom?.isBoom && boom.output?.statusCode === 504) return new TokenRequestFailed('unavailable', `${serviceName} did not answer in time while ${doing}.`);
  if (boom?.isBoom && res?.statusCode) return new TokenRequestFailed('unavailable', `${serviceName} answered ${doing} with something that is not a token (${res.statusCode}).`, res.statusCode);
  // Network failures: the message of the underlying error names the host, never a token.
  const reason = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
  return new TokenRequestFailed('unavailable', `${serviceName} could not be reached while ${doing} (${reason}).`);
}
