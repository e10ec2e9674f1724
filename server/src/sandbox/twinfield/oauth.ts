// The simulated login.twinfield.com: OpenID Connect authorize (login form with consent), token (authorization
// code and refresh token grants, client authenticated with HTTP Basic), access-token validation (which tells
// the client its cluster URL), discovery and signing keys for the id_token.
import { createSign, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { sleep } from '../../clock';
import { basicClientAuth } from '../common/clientAuth';
import type { SimulatorStats } from '../common/controls';
import { ACCESS_TOKEN_LIFETIME_MS, type AccessTokenRecord, type Grant, type IdentityStore, KNOWN_SCOPES, TWINFIELD_SANDBOX } from './identity';

const AUTH = '/auth/authentication';
const CONNECT = `${AUTH}/connect`;

export interface OAuthContext {
  identity: IdentityStore;
  stats: SimulatorStats;
  latencyMs: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}`;

/** Escapes text for HTML content and double-quoted attribute values. */
function html(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  responseType: string;
  scope: string;
  state?: string;
  nonce?: string;
  /** PKCE (RFC 7636): optional, as Twinfield's identity server allows; bound to the code when sent. */
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

function authorizeParams(source: Record<string, unknown>): AuthorizeParams {
  const s = (name: string) => (typeof source[name] === 'string' ? (source[name] as string) : undefined);
  return { clientId: s('client_id') ?? '', redirectUri: s('redirect_uri') ?? '', responseType: s('response_type') ?? '', scope: s('scope') ?? '', state: s('state'), nonce: s('nonce'), codeChallenge: s('code_challenge'), codeChallengeMethod: s('code_challenge_method') };
}

function redirectWith(res: Response, params: AuthorizeParams, values: Record<string, string>): void {
  const target = new URL(params.redirectUri);
  for (const [k, v] of Object.entries(values)) target.searchParams.set(k, v);
  if (params.state !== undefined) target.searchParams.set('state', params.state);
  res.redirect(302, target.toString());
}

function errorPage(res: Response, status: number, error: string, description: string): void {
  res.status(status).type('html').send(`<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Twinfield sandbox — fout</title></head><body><h1>Er is een fout opgetreden</h1><p id="error">${html(error)}</p><p>${html(description)}</p></body></html>`);
}

/**
 * Checks an authorize request. Without a valid client or redirect URI there is nobody to redirect to, so
 * those are answered with an error page; everything else is reported to the redirect URI, as OIDC requires.
 */
function validateAuthorize(identity: IdentityStore, params: AuthorizeParams, res: Response): string[] | undefined {
  if (!identity.checkClient(params.clientId)) {
    errorPage(res, 400, 'invalid_client', 'Onbekende client_id.');
    return undefined;
  }
  let redirect: URL | undefined;
  try {
    redirect = new URL(params.redirectUri);
  } catch {
    redirect = undefined;
  }
  if (!redirect || (redirect.protocol !== 'http:' && redirect.protocol !== 'https:')) {
    errorPage(res, 400, 'invalid_request', 'redirect_uri ontbreekt of is geen http(s)-adres.');
    return undefined;
  }
  if (params.responseType !== 'code') {
    redirectWith(res, params, { error: 'unsupported_response_type' });
    return undefined;
  }
  const scopes = params.scope.split(/[\s+]+/).filter(Boolean);
  if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s))) {
    redirectWith(res, params, { error: 'invalid_scope' });
    return undefined;
  }
  if (!params.nonce) {
    redirectWith(res, params, { error: 'invalid_request', error_description: 'nonce is required' });
    return undefined;
  }
  if (params.codeChallenge !== undefined || params.codeChallengeMethod !== undefined) {
    // RFC 7636 §4.2-4.4: a challenge is 43-128 unreserved characters; the method defaults to plain.
    if (params.codeChallenge === undefined || !/^[A-Za-z0-9._~-]{43,128}$/.test(params.codeChallenge)) {
      redirectWith(res, params, { error: 'invalid_request', error_description: 'code_challenge is missing or malformed' });
      return undefined;
    }
    if (!['S256', 'plain', undefined].includes(params.codeChallengeMethod)) {
      redirectWith(res, params, { error: 'invalid_request', error_description: 'transform algorithm not supported' });
      return undefined;
    }
  }
  return scopes;
}

function loginForm(res: Response, params: AuthorizeParams, scopes: string[], failed: boolean, organisation: string = TWINFIELD_SANDBOX.organisation): void {
  const hidden = (name: string, value: string | undefined) => (value === undefined ? '' : `<input type="hidden" name="${name}" value="${html(value)}">`);
  res.status(200).type('html').send(`<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Twinfield sandbox — inloggen</title></head>
<body>
<h1>Inloggen bij Twinfield (sandbox)</h1>
${failed ? '<p id="error" role="alert">Ongeldige gebruikersnaam, wachtwoord of organisatie.</p>' : ''}
<p>De app <strong>${html(params.clientId)}</strong> vraagt toegang tot: ${scopes.map(html).join(', ')}.</p>
<form method="post" action="">
${hidden('client_id', params.clientId)}${hidden('redirect_uri', params.redirectUri)}${hidden('response_type', params.responseType)}${hidden('scope', params.scope)}${hidden('state', params.state)}${hidden('nonce', params.nonce)}${hidden('code_challenge', params.codeChallenge)}${hidden('code_challenge_method', params.codeChallengeMethod)}
<label>Gebruikersnaam <input name="username" autocomplete="username"></label>
<label>Wachtwoord <input name="password" type="password" autocomplete="current-password"></label>
<label>Organisatie <input name="organisation" value="${html(organisation)}"></label>
<button type="submit" name="action" value="login">Inloggen en toestaan</button>
<button type="submit" name="action" value="cancel">Annuleren</button>
</form>
<p>Sandbox: gebruiker <code>demo</code>, wachtwoord <code>demo</code>, organisatie <code>SANDBOX</code>.</p>
</body></html>`);
}

/** Signs id_tokens with a key made on first use (RS256, published at …/.well-known/jwks). */
class IdTokenSigner {
  private key?: { privateKey: KeyObject; publicKey: KeyObject; kid: string };

  sign(claims: Record<string, unknown>): string {
    const key = this.keys();
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${encode(claims)}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key.privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  jwks(): Record<string, unknown> {
    const key = this.keys();
    return { keys: [{ ...(key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: key.kid, use: 'sig', alg: 'RS256' }] };
  }

  private keys() {
    if (!this.key) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      this.key = { privateKey, publicKey, kid: randomBytes(8).toString('hex') };
    }
    return this.key;
  }
}

export function oauthRouter(context: OAuthContext): express.Router {
  const { identity, stats } = context;
  const router = express.Router();
  const signer = new IdTokenSigner();
  const latency = async () => {
    if (context.latencyMs > 0) await sleep(context.latencyMs);
  };
  const issuer = (req: Request) => `${baseUrl(req)}${AUTH}`;

  router.get(`${CONNECT}/authorize`, (req, res) => {
    const params = authorizeParams(req.query as Record<string, unknown>);
    const scopes = validateAuthorize(identity, params, res);
    if (scopes) loginForm(res, params, scopes, false);
  });

  router.post(`${CONNECT}/authorize`, express.urlencoded({ extended: false }), (req, res) => {
    const body = req.body as Record<string, unknown>;
    const params = authorizeParams(body);
    const scopes = validateAuthorize(identity, params, res);
    if (!scopes) return;
    if (body.action === 'cancel') return redirectWith(res, params, { error: 'access_denied' });
    const organisationCode = typeof body.organisation === 'string' && body.organisation.trim() ? body.organisation : TWINFIELD_SANDBOX.organisation;
    const organisation = identity.checkUser(String(body.username ?? ''), String(body.password ?? ''), organisationCode);
    if (!organisation) return loginForm(res, params, scopes, true, organisationCode);
    const pkce = params.codeChallenge === undefined ? undefined : { challenge: params.codeChallenge, method: params.codeChallengeMethod === 'S256' ? ('S256' as const) : ('plain' as const) };
    const code = identity.issueCode(identity.grant(params.clientId, organisation, scopes), params.redirectUri, params.nonce!, pkce);
    redirectWith(res, params, { code });
  });

  router.post(`${CONNECT}/token`, express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      stats.tokenRequests++;
      await latency();
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
      // Twinfield authenticates the app by HTTP Basic only: credentials in the form are no authentication.
      const credentials = basicClientAuth(req.get('authorization'));
      if (credentials.kind !== 'basic' || !identity.checkClient(credentials.clientId, credentials.clientSecret)) {
        // RFC 6749 §5.2: 401 when the client tried to authenticate with the Authorization header.
        res.status(credentials.kind === 'none' ? 400 : 401).json({ error: 'invalid_client' });
        return;
      }
      const body = req.body as Record<string, unknown>;
      const str = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
      if (str('grant_type') === 'authorization_code') {
        const code = str('code');
        const redeemed = code ? identity.redeemCode(code, credentials.clientId, str('redirect_uri'), str('code_verifier')) : undefined;
        if (!redeemed) {
          res.status(400).json({ error: 'invalid_grant' });
          return;
        }
        const issued = identity.issueTokens(redeemed.grant);
        const idToken = redeemed.grant.scopes.includes('openid') ? idTokenFor(req, redeemed.grant, redeemed.nonce, issued.accessToken) : undefined;
        res.json(tokenResponse(issued.accessToken, issued.refreshToken, idToken));
        return;
      }
      if (str('grant_type') === 'refresh_token') {
        const refreshToken = str('refresh_token');
        const issued = refreshToken ? identity.refresh(refreshToken, credentials.clientId) : undefined;
        if (!issued) {
          stats.rejectedRefreshes++;
          res.status(400).json({ error: 'invalid_grant' });
          return;
        }
        res.json(tokenResponse(issued.accessToken, issued.refreshToken));
        return;
      }
      res.status(400).json({ error: str('grant_type') ? 'unsupported_grant_type' : 'invalid_request' });
    } catch (error) {
      next(error);
    }
  });

  router.get(`${CONNECT}/accesstokenvalidation`, async (req, res, next) => {
    try {
      stats.tokenRequests++;
      await latency();
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const record = token ? identity.accessToken(token) : undefined;
      if (!record || !identity.isValid(record)) {
        res.status(400).json({ Message: 'invalid_token' });
        return;
      }
      res.json({
        iss: issuer(req),
        aud: `${issuer(req)}/resources`,
        exp: String(seconds(record.expiresAt)),
        nbf: String(seconds(record.issuedAt)),
        client_id: record.clientId,
        scope: record.scopes,
        sub: record.userId,
        auth_time: String(seconds(record.authTime)),
        idp: 'idsrv',
        amr: ['password'],
        'twf.organisationUserCode': record.userCode,
        'twf.organisationCode': record.organisation.code,
        'twf.organisationId': record.organisation.id,
        'twf.clusterUrl': baseUrl(req),
      });
    } catch (error) {
      next(error);
    }
  });

  router.get(`${AUTH}/.well-known/openid-configuration`, (req, res) => {
    const iss = issuer(req);
    res.json({
      issuer: iss,
      authorization_endpoint: `${baseUrl(req)}${CONNECT}/authorize`,
      token_endpoint: `${baseUrl(req)}${CONNECT}/token`,
      jwks_uri: `${iss}/.well-known/jwks`,
      scopes_supported: [...KNOWN_SCOPES],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['plain', 'S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  router.get(`${AUTH}/.well-known/jwks`, (_req, res) => {
    res.json(signer.jwks());
  });

  function idTokenFor(req: Request, grant: Grant, nonce: string, accessToken: AccessTokenRecord): string {
    return signer.sign({
      iss: issuer(req),
      aud: grant.clientId,
      exp: seconds(accessToken.expiresAt),
      nbf: seconds(accessToken.issuedAt),
      iat: seconds(accessToken.issuedAt),
      nonce,
      sub: grant.userId,
      auth_time: seconds(grant.authTime),
      idp: 'idsrv',
      amr: ['password'],
      'twf.organisationCode': grant.organisation.code,
      'twf.organisationId': grant.organisation.id,
      'twf.organisationUserCode': grant.userCode,
    });
  }

  return router;
}

function tokenResponse(accessToken: AccessTokenRecord, refreshToken: string | undefined, idToken?: string): Record<string, unknown> {
  return {
    ...(idToken ? { id_token: idToken } : {}),
    access_token: accessToken.token,
    expires_in: seconds(ACCESS_TOKEN_LIFETIME_MS),
    token_type: 'Bearer',
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}
