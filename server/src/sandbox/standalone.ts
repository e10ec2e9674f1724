// Both simulators on a server of their own, at the same mount paths as in the sandbox (`/sandbox/exactonline`,
// `/sandbox/twinfield`), so benchmarks and tests can keep the simulators' CPU and memory out of Ledgerfeed's, and
// other tools can talk to them. A sandbox Ledgerfeed uses them when LEDGERFEED_SANDBOX_UPSTREAM_URL names the
// server. Run on its own: `node dist/server/src/sandbox/standalone.js` (or `npx tsx server/src/sandbox/standalone.ts`)
// with the sandbox variables (PORT, LEDGERFEED_HOST, LEDGERFEED_SANDBOX_ROWS, _LATENCY_MS, _MINUTE_MS, _SEED);
// it prints one JSON line `{"url": …}` on stdout once it listens, and stops on SIGTERM/SIGINT.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { systemClock, type Clock } from '../clock';
import { loadConfig } from '../config';
import type { SimulatorOptions } from './common/controls';
import { createExactOnlineSimulator, type ExactOnlineSimulator, type ExactOnlineSimulatorOptions } from './exactonline';
import { createTwinfieldSimulator, type TwinfieldSimulator, type TwinfieldSimulatorOptions } from './twinfield';

/** Where each simulator is mounted, on Ledgerfeed's sandbox server and on the standalone one alike. */
export const SIMULATOR_PATHS = { exactonline: '/sandbox/exactonline', twinfield: '/sandbox/twinfield' } as const;

export interface StandaloneSimulatorOptions extends Omit<SimulatorOptions, 'clock'> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the simulators have no real authentication of their controls. */
  host?: string;
  /** Shared by both simulators (default: the system clock; an AdjustableClock enables `_clock`). */
  clock?: Clock;
  /** Options of one simulator only (rate limits, fair-use limits). */
  exactOnline?: Partial<Omit<ExactOnlineSimulatorOptions, keyof SimulatorOptions>>;
  twinfield?: Partial<Omit<TwinfieldSimulatorOptions, keyof SimulatorOptions>>;
}

export interface RunningSimulators {
  /** Base URL of the server (no trailing slash); the simulators are at `url + SIMULATOR_PATHS.*`. */
  url: string;
  exactOnline: ExactOnlineSimulator;
  twinfield: TwinfieldSimulator;
  server: http.Server;
  close(): Promise<void>;
}

/** Builds both simulators' demo books and serves them until `close()`. */
export async function startSimulators(options: StandaloneSimulatorOptions): Promise<RunningSimulators> {
  const { port = 0, host = '127.0.0.1', clock = systemClock, exactOnline: exactOptions, twinfield: twinfieldOptions, ...shared } = options;
  const exactOnline = createExactOnlineSimulator({ ...exactOptions, ...shared, clock });
  const twinfield = createTwinfieldSimulator({ ...twinfieldOptions, ...shared, clock });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(SIMULATOR_PATHS.exactonline, exactOnline.router);
  app.use(SIMULATOR_PATHS.twinfield, twinfield.router);
  const server = http.createServer(app);
  // Large browse answers of a slow reader must not be cut off by Node's default request timeout.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, exactOnline, twinfield, server, close };
}

/** The `ledgerfeed simulators`-style entry: options from the sandbox configuration variables. */
export async function runStandaloneSimulators(env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulators> {
  const config = loadConfig('sandbox', env);
  const { rows, latencyMs, minuteMs, seed } = config.sandbox;
  const running = await startSimulators({ port: config.port, host: config.host, rows, latencyMs, minuteMs, seed });
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return running;
}

if (require.main === module) {
  runStandaloneSimulators().then(
    (running) => process.stdout.write(`${JSON.stringify({ url: running.url, exactOnline: `${running.url}${SIMULATOR_PATHS.exactonline}`, twinfield: `${running.url}${SIMULATOR_PATHS.twinfield}` })}\n`),
    (error: unknown) => {
      process.stderr.write(`simulators: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
