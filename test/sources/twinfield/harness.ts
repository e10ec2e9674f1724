// Test harness for the Twinfield client: the simulator mounted at /sandbox/twinfield of a real HTTP server on
// 127.0.0.1:0 (as Ledgerfeed mounts it in sandbox mode), a temporary store, the Twinfield source built by its
// factory, captured logs, and the login done as a browser would (authorize page, form post, redirect with a code).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { AdjustableClock } from '../../../server/src/clock';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { createTwinfieldSimulator, type TwinfieldSimulator, type TwinfieldSimulatorOptions } from '../../../server/src/sandbox/twinfield';
import type { AdministrationRef, FetchContext } from '../../../server/src/sources/connector';
import { TokenManager } from '../../../server/src/sources/tokens';
import { createTwinfieldSource, FairUseGovernor, type FairUseLimits, type TwinfieldSource, type TwinfieldSourceOptions } from '../../../server/src/sources/twinfield';
import { Connections, type Administration, type Connection } from '../../../server/src/store/connections';
import { openDatabase, type Db } from '../../../server/src/store/database';
import { Vault } from '../../../server/src/store/vault';
import { pkceChallenge } from '../../../server/src/web/connect';

/** After every demo booking (the last ones are dated late 2026), so "modified since" finds only simulated changes. */
export const TEST_START = Date.UTC(2027, 0, 15, 12, 0, 0);
export const REDIRECT_URI = 'http://127.0.0.1:9/connect/twinfield/callback';

