// Production (`serve`) as an orchestrator sees it: no simulators and no demo user, /healthz and /readyz (503 with
// the reason when the store cannot take writes), and who may read /metrics under each LEDGERFEED_METRICS setting.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadConfig } from '../../server/src/config';
import { silentLogger } from '../../server/src/logger';
import { startServer, type RunningServer } from '../../server/src/server';
import { tempDir } from './harness';

async function serve(env: Record<string, string> = {}): Promise<{ running: RunningServer; dataDir: string; close(): Promise<void> }> {
  const dataDir = tempDir('serve');
  const config = loadConfig('serve', { PORT: '0', LEDGERFEED_DATA_DIR: dataDir, LEDGERFEED_SECRET_KEY: crypto.randomBytes(32).toString('hex'), ...env });
  const running = await startServer(config, { logger: silentLogger });
  return {
    running,
    dataDir,
    close: async () => {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('ledgerfeed serve', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve();
  });
  afterAll(() => server.close());

  it('mounts no simulator and creates no demo user or workspace', async () => {
    for (const path of ['/sandbox/exactonline/_stats', '/sandbox/twinfield/_stats', '/sandbox/exactonline/api/oauth2/auth']) {
      expect((await fetch(`${server.running.url}${path}`)).status).toBe(404);
    }
    const { accounts } = server.running.ledgerfeed.access;
    expect(accounts.userByUsername('demo')).toBeNull();
    expect(accounts.workspaceBySlug('demo')).toBeNull();
    expect(accounts.users()).toEqual([]);
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${server.running.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${server.running.url}/readyz`);
    expect([ready.status, ready.headers.get('cache-control'), await ready.json()]).toEqual([200, 'no-store', { status: 'ready' }]);
  });

  it('reports not ready, with the reason, when the data directory is gone — while /healthz still answers', async () => {
    fs.rmSync(server.dataDir, { recursive: true, force: true });
    const ready = await fetch(`${server.running.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', reasons: ['the store does not take writes (ENOENT)'] });
    expect((await fetch(`${server.running.url}/healthz`)).status).toBe(200);
  });
});

describe('LEDGERFEED_METRICS', () => {
  it('loopback (the default): direct local connections only, not ones a proxy forwarded', async () => {
    const server = await serve();
    expect((await fetch(`${server.running.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${server.running.url}/metrics`, { headers: { Forwarded: 'for=203.0.113.7' } })).status).toBe(403);
    await server.close();
  });

  it('open: anyone who reaches the port', async () => {
    const server = await serve({ LEDGERFEED_METRICS: 'open' });
    const res = await fetch(`${server.running.url}/metrics`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# HELP ledgerfeed_http_requests_total /m);
    await server.close();
  });

  it('off: no /metrics at all', async () => {
    const server = await serve({ LEDGERFEED_METRICS: 'off' });
    expect((await fetch(`${server.running.url}/metrics`)).status).toBe(404);
    await server.close();
  });
});
