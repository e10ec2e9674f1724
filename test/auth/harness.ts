// Test harness for accounts, feed authentication and the web pages: a real server on 127.0.0.1:0 with a
// temporary data directory and a movable clock, a cookie-keeping browser stand-in, and captured logs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdjustableClock } from '../../server/src/clock';
import { loadConfig } from '../../server/src/config';
import { createLogger, type Logger } from '../../server/src/logger';
import { startServer, type RunningServer } from '../../server/src/server';
import { Accounts, type User, type Workspace } from '../../server/src/store/accounts';
import { Connections } from '../../server/src/store/connections';
import type { Db } from '../../server/src/store/database';

/** Cheap scrypt for users the tests create directly (the hash records its own parameters). */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Everything the server logged, as text, so tests can check no secret was written. */
export class CapturedLog {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
}

export interface TestServer {
  url: string;
  clock: AdjustableClock;
  db: Db;
  accounts: Accounts;
  connections: Connections;
  log: CapturedLog;
  running: RunningServer;
  close(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-access-'));
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = tempDataDir();
  const clock = new AdjustableClock();
  const log = new CapturedLog();
  const logger: Logger = createLogger('debug', log);
  const config = loadConfig('sandbox', {
    PORT: '0',
    LEDGERFEED_DATA_DIR: dataDir,
    LEDGERFEED_SANDBOX_ROWS: '2',
    LEDGERFEED_SANDBOX_LATENCY_MS: '0',
    ...env,
  });
  const running = await startServer(config, { clock, logger });
  const db = running.context.db;
  return {
    url: running.url,
    clock,
    db,
    accounts: new Accounts(db, clock, { mode: 'sandbox', grants: config.grants, scrypt: FAST_SCRYPT }),
    connections: new Connections(db, clock),
    log,
    running,
    close: async () => {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A user who owns a workspace and has one API key. */
export interface Owner {
  user: User;
  password: string;
  workspace: Workspace;
  key: string;
}

export async function createOwner(accounts: Accounts, name: string): Promise<Owner> {
  const password = `${name}-password-123`;
  const user = await accounts.createUser({ username: name, password });
  const workspace = accounts.createWorkspace({ slug: `${name}-books`, name: `${name}'s books`, ownerId: user.id });
  const key = accounts.createApiKey(user.id, 'Power BI').plaintext;
  return { user, password, workspace, key };
}

/** Shapes of the connection-health API's answers, as the tests read them. */
export interface ErrorBody {
  error: { code: string; message: string };
}
export interface WorkspacesBody {
  value: Array<{ slug: string; name: string; role: string; accessUntil: string | null }>;
}
export interface ConnectionsBody {
  workspace: { slug: string; name: string };
  value: Array<{
    id: number;
    source: string;
    label: string;
    externalKey: string;
    health: { state: string; reason: string | null; refreshRenewedAt: string | null; refreshExpiresAt: string | null };
    administrations: Array<{ id: number; code: string; name: string; selected: boolean }>;
  }>;
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export interface Page {
  status: number;
  location: string | null;
  headers: Headers;
  text: string;
}

/** A browser stand-in: keeps cookies, never follows redirects, submits forms url-encoded. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async get(pathname: string): Promise<Page> {
    return this.request(pathname, { method: 'GET' });
  }

  async post(pathname: string, fields: Record<string, string | string[]>): Promise<Page> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.request(pathname, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** The CSRF token of the first form on a page. */
  static csrf(page: Page): string {
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no CSRF field on the page (status ${page.status})`);
    return match[1];
  }

  async signIn(username: string, password: string): Promise<Page> {
    const form = await this.get('/signin');
    return this.post('/signin', { _csrf: Browser.csrf(form), username, password });
  }

  /** Loads a page and submits one of its forms with the page's CSRF token. */
  async submit(pagePath: string, action: string, fields: Record<string, string | string[]>): Promise<Page> {
    const page = await this.get(pagePath);
    return this.post(action, { _csrf: Browser.csrf(page), ...fields });
  }

  private async request(pathname: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Page> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.base + pathname, {
      method: init.method,
      body: init.body,
      redirect: 'manual',
      headers: { ...this.extraHeaders, ...init.headers, ...(cookie ? { cookie } : {}) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()) || /max-age=0\b/i.test(line);
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }
}
