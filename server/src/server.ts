// Starts Ledgerfeed: opens the store, loads the secret key, builds the app and listens.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdjustableClock, type Clock } from './clock';
import type { Config } from './config';
import { createLogger, type Logger } from './logger';
import { createLedgerfeed, type AppContext, type Ledgerfeed } from './app';
import { openDatabase } from './store/database';
import { loadOrCreateSandboxKey, parseSecretKey, Vault } from './store/vault';

export interface RunningServer {
  url: string;
  context: AppContext;
  ledgerfeed: Ledgerfeed;
  server: http.Server;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? new AdjustableClock();
  const key = config.mode === 'sandbox' ? loadOrCreateSandboxKey(config.dataDir, config.secretKey) : parseSecretKey(config.secretKey ?? '');
  const db = openDatabase(config.dataDir);
  let url = config.publicUrl ?? '';
  const context: AppContext = { config, clock, logger, db, vault: new Vault(key), publicUrl: () => url };
  const ledgerfeed = createLedgerfeed(context);
  const server = http.createServer(ledgerfeed.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (!config.publicUrl) url = `http://${host}:${address.port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        void ledgerfeed.stop().finally(() => {
          db.close();
          resolve();
        });
      });
      server.closeAllConnections();
    });
  try {
    await ledgerfeed.start();
  } catch (err) {
    await close();
    throw err;
  }
  return { url: `http://${host}:${address.port}`, context, ledgerfeed, server, close };
}
