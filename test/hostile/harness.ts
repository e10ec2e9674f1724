// Harness of the hostile-input suites: the real Ledgerfeed (sandbox mode, both simulators mounted, small demo
// books, no latency) on 127.0.0.1:0 with a temporary data directory; tenants made through the product's own
// accounts and connected through the real code-grant pages; raw HTTP requests (paths sent exactly as written,
// repeated headers, any bytes) with a time limit; and the one check every hostile answer must pass — the status
// expected, a readable OData/JSON/HTML error, no stack trace, file path or secret — with the exact request in the
// failure message so it can be replayed.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AdjustableClock } from '../../server/src/clock';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { ScriptedBrowser } from '../../server/src/sandbox/browser';
import { startServer, type RunningServer } from '../../server/src/server';
import { Accounts, type User, type Workspace } from '../../server/src/store/accounts';
import type { Db } from '../../server/src/store/database';
import type { SourceName } from '../../server/src/tables/description';

/** Cheap scrypt for the users the suites create (the hash records its own parameters). */
const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Everything the server logged, as text. */
export class CapturedLog {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
}

/** A user with a workspace of their own and an API key. */
export interface Tenant {
  user: User;
  password: string;
  workspace: Workspace;
  key: string;
  keyId: number;
}

export interface HostileServer {
  url: string;
  clock: AdjustableClock;
  db: Db;
  accounts: Accounts;
  running: RunningServer;
  log: CapturedLog;
  /** The simulators' mount points (their `_faults`, `_simulate`, `_stats` controls). */
  simulators: Record<SourceName, string>;
  /** A new user, their workspace (`{name}-books` unless `slug` is given) and an API key. */
  tenant(name: string, slug?: string): Promise<Tenant>;
  /** Connects a tenant's workspace to the simulators through the sign-in, "Connect …" and upstream login pages. */
  connect(tenant: Tenant, sources?: readonly SourceName[]): Promise<void>;
  close(): Promise<void>;
}

