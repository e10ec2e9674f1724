// Starts the Exact Online simulator on its own express app (127.0.0.1, port 0) and talks to it over real HTTP
// the way any client would: the OAuth login form, the token endpoint, bearer API calls and __next paging.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { AdjustableClock, type Clock } from '../../../server/src/clock';
import { createExactOnlineSimulator, type ExactOnlineSimulator, type ExactOnlineSimulatorOptions } from '../../../server/src/sandbox/exactonline';

export const CLIENT_ID = 'sandbox-client';
export const CLIENT_SECRET = 'sandbox-secret';
export const REDIRECT_URI = 'http://127.0.0.1:9/exact/callback';

export interface Sandbox {
  /** `http://127.0.0.1:PORT/sandbox/exactonline` */
  base: string;
  /** `${base}/api/v1` */
  api: string;
  clock: AdjustableClock;
  sim: ExactOnlineSimulator;
  close(): Promise<void>;
}

export async function startSandbox(overrides: Partial<ExactOnlineSimulatorOptions> & { clock?: Clock } = {}): Promise<Sandbox> {
  const clock = (overrides.clock as AdjustableClock | undefined) ?? new AdjustableClock();
  const sim = createExactOnlineSimulator({ seed: 'contract', rows: 300, latencyMs: 0, minuteMs: 60_000, administrations: 3, ...overrides, clock });
  const app = express();
  app.use('/sandbox/exactonline', sim.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}/sandbox/exactonline`;
  return {
    base,
    api: `${base}/api/v1`,
    clock,
    sim,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: string;
  refresh_token: string;
}

/** Submits the login form like a browser would and returns the redirect the service answered with. */
export async function submitLogin(base: string, fields: Record<string, string>): Promise<Response> {
  const query = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'st-1' });
  const body = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'st-1', username: 'demo', password: 'demo', ...fields });
  return fetch(`${base}/api/oauth2/auth?${query}`, { method: 'POST', body, redirect: 'manual' });
}

/** A fresh authorization code for the demo user. */
export async function authorizationCode(base: string): Promise<string> {
  const response = await submitLogin(base, {});
  if (response.status !== 302) throw new Error(`login answered ${response.status}`);
  return new URL(response.headers.get('location')!).searchParams.get('code')!;
}

export function tokenRequest(base: string, fields: Record<string, string>, init: { basic?: boolean } = {}): Promise<Response> {
  const body = new URLSearchParams(init.basic ? fields : { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...fields });
  const headers: Record<string, string> = {};
  if (init.basic) headers.Authorization = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
  return fetch(`${base}/api/oauth2/token`, { method: 'POST', body, headers });
}

/** The whole authorization-code flow: login form, code, token exchange. */
export async function login(base: string): Promise<TokenBody> {
  const code = await authorizationCode(base);
  const response = await tokenRequest(base, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
  if (response.status !== 200) throw new Error(`token exchange answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as TokenBody;
}

export function apiGet(url: string, token: string | undefined, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  const auth: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return fetch(url, { headers: { Accept: 'application/json', ...auth, ...headers }, signal });
}

export type JsonRow = Record<string, unknown>;

export interface Collection {
  d: { results: JsonRow[]; __next?: string };
}

export async function getCollection(url: string, token: string): Promise<Collection> {
  const response = await apiGet(url, token);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Collection;
}

/** Follows __next until it is absent; returns every row and how many pages it took. */
export async function pullAll(url: string, token: string): Promise<{ rows: JsonRow[]; pages: number[] }> {
  const rows: JsonRow[] = [];
  const pages: number[] = [];
  let next: string | undefined = url;
  while (next) {
    const body: Collection = await getCollection(next, token);
    rows.push(...body.d.results);
    pages.push(body.d.results.length);
    next = body.d.__next;
  }
  return { rows, pages };
}

export async function exactErrorMessage(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: { lang: string; value: string } } };
  expect(body.error.code).toBe('');
  expect(body.error.message.lang).toBe('');
  return body.error.message.value;
}

export async function control(base: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/${path}`, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

export const dateOf = (value: unknown): number => Number(/^\/Date\((-?\d+)\)\/$/.exec(String(value))![1]);