export interface Harness {
  /** The simulator's base (login host and cluster). */
  base: string;
  sim: TwinfieldSimulator;
  /** Moves with real time from TEST_START; tests may advance it. Shared by the simulator and the client. */
  clock: AdjustableClock;
  db: Db;
  dir: string;
  vault: Vault;
  tokens: TokenManager;
  connections: Connections;
  source: TwinfieldSource;
  /** Every log line the source wrote. */
  logs: string[];
  /** Another Twinfield source on the same store and simulator, as another process would have (its own governor). */
  anotherSource(limits?: Partial<FairUseLimits>, options?: TwinfieldSourceOptions): TwinfieldSource;
  workspaceId: number;
  userId: number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  simulator?: Partial<Pick<TwinfieldSimulatorOptions, 'rows' | 'latencyMs' | 'minuteMs' | 'limits'>>;
  /** The client's view of the fair-use limits (default: the simulator's). */
  clientLimits?: Partial<FairUseLimits>;
  source?: TwinfieldSourceOptions;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const realStart = Date.now();
  const clock = new AdjustableClock({ now: () => TEST_START + (Date.now() - realStart) });
  const minuteMs = options.simulator?.minuteMs ?? 60_000;
  const sim = createTwinfieldSimulator({ seed: 'ledgerfeed-twinfield-client', rows: 300, latencyMs: 0, ...options.simulator, minuteMs, clock });
  const app = express();
  app.use('/sandbox/twinfield', sim.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const publicUrl = `http://127.0.0.1:${port}`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-twinfield-'));
  const db = openDatabase(dir);
  const vault = new Vault(crypto.randomBytes(32));
  const tokens = new TokenManager(db, vault, clock);
  const now = clock.now();
  const workspaceId = Number(db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('demo', 'Demo', ?)").run(now).lastInsertRowid);
  const userId = Number(db.prepare("INSERT INTO users (username, created_at) VALUES ('accountant', ?)").run(now).lastInsertRowid);
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const config = loadConfig('sandbox', { LEDGERFEED_DATA_DIR: dir, LEDGERFEED_SANDBOX_MINUTE_MS: String(minuteMs) });
  const limits = options.simulator?.limits ?? {};
  const governor = new FairUseGovernor(clock, {
    minuteMs,
    windowMarginMs: Math.min(1000, minuteMs),
    ...(limits.creditsPerClient !== undefined ? { creditsPerClient: limits.creditsPerClient } : {}),
    ...(limits.creditsPerClientOrganisation !== undefined ? { creditsPerClientOrganisation: limits.creditsPerClientOrganisation } : {}),
    ...options.clientLimits,
  });
  const context = { db, vault, clock, config, logger, tokens, publicUrl: () => publicUrl };
  const source = createTwinfieldSource(context, { requestTimeoutMs: 5000, governor, rateLimitRetry: { baseDelayMs: 100 }, ...options.source });
  const anotherSource = (otherLimits: Partial<FairUseLimits> = {}, otherOptions: TwinfieldSourceOptions = {}) =>
    createTwinfieldSource(context, { requestTimeoutMs: 5000, governor: new FairUseGovernor(clock, { minuteMs, ...otherLimits }), rateLimitRetry: { baseDelayMs: 100 }, ...otherOptions });
  return {
    base: `${publicUrl}/sandbox/twinfield`,
    sim,
    clock,
    db,
    dir,
    vault,
    tokens,
    connections: new Connections(db, clock),
    source,
    logs,
    anotherSource,
    workspaceId,
    userId,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The inputs of the login form, as a browser would post them. */
function formFields(html: string): URLSearchParams {
  const fields = new URLSearchParams();
  for (const [input] of html.matchAll(/<input\b[^>]*>/g)) {
    const attributes = Object.fromEntries([...input.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!attributes.name) continue;
    const value = (attributes.value ?? '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    fields.set(attributes.name, value);
  }
  return fields;
}

/** Connects Twinfield through the provider: authorize page, login form posted, code from the redirect, complete(). */
export async function connect(h: Harness, organisation = 'SANDBOX'): Promise<Connection> {
  const provider = h.source.connectProvider;
  const workspace = { id: h.workspaceId, slug: 'demo', name: 'Demo' };
  const user = { id: h.userId, username: 'accountant' };
  const verifier = crypto.randomBytes(32).toString('base64url');
  const start = { workspace, user, state: crypto.randomBytes(16).toString('base64url'), nonce: crypto.randomBytes(16).toString('base64url'), codeChallenge: pkceChallenge(verifier), codeChallengeMethod: 'S256' as const, redirectUri: REDIRECT_URI };
  const url = await provider.authorizationUrl(start);
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`authorize page answered ${page.status}`);
  const fields = formFields(await page.text());
  fields.set('username', 'demo');
  fields.set('password', 'demo');
  fields.set('organisation', organisation);
  fields.set('action', 'login');
  const redirect = await fetch(url, { method: 'POST', body: fields, redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') ?? 'http://invalid/');
  const code = location.searchParams.get('code');
  if (!code || location.searchParams.get('state') !== start.state) throw new Error(`login failed: ${location}`);
  return provider.complete({ workspace, user, code, codeVerifier: verifier, nonce: start.nonce, redirectUri: REDIRECT_URI, query: location.searchParams });
}

/** A fetch context for one administration, counting the progress it reports. */
export function fetchContext(admin: Administration | AdministrationRef, signal: AbortSignal = new AbortController().signal): FetchContext & { calls: number; rows: number } {
  const ctx = {
    administration: { id: admin.id, code: admin.code, name: admin.name, connectionId: admin.connectionId, workspaceId: admin.workspaceId },
    signal,
    calls: 0,
    rows: 0,
    progress(delta: { pages: number; rows: number }) {
      ctx.calls += delta.pages;
      ctx.rows += delta.rows;
    },
  };
  return ctx;
}

/** A made-up administration of a connection (an office it cannot reach, say). */
export function administration(connection: Connection, code: string): AdministrationRef {
  return { id: -1, code, name: code, connectionId: connection.id, workspaceId: connection.workspaceId };
}

/** Calls a sandbox control; a body makes it a JSON POST. */
export async function control<T = Record<string, unknown>>(h: Harness, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${h.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

export interface Stats {
  requests: number;
  tokenRequests: number;
  rejectedRefreshes: number;
  rateLimited: number;
  faults: number;
  maxInFlight: number;
  administrations: Record<string, { requests: number; rateLimited: number; faults: number }>;
}

export const stats = (h: Harness) => control<Stats>(h, '/_stats');
export const resetStats = (h: Harness) => control<Stats>(h, '/_stats/reset', {});

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
