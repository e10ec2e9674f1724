// What Ledgerfeed sends to Exact Online's token endpoint and how it reads the answer, seen from a server that
// records the requests: credentials in the form body (not HTTP Basic), a code with !+/= form-encoded intact,
// `expires_in` as a string read against the injected clock, and an authorize URL without scope or PKCE.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdjustableClock, SECOND } from '../../../server/src/clock';
import { ExactOnlineOAuth } from '../../../server/src/sources/exactonline';
import { RefreshRejected } from '../../../server/src/sources/tokens';

interface Recorded {
  path: string;
  authorization?: string;
  form: URLSearchParams;
}

describe('Exact Online token requests', () => {
  let server: http.Server;
  let base: string;
  const recorded: Recorded[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        recorded.push({ path: req.url ?? '', authorization: req.headers.authorization, form: new URLSearchParams(body) });
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/eol`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    recorded.length = 0;
  });

  const oauth = (clock = new AdjustableClock()) => new ExactOnlineOAuth({ baseUrl: base, clientId: 'app-id', clientSecret: 'app-secret', clock });

  it('exchanges a code with the credentials in the form body and reads expires_in as a string against its own clock', async () => {
    const clock = new AdjustableClock();
    clock.advance(1000 * SECOND); // far from the system clock: the expiry must follow this one
    answer = { status: 200, body: { access_token: 'AT', token_type: 'bearer', expires_in: '600', refresh_token: 'RT' } };
    const before = clock.now();
    const tokens = await oauth(clock).exchangeCode('stampNL001.a+b/c=!d', 'https://ledgerfeed.example/connect/exactonline/callback');
    expect(tokens).toEqual({ accessToken: 'AT', refreshToken: 'RT', accessExpiresAt: expect.any(Number) });
    expect(tokens.accessExpiresAt - before).toBeGreaterThanOrEqual(600 * SECOND);
    expect(tokens.accessExpiresAt - before).toBeLessThan(601 * SECOND);
    const [request] = recorded;
    expect(request.path).toBe('/eol/api/oauth2/token');
    expect(request.authorization).toBeUndefined();
    expect(Object.fromEntries(request.form)).toEqual({
      grant_type: 'authorization_code',
      code: 'stampNL001.a+b/c=!d',
      redirect_uri: 'https://ledgerfeed.example/connect/exactonline/callback',
      client_id: 'app-id',
      client_secret: 'app-secret',
    });
  });

  it('refreshes with the refresh token and the credentials in the body', async () => {
    answer = { status: 200, body: { access_token: 'AT2', token_type: 'bearer', expires_in: '600', refresh_token: 'RT2' } };
    const tokens = await oauth().refresh('RT1');
    expect(tokens.refreshToken).toBe('RT2');
    expect(Object.fromEntries(recorded[0].form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'RT1', client_id: 'app-id', client_secret: 'app-secret' });
  });

  it('gives up the login only when Exact says the refresh token is dead', async () => {
    answer = { status: 401, body: { error: 'invalid_grant', error_description: 'Old refresh token used.' } };
    const dead = await oauth().refresh('RT1').catch((e: unknown) => e);
    expect(dead).toBeInstanceOf(RefreshRejected);
    expect((dead as RefreshRejected).permanent).toBe(true);
    answer = { status: 503, body: { error: 'temporarily_unavailable' } };
    const passing = await oauth().refresh('RT1').catch((e: unknown) => e);
    expect((passing as RefreshRejected).permanent).toBe(false);
    expect(String((passing as Error).message)).not.toContain('RT1');
  });

  it('sends the browser to /api/oauth2/auth without scope or PKCE parameters', () => {
    const url = new URL(oauth().authorizationUrl({ redirectUri: 'https://ledgerfeed.example/cb', state: 's t' }));
    expect(url.pathname).toBe('/eol/api/oauth2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({ response_type: 'code', client_id: 'app-id', redirect_uri: 'https://ledgerfeed.example/cb', state: 's t' });
  });
});
