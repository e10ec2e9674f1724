// Every LEDGERFEED_* variable (and PORT): its default, a value it takes, and — where a value can be wrong — the
// message that stops the start, naming the variable and what it accepts. A variable added to the schema without
// a row here fails the first test.
import { configSchema, loadConfig, type Config } from '../../server/src/config';
import { ConfigurationError } from '../../server/src/errors';

const KEY = Buffer.alloc(32, 7).toString('base64');
const INTEGER = (min: number, max: number) => new RegExp(`it must be an integer from ${min} to ${max}$`);
const FLAG = /it must be true or false \(or 1\/0, yes\/no, on\/off\)$/;
const URL = /it must be an http:\/\/ or https:\/\/ URL/;

interface Row {
  /** What the variable sets when absent. */
  absent: (c: Config) => unknown;
  byDefault: unknown;
  /** A value it accepts, and what that sets. */
  good: [string, unknown];
  /** A value it refuses, and the end of the message. */
  bad?: [string, RegExp];
}

const VARIABLES: Record<keyof typeof configSchema.shape, Row> = {
  PORT: { absent: (c) => c.port, byDefault: 8080, good: ['0', 0], bad: ['http', INTEGER(0, 65535)] },
  LEDGERFEED_HOST: { absent: (c) => c.host, byDefault: '127.0.0.1', good: ['0.0.0.0', '0.0.0.0'] },
  LEDGERFEED_PUBLIC_URL: { absent: (c) => c.publicUrl, byDefault: undefined, good: ['https://feed.example.com/', 'https://feed.example.com'], bad: ['feed.example.com', URL] },
  LEDGERFEED_DATA_DIR: { absent: (c) => c.dataDir, byDefault: './data', good: ['/var/lib/ledgerfeed', '/var/lib/ledgerfeed'] },
  LEDGERFEED_SECRET_KEY: { absent: (c) => c.secretKey, byDefault: undefined, good: ['ab'.repeat(32), 'ab'.repeat(32)], bad: ['not-a-key', /base64 \(44 characters\) or hex \(64 characters\)/] },
  LEDGERFEED_LOG_LEVEL: { absent: (c) => c.logLevel, byDefault: 'info', good: ['debug', 'debug'], bad: ['loud', /expected one of "fatal"\|"error"\|"warn"\|"info"\|"debug"\|"trace"\|"silent"$/] },
  LEDGERFEED_MAX_PARALLEL: { absent: (c) => c.maxParallel, byDefault: 8, good: ['4', 4], bad: ['65', INTEGER(1, 64)] },
  LEDGERFEED_MAX_STALENESS_S: { absent: (c) => c.maxStalenessSeconds, byDefault: 60, good: ['0', 0], bad: ['-1', INTEGER(0, 604800)] },
  LEDGERFEED_PAGE_SIZE: { absent: (c) => c.pageSize, byDefault: 10_000, good: ['500', 500], bad: ['1.5', INTEGER(1, 1_000_000)] },
  LEDGERFEED_KEEPALIVE_DAYS: { absent: (c) => c.keepAlive.days, byDefault: 14, good: ['7', 7], bad: ['30', INTEGER(1, 25)] },
  LEDGERFEED_KEEPALIVE: { absent: (c) => c.keepAlive.enabled, byDefault: true, good: ['off', false], bad: ['maybe', FLAG] },
  LEDGERFEED_GRANT_DEFAULT_DAYS: { absent: (c) => c.grants.defaultDays, byDefault: 90, good: ['30', 30], bad: ['0', INTEGER(1, 3650)] },
  LEDGERFEED_GRANT_MAX_DAYS: { absent: (c) => c.grants.maxDays, byDefault: 365, good: ['730', 730], bad: ['forever', INTEGER(1, 3650)] },
  LEDGERFEED_SERVE_STALE_ON_ERROR: { absent: (c) => c.serveStaleOnError, byDefault: false, good: ['yes', true], bad: ['sometimes', FLAG] },
  LEDGERFEED_METRICS: { absent: (c) => c.metrics, byDefault: 'loopback', good: ['open', 'open'], bad: ['public', /expected one of "loopback"\|"open"\|"off"$/] },
  LEDGERFEED_EXACT_BASE_URL: { absent: (c) => c.exactOnline.baseUrl, byDefault: 'https://start.exactonline.nl', good: ['https://start.exactonline.be', 'https://start.exactonline.be'], bad: ['ftp://start.exactonline.nl', URL] },
  LEDGERFEED_EXACT_HOSTS: {
    absent: (c) => c.exactOnline.hosts,
    byDefault: ['https://start.exactonline.nl'],
    good: ['https://start.exactonline.be/, https://start.exactonline.de', ['https://start.exactonline.nl', 'https://start.exactonline.be', 'https://start.exactonline.de']],
    bad: ['https://start.exactonline.be,start.exactonline.de', URL],
  },
  LEDGERFEED_EXACT_CLIENT_ID: { absent: (c) => c.exactOnline.clientId, byDefault: undefined, good: ['0a1b2c', '0a1b2c'] },
  LEDGERFEED_EXACT_CLIENT_SECRET: { absent: (c) => c.exactOnline.clientSecret, byDefault: undefined, good: ['s3cret', 's3cret'] },
  LEDGERFEED_TWINFIELD_LOGIN_URL: { absent: (c) => c.twinfield.loginUrl, byDefault: 'https://login.twinfield.com', good: ['https://login.example.com/', 'https://login.example.com'], bad: ['login.twinfield.com', URL] },
  LEDGERFEED_TWINFIELD_CLIENT_ID: { absent: (c) => c.twinfield.clientId, byDefault: undefined, good: ['ledgerfeed-app', 'ledgerfeed-app'] },
  LEDGERFEED_TWINFIELD_CLIENT_SECRET: { absent: (c) => c.twinfield.clientSecret, byDefault: undefined, good: ['s3cret', 's3cret'] },
  LEDGERFEED_SANDBOX_ROWS: { absent: (c) => c.sandbox.rows, byDefault: 5000, good: ['100', 100], bad: ['1', INTEGER(2, 2_000_000)] },
  LEDGERFEED_SANDBOX_LATENCY_MS: { absent: (c) => c.sandbox.latencyMs, byDefault: 50, good: ['0', 0], bad: ['60001', INTEGER(0, 60_000)] },
  LEDGERFEED_SANDBOX_MINUTE_MS: { absent: (c) => c.sandbox.minuteMs, byDefault: 60_000, good: ['1000', 1000], bad: ['5', INTEGER(10, 60_000)] },
  LEDGERFEED_SANDBOX_SEED: { absent: (c) => c.sandbox.seed, byDefault: 'ledgerfeed', good: ['other-books', 'other-books'] },
  LEDGERFEED_SANDBOX_UPSTREAM_URL: { absent: (c) => c.sandbox.upstreamUrl, byDefault: undefined, good: ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'], bad: ['127.0.0.1:9000', URL] },
  LEDGERFEED_UPSTREAM_TIMEOUT_S: { absent: (c) => c.upstreamTimeoutMs, byDefault: 120_000, good: ['5', 5000], bad: ['0', INTEGER(1, 3600)] },
};

const rows = Object.entries(VARIABLES) as Array<[string, Row]>;

describe('every configuration variable', () => {
  it('has a row in this test', () => {
    expect(Object.keys(VARIABLES).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it.each(rows)('%s has its documented default', (_name, row) => {
    expect(row.absent(loadConfig('sandbox', {}))).toEqual(row.byDefault);
  });

  it.each(rows)('%s takes a valid value', (name, row) => {
    expect(row.absent(loadConfig('sandbox', { [name]: row.good[0] }))).toEqual(row.good[1]);
  });

  it.each(rows.filter(([, row]) => row.bad))('%s refuses a wrong value, naming itself and what it accepts', (name, row) => {
    const [value, accepts] = row.bad!;
    let error: unknown;
    try {
      loadConfig('sandbox', { [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^Invalid configuration\\. ${name}`));
    expect(message).toMatch(accepts);
  });

  it('never repeats a secret value in a message', () => {
    expect(() => loadConfig('sandbox', { LEDGERFEED_SECRET_KEY: 'hunter2-is-not-a-key' })).toThrow(/^Invalid configuration\. LEDGERFEED_SECRET_KEY is invalid: /);
    expect(() => loadConfig('sandbox', { LEDGERFEED_SECRET_KEY: 'hunter2-is-not-a-key' })).not.toThrow(/hunter2/);
  });

  it('lists every problem at once', () => {
    expect(() => loadConfig('sandbox', { PORT: 'x', LEDGERFEED_METRICS: 'y' })).toThrow(/PORT="x" is invalid: .*; LEDGERFEED_METRICS="y" is invalid/);
  });

  it('refuses a default grant longer than the longest grant', () => {
    expect(() => loadConfig('sandbox', { LEDGERFEED_GRANT_DEFAULT_DAYS: '400' })).toThrow(/LEDGERFEED_GRANT_DEFAULT_DAYS \(400\) must not exceed LEDGERFEED_GRANT_MAX_DAYS \(365\)/);
  });

  it('serves production only with a secret key, and a valid one', () => {
    expect(() => loadConfig('serve', {})).toThrow(/^LEDGERFEED_SECRET_KEY is required by `ledgerfeed serve`/);
    expect(loadConfig('serve', { LEDGERFEED_SECRET_KEY: KEY }).mode).toBe('serve');
  });
});
