// `ledgerfeed doctor`: a checklist of what a server needs — valid configuration, a writable data directory, the
// store, a secret key that decrypts the stored logins, the upstreams' token endpoints and clusters reachable, and
// every connection's login healthy. Exit 1 when anything fails (warnings do not fail).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config';
import { LedgerfeedError } from '../../errors';
import { TokenManager } from '../../sources/tokens';
import { SIMULATOR_PATHS } from '../../sandbox/standalone';
import { TwinfieldConnectionStore } from '../../sources/twinfield/connection-store';
import { Connections, type Connection } from '../../store/connections';
import { openDatabase, type Db } from '../../store/database';
import { schemaVersion } from '../../store/migrations';
import { Vault } from '../../store/vault';
import { systemClock } from '../../clock';
import { CliFailure, type CliIO } from '../io';
import { printJson } from '../output';
import { loadCliConfig, secretKeySource, simulatorsUrl } from '../store';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
}

const MARK: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗' };
const REACH_TIMEOUT_MS = 5_000;

function errorText(err: unknown): string {
  if (err instanceof LedgerfeedError || err instanceof Error) return err.message;
  return String(err);
}

function dataDirectory(config: Config): Check {
  const dir = path.resolve(config.dataDir);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const probe = path.join(dir, `.doctor-${crypto.randomUUID()}`);
    fs.writeFileSync(probe, 'ok');
    fs.unlinkSync(probe);
    return { check: 'data directory', status: 'ok', detail: `${dir} is writable` };
  } catch (err) {
    return { check: 'data directory', status: 'fail', detail: `${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}` };
  }
}

function serveSettings(config: Config, connections: readonly Connection[]): Check[] {
  if (config.mode !== 'serve') return [];
  const checks: Check[] = [];
  if (!config.publicUrl) {
    checks.push({ check: 'public URL', status: 'warn', detail: 'LEDGERFEED_PUBLIC_URL is not set: OAuth redirect URIs and feed links use the bound address; set it to the https address people reach' });
  } else if (config.publicUrl.startsWith('http://') && !/^http:\/\/(localhost|127\.|\[::1\])/.test(config.publicUrl)) {
    checks.push({ check: 'public URL', status: 'warn', detail: `${config.publicUrl} is plain http: put Ledgerfeed behind TLS (API keys travel in every request)` });
  } else {
    checks.push({ check: 'public URL', status: 'ok', detail: config.publicUrl });
  }
  for (const [name, app, prefix] of [
    ['Exact Online', config.exactOnline, 'LEDGERFEED_EXACT'],
    ['Twinfield', config.twinfield, 'LEDGERFEED_TWINFIELD'],
  ] as const) {
    if (app.clientId && app.clientSecret) checks.push({ check: `${name} app registration`, status: 'ok', detail: `client id ${app.clientId}` });
    else checks.push({ check: `${name} app registration`, status: 'warn', detail: `not configured (${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET): ${name} cannot be connected or refreshed` });
  }
  if (!config.keepAlive.enabled && connections.some((c) => c.source === 'exactonline')) {
    checks.push({ check: 'keep-alive', status: 'warn', detail: 'LEDGERFEED_KEEPALIVE is off: Exact Online logins unused for 30 days will need re-authorization' });
  }
  return checks;
}

function secrets(config: Config, db: Db, connections: readonly Connection[]): { checks: Check[]; vault: Vault | null } {
  const source = (() => {
    try {
      return secretKeySource(config);
    } catch (err) {
      return err as Error;
    }
  })();
  if (source instanceof Error) return { checks: [{ check: 'secret key', status: 'fail', detail: source.message }], vault: null };
  if (!source) return { checks: [{ check: 'secret key', status: 'fail', detail: 'no LEDGERFEED_SECRET_KEY: stored logins cannot be decrypted' }], vault: null };
  const vault = new Vault(source.key);
  const checks: Check[] = [{ check: 'secret key', status: 'ok', detail: `from ${source.origin}` }];
  const tokens = new TokenManager(db, vault, systemClock);
  const passwords = new TwinfieldConnectionStore(db, vault, systemClock);
  const unreadable = connections.filter((c) => {
    if (!tokens.tokensDecrypt(c.id)) return true;
    if (c.authKind !== 'password') return false;
    try {
      passwords.readPassword(c.id);
      return false;
    } catch {
      return true;
    }
  });
  if (connections.length === 0) checks.push({ check: 'stored logins', status: 'ok', detail: 'none stored yet' });
  else if (unreadable.length === 0) checks.push({ check: 'stored logins', status: 'ok', detail: `all ${connections.length} decrypt with this key` });
  else {
    checks.push({
      check: 'stored logins',
      status: 'fail',
      detail: `${unreadable.map((c) => `connection ${c.id} (${c.label})`).join(', ')} do not decrypt with this key: a different LEDGERFEED_SECRET_KEY than the one they were stored with, or altered data`,
    });
  }
  return { checks, vault };
}

