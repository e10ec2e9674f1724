// Exact Online's OAuth 2.0 authorization-code flow as the real service runs it: an HTML login page, single-use
// codes bound to client and redirect URI, 600-second access tokens, refresh tokens that rotate on every use
// (the previous one then answers "Old refresh token used."), refuse to refresh while the access token is younger
// than 570 s, and expire after 30 days unused. Every time decision reads the injected clock.
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Clock } from '../../clock';
import { DAY, MINUTE, SECOND } from '../../clock';
import { basicClientAuth } from '../common/clientAuth';
import type { SimulatorStats } from '../common/controls';
import type { DemoUser } from './entities';

export const ACCESS_TOKEN_LIFETIME_MS = 600 * SECOND;
/** A refresh is refused while the current access token is younger than this. */
export const EARLIEST_REFRESH_MS = 570 * SECOND;
export const REFRESH_TOKEN_IDLE_MS = 30 * DAY;
export const CODE_LIFETIME_MS = 3 * MINUTE;

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  issuedAt: number;
  used: boolean;
}

interface AccessGrant {
  clientId: string;
  userId: string;
  issuedAt: number;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  userId: string;
  issuedAt: number;
  /** When the access token issued alongside was issued (for the too-early rule). */
  accessIssuedAt: number;
  rotated: boolean;
}

export type AccessCheck =
  | { status: 'valid'; clientId: string; userId: string }
  | { status: 'expired'; clientId: string; userId: string }
  | { status: 'unknown' };

interface TokenSuccess {
  ok: true;
  body: { access_token: string; token_type: 'bearer'; expires_in: string; refresh_token: string };
}
interface TokenFailure {
  ok: false;
  status: number;
  body: { error: string; error_description?: string };
  headers?: Record<string, string>;
}
export type TokenResult = TokenSuccess | TokenFailure;

const token = (prefix: string, bytes: number) => `${prefix}${randomBytes(bytes).toString('base64url')}`;

/** Issues and checks codes and tokens; holds no secrets beyond the sandbox app's. */
export class TokenAuthority {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly access = new Map<string, AccessGrant>();
  private readonly refresh = new Map<string, RefreshGrant>();

  constructor(
    private readonly clock: Clock,
    private readonly apps: readonly OAuthApp[],
  ) {}

  app(clientId: string | undefined): OAuthApp | undefined {
    return this.apps.find((a) => a.clientId === clientId);
  }

  /** Real codes carry `!`, `+`, `/` and `=`: a client must URL-decode the callback and form-encode it back. */
  issueCode(clientId: string, redirectUri: string, userId: string): string {
    const code = `stampNL001.${randomBytes(24).toString('base64')}!${randomBytes(96).toString('base64')}`;
    this.codes.set(code, { clientId, redirectUri, userId, issuedAt: this.clock.now(), used: false });
    return code;
  }

  exchangeCode(clientId: string, code: string | undefined, redirectUri: string | undefined): TokenResult {
    const grant = code ? this.codes.get(code) : undefined;
    const now = this.clock.now();
    if (!grant || grant.used || grant.clientId !== clientId || grant.redirectUri !== redirectUri || now - grant.issuedAt > CODE_LIFETIME_MS) {
      if (grant && grant.clientId === clientId) grant.used = true;
      return { ok: false, status: 400, body: { error: 'invalid_grant' } };
    }
    grant.used = true;
    return this.issueTokens(clientId, grant.userId, now);
  }

  refreshTokens(clientId: string, refreshToken: string | undefined): TokenResult {
    const grant = refreshToken ? this.refresh.get(refreshToken) : undefined;
    const now = this.clock.now();
    if (!grant || grant.clientId !== clientId) return { ok: false, status: 400, body: { error: 'invalid_grant' } };
    if (grant.rotated) return { ok: false, status: 401, body: { error: 'invalid_grant', error_description: 'Old refresh token used.' } };
    const expiresAt = grant.issuedAt + REFRESH_TOKEN_IDLE_MS;
    if (now > expiresAt) {
      return {
        ok: false,
        status: 400,
        body: { error: 'invalid_request', error_description: `The refresh token expired at ${new Date(expiresAt).toISOString()} and it is now ${new Date(now).toISOString()}` },
      };
    }
    if (now - grant.accessIssuedAt < EARLIEST_REFRESH_MS) {
      const allowedAt = new Date(grant.accessIssuedAt + EARLIEST_REFRESH_MS).toISOString();
      return {
        ok: false,
        status: 400,
        body: { error: 'access_denied', error_description: 'Rate limit exceeded: access_token not expired' },
        headers: { Reason: `TooEarlyToRefreshTokens: the access token may be refreshed from ${allowedAt}` },
      };
    }
    grant.rotated = true;
    return this.issueTokens(clientId, grant.userId, now);
  }

  verifyAccess(accessToken: string | undefined): AccessCheck {
    const grant = accessToken ? this.access.get(accessToken) : undefined;
    if (!grant) return { status: 'unknown' };
    return { status: this.clock.now() >= grant.expiresAt ? 'expired' : 'valid', clientId: grant.clientId, userId: grant.userId };
  }

  /** Ages every access token past expiry (and so makes every current refresh token usable at once). */
  expireAccessTokens(): number {
    const now = this.clock.now();
    for (const grant of this.access.values()) grant.expiresAt = Math.min(grant.expiresAt, now);
    for (const grant of this.refresh.values()) grant.accessIssuedAt = Math.min(grant.accessIssuedAt, now - ACCESS_TOKEN_LIFETIME_MS);
    return this.access.size;
  }

