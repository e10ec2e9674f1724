// What an operator sees of a running sandbox: request ids, one JSON log line per request with a templated route,
// no secret anywhere in the log through start, connect and feed requests, and Prometheus metrics of requests,
// feed rows, syncs, upstream calls, 429s, rate-limit headroom and token refreshes — with bounded labels.
import { MINUTE } from '../../server/src/clock';
import { logRecords, startSandbox, type Sandbox } from './harness';

let sandbox: Sandbox;
let key: string;

const basic = (k: string) => `Basic ${Buffer.from(`:${k}`).toString('base64')}`;

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, { headers });
}

async function metrics(): Promise<string> {
  const res = await get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2].split(/,(?=[a-z_]+=")/);
    if (wanted.every((w) => present.includes(w))) return Number(match[3]);
  }
  return undefined;
}

async function faultOnce(division: string, status: number): Promise<void> {
  const res = await fetch(`${sandbox.url}/sandbox/exactonline/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ administration: division, status }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sandbox = await startSandbox({ LEDGERFEED_MAX_STALENESS_S: '0' }, 'trace');
  const user = await sandbox.running.ledgerfeed.access.accounts.createUser({ username: 'ops' });
  sandbox.running.ledgerfeed.access.accounts.grant({ workspaceId: sandbox.running.ledgerfeed.access.accounts.workspaceBySlug('demo')!.id, username: 'ops', grantedBy: 1 });
  key = sandbox.running.ledgerfeed.access.accounts.createApiKey(user.id, 'ops').plaintext;
});

afterAll(() => sandbox.close());

describe('request ids and the request log', () => {
  it('echoes a caller’s X-Request-Id and logs the request under it', async () => {
    const res = await get('/healthz', { 'X-Request-Id': 'powerbi-refresh-42' });
    expect(res.headers.get('x-request-id')).toBe('powerbi-refresh-42');
    const line = logRecords(sandbox.log).find((r) => r.requestId === 'powerbi-refresh-42');
    expect(line).toMatchObject({ component: 'http', method: 'GET', url: '/healthz', route: '/healthz', status: 200, msg: 'request completed' });
    expect(typeof line?.durationMs).toBe('number');
  });

  it('replaces a request id that could smuggle text into the log; the feed’s own log lines carry the same id', async () => {
    const res = await get('/odata/demo/exactonline/Nowhere', { 'X-Request-Id': '"};{"level":60', Authorization: basic(key) });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.status).toBe(404);
    const lines = logRecords(sandbox.log).filter((r) => r.requestId === id);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'feed request refused', status: 404, code: 'NotFound' }),
      expect.objectContaining({ component: 'http', route: '/odata/:workspace/exactonline/:entitySet', status: 404 }),
    ]);
  });

  it('logs the feed’s query options but no query string of other routes', async () => {
    const callback = await get('/connect/exactonline/callback?code=a-one-time-code&state=xyz');
    const feed = await get('/odata/demo/exactonline/GLAccounts?$top=1&$select=Code', { Authorization: basic(key) });
    expect(feed.status).toBe(200);
    const lines = logRecords(sandbox.log);
    expect(lines.find((r) => r.requestId === callback.headers.get('x-request-id'))).toMatchObject({ url: '/connect/exactonline/callback', route: '/connect/:source/callback' });
    expect(lines.find((r) => r.requestId === feed.headers.get('x-request-id'))).toMatchObject({ url: '/odata/demo/exactonline/GLAccounts?$top=1&$select=Code' });
  });
});

describe('secrets', () => {
  it('appear nowhere in the log of a sandbox start, its code-grant connects, token refreshes and feed requests', async () => {
    await get('/odata/demo/exactonline/Journals', { Authorization: `Bearer ${key}`, Cookie: 'ledgerfeed_session=cookie-value-that-must-not-be-logged' });
    sandbox.clock.advance(11 * MINUTE); // the next sync refreshes the access tokens
    expect((await get('/odata/demo/exactonline/Journals', { Authorization: basic(key) })).status).toBe(200);
    expect((await get('/odata/demo/twinfield/Offices', { Authorization: basic(key) })).status).toBeLessThan(500);
    const { db, vault } = sandbox.running.context;
    const rows = db.prepare('SELECT id, access_token_enc, refresh_token_enc FROM connections').all() as Array<{ id: number; access_token_enc: string | null; refresh_token_enc: string | null }>;
    expect(rows.length).toBe(2);
    const tokens = rows.flatMap((r) => [
      ...(r.access_token_enc ? [vault.decrypt(r.access_token_enc, `connection:${r.id}:access_token`)] : []),
      ...(r.refresh_token_enc ? [vault.decrypt(r.refresh_token_enc, `connection:${r.id}:refresh_token`)] : []),
    ]);
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const log = sandbox.log.text;
    expect(log).toMatch(/"msg":"sandbox workspace connected through the code-grant flow"/);
    for (const secret of [...tokens, key, 'sandbox-secret', 'cookie-value-that-must-not-be-logged', 'a-one-time-code']) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/code=|Bearer |password=|"authorization"|"cookie"/i);
  });
});

describe('metrics', () => {
  it('count HTTP requests by route template, never by raw URL', async () => {
    for (let i = 0; i < 20; i++) {
      await get(`/odata/demo/exactonline/Made-Up-${i}`, { Authorization: basic(key) });
      await get(`/no-such-page-${i}?x=${i}`);
    }
    const text = await metrics();
    expect(text).not.toMatch(/Made-Up|no-such-page/);
    expect(sample(text, 'ledgerfeed_http_requests_total', { route: '/odata/:workspace/exactonline/:entitySet', status: '404' })).toBeGreaterThanOrEqual(20);
    expect(sample(text, 'ledgerfeed_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(20);
    expect(sample(text, 'ledgerfeed_http_requests_total', { route: '/connect/:source/callback', method: 'GET' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'ledgerfeed_http_request_duration_seconds_count', { route: '/odata/:workspace/exactonline/:entitySet', method: 'GET' })).toBeGreaterThan(20);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('count the rows the feed served, and what the syncs wrote per administration and table', async () => {
    const before = sample(await metrics(), 'ledgerfeed_feed_rows_served_total', { source: 'exactonline', table: 'GLAccounts' }) ?? 0;
    const res = await get('/odata/demo/exactonline/GLAccounts?$filter=Division eq 310101', { Authorization: basic(key) });
    const rows = ((await res.json()) as { value: unknown[] }).value.length;
    expect(rows).toBeGreaterThan(0);
    const text = await metrics();
    expect(sample(text, 'ledgerfeed_feed_rows_served_total', { source: 'exactonline', table: 'GLAccounts' })).toBe(before + rows);
    const labels = { workspace: 'demo', source: 'exactonline', administration: '310101', table: 'GLAccounts' };
    expect(sample(text, 'ledgerfeed_mirror_rows', labels)).toBe(rows);
    expect(sample(text, 'ledgerfeed_sync_rows_total', { ...labels, change: 'added' })).toBe(rows);
    expect(sample(text, 'ledgerfeed_sync_last_duration_seconds', labels)).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'ledgerfeed_sync_duration_seconds_count', { source: 'exactonline', table: 'GLAccounts' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'ledgerfeed_syncs_total', { source: 'exactonline', table: 'GLAccounts', outcome: 'incremental' })).toBeGreaterThanOrEqual(2);
  });

  it('count upstream calls and 429s per administration, with the rate-limit headroom Exact announced', async () => {
    await faultOnce('310102', 429);
    const res = await get('/odata/demo/exactonline/Journals?$filter=Division eq 310102', { Authorization: basic(key) });
    expect(res.status).toBe(200);
    const text = await metrics();
    const division = { source: 'exactonline', administration: '310102' };
    expect(sample(text, 'ledgerfeed_upstream_rate_limited_total', division)).toBe(1);
    expect(sample(text, 'ledgerfeed_upstream_calls_total', { ...division, status: '429' })).toBe(1);
    expect(sample(text, 'ledgerfeed_upstream_calls_total', { ...division, status: '200' })).toBeGreaterThan(1);
    expect(sample(text, 'ledgerfeed_upstream_rate_limit', { ...division, window: 'daily' })).toBe(5000);
    const remaining = sample(text, 'ledgerfeed_upstream_rate_limit_remaining', { ...division, window: 'daily' });
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThan(5000);
    expect(sample(text, 'ledgerfeed_upstream_rate_limit_remaining', { ...division, window: 'minutely' })).toBeGreaterThanOrEqual(0);
  });

  it('count token refreshes by outcome, and logins by health', async () => {
    const text = await metrics();
    expect(sample(text, 'ledgerfeed_token_refreshes_total', { source: 'exactonline', outcome: 'renewed' })).toBe(1);
    expect(sample(text, 'ledgerfeed_connections', { source: 'exactonline', state: 'ok' })).toBe(1);
    expect(text).toMatch(/^ledgerfeed_syncs_active 0$/m);
  });

  it('are refused to a request a proxy forwarded, by default', async () => {
    const res = await get('/metrics', { 'X-Forwarded-For': '203.0.113.7' });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/LEDGERFEED_METRICS=loopback/);
  });
});
