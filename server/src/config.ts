// The only place configuration is read: LEDGERFEED_* variables (plus PORT), validated once at start.
// A bad value stops the start with a message naming the variable and what it accepts.
import { z } from 'zod';
import { ConfigurationError } from './errors';
import { parseSecretKey } from './store/vault';

export type Mode = 'sandbox' | 'serve';

// Each check carries the same message, so a bad value is answered with what the variable accepts.
const integer = (min: number, max: number) => {
  const error = `it must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'it must be true or false (or 1/0, yes/no, on/off)' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const url = z
  .url({ protocol: /^https?$/, error: 'it must be an http:// or https:// URL, e.g. https://ledgerfeed.example.com' })
  .transform((v) => v.replace(/\/+$/, ''));
const secretKey = z.string().refine(
  (v) => {
    try {
      parseSecretKey(v);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'it must be 32 random bytes written as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`' },
);

/** Variables whose values are never repeated in messages. */
const SECRET_VARIABLES = new Set(['LEDGERFEED_SECRET_KEY', 'LEDGERFEED_EXACT_CLIENT_SECRET', 'LEDGERFEED_TWINFIELD_CLIENT_SECRET']);

/** Every variable, its default, and what it accepts. The README's configuration table mirrors this. */
export const configSchema = z.object({
  PORT: integer(0, 65535).default(8080),
  LEDGERFEED_HOST: z.string().min(1).default('127.0.0.1'),
  /** Public base URL of this server (OAuth redirect URIs, links in pages); defaults to http://HOST:PORT. */
  LEDGERFEED_PUBLIC_URL: url.optional(),
  LEDGERFEED_DATA_DIR: z.string().min(1).default('./data'),
  /** 32 bytes, base64 or hex: the key that encrypts tokens at rest. Generated in sandbox mode when absent. */
  LEDGERFEED_SECRET_KEY: secretKey.optional(),
  LEDGERFEED_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LEDGERFEED_MAX_PARALLEL: integer(1, 64).default(8),
  LEDGERFEED_MAX_STALENESS_S: integer(0, 7 * 86400).default(60),
  LEDGERFEED_PAGE_SIZE: integer(1, 1_000_000).default(10_000),
  LEDGERFEED_KEEPALIVE_DAYS: integer(1, 25).default(14),
  LEDGERFEED_KEEPALIVE: flag.default(true),
  LEDGERFEED_GRANT_DEFAULT_DAYS: integer(1, 3650).default(90),
  LEDGERFEED_GRANT_MAX_DAYS: integer(1, 3650).default(365),
  LEDGERFEED_SERVE_STALE_ON_ERROR: flag.default(false),
  /** Who may read /metrics: direct connections from this machine only, anyone who reaches the port, or nobody. */
  LEDGERFEED_METRICS: z.enum(['loopback', 'open', 'off']).default('loopback'),
  LEDGERFEED_EXACT_BASE_URL: url.default('https://start.exactonline.nl'),
  /** More Exact Online country hosts offered on the connect form, comma-separated (the base URL is always offered, first). */
  LEDGERFEED_EXACT_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''))
    .pipe(z.array(url, { error: 'it must be http:// or https:// URLs separated by commas, e.g. https://start.exactonline.be,https://start.exactonline.de' })),
  LEDGERFEED_EXACT_CLIENT_ID: z.string().min(1).optional(),
  LEDGERFEED_EXACT_CLIENT_SECRET: z.string().min(1).optional(),
  LEDGERFEED_TWINFIELD_LOGIN_URL: url.default('https://login.twinfield.com'),
  LEDGERFEED_TWINFIELD_CLIENT_ID: z.string().min(1).optional(),
  LEDGERFEED_TWINFIELD_CLIENT_SECRET: z.string().min(1).optional(),
  LEDGERFEED_SANDBOX_ROWS: integer(2, 2_000_000).default(5000),
  LEDGERFEED_SANDBOX_LATENCY_MS: integer(0, 60_000).default(50),
  LEDGERFEED_SANDBOX_MINUTE_MS: integer(10, 60_000).default(60_000),
  LEDGERFEED_SANDBOX_SEED: z.string().min(1).default('ledgerfeed'),
  /** Sandbox only: simulators already running elsewhere (`startSimulators`, server/src/sandbox/standalone.ts) instead of mounting our own. */
  LEDGERFEED_SANDBOX_UPSTREAM_URL: url.optional(),
  /** Time limit of one upstream call (Exact Online REST, Twinfield SOAP), answer included. */
  LEDGERFEED_UPSTREAM_TIMEOUT_S: integer(1, 3600).default(120),
});

type Raw = z.infer<typeof configSchema>;

export interface Config {
  mode: Mode;
  port: number;
  host: string;
  /** Explicit public URL, or undefined to derive it from the bound address once listening. */
  publicUrl?: string;
  dataDir: string;
  secretKey?: string;
  logLevel: Raw['LEDGERFEED_LOG_LEVEL'];
  maxParallel: number;
  maxStalenessSeconds: number;
  pageSize: number;
  keepAlive: { enabled: boolean; days: number };
  grants: { defaultDays: number; maxDays: number };
  serveStaleOnError: boolean;
  metrics: Raw['LEDGERFEED_METRICS'];
  /** `hosts`: every country host offered on the connect form, `baseUrl` (the default) first. */
  exactOnline: { baseUrl: string; hosts?: string[]; clientId?: string; clientSecret?: string };
  twinfield: { loginUrl: string; clientId?: string; clientSecret?: string };
  /** Time limit of one upstream call (ms). */
  upstreamTimeoutMs: number;
  /** `upstreamUrl`: base URL of standalone simulators to use instead of mounting them (sandbox only). */
  sandbox: { rows: number; latencyMs: number; minuteMs: number; seed: string; upstreamUrl?: string };
}

