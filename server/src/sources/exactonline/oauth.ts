// Exact Online's OAuth 2.0 authorization-code grant through simple-oauth2: the authorize URL (no scope, no PKCE —
// Exact does not support it; the state is bound to the browser session by the connect extension point), the code
// exchange, and the refresh the TokenManager runs, with every refusal classified so a login is only given up
// when Exact really killed it. simple-oauth2 sends the client credentials in the form body (Exact's token endpoint
// takes them there) and its own expiry (computed from Date.now) is ignored: expiry is `expires_in` — a string at
// Exact — read against the injected clock.
import { AuthorizationCode } from 'simple-oauth2';
import type { Clock } from '../../clock';
import { SECOND } from '../../clock';
import { TokenRequestFailed, tokenRequestFailure, tokenSetFrom } from '../oauth-tokens';
import { RefreshRejected, type RefreshFunction, type TokenPolicy, type TokenSet } from '../tokens';

export { TokenRequestFailed };

/** Exact's access tokens live 600 s and may not be refreshed before they are 570 s old. */
export const EXACT_TOKEN_POLICY: TokenPolicy = { refreshWindowMs: 30 * SECOND, minAccessAgeMs: 570 * SECOND };

/** The service in messages, and the lifetime assumed when a token answer has no readable `expires_in` (Exact's documented 600 s). */
const SERVICE = { name: 'Exact Online', defaultLifetimeS: 600 };

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
      return tokenSetFrom(token.token, requestedAt, SERVICE);
    } catch (err) {
      throw tokenRequestFailure(err, SERVICE.name, 'exchanging the authorization code');
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
      return tokenSetFrom(token.token, requestedAt, SERVICE);
    } catch (err) {
      throw classifyRefreshFailure(err instanceof TokenRequestFailed ? err : tokenRequestFailure(err, SERVICE.name, 'renewing the login'));
    }
  };

  private requireGrant(): AuthorizationCode {
    if (!this.grant) {
      throw new TokenRequestFailed('not_configured', 'Exact Online is not set up on this server: LEDGERFEED_EXACT_CLIENT_ID and LEDGERFEED_EXACT_CLIENT_SECRET are required.');
    }
    return this.grant;
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