/** The upstream endpoints this server talks to, by what they are. */
function endpoints(config: Config, connections: readonly Connection[]): Array<{ what: string; url: string }> {
  const list: Array<{ what: string; url: string }> = [];
  const add = (what: string, url: string) => {
    if (!list.some((e) => e.url === url)) list.push({ what, url });
  };
  const sandbox = config.mode === 'sandbox' ? simulatorsUrl(config) : null;
  const exactHosts = sandbox
    ? [`${sandbox}${SIMULATOR_PATHS.exactonline}`]
    : [...(config.exactOnline.clientId ? [config.exactOnline.baseUrl] : []), ...connections.filter((c) => c.source === 'exactonline').map((c) => c.baseUrl)];
  for (const host of exactHosts) add('Exact Online token endpoint', `${host.replace(/\/+$/, '')}/api/oauth2/token`);
  const twinfieldLogin = sandbox ? `${sandbox}${SIMULATOR_PATHS.twinfield}` : config.twinfield.clientId || connections.some((c) => c.source === 'twinfield') ? config.twinfield.loginUrl : null;
  if (twinfieldLogin) add('Twinfield token endpoint', `${twinfieldLogin}/auth/authentication/connect/token`);
  // In the sandbox the clusters are the simulator, whatever address a stored login recorded.
  for (const c of sandbox ? [] : connections) {
    const cluster = c.source === 'twinfield' && typeof c.extra.clusterUrl === 'string' ? c.extra.clusterUrl : null;
    if (cluster) add('Twinfield cluster', `${cluster.replace(/\/+$/, '')}/webservices/processxml.asmx`);
  }
  return list;
}

async function reachable(config: Config, connections: readonly Connection[]): Promise<Check[]> {
  const hint = config.mode === 'sandbox' && !config.sandbox.upstreamUrl ? ' — is the sandbox running? Start it with `npm start`' : '';
  return Promise.all(
    endpoints(config, connections).map(async ({ what, url }): Promise<Check> => {
      try {
        const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(REACH_TIMEOUT_MS) });
        await res.body?.cancel();
        return { check: what, status: 'ok', detail: `${url} answers (HTTP ${res.status})` };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        return { check: what, status: 'fail', detail: `${url} cannot be reached (${cause})${hint}` };
      }
    }),
  );
}

function loginHealth(db: Db, connections: readonly Connection[]): Check[] {
  const store = new Connections(db, systemClock);
  const slugs = new Map((db.prepare('SELECT id, slug FROM workspaces').all() as Array<{ id: number; slug: string }>).map((w) => [w.id, w.slug]));
  return connections.map((c) => {
    const health = store.health(c);
    const status: CheckStatus = health.state === 'ok' ? 'ok' : health.state === 'expiring' ? 'warn' : 'fail';
    const renewed = health.refreshRenewedAt === null ? '' : `, renewed ${new Date(health.refreshRenewedAt).toISOString().slice(0, 10)}`;
    return {
      check: `login ${slugs.get(c.workspaceId) ?? c.workspaceId}/${c.source} #${c.id}`,
      status,
      detail: `${c.label}: ${health.state === 'ok' ? 'ok' : health.state === 'expiring' ? 'expiring' : 'needs re-authorization'}${renewed}${health.reason ? ` — ${health.reason}` : ''}`,
    };
  });
}

/** Runs every check it can; a failed configuration stops the rest. */
export async function runDoctor(env: NodeJS.ProcessEnv): Promise<Check[]> {
  let config: Config;
  try {
    config = loadCliConfig(env);
  } catch (err) {
    return [{ check: 'configuration', status: 'fail', detail: errorText(err) }];
  }
  const checks: Check[] = [{ check: 'configuration', status: 'ok', detail: `${config.mode === 'serve' ? 'production' : 'sandbox'} settings are valid` }, dataDirectory(config)];
  let db: Db;
  try {
    db = openDatabase(config.dataDir);
  } catch (err) {
    return [...checks, { check: 'store', status: 'fail', detail: `the database cannot be opened: ${errorText(err)}` }];
  }
  try {
    checks.push({ check: 'store', status: 'ok', detail: `schema version ${schemaVersion(db)}` });
    const connectionIds = db.prepare('SELECT id FROM connections ORDER BY id').pluck().all() as number[];
    const store = new Connections(db, systemClock);
    const connections = connectionIds.flatMap((id) => store.byId(id) ?? []);
    checks.push(...serveSettings(config, connections));
    checks.push(...secrets(config, db, connections).checks);
    checks.push(...(await reachable(config, connections)));
    checks.push(...loginHealth(db, connections));
    return checks;
  } finally {
    db.close();
  }
}

export function registerDoctor(program: Command, io: CliIO): void {
  program
    .command('doctor')
    .description('check configuration, data, secret key, upstreams and logins; exit 1 on problems')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const checks = await runDoctor(io.env);
      const failed = checks.filter((c) => c.status === 'fail').length;
      const warned = checks.filter((c) => c.status === 'warn').length;
      const counted = `${failed} problem${failed === 1 ? '' : 's'}${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}`;
      if (options.json) printJson(io.stdout, { ok: failed === 0, checks });
      else {
        const width = Math.max(...checks.map((c) => c.check.length));
        const lines = checks.map((c) => `${MARK[c.status]} ${c.check.padEnd(width)}  ${c.detail}`);
        if (failed === 0) lines.push('', `No problems${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}.`);
        io.stdout.write(lines.join('\n') + '\n');
      }
      if (failed > 0) throw new CliFailure(`${counted}.`);
    });
}
