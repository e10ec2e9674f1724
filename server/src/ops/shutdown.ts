// Graceful shutdown of a running server (SIGTERM from Docker or systemd, Ctrl-C): report not ready, stop
// accepting, cancel syncs between batches and stop keep-alive, let responses in flight finish (a streaming
// feed page completes), close the stores with a WAL checkpoint, exit 0. A second signal exits at once.
import type { Logger } from '../logger';
import type { RunningServer } from '../server';

/** How long responses in flight may take to finish before their connections are cut. */
export const DEFAULT_GRACE_MS = 25_000;
const IDLE_SWEEP_MS = 100;

export interface DrainOptions {
  logger: Logger;
  graceMs?: number;
}

/** Runs the whole shutdown; resolves once everything is closed. `cut` counts connections closed at the grace limit. */
export async function drain(running: RunningServer, options: DrainOptions): Promise<{ cut: number }> {
  const { server, ledgerfeed } = running;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  ledgerfeed.ops.readiness.markDraining();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Requests that still arrive on kept-alive connections get their answer and then the connection ends.
  server.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
  // Connections become idle when their response ends; closing them lets server.close() complete.
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  server.closeIdleConnections();
  // Background work stops now, so a request waiting for a sync is answered (503) instead of holding up the exit.
  ledgerfeed.keepAlive.stop();
  ledgerfeed.sync.close();

  let cut = 0;
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'grace over'>((resolve) => {
    timer = setTimeout(() => resolve('grace over'), graceMs);
  });
  if ((await Promise.race([closed, graceOver])) === 'grace over') {
    cut = await connectionCount(running);
    options.logger.warn({ connections: cut, graceMs }, 'responses still in flight at the end of the shutdown grace period; closing their connections');
    server.closeAllConnections();
    await closed;
  }
  clearTimeout(timer);
  clearInterval(sweep);

  await ledgerfeed.stop();
  const db = running.context.db;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { cut };
}

function connectionCount(running: RunningServer): Promise<number> {
  return new Promise((resolve) => running.server.getConnections((err, count) => resolve(err ? 0 : count)));
}

export interface SignalOptions extends DrainOptions {
  /** process.exit, replaceable for tests of this function's callers. */
  exit?: (code: number) => void;
}

/** First SIGTERM/SIGINT: drain and exit 0 (1 when the drain itself failed). Second: exit 1 at once. */
export function exitOnSignals(running: RunningServer, options: SignalOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      exit(1);
      return;
    }
    stopping = true;
    options.logger.info({ signal }, 'shutting down: finishing responses in flight');
    drain(running, options).then(
      ({ cut }) => {
        options.logger.info({ cut }, 'shut down');
        exit(0);
      },
      (err: unknown) => {
        options.logger.error({ error: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
