// Exact Online's OAuth 2.0 authorization-code grant through simple-oauth2: the authorize URL (no scope, no PKCE —
// Exact does not support it; the state is bound to the browser session by the connect extension point), the code
// exchange, and the refresh the TokenManager runs, with every refusal classified so a login is only given up
// when Exact really killed it. simple-oauth2 sends the client credentials in the form body (Exact's token endpoint
// takes them there) and its own expiry (computed from Date.now) is ignored: expiry is `expires_in` — a string at
// Exact — read against the injected clock.
import { AuthorizationCode } from 'simple-oauth2';
import type { Clock } from '../../clock';
import { SECOND } from '../../clock';
import { RefreshRejected, type RefreshFunction, type TokenPolicy, type TokenSet } from '../tokens';

/** Exact's access tokens live 600 s and may not be refreshed before they are 570 s old. */
export const EXACT_TOKEN_POLICY: TokenPolicy = { refreshWindowMs: 30 * SECOND, minAccessAgeMs: 570 * SECOND };

/** Used when a token answer has no readable `expires_in` (Exact's documented lifetime). */
const DEFAULT_ACCESS_LIFETIME_S = 600;

export const RECONNECT_HINT = 'Reconnect Exact Online on the workspace page.';

export interface ExactOAuthOptions {
  /** Exact host of the login, e.g. `https://start.exactonline.nl` (a path prefix is kept, as for the sandbox). */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
  clock: Clock;
  /** Time limit of a token request (ms, default 30 s). */
  timeoutMs?: number;
}

/** A token request failed; `kind` says why, `message` is safe to show (never holds a token or code). */
export class TokenRequestFailed extends Error {
  constructor(
    readonly kind: 'refused' | 'unavailable' | 'not_configured',
    message: string,
    readonly status?: number,
    readonly error?: string,
    readonly description?: string,
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

export class ExactOnlineOAuth {
  private readonly grant: AuthorizationCode | null;
  private readonly basePath: string;

  constructor(private readonly options: ExactOAuthOptions) {
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.grant =
      options.clientId && options.clientSecret
        ? new AuthorizationCode({
            client: { id: options.clientId, secret: options.clientSecret },
            auth: {
              tokenHost: base.origin,
              tokenPath: `${this.basePath}/api/oauth2/token`,
              authorizePath: `${this.basePath}/api/oauth2/auth`,
            },
            options: { authorizationMethod: 'body', bodyFormat: 'form' },
            // json: true parses JSON answers and leaves others (an HTML 502 page) as a buffer instead of failing on them.
            http: { timeout: options.timeoutMs ?? 30_000, json: true, headers: { Accept: 'application/json' } },
          })
        : null;
  }

  get configured(): boolean {
    return this.grant !== null;
  }

  /** Where the browser goes to log in at Exact and consent. */
  authorizationUrl(input: { redirectUri: string; state: string }): string {
    return this.requireGrant().authorizeURL({ redirect_uri: input.redirectUri, state: input.state });
  }

  /** Exchanges an authorization code (single use, ~3 minutes) for tokens. */
  async exchangeCode(code: string, redirectUri: string): Promise<TokenSet> {
    const grant = this.requireGrant();
    const requestedAt = this.options.clock.now();
    try {
      const token = await grant.getToken({ code, redirect_uri: redirectUri });
      return this.tokenSet(token.token, requestedAt);
    } catch (err) {
      throw this.failure(err, 'exchanging the authorization code');
    }
  }

  /** The TokenManager's refresh: a new token pair, or RefreshRejected (permanent only when the login is gone). */
  readonly refresh: RefreshFunction = async (refreshToken: string) => {
    // Deliberately not aborted with the caller's signal: once sent, Exact rotates the refresh token, and only the
    // answer holds the new one.
    if (!this.grant) throw new RefreshRejected('Exact Online is not configured on this server (LEDGERFEED_EXACT_CLIENT_ID and LEDGERFEED_EXACT_CLIENT_SECRET).', false);
    const requestedAt = this.options.clock.now();
    try {
      const token = await this.grant.createToken({ refresh_token: refreshToken }).refresh();
      return this.tokenSet(token.token, requestedAt);
    } catch (err) {
      throw classifyRefreshFailure(err instanceof TokenRequestFailed ? err : this.failure(err, 'renewing the login'));
    }
  };

  private requireGrant(): AuthorizationCode {
    if (!this.grant) {
      throw new TokenRequestFailed('not_configured', 'Exact Online is not set up on this server: LEDGERFEED_EXACT_CLIENT_ID and LEDGERFEED_EXACT_CLIENT_SECRET are required.');
    }
    return this.grant;
  }

  /** Expiry counted from when the request was sent, so a slow answer never makes a token look younger than it is. */
  private tokenSet(body: Record<string, unknown>, requestedAt: number): TokenSet {
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new TokenRequestFailed('unavailable', 'Exact Online answered the token request without an access token.');
    }
    const seconds = Number.parseInt(String(body.expires_in ?? ''), 10);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_ACCESS_LIFETIME_S;
    const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null;
    return { accessToken, accessExpiresAt: requestedAt + lifetime * SECOND, refreshToken };
  }

  /** Turns what the HTTP client threw into a TokenRequestFailed that holds nothing secret. */
  private failure(err: unknown, doing: string): TokenRequestFailed {
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
      return new TokenRequestFailed(kind, `Exact Online refused ${doing} (${status}, ${detail}).`, status, error, description, reasonHeader);
    }
    if (boom?.isBoom && boom.output?.statusCode === 504) return new TokenRequestFailed('unavailable', `Exact Online did not answer in time while ${doing}.`);
    if (boom?.isBoom && res?.statusCode) return new TokenRequestFailed('unavailable', `Exact Online answered ${doing} with something that is not a token (${res.statusCode}).`, res.statusCode);
    // Network failures: the message of the underlying error names the host, never a token.
    const reason = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
    return new TokenRequestFailed('unavailable', `Exact Online could not be reached while ${doing} (${reason}).`);
  }
}

