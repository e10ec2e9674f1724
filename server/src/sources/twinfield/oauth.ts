// Twinfield's OpenID Connect login through simple-oauth2: the authorize URL (scopes, state, nonce, PKCE), the code
// exchange and the refresh the TokenManager runs (client credentials in an HTTP Basic header), each refusal
// classified so a login is only given up when Twinfield really ended it; and the access-token validation that
// tells which organisation a token belongs to and which cluster serves it. Expiry is read against the injected
// clock, never simple-oauth2's own Date.now.
import { AuthorizationCode } from 'simple-oauth2';
import type { Clock } from '../../clock';
import { SECOND } from '../../clock';
import { TokenRequestFailed, tokenRequestFailure, tokenSetFrom } from '../oauth-tokens';
import { RefreshRejected, type RefreshFunction, type TokenPolicy, type TokenSet } from '../tokens';

export { TokenRequestFailed };

/** Access tokens live an hour: renew a minute before; Twinfield has no minimum age. */
export const TWINFIELD_TOKEN_POLICY: TokenPolicy = { refreshWindowMs: 60 * SECOND, minAccessAgeMs: 0 };

export const TWINFIELD_SCOPES = ['openid', 'twf.user', 'twf.organisation', 'twf.organisationUser', 'offline_access'] as const;

const CONNECT_PATH = '/auth/authentication/connect';
const SERVICE = { name: 'Twinfield', defaultLifetimeS: 3600 };

export const RECONNECT_HINT = 'Connect Twinfield again from the workspace page.';

export interface TwinfieldOAuthOptions {
  /** The login host, e.g. `https://login.twinfield.com`; a function because the sandbox knows its URL only once listening. */
  loginUrl: () => string;
  clientId?: string;
  clientSecret?: string;
  clock: Clock;
  /** Time limit of one token or validation request (ms). */
  timeoutMs: number;
}

/** What accesstokenvalidation says about an access token. */
export interface TokenFacts {
  organisationCode: string;
  organisationId: string;
  /** Host of every SOAP call, e.g. `https://api.accounting2.twinfield.com`. */
  clusterUrl: string;
  userCode?: string;
  /** Epoch ms; Twinfield sends `exp` and `nbf` as strings of seconds. */
  expiresAt?: number;
  notBefore?: number;
  scopes: string[];
}

export class TwinfieldOAuth {
  private grant?: { loginUrl: string; code: AuthorizationCode };

  constructor(private readonly options: TwinfieldOAuthOptions) {}

  get configured(): boolean {
    return Boolean(this.options.clientId && this.options.clientSecret);
  }

  get clientId(): string | undefined {
    return this.options.clientId;
  }

  get loginUrl(): string {
    return this.options.loginUrl().replace(/\/+$/, '');
  }

  /** Where the browser goes to log in at Twinfield and consent; `nonce` is required by Twinfield. */
  authorizationUrl(input: { redirectUri: string; state: string; nonce: string; codeChallenge?: string }): string {
    // simple-oauth2 passes every parameter through to the URL; its types know only the standard ones.
    const params: Parameters<AuthorizationCode['authorizeURL']>[0] & Record<string, string> = {
      redirect_uri: input.redirectUri,
      scope: TWINFIELD_SCOPES.join(' '),
      state: input.state,
      nonce: input.nonce,
      ...(input.codeChallenge ? { code_challenge: input.codeChallenge, code_challenge_method: 'S256' } : {}),
    };
    return this.requireGrant().authorizeURL(params);
  }

  /** Exchanges an authorization code for tokens; the id_token (if any) comes back unverified for the caller to check. */
  async exchangeCode(input: { code: string; redirectUri: string; codeVerifier?: string }): Promise<TokenSet & { idToken?: string }> {
    const grant = this.requireGrant();
    const requestedAt = this.options.clock.now();
    try {
      const token = await grant.getToken({ code: input.code, redirect_uri: input.redirectUri, ...(input.codeVerifier ? { code_verifier: input.codeVerifier } : {}) });
      const body = token.token as Record<string, unknown>;
      return { ...tokenSetFrom(body, requestedAt, SERVICE), idToken: typeof body.id_token === 'string' ? body.id_token : undefined };
    } catch (err) {
      throw tokenRequestFailure(err, SERVICE.name, 'exchanging the authorization code');
    }
  }

  /** The TokenManager's refresh: a new access token (and refresh token if Twinfield rotates it), or RefreshRejected. */
  readonly refresh: RefreshFunction = async (refreshToken: string) => {
    // Not aborted with the caller's signal: once sent, only the answer holds a possibly rotated refresh token.
    if (!this.configured) throw new RefreshRejected('Twinfield is not configured on this server (LEDGERFEED_TWINFIELD_CLIENT_ID and LEDGERFEED_TWINFIELD_CLIENT_SECRET).', false);
    const requestedAt = this.options.clock.now();
    try {
      const token = await this.requireGrant().createToken({ refresh_token: refreshToken }).refresh();
      return tokenSetFrom(token.token as Record<string, unknown>, requestedAt, SERVICE);
    } catch (err) {
      throw classifyRefreshFailure(err instanceof TokenRequestFailed ? err : tokenRequestFailure(err, SERVICE.name, 'renewing the login'));
    }
  };

