// The end-to-end harness: a real sandbox server (`npm start`'s mode: simulators mounted, demo workspace connected
// through the code-grant pages at start) on 127.0.0.1:0 with a temp data dir and small demo books; customers made
// through the product's own provisioning; the connector built where `npm run build` puts it; and what Power BI's
// OData.Feed sends (shared/reference/powerbi.md).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildMez, MEZ_PATH } from '../../connector/build-mez';
import { provisionUser } from '../../server/src/auth/provision';
import { AdjustableClock } from '../../server/src/clock';
import { loadConfig, type Config } from '../../server/src/config';
import { silentLogger } from '../../server/src/logger';
import { startServer, type RunningServer } from '../../server/src/server';
import type { Workspace } from '../../server/src/store/accounts';
import { POWER_BI_HEADERS } from '../odata/harness';

export { basic } from '../auth/harness';

export interface Sandbox {
  url: string;
  config: Config;
  clock: AdjustableClock;
  running: RunningServer;
  /** A fresh directory for the test's own files (screenshots, browser profile); removed by close() unless kept. */
  tempDir: string;
  close(options?: { keep?: readonly string[] }): Promise<void>;
}

/** Small demo books, no added latency: the whole e2e set stays well under a minute and a half. */
export async function startSandbox(env: Record<string, string> = {}): Promise<Sandbox> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-e2e-'));
  const dataDir = path.join(tempDir, 'data');
  const config = loadConfig('sandbox', {
    PORT: '0',
    LEDGERFEED_DATA_DIR: dataDir,
    LEDGERFEED_SANDBOX_ROWS: '24',
    LEDGERFEED_SANDBOX_LATENCY_MS: '0',
    LEDGERFEED_KEEPALIVE: 'false',
    LEDGERFEED_LOG_LEVEL: 'silent',
    ...env,
  });
  const clock = new AdjustableClock();
  const running = await startServer(config, { clock, logger: silentLogger });
  const status = running.ledgerfeed.sandboxStatus();
  if (status?.error) throw new Error(`the sandbox could not connect its demo workspace: ${status.error}`);
  return {
    url: running.url,
    config,
    clock,
    running,
    tempDir,
    close: async (options = {}) => {
      await running.close();
      const keep = new Set(options.keep ?? []);
      for (const entry of fs.readdirSync(tempDir)) if (!keep.has(entry)) fs.rmSync(path.join(tempDir, entry), { recursive: true, force: true });
      if (keep.size === 0) fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/** A person with a password, an empty workspace they own, and an API key. */
export interface Customer {
  username: string;
  password: string;
  workspace: Workspace;
  key: string;
}

/** Provisions a customer the way `ledgerfeed add-user` does, through the running server's own accounts. */
export async function newCustomer(sandbox: Sandbox, username: string, workspace: { slug: string; name: string }): Promise<Customer> {
  const accounts = sandbox.running.ledgerfeed.access.accounts;
  const password = `pw-${randomUUID()}`;
  const created = await provisionUser(accounts, { username, password, workspace });
  if (!created.workspace) throw new Error('provisioning made no workspace');
  return { username, password, workspace: created.workspace, key: accounts.createApiKey(created.user.id, 'Power BI').plaintext };
}

/**
 * Makes sure dist/Ledgerfeed.mez is the build of the current sources, as `npm run build` (prestart) leaves it; CI runs
 * `npm test` without a build. Written through a rename, so a server reading it never sees half a file.
 */
export async function ensureConnectorBuilt(): Promise<Buffer> {
  const built = await buildMez();
  const current = fs.existsSync(MEZ_PATH) ? fs.readFileSync(MEZ_PATH) : null;
  if (current?.equals(built)) return built;
  fs.mkdirSync(path.dirname(MEZ_PATH), { recursive: true });
  const partial = `${MEZ_PATH}.${process.pid}.partial`;
  fs.writeFileSync(partial, built);
  fs.renameSync(partial, MEZ_PATH);
  return built;
}

/** OData.Feed's own headers (Implementation 2.0), without credentials. */
export const MASHUP_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(POWER_BI_HEADERS).filter(([name]) => name !== 'Authorization'));

export interface ODataPage {
  '@odata.context'?: string;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

/** Follows @odata.nextLink from `url` to the end, as OData.Feed does; every page must answer 200. */
export async function pullAll(url: string, headers: Record<string, string>): Promise<ODataPage[]> {
  const pages: ODataPage[] = [];
  let next: string | undefined = url;
  while (next) {
    const response = await fetch(next, { headers });
    if (response.status !== 200) throw new Error(`${next} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as ODataPage;
    pages.push(page);
    next = page['@odata.nextLink'];
    if (pages.length > 5_000) throw new Error('next links never end');
  }
  return pages;
}
