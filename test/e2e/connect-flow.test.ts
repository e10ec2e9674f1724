// Acceptance of the connect flow in a real headless Chromium against the sandbox: a new customer signs in, connects
// Exact Online and Twinfield through the simulators' login pages, sees each connection with its eight
// administrations, takes one out of the feed, declines consent once (a readable page, no stack trace), and
// downloads the connector offered next to the feed addresses.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { basic, ensureConnectorBuilt, newCustomer, startSandbox, type Customer, type Sandbox } from './sandbox';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const EXACT_DIVISIONS = ['310101', '310102', '310103', '310104', '310105', '310106', '310107', '310108'];
const TWINFIELD_OFFICES = EXACT_DIVISIONS.map((d) => `NLA${d}`);
export const SCREENSHOT = 'connect-flow.png';

// Whole journeys against a real server (and browser): room for a machine busy with the rest of the suite.
jest.setTimeout(60_000);

let sandbox: Sandbox;
let customer: Customer;
let context: BrowserContext;
let page: Page;
let connector: Buffer;

beforeAll(async () => {
  // A missing browser fails the test: skipping would pass CI without the acceptance ever running.
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}, and this test drives a real browser. Install Debian's package: apt-get install -y chromium (.ci/run does so when it is missing).`);
  }
  connector = await ensureConnectorBuilt();
  sandbox = await startSandbox();
  customer = await newCustomer(sandbox, 'erin', { slug: 'erin-books', name: "Erin's books" });
  context = await chromium.launchPersistentContext(path.join(sandbox.tempDir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, acceptDownloads: true });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await context?.close();
  await sandbox?.close({ keep: [SCREENSHOT] });
});

const workspaceUrl = () => `${sandbox.url}/workspaces/${customer.workspace.slug}`;

/** The block of one connection on the workspace page, by its heading ("Exact Online — Demo Gebruiker"). */
function connectionBlock(source: 'Exact Online' | 'Twinfield'): Locator {
  return page.locator('section', { has: page.getByRole('heading', { level: 3, name: new RegExp(`^${source}\\b`) }) });
}

async function administrationsShown(block: Locator): Promise<{ code: string; checked: boolean }[]> {
  const boxes = block.getByRole('checkbox');
  const shown: { code: string; checked: boolean }[] = [];
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    shown.push({ code: (await box.locator('xpath=..').innerText()).trim(), checked: await box.isChecked() });
  }
  return shown;
}