export async function startHostileServer(env: Record<string, string> = {}): Promise<HostileServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-hostile-'));
  const clock = new AdjustableClock();
  const log = new CapturedLog();
  const config = loadConfig('sandbox', {
    PORT: '0',
    LEDGERFEED_DATA_DIR: dataDir,
    LEDGERFEED_SANDBOX_ROWS: '12',
    LEDGERFEED_SANDBOX_LATENCY_MS: '0',
    LEDGERFEED_KEEPALIVE: 'false',
    LEDGERFEED_LOG_LEVEL: 'info',
    ...env,
  });
  const running = await startServer(config, { clock, logger: createLogger(config.logLevel, log) });
  const db = running.context.db;
  const accounts = new Accounts(db, clock, { mode: 'sandbox', grants: config.grants, scrypt: FAST_SCRYPT });
  const server: HostileServer = {
    url: running.url,
    clock,
    db,
    accounts,
    running,
    log,
    simulators: { exactonline: `${running.url}/sandbox/exactonline`, twinfield: `${running.url}/sandbox/twinfield` },
    async tenant(name, slug = `${name}-books`) {
      const password = `${name}-Password-9!`;
      const user = await accounts.createUser({ username: name, password });
      const workspace = accounts.createWorkspace({ slug, name: `${name}'s books`, ownerId: user.id });
      const created = accounts.createApiKey(user.id, `${name} Power BI`);
      return { user, password, workspace, key: created.plaintext, keyId: created.key.id };
    },
    async connect(tenant, sources = ['exactonline', 'twinfield']) {
      const browser = new ScriptedBrowser();
      const signIn = await browser.get(`${running.url}/signin`);
      await browser.submit(signIn, { username: tenant.user.username, password: tenant.password }, '/signin');
      for (const source of sources) {
        const page = await browser.get(`${running.url}/workspaces/${tenant.workspace.slug}`);
        const login = await browser.submit(page, {}, `/connect/${source}`);
        const back = await browser.submit(login, { username: 'demo', password: 'demo', organisation: 'SANDBOX' });
        if (!back.url.startsWith(`${running.url}/workspaces/${tenant.workspace.slug}`)) throw new Error(`connecting ${source} for ${tenant.user.username} ended at ${back.url} (${back.status})`);
      }
    },
    close: async () => {
      agent.destroy();
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

// ── raw requests ─────────────────────────────────────────────────────────────

export interface RawRequest {
  method?: string;
  /** Sent exactly as written: no normalisation of `..`, no encoding. */
  path: string;
  /** Pairs, so a header may repeat. */
  headers?: [string, string][];
  body?: string | Buffer;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const basic = (username: string, key: string): string => `Basic ${Buffer.from(`${username}:${key}`).toString('base64')}`;

/** Each request from its own client address (the app trusts X-Forwarded-For from loopback), so no case trips the failure limiter of another. */
let addressCounter = 0;
export function freshAddress(): string {
  addressCounter++;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The request as a curl command line (JSON-escaped where it holds bytes a shell cannot carry) — printed with every failure. */
export function reproduction(base: string, request: RawRequest): string {
  const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);
  const parts = ['curl -sS -i --path-as-is', '-X', request.method ?? 'GET', shellQuote(base + request.path)];
  for (const [name, value] of request.headers ?? []) parts.push('-H', printable(value) && printable(name) ? shellQuote(`${name}: ${value}`) : `$'${JSON.stringify(`${name}: ${value}`).slice(1, -1)}'`);
  if (request.body !== undefined) {
    const body = Buffer.isBuffer(request.body) ? request.body.toString('latin1') : request.body;
    const shown = body.length > 2000 ? `${body.slice(0, 2000)}…(${body.length} characters in all)` : body;
    parts.push('--data-binary', printable(shown) ? shellQuote(shown) : JSON.stringify(shown));
  }
  return parts.join(' ');
}

/** Sends one request as written and reads the whole answer, or fails (naming the request) after `timeoutMs`. */
export function send(base: string, request: RawRequest, timeoutMs = 20_000): Promise<RawAnswer> {
  const url = new URL(base);
  const flat: string[] = [];
  // Raw header pairs get no Host from Node; HTTP/1.1 requires one, so it is added unless the case sends its own.
  if (!(request.headers ?? []).some(([name]) => name.toLowerCase() === 'host')) flat.push('Host', url.host);
  for (const [name, value] of request.headers ?? []) flat.push(name, value);
  const replay = () => reproduction(base, request);
  return new Promise<RawAnswer>((resolve, reject) => {
    let req: http.ClientRequest | undefined;
    const timer = setTimeout(() => {
      req?.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to:\n  ${replay()}`));
    }, timeoutMs);
    const fail = (what: string) => (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`${what} (${err.message}) for:\n  ${replay()}`));
    };
    const onAnswer = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail('the answer broke off'));
    };
    try {
      req = http.request({ host: url.hostname, port: url.port, method: request.method ?? 'GET', path: request.path, headers: flat, agent }, onAnswer);
    } catch (err) {
      // Node refuses to send some paths and headers at all: a mistake in the case, not an answer of the server.
      fail('Node would not send this request')(err as Error);
      return;
    }
    req.on('error', fail('the request failed'));
    req.end(request.body);
  });
}

/**
 * Writes bytes to a fresh socket and reads until the server closes it or `timeoutMs` passes; the status line parsed.
 * `silenceIsFine`: bytes that are not yet a whole request may rightly get no answer (status 0) instead of an error.
 */
export function sendBytes(base: string, bytes: Buffer, options: { timeoutMs?: number; silenceIsFine?: boolean } = {}): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      if (options.silenceIsFine && chunks.length === 0) return resolve({ status: 0, text: '' });
      reject(new Error(`no answer within ${timeoutMs} ms to the bytes ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough: stop at the end of a body whose length is announced.
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, head));
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.on('error', () => undefined); // a reset after the answer is read is the server closing a bad connection
    socket.write(bytes);
  });
}

// ── the check every hostile answer passes ─────────────────────────────────────

/** What a body or header must never show: stack frames, source or install paths, SQL engine internals. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat (?:[\w$.<>[\] ]+ )?\(?(?:\/|[A-Za-z]:\\|node:)[^)\s]*:\d+:\d+\)?/],
  ['a stack frame', /\n\s+at [\w$.<>]+/],
  ['a file path', /(?:^|[\s"'(=:])\/(?:work|home|root|usr|opt|tmp|var|app|srv)\/[\w.-]/],
  ['node_modules', /node_modules/],
  ['a source file', /\b[\w-]+\.(?:ts|js|cjs|mjs):\d+/],
  ['an SQLite error', /SQLITE_[A-Z]+|no such (?:table|column)|near ".*": syntax error/],
  ['a JavaScript error name', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|URIError): /],
];

export type Surface =
  /** OData JSON error `{"error":{"code","message"}}` (the feed). */
  | 'odata'
  /** JSON error with a message (the health API). */
  | 'json'
  /** An HTML page (the web pages). */
  | 'html'
  /** Whatever Node's HTTP parser answers on its own (431, 400 on a broken request line): no body needed. */
  | 'bare'
  /** A sentence of plain text (the operations endpoints). */
  | 'text'
  /** Whatever the answer is (the simulators speak their upstream's own error formats). */
  | 'any';

export interface Expectation {
  /** Allowed statuses. */
  status: number | readonly number[];
  /** The kinds of error body accepted for 4xx/5xx answers. */
  surface: Surface | readonly Surface[];
  /** Texts that must not appear anywhere in the answer (secrets, another tenant's data). */
  absent?: readonly string[];
}

function surfaceOf(answer: RawAnswer): Surface | null {
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.body === '' && !type) return 'bare';
  if (/json/i.test(type)) {
    try {
      const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code === 'string' && typeof body.error.message === 'string') return 'odata';
    } catch {
      return null;
    }
    return null;
  }
  if (/text\/html/i.test(type) && /<html[\s>]/i.test(answer.body)) return 'html';
  if (/text\/plain/i.test(type) && /\w{3,}/.test(answer.body)) return 'text';
  return null;
}

/** Throws, with the request to replay, unless `answer` meets `expect`. */
export function expectClean(base: string, request: RawRequest, answer: RawAnswer, expect: Expectation): void {
  const problems: string[] = [];
  const statuses = typeof expect.status === 'number' ? [expect.status] : expect.status;
  if (!statuses.includes(answer.status)) problems.push(`status ${answer.status}, expected ${statuses.join(' or ')}`);
  // A HEAD answer has no body to read.
  if (answer.status >= 400 && request.method !== 'HEAD') {
    const surfaces = typeof expect.surface === 'string' ? [expect.surface] : expect.surface;
    const found = surfaceOf(answer);
    // An OData error body is also a fine JSON error.
    const accepted = surfaces.includes('any') || (found !== null && (surfaces.includes(found) || (found === 'odata' && surfaces.includes('json'))));
    if (!accepted) problems.push(`the error is not a readable ${surfaces.join('/')} answer (content-type ${String(answer.headers['content-type'])})`);
  }
  const everything = `${Object.entries(answer.headers)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n')}\n\n${answer.body}`;
  for (const [what, pattern] of LEAKS) {
    const hit = pattern.exec(everything);
    if (hit) problems.push(`the answer shows ${what}: ${JSON.stringify(everything.slice(Math.max(0, hit.index - 60), hit.index + 120))}`);
  }
  for (const text of expect.absent ?? []) {
    if (text !== '' && everything.includes(text)) problems.push(`the answer contains ${JSON.stringify(text)}`);
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}\n  request: ${reproduction(base, request)}\n  answer: ${answer.status} ${String(answer.headers['content-type'] ?? '')} ${JSON.stringify(answer.body.slice(0, 400))}`);
  }
}

/** Sends and checks; returns the answer for further assertions. */
export async function expectCleanAnswer(base: string, request: RawRequest, expect: Expectation): Promise<RawAnswer> {
  const answer = await send(base, request);
  expectClean(base, request, answer, expect);
  return answer;
}

/** Runs `work` over `items`, at most `limit` at once; rejects with the first failure once all have settled. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (err) {
        failures.push(err);
      }
    }
  });
  await Promise.all(runners);
  if (failures.length > 0) {
    const shown = failures.slice(0, 8).map((f) => (f instanceof Error ? f.message : String(f)));
    throw new Error(`${failures.length} of ${items.length} cases failed; the first ${shown.length}:\n\n${shown.join('\n\n')}`);
  }
}

// ── the app's own routes ─────────────────────────────────────────────────────

/** A route of the running app, read from express's router stack. */
export interface AppRoute {
  /** Lower-case method, or `all` for a route that takes every method. */
  method: string;
  /** The full path pattern (`/workspaces/:slug`), or `${mount}/*` for a router that answers everything below its mount. */
  path: string;
  /** Where the router holding it is mounted (`/odata`, `/api`, `` for the root). */
  mount: string;
}

interface ExpressLayer {
  name: string;
  regexp: RegExp & { fast_slash?: boolean };
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle: { stack?: ExpressLayer[]; length: number };
}

/** The literal path a router was mounted at, from the pattern express made of it; null when it is not a plain path. */
function mountOf(layer: ExpressLayer): string | null {
  if (layer.regexp.fast_slash) return '';
  const match = /^\^((?:\\\/[\w.-]+)+)\\\/\?\(\?=\\\/\|\$\)$/.exec(layer.regexp.source);
  return match ? match[1].replace(/\\\//g, '/') : null;
}

/**
 * Every route of the app: methods and paths of express routes, and, for a router that handles requests with
 * plain middleware (the feed), one catch-all entry at its mount. Error handlers and middleware at the root
 * (logging, body parsing) are not routes. Mounts express cannot tell as plain paths are reported, not skipped.
 */
export function appRoutes(app: { _router?: { stack: ExpressLayer[] } }): { routes: AppRoute[]; unreadableMounts: string[] } {
  const routes: AppRoute[] = [];
  const unreadableMounts: string[] = [];
  const walk = (stack: ExpressLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = typeof layer.route.path === 'string' ? `${prefix}${layer.route.path}` : `${prefix}${String(layer.route.path)}`;
        for (const method of Object.keys(layer.route.methods)) routes.push({ method: method === '_all' ? 'all' : method, path, mount: prefix });
        continue;
      }
      if (layer.handle.length === 4) continue; // an error handler
      const mount = mountOf(layer);
      if (mount === null) {
        unreadableMounts.push(`${prefix}{${layer.regexp.source}}`);
        continue;
      }
      if (layer.name === 'router' && layer.handle.stack) walk(layer.handle.stack, prefix + mount);
      // Plain middleware below a mount may answer anything there (the feed does): one catch-all entry for it.
      else if (prefix + mount !== '') routes.push({ method: 'all', path: `${prefix}${mount}/*`, mount: prefix + mount });
    }
  };
  walk(app._router?.stack ?? [], '');
  const unique = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  return { routes: [...unique.values()], unreadableMounts };
}

