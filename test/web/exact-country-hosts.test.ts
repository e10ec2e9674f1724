// Exact Online country hosts on the connect form of a production (`serve`) server: two simulators stand in for
// two country hosts (each with the app registered), LEDGERFEED_EXACT_HOSTS offers both, and a person picks the
// host on the workspace page. The login, its divisions and every later API call live at the chosen host only;
// "Authorize again" goes back to that host; a host that is not offered is refused with a readable page.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/src/config';
import { silentLogger } from '../../server/src/logger';
import { startSimulators, type RunningSimulators } from '../../server/src/sandbox/standalone';
import { startServer, type RunningServer } from '../../server/src/server';
import { Accounts } from '../../server/src/store/accounts';
import { Connections } from '../../server/src/store/connections';
import { Browser, createOwner, FAST_SCRYPT, type Owner, type Page } from '../auth/harness';

const APP = { clientId: 'acme-ledgerfeed', clientSecret: 'acme-app-secret-0123456789' };
const EXACT = '/sandbox/exactonline';

let nl: RunningSimulators;
let be: RunningSimulators;
let server: RunningServer;
let dataDir: string;
let owner: Owner;
let connections: Connections;

beforeAll(async () => {
  [nl, be] = await Promise.all(
    ['nl', 'be'].map((country) => startSimulators({ rows: 20, latencyMs: 0, minuteMs: 60_000, seed: `country-${country}`, exactOnline: { app: APP } })),
  );
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-exact-hosts-'));
  const config = loadConfig('serve', {
    PORT: '0',
    LEDGERFEED_DATA_DIR: dataDir,
    LEDGERFEED_SECRET_KEY: crypto.randomBytes(32).toString('base64'),
    LEDGERFEED_EXACT_BASE_URL: `${nl.url}${EXACT}`,
    LEDGERFEED_EXACT_HOSTS: `${be.url}${EXACT}`,
    LEDGERFEED_EXACT_CLIENT_ID: APP.clientId,
    LEDGERFEED_EXACT_CLIENT_SECRET: APP.clientSecret,
    LEDGERFEED_KEEPALIVE: 'false',
    LEDGERFEED_LOG_LEVEL: 'silent',
  });
  server = await startServer(config, { logger: silentLogger });
  const accounts = new Accounts(server.context.db, server.context.clock, { mode: 'serve', grants: config.grants, scrypt: FAST_SCRYPT });
  owner = await createOwner(accounts, 'anna');
  connections = new Connections(server.context.db, server.context.clock);
});

