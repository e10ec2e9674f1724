// A Ledgerfeed-side world around the Exact Online simulator, over real HTTP: the simulator mounted at
// /sandbox/exactonline of an express app on 127.0.0.1:0 (as `npm start` mounts it), a store in a temp directory,
// the TokenManager and everything createExactOnline builds, with logs captured. `connect()` drives the simulator's
// real login form and the connect provider's `complete`, ending with a stored connection.
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
import { createExactOnlineSimulator, type ExactOnlineSimulator, type ExactOnlineSimulatorOptions } from '../../../server/src/sandbox/exactonline';
import type { AdministrationRef, ChangeBatch, FetchContext, UpstreamRow } from '../../../server/src/sources/connector';
import { createExactOnline, type ExactOnline, type ExactOnlineOptions } from '../../../server/src/sources/exactonline';
import { createKeepAlive, type KeepAlive } from '../../../server/src/sources/keepalive';
import { TokenManager } from '../../../server/src/sources/tokens';
import { Connections, type Connection } from '../../../server/src/store/connections';
import { openDatabase, type Db } from '../../../server/src/store/database';
import { Vault } from '../../../server/src/store/vault';
import type { TableDescription } from '../../../server/src/tables/description';

export interface WorldOptions {
  sim?: Partial<ExactOnlineSimulatorOptions>;
  exact?: ExactOnlineOptions;
  keepAlive?: { enabled: boolean; days: number };
  /** Lines the logger writes go here too (a test may share one array across worlds). */
  logLines?: string[];
}

export interface SimStats {
  requests: number;
  tokenRequests: number;
  rejectedRefreshes: number;
  rateLimited: number;
  faults: number;
  administrations: Record<string, { requests: number; rateLimited: number; faults: number }>;
}

