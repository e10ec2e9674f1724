// How administration commands reach Ledgerfeed: straight on the data directory (LEDGERFEED_DATA_DIR), with the
// same environment as the server. The mode follows the secret key: LEDGERFEED_SECRET_KEY set → production rules;
// unset, with the sandbox's key file in the data directory → the sandbox (its key decrypts the tokens, and its
// simulators run inside the `npm start` server, which must be running for anything that calls an upstream).
import fs from 'node:fs';
import path from 'node:path';
import { createLedgerfeed, type Ledgerfeed } from '../app';
import { SIMULATOR_PATHS } from '../sandbox/standalone';
import { systemClock, type Clock } from '../clock';
import { loadConfig, type Config, type Mode } from '../config';
import { createLogger, type Logger } from '../logger';
import { Accounts, type Workspace } from '../store/accounts';
import { Connections } from '../store/connections';
import { openDatabase, type Db } from '../store/database';
import { parseSecretKey, SANDBOX_KEY_FILE, Vault } from '../store/vault';
import { CliFailure, type CliIO } from './io';

export interface AdminStore {
  mode: Mode;
  config: Config;
  clock: Clock;
  db: Db;
  accounts: Accounts;
  connections: Connections;
  /** The workspace at this address, or a failure naming it. */
  workspace(slug: string): Workspace;
  close(): void;
}

/** Where the vault key of this data directory comes from, or null when there is none. */
export function secretKeySource(config: Config): { key: Buffer; origin: string } | null {
  if (config.secretKey) return { key: parseSecretKey(config.secretKey), origin: 'LEDGERFEED_SECRET_KEY' };
  const file = path.join(config.dataDir, SANDBOX_KEY_FILE);
  if (!fs.existsSync(file)) return null;
  return { key: parseSecretKey(fs.readFileSync(file, 'utf8')), origin: `the sandbox key file ${file}` };
}

/** Validates the environment and decides the mode (see the top of this file). */
export function loadCliConfig(env: NodeJS.ProcessEnv): Config {
  const probe = loadConfig('sandbox', env);
  if (probe.secretKey) return loadConfig('serve', env);
  if (fs.existsSync(path.join(probe.dataDir, SANDBOX_KEY_FILE))) return probe;
  throw new CliFailure(
    `LEDGERFEED_SECRET_KEY is not set and the data directory ${path.resolve(probe.dataDir)} holds no sandbox key: set LEDGERFEED_SECRET_KEY (the same as for \`ledgerfeed serve\`) and LEDGERFEED_DATA_DIR, or run the sandbox (\`npm start\`) once to create its data directory.`,
  );
}

export function openAdminStore(io: CliIO): AdminStore {
  const config = loadCliConfig(io.env);
  const clock = systemClock;
  const db = openDatabase(config.dataDir);
  const accounts = new Accounts(db, clock, { mode: config.mode, grants: config.grants });
  return {
    mode: config.mode,
    config,
    clock,
    db,
    accounts,
    connections: new Connections(db, clock),
    workspace(slug) {
      const workspace = accounts.workspaceBySlug(slug);
      if (!workspace) throw new CliFailure(`There is no workspace ${slug}. \`ledgerfeed workspaces list\` shows them.`);
      return workspace;
    },
    close: () => db.close(),
  };
}

/** The server's own address as the connectors see it: LEDGERFEED_PUBLIC_URL, else HOST:PORT (a wildcard host is reached on loopback). */
export function serverUrl(config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

/** An admin store plus the app's parts (connectors, sync engine, keep-alive) for commands that call upstreams. */
export interface Runtime extends AdminStore {
  ledgerfeed: Ledgerfeed;
  vault: Vault;
  logger: Logger;
  /** Stops the parts and closes the store. */
  shutdown(): Promise<void>;
}

/**
 * Builds the app's parts in this process (without simulators or a listening server). In the sandbox the upstreams
 * are the simulators of the running `npm start` server; when it does not answer, this fails saying so.
 */
export async function openRuntime(io: CliIO): Promise<Runtime> {
  const store = openAdminStore(io);
  try {
    const source = secretKeySource(store.config);
    if (!source) throw new CliFailure('LEDGERFEED_SECRET_KEY is not set: it decrypts the stored logins.');
    const vault = new Vault(source.key);
    const url = serverUrl(store.config);
    if (store.mode === 'sandbox') await requireSimulators(store.config);
    // Progress bars own the terminal: only problems are logged, unless a level was asked for.
    const logger = createLogger(io.env.LEDGERFEED_LOG_LEVEL ? store.config.logLevel : 'error', { write: (line: string) => io.stderr.write(line) });
    const ledgerfeed = createLedgerfeed({ config: store.config, clock: store.clock, logger, db: store.db, vault, publicUrl: () => url, withoutSimulators: true });
    return {
      ...store,
      ledgerfeed,
      vault,
      logger,
      async shutdown() {
        await ledgerfeed.stop();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** Where the sandbox's simulators are: standalone ones (LEDGERFEED_SANDBOX_UPSTREAM_URL), else inside the sandbox server. */
export function simulatorsUrl(config: Config): string {
  return config.sandbox.upstreamUrl ?? serverUrl(config);
}

async function requireSimulators(config: Config): Promise<void> {
  const url = simulatorsUrl(config);
  try {
    const res = await fetch(`${url}${SIMULATOR_PATHS.exactonline}/_stats`, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    if (res.ok) return;
  } catch {
    // Nothing listens there: said below.
  }
  throw new CliFailure(
    config.sandbox.upstreamUrl
      ? `The simulators at ${url} (LEDGERFEED_SANDBOX_UPSTREAM_URL) do not answer: start them first.`
      : `No sandbox server answers at ${url}: start the sandbox with \`npm start\` first (the simulated Exact Online and Twinfield run inside it), or set PORT or LEDGERFEED_PUBLIC_URL to where it runs.`,
  );
}

/** Runs `fn` on the data directory and closes it again. */
export async function withStore<T>(io: CliIO, fn: (store: AdminStore) => T | Promise<T>): Promise<T> {
  const store = openAdminStore(io);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}
