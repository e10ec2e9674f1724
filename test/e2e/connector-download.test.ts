// The connector download and the guide the workspace page links to: signed-in only, the built dist/Ledgerfeed.mez as an
// attachment named Ledgerfeed.mez, a message for the operator while it has not been built, and the guide rendered.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { MEZ_PATH, REPOSITORY_ROOT } from '../../connector/paths';
import { AdjustableClock } from '../../server/src/clock';
import { loadConfig } from '../../server/src/config';
import { silentLogger } from '../../server/src/logger';
import { openDatabase } from '../../server/src/store/database';
import { Vault } from '../../server/src/store/vault';
import { createAccessParts } from '../../server/src/web/access';
import { INSTALLED_CLIENT_FILES } from '../../server/src/web/downloads';
import { createWebRouter } from '../../server/src/web/router';
import { Browser, createOwner } from '../auth/harness';
import { ensureConnectorBuilt, newCustomer, startSandbox, type Customer, type Sandbox } from './sandbox';

let sandbox: Sandbox;
let customer: Customer;
let connector: Buffer;

beforeAll(async () => {
  connector = await ensureConnectorBuilt();
  sandbox = await startSandbox();
  customer = await newCustomer(sandbox, 'dana', { slug: 'dana-books', name: "Dana's books" });
});
afterAll(() => sandbox?.close());

/** GET with the browser's cookies, the body as bytes. */
async function download(browser: Browser, pathname: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(browser.base + pathname, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

async function signedIn(base: string, username: string, password: string): Promise<Browser> {
  const browser = new Browser(base);
  expect((await browser.signIn(username, password)).status).toBe(303);
  return browser;
}

describe('the connector download', () => {
  it('sends someone who is not signed in to the sign-in page first', async () => {
    const res = await download(new Browser(sandbox.url), '/downloads/Ledgerfeed.mez');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin?next=%2Fdownloads%2FLedgerfeed.mez');
  });

  it('gives a signed-in user the built Ledgerfeed.mez as a ZIP attachment, from the link on the workspace page', async () => {
    const browser = await signedIn(sandbox.url, customer.username, customer.password);
    const page = await browser.get(`/workspaces/${customer.workspace.slug}`);
    expect(page.text).toContain('<a href="/downloads/Ledgerfeed.mez" download>download Ledgerfeed.mez</a>');
    const res = await download(browser, '/downloads/Ledgerfeed.mez');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Ledgerfeed.mez"');
    expect(res.headers.get('content-length')).toBe(String(connector.length));
    expect(res.body.equals(connector)).toBe(true);
    expect(res.body.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))).toBe(true);
  });

  it('shows the workspace address for the connector and each source\'s OData address, with the guide linked', async () => {
    const browser = await signedIn(sandbox.url, customer.username, customer.password);
    const page = await browser.get(`/workspaces/${customer.workspace.slug}`);
    const root = `${sandbox.url}/odata/${customer.workspace.slug}`;
    expect(page.text).toContain(`<code class="feed-url" data-use="connector">${root}</code>`);
    expect(page.text).toContain(`<code class="feed-url" data-use="exactonline">${root}/exactonline/</code>`);
    expect(page.text).toContain(`<code class="feed-url" data-use="twinfield">${root}/twinfield/</code>`);
    expect(page.text).toContain('<a href="/docs/power-bi">How to connect Power BI and Excel</a>');
  });

  it('renders the guide, docs/power-bi.md, with anchors for its own links', async () => {
    const guide = await new Browser(sandbox.url).get('/docs/power-bi');
    expect(guide.status).toBe(200);
    expect(guide.headers.get('content-type')).toMatch(/^text\/html/);
    expect(guide.text).toContain('<h1 id="ledgerfeed-in-power-bi-and-excel">Ledgerfeed in Power BI and Excel</h1>');
    const markdown = fs.readFileSync(INSTALLED_CLIENT_FILES.guide, 'utf8');
    const anchors = [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(anchors.length).toBeGreaterThan(0);
    for (const anchor of anchors) expect(guide.text).toContain(` id="${anchor}"`);
    expect(guide.text).toContain('<table>');
  });
});

describe('building the connector that is offered', () => {
  it('happens on npm start: prestart runs the build, which packs the connector where the download reads it', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.prestart).toBe('npm run build');
    expect(scripts.build.split('&&').map((step) => step.trim())).toContain('npm run build:connector');
    expect(scripts['build:connector']).toBe('tsx connector/build-mez.ts');
    expect(MEZ_PATH).toBe(INSTALLED_CLIENT_FILES.connector);
    expect(MEZ_PATH).toBe(path.join(REPOSITORY_ROOT, 'dist', 'Ledgerfeed.mez'));
  });
});

describe('a server whose connector has not been built', () => {
  let server: http.Server;
  let base: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-e2e-unbuilt-'));
    const db = openDatabase(dataDir);
    const ctx = {
      config: loadConfig('sandbox', { LEDGERFEED_DATA_DIR: dataDir, PORT: '0' }),
      clock: new AdjustableClock(),
      logger: silentLogger,
      db,
      vault: new Vault(crypto.randomBytes(32)),
      publicUrl: () => base,
    };
    const access = createAccessParts(ctx);
    await createOwner(access.accounts, 'olga');
    const app = express();
    app.use(createWebRouter({ ...ctx, clientFiles: { connector: path.join(dataDir, 'dist', 'Ledgerfeed.mez'), guide: path.join(dataDir, 'docs', 'power-bi.md') } }, access));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells the user, instead of a download, that the operator has to run npm run build', async () => {
    const browser = await signedIn(base, 'olga', 'olga-password-123');
    const res = await download(browser, '/downloads/Ledgerfeed.mez');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-disposition')).toBeNull();
    const text = res.body.toString('utf8');
    expect(text).toContain('<h1>Connector not built</h1>');
    expect(text).toContain('builds it by running npm run build (it lands in dist/Ledgerfeed.mez)');
  });

  it('says where the guide is when the installation has no docs folder', async () => {
    const guide = await new Browser(base).get('/docs/power-bi');
    expect(guide.status).toBe(404);
    expect(guide.text).toContain('docs/power-bi.md of the Ledgerfeed distribution');
  });
});
