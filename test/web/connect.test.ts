// The connect extension point with a stand-in provider: state bound to the browser session, PKCE verifier
// kept server-side, single use, expiry, and readable pages for every way a connect attempt can fail.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { AppContext } from '../../server/src/app';
import { AdjustableClock, MINUTE } from '../../server/src/clock';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import type { Connection, Connections } from '../../server/src/store/connections';
import { openDatabase } from '../../server/src/store/database';
import { Vault } from '../../server/src/store/vault';
import { createAccessParts, type AccessParts } from '../../server/src/web/access';
import { ConnectFailed, pkceChallenge, type ConnectCallback, type ConnectProvider, type ConnectStart } from '../../server/src/web/connect';
import { createWebRouter } from '../../server/src/web/router';
import { Browser, CapturedLog, createOwner, tempDataDir, type Owner, type Page } from '../auth/harness';

/** Plays Exact Online's side: remembers what it was started with and checks the PKCE verifier at the exchange. */
class StandInExactProvider implements ConnectProvider {
  readonly source = 'exactonline' as const;
  readonly displayName = 'Exact Online';
  readonly starts: ConnectStart[] = [];
  readonly callbacks: ConnectCallback[] = [];
  constructor(private readonly connections: Connections) {}

  authorizationUrl(start: ConnectStart): string {
    this.starts.push(start);
    const url = new URL('https://start.exactonline.example/api/oauth2/auth');
    url.search = new URLSearchParams({ client_id: 'stand-in', redirect_uri: start.redirectUri, response_type: 'code', state: start.state, code_challenge: start.codeChallenge }).toString();
    return url.toString();
  }

  async complete(callback: ConnectCallback): Promise<Connection> {
    this.callbacks.push(callback);
    if (callback.code === 'stale-code') throw new ConnectFailed('expired_code', 'Exact Online says the authorization code has expired (codes last about 3 minutes). Connect again.');
    if (callback.code === 'crash') throw new Error('token endpoint said: invalid client_secret sandbox-secret');
    const start = this.starts.find((s) => s.nonce === callback.nonce);
    if (!start || pkceChallenge(callback.codeVerifier) !== start.codeChallenge) throw new ConnectFailed('upstream', 'PKCE verifier does not match the challenge.');
    const connection = this.connections.upsert({
      workspaceId: callback.workspace.id,
      source: 'exactonline',
      externalKey: 'exact-user-42',
      label: 'Accountant @ Exact Online',
      baseUrl: 'https://start.exactonline.nl',
      connectedBy: callback.user.id,
    });
    this.connections.upsertAdministrations(connection.id, [
      { code: '310101', name: 'Alpha BV' },
      { code: '310102', name: 'Beta BV' },
    ]);
    return connection;
  }
}

let clock: AdjustableClock;
let access: AccessParts;
let provider: StandInExactProvider;
let server: http.Server;
let base: string;
let dataDir: string;
let owner: Owner;
const log = new CapturedLog();