  /**
   * Asks Twinfield which organisation an access token is for and which cluster serves it. Throws
   * TokenRequestFailed `refused` for an invalid or expired token.
   */
  async validate(accessToken: string, signal?: AbortSignal): Promise<TokenFacts> {
    const url = `${this.loginUrl}${CONNECT_PATH}/accesstokenvalidation?${new URLSearchParams({ token: accessToken })}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      text = await response.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? 'no answer in time' : err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
      throw new TokenRequestFailed('unavailable', `Twinfield could not be reached while checking the login (${reason}).`);
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = {};
    }
    if (response.status >= 500 || response.status === 429) {
      throw new TokenRequestFailed('unavailable', `Twinfield answered HTTP ${response.status} while checking the login.`, response.status);
    }
    if (response.status !== 200) {
      const message = typeof body.Message === 'string' ? body.Message : typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
      throw new TokenRequestFailed('refused', `Twinfield does not accept the access token (${message}).`, response.status, message);
    }
    const claim = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    const clusterUrl = claim('twf.clusterUrl');
    const organisationCode = claim('twf.organisationCode');
    if (!clusterUrl || !organisationCode || !/^https?:\/\//.test(clusterUrl)) {
      throw new TokenRequestFailed('unavailable', 'Twinfield checked the login but did not say which organisation or cluster it is for.');
    }
    const seconds = (name: string) => {
      const n = Number(body[name]);
      return Number.isFinite(n) && n > 0 ? n * SECOND : undefined;
    };
    const scope = body.scope;
    return {
      organisationCode,
      organisationId: claim('twf.organisationId') ?? '',
      clusterUrl: clusterUrl.replace(/\/+$/, ''),
      userCode: claim('twf.organisationUserCode'),
      expiresAt: seconds('exp'),
      notBefore: seconds('nbf'),
      scopes: Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string') : typeof scope === 'string' ? scope.split(/\s+/) : [],
    };
  }

  private requireGrant(): AuthorizationCode {
    const { clientId, clientSecret } = this.options;
    if (!clientId || !clientSecret) {
      throw new TokenRequestFailed('not_configured', 'Twinfield is not set up on this server: LEDGERFEED_TWINFIELD_CLIENT_ID and LEDGERFEED_TWINFIELD_CLIENT_SECRET are required.');
    }
    const loginUrl = this.loginUrl;
    if (this.grant?.loginUrl !== loginUrl) {
      const base = new URL(loginUrl);
      const path = base.pathname.replace(/\/+$/, '');
      const code = new AuthorizationCode({
        client: { id: clientId, secret: clientSecret },
        auth: { tokenHost: base.origin, tokenPath: `${path}${CONNECT_PATH}/token`, authorizePath: `${path}${CONNECT_PATH}/authorize` },
        // Twinfield takes the client credentials in an HTTP Basic header.
        options: { authorizationMethod: 'header', bodyFormat: 'form' },
        // json: true parses JSON answers and leaves others (an HTML 502 page) as a buffer instead of failing on them.
        http: { timeout: this.options.timeoutMs, json: true, headers: { Accept: 'application/json' } },
      });
      this.grant = { loginUrl, code };
    }
    return this.grant.code;
  }


}

/**
 * A refused refresh in words a user can act on. Permanent (the login is gone): invalid_grant and other refusals of
 * the refresh token. Not permanent: Twinfield unavailable, or our own app credentials refused (reconnecting would not help).
 */
export function classifyRefreshFailure(failure: TokenRequestFailed): RefreshRejected {
  if (failure.kind !== 'refused') return new RefreshRejected(failure.message, false);
  if (failure.error === 'invalid_client') {
    return new RefreshRejected(
      "Twinfield did not accept this server's app registration (LEDGERFEED_TWINFIELD_CLIENT_ID / LEDGERFEED_TWINFIELD_CLIENT_SECRET); the administrator has to correct it.",
      false,
    );
  }
  if (failure.error === 'invalid_grant') {
    return new RefreshRejected(`Twinfield no longer accepts this login (invalid_grant: the refresh token was revoked or has expired). ${RECONNECT_HINT}`, true);
  }
  if (failure.error === 'invalid_request' || failure.error === 'unauthorized_client' || failure.status === 401) {
    return new RefreshRejected(`Twinfield no longer accepts this login (${failure.error ?? `HTTP ${failure.status}`}). ${RECONNECT_HINT}`, true);
  }
  return new RefreshRejected(failure.message, false);
}

/** The claims of a JWT's payload, unverified (the token came straight from the token endpoint over TLS). */
export function jwtClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
