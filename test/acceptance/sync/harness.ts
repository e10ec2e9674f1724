// The whole product as a user runs it, for the sync acceptance tests: both simulators on their own server
// (startSimulators), and a sandbox Ledgerfeed (startServer) pointed at them with LEDGERFEED_SANDBOX_UPSTREAM_URL, on
// a temporary data directory, connected to the demo workspace at start through the real code-grant pages. Tests
// talk HTTP to both; the simulators' objects serve as the oracle and to clear injected faults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../../server/src/clock';
import { loadConfig } from '../../../server/src/config';
import { silentLogger, type Logger } from '../../../server/src/logger';
import { startServer, type RunningServer } from '../../../server/src/server';
import { SIMULATOR_PATHS, startSimulators, type RunningSimulators } from '../../../server/src/sandbox/standalone';
import type { SourceName } from '../../../server/src/tables/description';

/** A short fair-use "minute" on both sides, so a full sync of every table never waits for a real minute. */
export const MINUTE_MS = 1000;
export const SEED = 'ledgerfeed-sync-acceptance';

export interface Sandbox {
  sims: RunningSimulators;
  server: RunningServer;
  dataDir: string;
  workspaceId: number;
  close(): Promise<void>;
}

export interface SandboxOptions {
  rows?: number;
  latencyMs?: number;
  /** More LEDGERFEED_* variables for Ledgerfeed. */
  env?: Record<string, string>;
  seed?: string;
  /** The simulators' clock (an AdjustableClock enables their `_clock` control). */
  simulatorClock?: Clock;
  /** Ledgerfeed's own clock: another object than the simulators', as the real services keep their own time. */
  clock?: Clock;
  logger?: Logger;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? SEED;
  const sims = await startSimulators({ rows: options.rows ?? 600, latencyMs: options.latencyMs ?? 0, minuteMs: MINUTE_MS, seed, clock: options.simulatorClock });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sync-acceptance-'));
  const server = await startServer(loadConfig('sandbox', { ...sandboxEnv(sims.url, dataDir, seed), ...options.env }), {
    logger: options.logger ?? silentLogger,
    clock: options.clock,
  });
  const status = server.ledgerfeed.sandboxStatus();
  if (status?.error || status?.connected.length !== 2) throw new Error(`the sandbox did not connect both sources: ${JSON.stringify(status)}`);
  const workspace = server.context.db.prepare("SELECT id FROM workspaces WHERE slug = 'demo'").get() as { id: number };
  return {
    sims,
    server,
    dataDir,
    workspaceId: workspace.id,
    close: async () => {
      await server.close();
      await sims.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The environment of a sandbox Ledgerfeed that uses the simulators at `upstreamUrl`. */
export function sandboxEnv(upstreamUrl: string, dataDir: string, seed = SEED): Record<string, string> {
  return {
    PORT: '0',
    LEDGERFEED_DATA_DIR: dataDir,
    LEDGERFEED_SANDBOX_UPSTREAM_URL: upstreamUrl,
    LEDGERFEED_SANDBOX_MINUTE_MS: String(MINUTE_MS),
    LEDGERFEED_SANDBOX_SEED: seed,
    LEDGERFEED_MAX_STALENESS_S: '0',
    LEDGERFEED_KEEPALIVE: 'false',
    LEDGERFEED_LOG_LEVEL: 'silent',
  };
}

const DEMO_KEY = `Basic ${Buffer.from(':demo').toString('base64')}`;

/** A GET on the demo workspace's feed with the demo API key, as Power BI would send it. */
export async function feed(baseUrl: string, source: SourceName, pathAndQuery: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/odata/demo/${source}/${pathAndQuery}`, { headers: { Authorization: DEMO_KEY, Accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** POSTs to a simulator's sandbox control (`/_simulate`, `/_faults`, `/_stats/reset`). */
export async function control<T = Record<string, unknown>>(sims: RunningSimulators, source: SourceName, control: string, body: unknown = {}): Promise<T> {
  const response = await fetch(`${sims.url}${SIMULATOR_PATHS[source]}${control}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`${source} ${control} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The simulators' call counts per administration (`GET /_stats`). */
export async function upstreamCalls(sims: RunningSimulators, source: SourceName): Promise<Record<string, number>> {
  const response = await fetch(`${sims.url}${SIMULATOR_PATHS[source]}/_stats`);
  const stats = (await response.json()) as { administrations: Record<string, { requests: number }> };
  return Object.fromEntries(Object.entries(stats.administrations).map(([code, s]) => [code, s.requests]));
}
