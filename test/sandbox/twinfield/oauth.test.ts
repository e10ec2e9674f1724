// Contract of the simulated login.twinfield.com: OpenID Connect authorize with its login form, the token
// endpoint's grants and errors, access-token validation with the cluster URL, expiry on the simulator's clock.
import { createPublicKey, createVerify } from 'node:crypto';
import { TWINFIELD_SANDBOX } from '../../../server/src/sandbox/twinfield';
import {
  advanceClock,
  authorizeUrl,
  basicAuth,
  control,
  formFields,
  type Harness,
  json,
  login,
  REDIRECT_URI,
  startSimulator,
  submitLogin,
  TEST_START,
  tokenRequest,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(() => h.close());

const redirectParams = (response: Response) => {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return location.searchParams;
};

async function codeFor(query = {}): Promise<string> {
  const code = redirectParams(await submitLogin(h, query)).get('code');
  if (!code) throw new Error('no code');
  return code;
}

const validate = (token: string) => fetch(`${h.base}/auth/authentication/connect/accesstokenvalidation?token=${encodeURIComponent(token)}`);

describe('authorize', () => {
  it('shows a login form that carries every authorize parameter in hidden fields', async () => {
    const response = await fetch(authorizeUrl(h, { state: 'a"b<c>&d' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const fields = formFields(await response.text());
    expect(Object.fromEntries(fields)).toMatchObject({
      client_id: TWINFIELD_SANDBOX.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid twf.user twf.organisation twf.organisationUser offline_access',
      state: 'a"b<c>&d',
      nonce: 'nonce-456',
      organisation: 'SANDBOX',
    });
  });

  it('redirects back with a code and the unchanged state after demo/demo logs in', async () => {
    const params = redirectParams(await submitLogin(h, { state: 'xyz 123' }));
    expect(params.get('code')).toMatch(/\S{20,}/);
    expect(params.get('state')).toBe('xyz 123');
    expect(params.get('error')).toBeNull();
  });

  it('requires a nonce on every authorize request', async () => {
    const response = await fetch(authorizeUrl(h, { nonce: undefined }), { redirect: 'manual' });
    const params = redirectParams(response);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/nonce/);
    expect(params.get('code')).toBeNull();
  });

  it('answers invalid_scope on the redirect for a scope Twinfield does not know', async () => {
    const params = redirectParams(await fetch(authorizeUrl(h, { scope: 'openid twf.user twf.everything' }), { redirect: 'manual' }));
    expect(params.get('error')).toBe('invalid_scope');
    expect(params.get('state')).toBe('state-123');
  });

  it('answers unsupported_response_type for the implicit grant, which needs its own client id', async () => {
    const params = redirectParams(await fetch(authorizeUrl(h, { response_type: 'token' }), { redirect: 'manual' }));
    expect(params.get('error')).toBe('unsupported_response_type');
  });

  it('redirects with access_denied when the user cancels consent', async () => {
    const params = redirectParams(await submitLogin(h, {}, { action: 'cancel' }));
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('state-123');
  });

  it('shows the form again, without a redirect, for a wrong password or organisation', async () => {
    for (const form of [{ password: 'wrong' }, { organisation: 'NOSUCHORG' }]) {
      const response = await submitLogin(h, {}, form);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/id="error"/);
    }
  });

  it('shows an error page, not a redirect, for an unknown client or an unusable redirect URI', async () => {
    for (const query of [{ client_id: 'someone-else' }, { redirect_uri: 'javascript:alert(1)' }]) {
      const response = await fetch(authorizeUrl(h, query), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });
});

describe('token', () => {
  it('exchanges a code once for an hour-long Bearer access token and a refresh token', async () => {
    const code = await codeFor();
    const response = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = await json(response);
    expect(tokens).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    expect(tokens.access_token).toMatch(/^twf_at_/);
    expect(tokens.refresh_token).toMatch(/^twf_rt_/);

    const again = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_grant' });
  });

  it('issues an id_token signed with the published key that carries the nonce and the organisation', async () => {
    const code = await codeFor({ nonce: 'n-0S6_WzA2Mj' });
    const tokens = await json(await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }));
    const [header, payload, signature] = String(tokens.id_token).split('.');
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
    const config = await json(await fetch(`${h.base}/auth/authentication/.well-known/openid-configuration`));
    const jwks = await json(await fetch(config.jwks_uri));
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
    const verified = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url'));
    expect(verified).toBe(true);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ nonce: 'n-0S6_WzA2Mj', aud: TWINFIELD_SANDBOX.clientId, 'twf.organisationCode': 'SANDBOX' });
  });

  it('refuses a code presented with another redirect_uri', async () => {
    const code = await codeFor();
    const response = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/elsewhere' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
  });

  describe('PKCE (RFC 7636)', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    // RFC 7636 appendix B: BASE64URL(SHA256(verifier)) of the verifier above.
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const exchange = (code: string, extra: Record<string, string> = {}) => tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra });

    it('binds the code to an S256 challenge: only the matching verifier redeems it', async () => {
      const missing = await exchange(await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' }));
      expect({ status: missing.status, body: await missing.json() }).toEqual({ status: 400, body: { error: 'invalid_grant' } });
      const wrong = await exchange(await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' }), { code_verifier: verifier.replace('d', 'e') });
      expect({ status: wrong.status, body: await wrong.json() }).toEqual({ status: 400, body: { error: 'invalid_grant' } });
      const right = await exchange(await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' }), { code_verifier: verifier });
      expect(right.status).toBe(200);
      expect(((await right.json()) as { access_token: string }).access_token).toMatch(/^twf_at_/);
    });

    it('takes the plain method, which is the default when none is named', async () => {
      const plain = await exchange(await codeFor({ code_challenge: verifier }), { code_verifier: verifier });
      expect(plain.status).toBe(200);
      const hashedIsNotPlain = await exchange(await codeFor({ code_challenge: challenge, code_challenge_method: 'plain' }), { code_verifier: verifier });
      expect(hashedIsNotPlain.status).toBe(400);
    });

    it('answers invalid_request on the redirect for a malformed challenge or an unknown method', async () => {
      const short = redirectParams(await fetch(authorizeUrl(h, { code_challenge: 'too-short' }), { redirect: 'manual' }));
      expect(short.get('error')).toBe('invalid_request');
      const method = redirectParams(await fetch(authorizeUrl(h, { code_challenge: challenge, code_challenge_method: 'S512' }), { redirect: 'manual' }));
      expect(method.get('error')).toBe('invalid_request');
    });

    it('still redeems a code without a challenge, with or without a verifier', async () => {
      expect((await exchange(await codeFor())).status).toBe(200);
    });
  });

  it('refuses a wrong client secret in the Basic header with 401 invalid_client, and without one with 400', async () => {
    const code = await codeFor();
    const wrong = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, basicAuth(TWINFIELD_SANDBOX.clientId, 'not-the-secret'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_client' });
    const missing = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, '');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'invalid_client' });
  });

  it('answers 401 invalid_client, not a server error, for Basic credentials that do not decode', async () => {
    const code = await codeFor();
    const raw = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    for (const authorization of [basicAuth('%E0%A4%A', TWINFIELD_SANDBOX.clientSecret), basicAuth(TWINFIELD_SANDBOX.clientId, '100%'), raw('no-colon-here')]) {
      const response = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, authorization);
      expect([authorization, response.status]).toEqual([authorization, 401]);
      expect(await response.json()).toEqual({ error: 'invalid_client' });
    }
    // None of them used up the code.
    expect((await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })).status).toBe(200);
  });

  it('reads the Basic parts form-encoded, as RFC 6749 sends them', async () => {
    const code = await codeFor();
    const encoded = (text: string) => text.replace(/-/g, '%2D');
    const response = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, basicAuth(encoded(TWINFIELD_SANDBOX.clientId), encoded(TWINFIELD_SANDBOX.clientSecret)));
    expect(response.status).toBe(200);
  });

  it('refuses client credentials in the form body: Twinfield authenticates the app with HTTP Basic only', async () => {
    const code = await codeFor();
    const inBody = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: TWINFIELD_SANDBOX.clientId, client_secret: TWINFIELD_SANDBOX.clientSecret };
    const response = await tokenRequest(h, inBody, '');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: (await login(h)).refresh_token!, client_id: TWINFIELD_SANDBOX.clientId, client_secret: TWINFIELD_SANDBOX.clientSecret }, '');
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toEqual({ error: 'invalid_client' });
    const discovery = await json(await fetch(`${h.base}/auth/authentication/.well-known/openid-configuration`));
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
  });

  it('refuses an unknown grant type', async () => {
    const response = await tokenRequest(h, { grant_type: 'password', username: 'demo', password: 'demo' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'unsupported_grant_type' });
  });

  it('returns a new refresh token on refresh while the one presented stays valid', async () => {
    const first = await login(h);
    const refreshed = await json(await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }));
    expect(refreshed.access_token).toMatch(/^twf_at_/);
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(refreshed.refresh_token).toMatch(/^twf_rt_/);
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    expect(refreshed.expires_in).toBe(3600);

    const withOld = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    expect(withOld.status).toBe(200);
    const withNew = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token });
    expect(withNew.status).toBe(200);
  });

  it('refuses an unknown refresh token with invalid_grant and counts the rejection', async () => {
    const before = (await control(h, '/_stats')).json.rejectedRefreshes;
    const response = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'twf_rt_made-up' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant' });
    expect((await control(h, '/_stats')).json.rejectedRefreshes).toBe(before + 1);
  });

  it('gives no refresh token without offline_access', async () => {
    const tokens = await login(h, { scope: 'openid twf.user twf.organisation twf.organisationUser' });
    expect(tokens.access_token).toMatch(/^twf_at_/);
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe('access token validation', () => {
  it('answers exp and nbf as strings, scope as an array, the organisation and the cluster URL', async () => {
    const tokens = await login(h);
    const response = await validate(tokens.access_token);
    expect(response.status).toBe(200);
    const info = await json(response);
    expect(info).toMatchObject({
      exp: String(Math.floor(TEST_START / 1000) + 3600 + Math.floor(h.clock.offset / 1000)),
      client_id: TWINFIELD_SANDBOX.clientId,
      scope: ['openid', 'twf.user', 'twf.organisation', 'twf.organisationUser', 'offline_access'],
      'twf.organisationUserCode': 'DEMO',
      'twf.organisationCode': 'SANDBOX',
      'twf.clusterUrl': h.base,
    });
    expect(typeof info.nbf).toBe('string');
    expect(Number(info.exp) - Number(info.nbf)).toBe(3600);
    expect(info['twf.organisationId']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('tells the organisation the user logged in to', async () => {
    const tokens = await login(h, {}, 'SANDBOX2');
    expect((await json(await validate(tokens.access_token)))['twf.organisationCode']).toBe('SANDBOX2');
  });

  it('answers 400 {"Message":"invalid_token"} for a token it did not issue', async () => {
    const response = await validate('twf_at_made-up');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ Message: 'invalid_token' });
  });
});

describe('expiry', () => {
  it('ends an access token after an hour on the simulator clock, and a refresh still works', async () => {
    const tokens = await login(h);
    await advanceClock(h, 3600 * 1000 - 1000);
    expect((await validate(tokens.access_token)).status).toBe(200);
    await advanceClock(h, 1000);
    expect((await validate(tokens.access_token)).status).toBe(400);

    const refreshed = await json(await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }));
    expect((await validate(refreshed.access_token)).status).toBe(200);
  });

  it('ends every access token on POST /_tokens/expire, and refresh tokens too when asked', async () => {
    const tokens = await login(h);
    const expired = await control(h, '/_tokens/expire', {});
    expect(expired.json.accessTokens).toBeGreaterThan(0);
    expect((await validate(tokens.access_token)).status).toBe(400);
    expect((await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).status).toBe(200);

    const revoked = await control(h, '/_tokens/expire', { refreshTokens: true });
    expect(revoked.json.refreshTokens).toBeGreaterThan(0);
    const refused = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid_grant' });
  });

  it('counts every token and validation request', async () => {
    await control(h, '/_stats/reset', {});
    await login(h);
    await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'twf_rt_nope' });
    await validate('twf_at_nope');
    expect((await control(h, '/_stats')).json.tokenRequests).toBe(3);
  });
});
