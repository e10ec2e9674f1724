import { loadConfig } from '../../server/src/config';
import { ConfigurationError } from '../../server/src/errors';

describe('configuration', () => {
  it('runs the sandbox with defaults and nothing set', () => {
    const c = loadConfig('sandbox', {});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.maxParallel).toBe(8);
    expect(c.maxStalenessSeconds).toBe(60);
    expect(c.pageSize).toBe(10_000);
    expect(c.keepAlive).toEqual({ enabled: true, days: 14 });
    expect(c.sandbox).toMatchObject({ rows: 5000, latencyMs: 50, minuteMs: 60_000 });
  });

  it('names the variable and what it accepts when a value is wrong', () => {
    expect(() => loadConfig('sandbox', { LEDGERFEED_MAX_PARALLEL: 'eight' })).toThrow(/LEDGERFEED_MAX_PARALLEL="eight" is invalid/);
    expect(() => loadConfig('sandbox', { LEDGERFEED_LOG_LEVEL: 'loud' })).toThrow(/LEDGERFEED_LOG_LEVEL.*"fatal"\|"error"/);
    expect(() => loadConfig('sandbox', { PORT: '70000' })).toThrow(/PORT="70000"/);
    expect(() => loadConfig('sandbox', { LEDGERFEED_KEEPALIVE_DAYS: '30' })).toThrow(/LEDGERFEED_KEEPALIVE_DAYS/);
  });

  it('refuses variables it does not know, so a typo is not silently ignored', () => {
    expect(() => loadConfig('sandbox', { LEDGERFEED_MAX_PARALEL: '4' })).toThrow(/Unknown configuration variable LEDGERFEED_MAX_PARALEL/);
  });

  it('refuses to serve production without a secret key, naming LEDGERFEED_SECRET_KEY', () => {
    expect(() => loadConfig('serve', {})).toThrow(ConfigurationError);
    expect(() => loadConfig('serve', {})).toThrow(/LEDGERFEED_SECRET_KEY/);
  });

  it('refuses the sandbox app credentials in production', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(() => loadConfig('serve', { LEDGERFEED_SECRET_KEY: key, LEDGERFEED_EXACT_CLIENT_ID: 'sandbox-client' })).toThrow(/LEDGERFEED_EXACT_CLIENT_ID is the sandbox app id/);
    expect(loadConfig('serve', { LEDGERFEED_SECRET_KEY: key, LEDGERFEED_EXACT_CLIENT_ID: 'a1b2c3' }).exactOnline.clientId).toBe('a1b2c3');
  });
});