/**
 * A refused refresh, in the words a user can act on. Permanent: the refresh token was already used, expired after
 * 30 days unused, or is otherwise no longer accepted. Not permanent: too early, the service unavailable, our own
 * app credentials refused (reconnecting would not help).
 */
export function classifyRefreshFailure(failure: TokenRequestFailed): RefreshRejected {
  if (failure.kind !== 'refused') return new RefreshRejected(failure.message, false);
  const description = failure.description ?? '';
  if (/TooEarlyToRefreshTokens/i.test(failure.reasonHeader ?? '') || /access_token not expired/i.test(description)) {
    return new RefreshRejected('Exact Online refused to renew the login this early: its access token was less than 570 seconds old.', false);
  }
  if (failure.error === 'invalid_client') {
    return new RefreshRejected(
      "Exact Online did not accept this server's app registration (LEDGERFEED_EXACT_CLIENT_ID / LEDGERFEED_EXACT_CLIENT_SECRET); the administrator has to correct it.",
      false,
    );
  }
  if (/old refresh token used/i.test(description)) {
    return new RefreshRejected(
      `Exact Online no longer accepts this login: its refresh token had already been used, which happens when another tool or another Ledgerfeed server renews the same login. ${RECONNECT_HINT}`,
      true,
    );
  }
  if (/refresh token expired/i.test(description)) {
    return new RefreshRejected(`The Exact Online login was not used for 30 days and has expired (Exact Online: "${description}"). ${RECONNECT_HINT}`, true);
  }
  if (failure.error === 'invalid_grant' || failure.error === 'invalid_request' || failure.status === 401) {
    return new RefreshRejected(`Exact Online no longer accepts this login (${[failure.error, description].filter(Boolean).join(': ') || `HTTP ${failure.status}`}). ${RECONNECT_HINT}`, true);
  }
  return new RefreshRejected(failure.message, false);
}