// ── a signed-in browser session ───────────────────────────────────────────────

export interface WebSession {
  /** The Cookie header value. */
  cookie: string;
  /** The session's CSRF token (one per session, on every form). */
  csrf: string;
}

function sessionCookie(answer: RawAnswer): string | null {
  const setCookie = answer.headers['set-cookie'] ?? [];
  const pair = setCookie.map((c) => c.split(';')[0]).find((c) => /^(?:__Host-)?ledgerfeed_session=./.test(c));
  return pair ?? null;
}

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1];
}

/** Signs in through the form (from its own client address) and returns the session with its CSRF token. */
export async function signIn(base: string, username: string, password: string): Promise<WebSession> {
  const address = freshAddress();
  const form = await send(base, { path: '/signin', headers: [['X-Forwarded-For', address]] });
  const anonymous = sessionCookie(form);
  if (!anonymous) throw new Error('the sign-in page set no session cookie');
  const body = new URLSearchParams({ _csrf: csrfOf(form.body), username, password }).toString();
  const signedIn = await send(base, {
    method: 'POST',
    path: '/signin',
    headers: [
      ['Cookie', anonymous],
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['X-Forwarded-For', address],
    ],
    body,
  });
  const cookie = sessionCookie(signedIn);
  if (signedIn.status !== 303 || !cookie) throw new Error(`signing in as ${username} answered ${signedIn.status}`);
  const page = await send(base, { path: '/keys', headers: [['Cookie', cookie]] });
  return { cookie, csrf: csrfOf(page.body) };
}

/** A form body, url-encoded; array values repeat the field. */
export function formBody(fields: Record<string, string | readonly string[]>): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of typeof value === 'string' ? [value] : value) body.append(name, one);
  return body.toString();
}
