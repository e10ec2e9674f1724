// Contract of the simulated Exact Online OAuth 2.0: login page, codes, token shapes, rotation and expiry rules.
import { DAY, MINUTE, SECOND } from '../../../server/src/clock';
import {
  apiGet,
  authorizationCode,
  CLIENT_ID,
  control,
  login,
  REDIRECT_URI,
  startSandbox,
  submitLogin,
  tokenRequest,
  type Sandbox,
  type TokenBody,
} from './harness';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ administrations: 1, rows: 20 });
});
afterAll(() => sb.close());

const authorizeUrl = (params: Record<string, string>) => `${sb.base}/api/oauth2/auth?${new URLSearchParams(params)}`;
const refresh = (token: string) => tokenRequest(sb.base, { grant_type: 'refresh_token', refresh_token: token });
const me = (token: string) => apiGet(`${sb.api}/current/Me`, token);

describe('the login page', () => {
  it('shows an HTML form that carries client_id, redirect_uri and state through hidden fields', async () => {
    const response = await fetch(authorizeUrl({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'a"b', force_login: '1' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<form method="post">/);
    expect(html).toContain(`name="client_id" value="${CLIENT_ID}"`);
    expect(html).toContain(`name="redirect_uri" value="${REDIRECT_URI}"`);
    expect(html).toContain('name="state" value="a&#34;b"');
    expect(html).toMatch(/name="username"/);
    expect(html).toMatch(/name="password" type="password"/);
  });

  it('redirects to redirect_uri with a code and the state after a correct login', async () => {
    const response = await submitLogin(sb.base, {});
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('code')).toMatch(/^stampNL001\./);
  });

  it('shows the form again with an error after a wrong password', async () => {
    const response = await submitLogin(sb.base, { password: 'wrong' });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/role="alert"/);
    expect(html).toMatch(/<form method="post">/);
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses an unknown client_id with an error page instead of redirecting', async () => {
    const response = await fetch(authorizeUrl({ client_id: 'stranger', redirect_uri: 'https://evil.example/cb', response_type: 'code', state: 'x' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toMatch(/client_id is not known/);
    const posted = await submitLogin(sb.base, { client_id: 'stranger' });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('location')).toBeNull();
  });

  it('refuses a response_type other than code', async () => {
    const response = await fetch(authorizeUrl({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'token' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toMatch(/response_type/);
  });
});

describe('the token endpoint', () => {
  it('exchanges a code for bearer tokens with expires_in as a string', async () => {
    const code = await authorizationCode(sb.base);
    const response = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenBody;
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe('600');
    expect(body.access_token).toMatch(/^eol_at_[A-Za-z0-9_-]{300,}$/);
    expect(body.refresh_token).toMatch(/^eol_rt_[A-Za-z0-9_-]{200,}$/);
    expect((await me(body.access_token)).status).toBe(200);
  });

  it('accepts the client credentials through HTTP Basic', async () => {
    const code = await authorizationCode(sb.base);
    const response = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, { basic: true });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong client secret', async () => {
    const code = await authorizationCode(sb.base);
    const response = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_secret: 'nope' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  it('accepts a code only once', async () => {
    const code = await authorizationCode(sb.base);
    expect((await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })).status).toBe(200);
    const again = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_grant' });
  });

  it('refuses a code older than three minutes', async () => {
    const code = await authorizationCode(sb.base);
    sb.clock.advance(3 * MINUTE + SECOND);
    const response = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
  });

  it('refuses a code presented with another redirect_uri, and a made-up code', async () => {
    const code = await authorizationCode(sb.base);
    const other = await tokenRequest(sb.base, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/other' });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({ error: 'invalid_grant' });
    const madeUp = await tokenRequest(sb.base, { grant_type: 'authorization_code', code: 'stampNL001.nonsense', redirect_uri: REDIRECT_URI });
    expect(await madeUp.json()).toEqual({ error: 'invalid_grant' });
  });

  it('refuses an unknown grant type', async () => {
    const response = await tokenRequest(sb.base, { grant_type: 'password' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'unsupported_grant_type' });
  });
});

describe('refreshing', () => {
  it('refuses to refresh while the access token is younger than 570 seconds', async () => {
    const tokens = await login(sb.base);
    sb.clock.advance(569 * SECOND);
    const response = await refresh(tokens.refresh_token);
    expect(response.status).toBe(400);
    expect(response.headers.get('reason')).toMatch(/^TooEarlyToRefreshTokens: /);
    expect(await response.json()).toEqual({ error: 'access_denied', error_description: 'Rate limit exceeded: access_token not expired' });
  });

  it('rotates the refresh token: a new pair, and the old refresh token is then refused', async () => {
    const first = await login(sb.base);
    sb.clock.advance(571 * SECOND);
    const response = await refresh(first.refresh_token);
    expect(response.status).toBe(200);
    const second = (await response.json()) as TokenBody;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.expires_in).toBe('600');

    sb.clock.advance(600 * SECOND);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toEqual({ error: 'invalid_grant', error_description: 'Old refresh token used.' });
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it('refuses a second refresh with the old Exact token when two refreshes race', async () => {
    const tokens = await login(sb.base);
    sb.clock.advance(600 * SECOND);
    const [a, b] = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
  });

  it('keeps a superseded access token valid until its own expiry', async () => {
    const first = await login(sb.base);
    sb.clock.advance(580 * SECOND);
    expect((await refresh(first.refresh_token)).status).toBe(200);
    expect((await me(first.access_token)).status).toBe(200);
    sb.clock.advance(20 * SECOND);
    const expired = await me(first.access_token);
    expect(expired.status).toBe(401);
  });

  it('expires a refresh token left unused for 30 days', async () => {
    const tokens = await login(sb.base);
    sb.clock.advance(30 * DAY + SECOND);
    const response = await refresh(tokens.refresh_token);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/^The refresh token expired at .+ and it is now .+$/);
  });

  it('still refreshes a refresh token used within 30 days', async () => {
    const tokens = await login(sb.base);
    sb.clock.advance(29 * DAY);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('refuses an unknown refresh token as invalid_grant', async () => {
    const response = await refresh('eol_rt_unknown');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
  });

  it('ages every access token on POST /_tokens/expire, after which a refresh is allowed at once', async () => {
    const tokens = await login(sb.base);
    expect((await control(sb.base, '_tokens/expire')).status).toBe(200);
    expect((await me(tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('counts token calls and rejected refreshes in _stats', async () => {
    await control(sb.base, '_stats/reset');
    const tokens = await login(sb.base);
    await refresh(tokens.refresh_token); // too early
    await refresh('eol_rt_unknown');
    const stats = (await (await fetch(`${sb.base}/_stats`)).json()) as { tokenRequests: number; rejectedRefreshes: number; requests: number };
    expect(stats.tokenRequests).toBe(3);
    expect(stats.rejectedRefreshes).toBe(2);
    expect(stats.requests).toBe(0);
  });
});

describe('API authentication', () => {
  it('answers 401 without a bearer token or with an unknown one, in Exact error shape', async () => {
    for (const token of [undefined, 'eol_at_forged']) {
      const response = await apiGet(`${sb.api}/current/Me`, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await response.json()) as { error: { code: string; message: { lang: string; value: string } } };
      expect(body.error.message.value).toMatch(/Unauthorized/);
    }
  });

  it('answers 401 once the access token is 600 seconds old', async () => {
    const tokens = await login(sb.base);
    sb.clock.advance(599 * SECOND);
    expect((await me(tokens.access_token)).status).toBe(200);
    sb.clock.advance(SECOND);
    const response = await me(tokens.access_token);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: { value: string } } }).error.message.value).toMatch(/expired/);
  });
});