afterAll(async () => {
  await server?.close();
  await Promise.all([nl?.close(), be?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const workspacePath = () => `/workspaces/${owner.workspace.slug}`;

async function signedIn(): Promise<Browser> {
  const browser = new Browser(server.url);
  const signin = await browser.signIn(owner.user.username, owner.password);
  expect(signin.status).toBe(303);
  return browser;
}

/** The person at the upstream's login page: fills in demo/demo and is sent back with a code. */
async function loginAt(authorizeUrl: string): Promise<string> {
  const form = await fetch(authorizeUrl);
  expect(form.status).toBe(200);
  const fields = new URLSearchParams();
  for (const m of (await form.text()).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2].replace(/&amp;/g, '&'));
  fields.set('username', 'demo');
  fields.set('password', 'demo');
  const posted = await fetch(authorizeUrl, { method: 'POST', body: fields, redirect: 'manual' });
  expect(posted.status).toBe(302);
  return posted.headers.get('location')!;
}

/** Back at Ledgerfeed's callback with the code, in the same browser. */
async function callback(browser: Browser, location: string): Promise<Page> {
  const url = new URL(location);
  expect(url.origin).toBe(new URL(server.url).origin);
  return browser.get(url.pathname + url.search);
}

const requests = async (sims: RunningSimulators) => ((await (await fetch(`${sims.url}${EXACT}/_stats`)).json()) as { requests: number; tokenRequests: number });

describe('Exact Online country hosts', () => {
  it('offers every configured host on the connect form, the default first', async () => {
    const browser = await signedIn();
    const page = await browser.get(workspacePath());
    expect(page.status).toBe(200);
    const select = /<select name="host">([\s\S]*?)<\/select>/.exec(page.text);
    expect(select).not.toBeNull();
    const values = [...select![1].matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]);
    expect(values).toEqual([`${nl.url}${EXACT}`, `${be.url}${EXACT}`]);
    // Twinfield has one login address: nothing to choose.
    expect(page.text.match(/<select /g)).toHaveLength(1);
  });

  it('connects a login at the chosen host, and reads its divisions and data there only', async () => {
    const browser = await signedIn();
    const before = { nl: await requests(nl), be: await requests(be) };
    const started = await browser.submit(workspacePath(), `${workspacePath()}/connect/exactonline`, { host: `${be.url}${EXACT}` });
    expect(started.status).toBe(303);
    expect(started.location!.startsWith(`${be.url}${EXACT}/api/oauth2/auth?`)).toBe(true);
    const back = await callback(browser, await loginAt(started.location!));
    expect(back.status).toBe(303);

    const connection = connections.inWorkspace(owner.workspace.id).find((c) => c.source === 'exactonline')!;
    expect(connection.baseUrl).toBe(`${be.url}${EXACT}`);
    expect(connection.externalKey).toBe(`${be.exactOnline.user.id}@${new URL(be.url).host}`);
    const divisions = connections.administrations(owner.workspace.id, { connectionId: connection.id }).map((a) => a.name);
    expect(divisions).toEqual(be.exactOnline.ledgers.map((l) => l.info.name));

    const sync = await server.ledgerfeed.sync.syncWorkspace({ workspaceId: owner.workspace.id, source: 'exactonline', tables: ['Journals'] });
    expect(sync.failed).toBe(0);
    expect(sync.results).toHaveLength(8);
    const after = { nl: await requests(nl), be: await requests(be) };
    expect(after.nl).toEqual(before.nl);
    expect(after.be.tokenRequests).toBeGreaterThan(before.be.tokenRequests);
    expect(after.be.requests).toBeGreaterThan(before.be.requests + 8);
  });

  it('authorizes a login again at its own host', async () => {
    const connection = connections.inWorkspace(owner.workspace.id).find((c) => c.source === 'exactonline')!;
    server.ledgerfeed.tokens.markNeedsReauthorization(connection.id, 'Exact Online refused the refresh token (invalid_grant).');
    const browser = await signedIn();
    const page = await browser.get(workspacePath());
    const form = new RegExp(`<form method="post" action="${workspacePath()}/connect/exactonline"><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="host" value="([^"]+)">`).exec(page.text);
    expect(form?.[1]).toBe(`${be.url}${EXACT}`);
    const again = await browser.post(`${workspacePath()}/connect/exactonline`, { _csrf: Browser.csrf(page), host: form![1] });
    expect(again.location!.startsWith(`${be.url}${EXACT}/api/oauth2/auth?`)).toBe(true);
    expect((await callback(browser, await loginAt(again.location!))).status).toBe(303);
    const renewed = connections.byId(connection.id)!;
    expect(connections.health(renewed).state).toBe('ok');
    expect(renewed.baseUrl).toBe(`${be.url}${EXACT}`);
  });

  it('refuses a host that is not offered, with a readable page, and starts nothing', async () => {
    const browser = await signedIn();
    const refused = await browser.submit(workspacePath(), `${workspacePath()}/connect/exactonline`, { host: 'https://attacker.example/sandbox/exactonline' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('Exact Online country must be one of:');
    expect(refused.text).not.toContain('attacker.example');
    expect(server.context.db.prepare("SELECT COUNT(*) AS n FROM connect_attempts WHERE source = 'exactonline'").get()).toEqual({ n: 0 });
  });
});