  private issueTokens(clientId: string, userId: string, now: number): TokenSuccess {
    this.prune(now);
    // Real tokens are long (several hundred characters): storage sized for short tokens truncates them.
    const accessToken = token('eol_at_', 480);
    const refreshToken = token('eol_rt_', 240);
    this.access.set(accessToken, { clientId, userId, issuedAt: now, expiresAt: now + ACCESS_TOKEN_LIFETIME_MS });
    this.refresh.set(refreshToken, { clientId, userId, issuedAt: now, accessIssuedAt: now, rotated: false });
    return { ok: true, body: { access_token: accessToken, token_type: 'bearer', expires_in: String(ACCESS_TOKEN_LIFETIME_MS / SECOND), refresh_token: refreshToken } };
  }

  /** Forgets what can no longer matter, so a long-running sandbox does not grow without bound. */
  private prune(now: number): void {
    for (const [k, v] of this.codes) if (now - v.issuedAt > CODE_LIFETIME_MS * 10) this.codes.delete(k);
    for (const [k, v] of this.access) if (now - v.expiresAt > ACCESS_TOKEN_LIFETIME_MS * 10) this.access.delete(k);
    for (const [k, v] of this.refresh) if (now - v.issuedAt > REFRESH_TOKEN_IDLE_MS * 2) this.refresh.delete(k);
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>${escapeHtml(title)} | Exact Online (sandbox)</title></head><body><main>${body}</main></body></html>`;
}

function loginForm(params: Record<string, string>, error?: string): string {
  const hidden = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return page(
    'Inloggen',
    `<h1>Exact Online</h1><p>Sandbox: log in as <b>demo</b> / <b>demo</b>.</p>` +
      (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '') +
      `<form method="post">${hidden}<label>Gebruikersnaam <input name="username" autocomplete="username"></label>` +
      `<label>Wachtwoord <input name="password" type="password" autocomplete="current-password"></label><button type="submit">Inloggen</button></form>`,
  );
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export interface OAuthRouterOptions {
  authority: TokenAuthority;
  user: DemoUser;
  stats: SimulatorStats;
}

/** `/api/oauth2/auth` (login page) and `/api/oauth2/token`. */
export function oauthRouter({ authority, user, stats }: OAuthRouterOptions): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  const authorizeParams = (req: Request): { params: Record<string, string>; problem?: string } => {
    const source = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown> | undefined) ?? {}) };
    const pick = (k: string) => (typeof source[k] === 'string' ? (source[k] as string) : '');
    const params = { client_id: pick('client_id'), redirect_uri: pick('redirect_uri'), response_type: pick('response_type'), state: pick('state') };
    if (pick('force_login')) Object.assign(params, { force_login: pick('force_login') });
    if (!authority.app(params.client_id)) return { params, problem: 'The client_id is not known to Exact Online.' };
    if (!isAbsoluteHttpUrl(params.redirect_uri)) return { params, problem: 'The redirect_uri is missing or not an absolute URL.' };
    if (params.response_type !== 'code') return { params, problem: `The response_type '${params.response_type}' is not supported; use 'code'.` };
    return { params };
  };

  router.get('/api/oauth2/auth', (req, res) => {
    const { params, problem } = authorizeParams(req);
    // Never redirect to a URI of an unverified request: show the error here.
    if (problem) return void res.status(400).type('html').send(page('Fout', `<h1>Ongeldig verzoek</h1><p role="alert">${escapeHtml(problem)}</p>`));
    res.status(200).type('html').send(loginForm(params));
  });

  router.post('/api/oauth2/auth', form, (req, res) => {
    const { params, problem } = authorizeParams(req);
    if (problem) return void res.status(400).type('html').send(page('Fout', `<h1>Ongeldig verzoek</h1><p role="alert">${escapeHtml(problem)}</p>`));
    const body = req.body as Record<string, unknown>;
    if (body.username !== user.userName || body.password !== user.password) {
      return void res.status(200).type('html').send(loginForm(params, 'De gebruikersnaam of het wachtwoord is onjuist.'));
    }
    const code = authority.issueCode(params.client_id, params.redirect_uri, user.id);
    const target = new URL(params.redirect_uri);
    target.searchParams.set('code', code);
    if (params.state) target.searchParams.set('state', params.state);
    res.redirect(302, target.toString());
  });

  router.post('/api/oauth2/token', form, (req, res) => {
    stats.tokenRequests++;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    // Exact takes the app's credentials in the form or in a Basic header; the header wins.
    const basic = basicClientAuth(req.get('authorization'));
    const clientId = basic.kind === 'none' ? field('client_id') : basic.kind === 'basic' ? basic.clientId : undefined;
    const clientSecret = basic.kind === 'none' ? field('client_secret') : basic.kind === 'basic' ? basic.clientSecret : undefined;
    const app = authority.app(clientId);
    res.set('Cache-Control', 'no-store');
    if (!app || app.clientSecret !== clientSecret) {
      return void res.status(basic.kind === 'none' ? 400 : 401).json({ error: 'invalid_client' });
    }
    const grantType = field('grant_type');
    let result: TokenResult;
    if (grantType === 'authorization_code') result = authority.exchangeCode(app.clientId, field('code'), field('redirect_uri'));
    else if (grantType === 'refresh_token') {
      result = authority.refreshTokens(app.clientId, field('refresh_token'));
      if (!result.ok) stats.rejectedRefreshes++;
    } else result = { ok: false, status: 400, body: { error: 'unsupported_grant_type' } };
    if (!result.ok) {
      if (result.headers) res.set(result.headers);
      return void res.status(result.status).json(result.body);
    }
    res.status(200).json(result.body);
  });

  return router;
}