const noStackTrace = /\bat [\w.<>]+ \(|node_modules|\w+Error\b|\.ts:\d+/;

describe('connecting the upstreams from the workspace page, in Chromium', () => {
  it('asks a signed-out visitor to sign in, then opens the new workspace, which has no connections yet', async () => {
    await page.goto(workspaceUrl());
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('User name').fill(customer.username);
    await page.getByLabel('Password').fill(customer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(workspaceUrl());
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe("Erin's books");
    await expect(page.getByText('No connections yet').count()).resolves.toBe(1);
  });

  it('connects Exact Online through its login page and shows the connection with its eight divisions, all in the feed', async () => {
    await page.getByRole('button', { name: 'Connect Exact Online' }).click();
    await page.waitForURL((url) => url.pathname === '/sandbox/exactonline/api/oauth2/auth');
    await page.getByLabel('Gebruikersnaam').fill('demo');
    await page.getByLabel('Wachtwoord').fill('demo');
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${workspaceUrl()}#connection-`));
    const block = connectionBlock('Exact Online');
    await expect(block.getByRole('heading').innerText()).resolves.toBe('Exact Online — Demo Gebruiker');
    expect(await administrationsShown(block)).toEqual(EXACT_DIVISIONS.map((code) => ({ code, checked: true })));
    await expect(block.getByText('8 of 8 administrations in the feed.').count()).resolves.toBe(1);
    await expect(block.getByText('OK', { exact: true }).count()).resolves.toBe(1);
  });

  it('connects Twinfield through its login and consent page and shows its eight offices, all in the feed', async () => {
    await page.getByRole('button', { name: 'Connect Twinfield' }).click();
    await page.waitForURL((url) => url.pathname === '/sandbox/twinfield/auth/authentication/connect/authorize');
    await page.getByLabel('Gebruikersnaam').fill('demo');
    await page.getByLabel('Wachtwoord').fill('demo');
    await expect(page.getByLabel('Organisatie').inputValue()).resolves.toBe('SANDBOX');
    await page.getByRole('button', { name: 'Inloggen en toestaan' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${workspaceUrl()}#connection-`));
    const block = connectionBlock('Twinfield');
    await expect(block.getByRole('heading').innerText()).resolves.toBe('Twinfield — SANDBOX');
    expect(await administrationsShown(block)).toEqual(TWINFIELD_OFFICES.map((code) => ({ code, checked: true })));
    await expect(block.getByText('8 of 8 administrations in the feed.').count()).resolves.toBe(1);
    // The Exact Online connection is still there.
    expect(await administrationsShown(connectionBlock('Exact Online'))).toHaveLength(8);
  });

  it('takes a deselected office out of the feed once the selection is saved', async () => {
    const block = connectionBlock('Twinfield');
    await block.getByRole('checkbox', { name: 'NLA310103' }).uncheck();
    await block.getByRole('button', { name: 'Save selection' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${workspaceUrl()}#connection-`));
    const saved = connectionBlock('Twinfield');
    expect(await administrationsShown(saved)).toEqual(TWINFIELD_OFFICES.map((code) => ({ code, checked: code !== 'NLA310103' })));
    await expect(saved.getByText('7 of 8 administrations in the feed.').count()).resolves.toBe(1);

    // What Power BI then gets: no rows of that office, rows of the others.
    const feed = `${sandbox.url}/odata/${customer.workspace.slug}/twinfield/GeneralLedgerTransactions`;
    const headers = { Authorization: basic('', customer.key), Accept: 'application/json' };
    const rowsOf = async (office: string) =>
      ((await (await fetch(`${feed}?$filter=${encodeURIComponent(`Office eq '${office}'`)}`, { headers })).json()) as { value: unknown[] }).value.length;
    expect(await rowsOf('NLA310103')).toBe(0);
    expect(await rowsOf('NLA310104')).toBeGreaterThan(0);
  });

  it('answers consent declined on the Twinfield page with a readable page, no stack trace, and connects nothing', async () => {
    await page.getByRole('button', { name: 'Connect Twinfield' }).click();
    await page.waitForURL((url) => url.pathname === '/sandbox/twinfield/auth/authentication/connect/authorize');
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === '/connect/twinfield/callback');
    await page.getByRole('button', { name: 'Annuleren' }).click();
    expect((await callback).status()).toBe(400);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Not connected');
    const text = await page.locator('main').innerText();
    expect(text).toContain('Twinfield did not give Ledgerfeed access (consent was declined). Nothing was connected.');
    expect(text).not.toMatch(noStackTrace);

    await page.getByRole('link', { name: "Back to Erin's books" }).click();
    await page.waitForURL(workspaceUrl());
    expect(await page.getByRole('heading', { level: 3 }).allInnerTexts()).toHaveLength(2);
    await expect(connectionBlock('Twinfield').getByText('7 of 8 administrations in the feed.').count()).resolves.toBe(1);
  });

  it('offers the connector download and the addresses to paste next to the connections', async () => {
    const addresses = Object.fromEntries(
      await page.locator('code.feed-url').evaluateAll((codes) => codes.map((c) => [c.getAttribute('data-use'), c.textContent])),
    );
    const root = `${sandbox.url}/odata/${customer.workspace.slug}`;
    expect(addresses).toEqual({ connector: root, exactonline: `${root}/exactonline/`, twinfield: `${root}/twinfield/` });

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'download Ledgerfeed.mez' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('Ledgerfeed.mez');
    const saved = path.join(sandbox.tempDir, 'downloaded.mez');
    await file.saveAs(saved);
    expect(fs.readFileSync(saved).equals(connector)).toBe(true);

    await page.screenshot({ path: path.join(sandbox.tempDir, SCREENSHOT), fullPage: true });
    const png = fs.readFileSync(path.join(sandbox.tempDir, SCREENSHOT));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