/** Sandbox app credentials; `serve` refuses them. */
export const SANDBOX_CREDENTIALS = {
  exactOnline: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' },
  twinfield: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' },
} as const;

export function loadConfig(mode: Mode, env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => (k === 'PORT' || k.startsWith('LEDGERFEED_')) && v !== undefined && v !== ''),
  );
  const unknown = Object.keys(relevant).filter((k) => !(k in configSchema.shape));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `Unknown configuration variable ${unknown.join(', ')}. Known variables: ${Object.keys(configSchema.shape).join(', ')}.`,
    );
  }
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = SECRET_VARIABLES.has(name) ? name : `${name}=${JSON.stringify(relevant[name])}`;
      return `${shown} is invalid: ${issue.message}`;
    });
    throw new ConfigurationError(`Invalid configuration. ${lines.join('; ')}`);
  }
  const c = parsed.data;
  if (c.LEDGERFEED_GRANT_DEFAULT_DAYS > c.LEDGERFEED_GRANT_MAX_DAYS) {
    throw new ConfigurationError(
      `LEDGERFEED_GRANT_DEFAULT_DAYS (${c.LEDGERFEED_GRANT_DEFAULT_DAYS}) must not exceed LEDGERFEED_GRANT_MAX_DAYS (${c.LEDGERFEED_GRANT_MAX_DAYS}).`,
    );
  }
  const config: Config = {
    mode,
    port: c.PORT,
    host: c.LEDGERFEED_HOST,
    publicUrl: c.LEDGERFEED_PUBLIC_URL,
    dataDir: c.LEDGERFEED_DATA_DIR,
    secretKey: c.LEDGERFEED_SECRET_KEY,
    logLevel: c.LEDGERFEED_LOG_LEVEL,
    maxParallel: c.LEDGERFEED_MAX_PARALLEL,
    maxStalenessSeconds: c.LEDGERFEED_MAX_STALENESS_S,
    pageSize: c.LEDGERFEED_PAGE_SIZE,
    keepAlive: { enabled: c.LEDGERFEED_KEEPALIVE, days: c.LEDGERFEED_KEEPALIVE_DAYS },
    grants: { defaultDays: c.LEDGERFEED_GRANT_DEFAULT_DAYS, maxDays: c.LEDGERFEED_GRANT_MAX_DAYS },
    serveStaleOnError: c.LEDGERFEED_SERVE_STALE_ON_ERROR,
    metrics: c.LEDGERFEED_METRICS,
    exactOnline: {
      baseUrl: c.LEDGERFEED_EXACT_BASE_URL,
      hosts: [...new Set([c.LEDGERFEED_EXACT_BASE_URL, ...c.LEDGERFEED_EXACT_HOSTS])],
      clientId: c.LEDGERFEED_EXACT_CLIENT_ID,
      clientSecret: c.LEDGERFEED_EXACT_CLIENT_SECRET,
    },
    twinfield: {
      loginUrl: c.LEDGERFEED_TWINFIELD_LOGIN_URL,
      clientId: c.LEDGERFEED_TWINFIELD_CLIENT_ID,
      clientSecret: c.LEDGERFEED_TWINFIELD_CLIENT_SECRET,
    },
    upstreamTimeoutMs: c.LEDGERFEED_UPSTREAM_TIMEOUT_S * 1000,
    sandbox: {
      rows: c.LEDGERFEED_SANDBOX_ROWS,
      latencyMs: c.LEDGERFEED_SANDBOX_LATENCY_MS,
      minuteMs: c.LEDGERFEED_SANDBOX_MINUTE_MS,
      seed: c.LEDGERFEED_SANDBOX_SEED,
      upstreamUrl: c.LEDGERFEED_SANDBOX_UPSTREAM_URL,
    },
  };
  if (mode === 'serve') assertProductionReady(config);
  return config;
}

function assertProductionReady(c: Config): void {
  if (c.sandbox.upstreamUrl) {
    throw new ConfigurationError('LEDGERFEED_SANDBOX_UPSTREAM_URL points at simulators; only `ledgerfeed sandbox` may use them. Unset it for `serve`.');
  }
  if (!c.secretKey) {
    throw new ConfigurationError(
      'LEDGERFEED_SECRET_KEY is required by `ledgerfeed serve`: 32 random bytes as base64 or hex (for example `openssl rand -base64 32`). It encrypts tokens at rest; keep it with your backups.',
    );
  }
  const sandboxIds: string[] = [SANDBOX_CREDENTIALS.exactOnline.clientId, SANDBOX_CREDENTIALS.twinfield.clientId];
  const sandboxSecrets: string[] = [SANDBOX_CREDENTIALS.exactOnline.clientSecret, SANDBOX_CREDENTIALS.twinfield.clientSecret];
  for (const [name, value] of [
    ['LEDGERFEED_EXACT_CLIENT_ID', c.exactOnline.clientId],
    ['LEDGERFEED_TWINFIELD_CLIENT_ID', c.twinfield.clientId],
  ] as const) {
    if (value && sandboxIds.includes(value)) throw new ConfigurationError(`${name} is the sandbox app id; \`serve\` needs your real app registration.`);
  }
  for (const [name, value] of [
    ['LEDGERFEED_EXACT_CLIENT_SECRET', c.exactOnline.clientSecret],
    ['LEDGERFEED_TWINFIELD_CLIENT_SECRET', c.twinfield.clientSecret],
  ] as const) {
    if (value && sandboxSecrets.includes(value)) throw new ConfigurationError(`${name} is the sandbox app secret; \`serve\` needs your real app registration.`);
  }
}