export interface World {
  /** `http://127.0.0.1:PORT` — this server's public URL. */
  publicUrl: string;
  /** `${publicUrl}/sandbox/exactonline` */
  simBase: string;
  clock: AdjustableClock;
  sim: ExactOnlineSimulator;
  dir: string;
  secretHex: string;
  db: Db;
  tokens: TokenManager;
  connections: Connections;
  exact: ExactOnline;
  keepAlive: KeepAlive;
  logLines: string[];
  workspaceId: number;
  userId: number;
  /** Logs in at the simulator's form; the callback it redirects to (code and state). */
  login(): Promise<LoginCallback>;
  /** The connect provider's `complete` for a callback. */
  complete(callback: LoginCallback): Promise<Connection>;
  /** login() then complete(). */
  connect(): Promise<Connection>;
  administration(connection: Connection, code: string | number): AdministrationRef;
  context(administration: AdministrationRef, pages?: { count: number }): FetchContext;
  control(pathName: string, body?: unknown): Promise<unknown>;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const clock = new AdjustableClock();
  const sim = createExactOnlineSimulator({ seed: 'ledgerfeed-client', rows: 120, latencyMs: 0, minuteMs: 60_000, ...options.sim, clock });
  const app = express();
  app.use('/sandbox/exactonline', sim.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const simBase = `${publicUrl}/sandbox/exactonline`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-exact-'));
  const secret = crypto.randomBytes(32);
  const db = openDatabase(dir);
  const vault = new Vault(secret);
  const tokens = new TokenManager(db, vault, clock);
  const logLines = options.logLines ?? [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  const config = loadConfig('sandbox', { LEDGERFEED_DATA_DIR: dir });
  const exact = createExactOnline({ config, clock, logger, db, tokens, publicUrl: () => publicUrl }, options.exact);
  const connections = new Connections(db, clock);
  const keepAlive = createKeepAlive({ db, clock, logger, config: options.keepAlive ?? { enabled: true, days: 14 }, sources: [exact.keepAlive] });
  const workspaceId = Number(db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('acme', 'Acme', 0)").run().lastInsertRowid);
  const userId = Number(db.prepare("INSERT INTO users (username, created_at) VALUES ('anna', 0)").run().lastInsertRowid);

  const control = async (pathName: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${simBase}/${pathName}`, {
      method: 'POST',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`simulator control ${pathName} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };

  const world: World = {
    publicUrl,
    simBase,
    clock,
    sim,
    dir,
    secretHex: secret.toString('hex'),
    db,
    tokens,
    connections,
    exact,
    keepAlive,
    logLines,
    workspaceId,
    userId,
    login: () => loginThroughForm(world),
    complete: (callback) => completeConnect(world, callback),
    connect: async () => completeConnect(world, await loginThroughForm(world)),
    administration(connection, code) {
      const a = connections.administrations(workspaceId, { connectionId: connection.id }).find((x) => x.code === String(code));
      if (!a) throw new Error(`no administration ${code}`);
      return { id: a.id, code: a.code, name: a.name, connectionId: connection.id, workspaceId };
    },
    context(administration, pages) {
      return { administration, signal: new AbortController().signal, progress: (d) => void (pages && (pages.count += d.pages)) };
    },
    control,
    stats: async () => (await (await fetch(`${simBase}/_stats`)).json()) as SimStats,
    resetStats: async () => void (await control('_stats/reset')),
    close: async () => {
      keepAlive.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

const decodeHtml = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

export interface LoginCallback {
  code: string;
  redirectUri: string;
  query: URLSearchParams;
}

const WORKSPACE = { slug: 'acme', name: 'Acme' };

/** What a person does: open the authorize URL, fill in the login form, come back with the code. */
async function loginThroughForm(world: World): Promise<LoginCallback> {
  const provider = world.exact.connectProvider;
  if (!provider) throw new Error('no Exact Online connect provider');
  const redirectUri = `${world.publicUrl}/connect/exactonline/callback`;
  const state = crypto.randomBytes(16).toString('base64url');
  const authorizeUrl = await provider.authorizationUrl({
    workspace: { id: world.workspaceId, ...WORKSPACE },
    user: { id: world.userId, username: 'anna' },
    state,
    nonce: 'n',
    codeChallenge: 'c',
    codeChallengeMethod: 'S256',
    redirectUri,
  });
  const formPage = await fetch(authorizeUrl);
  if (formPage.status !== 200) throw new Error(`the login page answered ${formPage.status}`);
  const html = await formPage.text();
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(decodeHtml(m[1]), decodeHtml(m[2]));
  fields.set('username', 'demo');
  fields.set('password', 'demo');
  const posted = await fetch(authorizeUrl, { method: 'POST', body: fields, redirect: 'manual' });
  if (posted.status !== 302) throw new Error(`the login form answered ${posted.status}`);
  const callback = new URL(posted.headers.get('location')!);
  if (callback.searchParams.get('state') !== state) throw new Error('the state did not come back');
  return { code: callback.searchParams.get('code')!, redirectUri, query: callback.searchParams };
}

function completeConnect(world: World, callback: LoginCallback): Promise<Connection> {
  return world.exact.connectProvider!.complete({
    workspace: { id: world.workspaceId, ...WORKSPACE },
    user: { id: world.userId, username: 'anna' },
    code: callback.code,
    codeVerifier: 'unused-by-exact',
    nonce: 'n',
    redirectUri: callback.redirectUri,
    query: callback.query,
  });
}

export interface Collected {
  batches: ChangeBatch[];
  upserts: UpstreamRow[];
  deletes: Record<string, unknown>[];
  cursor: string | null;
}

export async function collectChanges(world: World, table: TableDescription, ctx: FetchContext, cursor: string | null): Promise<Collected> {
  const result: Collected = { batches: [], upserts: [], deletes: [], cursor };
  for await (const batch of world.exact.connector.changes(table, ctx, cursor)) {
    result.batches.push(batch);
    result.upserts.push(...batch.upserts);
    result.deletes.push(...batch.deletes);
    result.cursor = batch.cursor;
  }
  return result;
}

export async function collectSnapshot(world: World, table: TableDescription, ctx: FetchContext): Promise<UpstreamRow[]> {
  const rows: UpstreamRow[] = [];
  for await (const page of world.exact.connector.snapshot(table, ctx)) rows.push(...page);
  return rows;
}

export function table(world: World, name: string): TableDescription {
  const t = world.exact.connector.tables.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
}

/** Settles a promise into its error (or fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