beforeAll(async () => {
  dataDir = tempDataDir();
  clock = new AdjustableClock();
  const db = openDatabase(dataDir);
  const ctx: AppContext = {
    config: loadConfig('sandbox', { LEDGERFEED_DATA_DIR: dataDir, PORT: '0' }),
    clock,
    logger: createLogger('debug', log),
    db,
    vault: new Vault(crypto.randomBytes(32)),
    publicUrl: () => base,
  };
  access = createAccessParts(ctx);
  provider = new StandInExactProvider(access.connections);
  access.connectProviders.register(provider);
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(createWebRouter(ctx, access));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  owner = await createOwner(access.accounts, 'olga');
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function signedInBrowser(): Promise<Browser> {
  const b = new Browser(base);
  expect((await b.signIn('olga', owner.password)).status).toBe(303);
  return b;
}

/** Presses "Connect Exact Online" and returns the state the upstream would send back. */
async function startConnect(b: Browser): Promise<{ redirect: URL; state: string }> {
  const res = await b.submit(`/workspaces/${owner.workspace.slug}`, `/workspaces/${owner.workspace.slug}/connect/exactonline`, {});
  expect(res.status).toBe(303);
  const redirect = new URL(res.location!);
  return { redirect, state: redirect.searchParams.get('state')! };
}

function expectReadableError(page: Page, title: string): void {
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(page.text).toContain(`<h1>${title}</h1>`);
  expect(page.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|Error:/);
}

it('connects a login: redirects with state and PKCE challenge, completes with the verifier, stores connection and administrations', async () => {
  const b = await signedInBrowser();
  const { redirect, state } = await startConnect(b);
  expect(redirect.origin).toBe('https://start.exactonline.example');
  expect(redirect.searchParams.get('redirect_uri')).toBe(`${base}/connect/exactonline/callback`);
  expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const done = await b.get(`/connect/exactonline/callback?code=good-code&state=${encodeURIComponent(state)}`);
  expect(done.status).toBe(303);
  expect(done.location).toMatch(new RegExp(`^/workspaces/${owner.workspace.slug}#connection-\\d+$`));

  const page = await b.get(`/workspaces/${owner.workspace.slug}`);
  expect(page.text).toContain('Accountant @ Exact Online');
  expect(page.text).toContain('2 of 2 administrations in the feed.');
  const entry = access.accounts.auditLog({ workspaceId: owner.workspace.id }).find((e) => e.action === 'connection.connect');
  expect(entry?.detail).toMatchObject({ source: 'exactonline', externalKey: 'exact-user-42' });
  const audit = JSON.stringify(access.accounts.auditLog({ workspaceId: owner.workspace.id }));
  expect(audit).not.toContain('good-code');
  expect(audit).not.toContain(provider.callbacks.at(-1)!.codeVerifier);
});

it('refuses a callback whose state was issued to another browser session, with a readable page', async () => {
  const mine = await signedInBrowser();
  const { state } = await startConnect(mine);
  const other = await signedInBrowser();
  const page = await other.get(`/connect/exactonline/callback?code=good-code&state=${encodeURIComponent(state)}`);
  expect(page.status).toBe(400);
  expectReadableError(page, 'Could not connect');
  expect(page.text).toContain('another browser session');
  // The attempt is spent: the rightful browser cannot use it afterwards either.
  expect((await mine.get(`/connect/exactonline/callback?code=good-code&state=${encodeURIComponent(state)}`)).status).toBe(400);
});

it('refuses an unknown state and a state used twice', async () => {
  const b = await signedInBrowser();
  expectReadableError(await b.get('/connect/exactonline/callback?code=x&state=made-up'), 'Could not connect');
  const { state } = await startConnect(b);
  expect((await b.get(`/connect/exactonline/callback?code=good-code&state=${state}`)).status).toBe(303);
  const again = await b.get(`/connect/exactonline/callback?code=good-code&state=${state}`);
  expect(again.status).toBe(400);
  expectReadableError(again, 'Could not connect');
});

it('refuses a state that has expired while the person lingered at the consent screen', async () => {
  const b = await signedInBrowser();
  const { state } = await startConnect(b);
  clock.advance(16 * MINUTE);
  const page = await b.get(`/connect/exactonline/callback?code=good-code&state=${state}`);
  expect(page.status).toBe(400);
  expect(page.text).toContain('has expired');
});

it('explains declined consent without connecting anything', async () => {
  const b = await signedInBrowser();
  const before = access.connections.inWorkspace(owner.workspace.id).length;
  const { state } = await startConnect(b);
  const page = await b.get(`/connect/exactonline/callback?error=access_denied&error_description=${encodeURIComponent('<b>The user denied</b>')}&state=${state}`);
  expect(page.status).toBe(400);
  expectReadableError(page, 'Not connected');
  expect(page.text).toContain('consent was declined');
  expect(access.connections.inWorkspace(owner.workspace.id).length).toBe(before);
});

it('shows an upstream error description escaped', async () => {
  const b = await signedInBrowser();
  const { state } = await startConnect(b);
  const page = await b.get(`/connect/exactonline/callback?error=server_error&error_description=${encodeURIComponent('<script>x()</script>')}&state=${state}`);
  expect(page.status).toBe(502);
  expect(page.text).toContain('&lt;script&gt;x()&lt;/script&gt;');
  expect(page.text).not.toContain('<script>x()');
});

it('explains an expired authorization code the provider reports', async () => {
  const b = await signedInBrowser();
  const { state } = await startConnect(b);
  const page = await b.get(`/connect/exactonline/callback?code=stale-code&state=${state}`);
  expect(page.status).toBe(400);
  expectReadableError(page, 'Could not connect');
  expect(page.text).toContain('authorization code has expired');
  const failed = access.accounts.auditLog({ workspaceId: owner.workspace.id }).find((e) => e.action === 'connection.connect_failed');
  expect(failed?.detail).toEqual({ failure: 'expired_code' });
});

it('never shows a stack trace or the provider’s internal message when the provider crashes', async () => {
  const b = await signedInBrowser();
  const { state } = await startConnect(b);
  const page = await b.get(`/connect/exactonline/callback?code=crash&state=${state}`);
  expect(page.status).toBe(502);
  expectReadableError(page, 'Could not connect');
  expect(page.text).not.toContain('client_secret');
  expect(page.text).toContain('failed unexpectedly');
});

it('says so when a source has no provider configured on this server', async () => {
  const b = await signedInBrowser();
  const page = await b.submit(`/workspaces/${owner.workspace.slug}`, `/workspaces/${owner.workspace.slug}/connect/twinfield`, {});
  expect(page.status).toBe(503);
  expectReadableError(page, 'Cannot connect');
  expect(page.text).toContain('Twinfield is not set up on this server');
});

it('keeps the session id, CSRF tokens and PKCE verifiers out of the logs', async () => {
  const b = await signedInBrowser();
  await startConnect(b);
  const sessionId = [...b.cookies.values()][0];
  expect(log.text).not.toContain(sessionId);
  for (const cb of provider.callbacks) expect(log.text).not.toContain(cb.codeVerifier);
  expect(log.text).not.toContain(owner.password);
});
