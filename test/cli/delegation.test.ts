// Delegation and connections through the command line and the feed, on a running sandbox: a login connected by
// a delegated member stays with the workspace when the member's access is revoked, expires, or the member is
// removed; connection health, keep-alive, doctor, administration selection and sync summaries as an operator
// sees them.
import { DAY, MINUTE } from '../../server/src/clock';
import { ScriptedBrowser } from '../../server/src/sandbox/browser';
import { startSandbox, type Sandbox } from '../ops/harness';
import { cli, json } from './harness';

let sandbox: Sandbox;
let env: Record<string, string>;
const keys: Record<string, string> = {};

interface ConnectionsJson {
  connections: Array<{ id: number; workspace: string; source: string; connectedBy: string | null; health: { state: string; reason: string | null; refreshRenewedAt: string | null } }>;
}
interface SyncJson {
  failed: number;
  added: number;
  upstreamCalls: number;
  results: Array<{ source: string; administration: { code: string; name: string }; table: string; outcome: string; error: { message: string } | null }>;
}

function feed(path: string, key: string): Promise<Response> {
  return fetch(`${sandbox.url}/odata/acme/exactonline/${path}`, { headers: { Authorization: `Basic ${Buffer.from(`:${key}`).toString('base64')}` } });
}

async function divisionsIn(res: Response): Promise<number[]> {
  expect(res.status).toBe(200);
  const body = (await res.json()) as { value: Array<{ Division: number }> };
  return [...new Set(body.value.map((r) => r.Division))].sort();
}

/** Signs in on the web pages and connects Exact Online through the simulator's login form, as a person would. */
async function connectExactAs(username: string, password: string): Promise<void> {
  const browser = new ScriptedBrowser();
  const signedIn = await browser.submit(await browser.get(`${sandbox.url}/signin`), { username, password }, '/signin');
  const login = await browser.submit(await browser.get(`${sandbox.url}/workspaces/acme`), {}, '/connect/exactonline');
  const back = await browser.submit(login, { username: 'demo', password: 'demo' });
  expect([signedIn.status, back.status, back.url]).toEqual([200, 200, expect.stringContaining(`${sandbox.url}/workspaces/acme`)]);
}

beforeAll(async () => {
  sandbox = await startSandbox({ LEDGERFEED_MAX_STALENESS_S: '0' });
  env = sandbox.cliEnv;
  expect((await cli(['users', 'add', 'olga', '--workspace', 'acme', '--password-stdin'], env, 'olga-password\n')).code).toBe(0);
  expect((await cli(['users', 'add', 'bob', '--password-stdin'], env, 'bob-password\n')).code).toBe(0);
  for (const user of ['olga', 'bob']) keys[user] = (await cli(['keys', 'create', user], env)).stdout.trim();
});

afterAll(() => sandbox.close());

describe('a login connected by a delegated member', () => {
  it('is connected by the member while the grant lasts, and serves the workspace', async () => {
    expect((await cli(['grant', 'acme', 'bob', '--days', '10'], env)).code).toBe(0);
    await connectExactAs('bob', 'bob-password');
    const { connections } = json<ConnectionsJson>(await cli(['connections', 'list', 'acme', '--json'], env));
    expect(connections).toEqual([expect.objectContaining({ workspace: 'acme', source: 'exactonline', connectedBy: 'bob', health: expect.objectContaining({ state: 'ok' }) })]);
    expect(await divisionsIn(await feed('GLAccounts', keys.bob))).toHaveLength(8);
  });

  it('keeps working for the workspace after the member’s access is revoked', async () => {
    expect((await cli(['revoke', 'acme', 'bob'], env)).code).toBe(0);
    expect((await feed('GLAccounts', keys.bob)).status).toBe(404);
    // Staleness 0: this request syncs every division through bob's login again.
    expect(await divisionsIn(await feed('GLAccounts', keys.olga))).toHaveLength(8);
    const listed = await cli(['connections', 'list', 'acme'], env);
    expect(listed.stdout).toMatch(/acme\s+\d+\s+exactonline\s+Exact Online.*bob\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+ok/);
  });

  it('keeps working after the member is removed altogether', async () => {
    expect((await cli(['users', 'remove', 'bob'], env)).stdout).toBe('Removed user bob.\n');
    const { connections } = json<ConnectionsJson>(await cli(['connections', 'list', 'acme', '--json'], env));
    expect(connections).toEqual([expect.objectContaining({ connectedBy: null, health: expect.objectContaining({ state: 'ok' }) })]);
    expect(await divisionsIn(await feed('GLAccounts', keys.olga))).toHaveLength(8);
    expect((await feed('GLAccounts', keys.bob)).status).toBe(401);
  });

  it('ends a member’s access on its own when the grant expires', async () => {
    await cli(['users', 'add', 'carol', '--no-password'], env);
    await cli(['grant', 'acme', 'carol', '--days', '1'], env);
    const carol = (await cli(['keys', 'create', 'carol'], env)).stdout.trim();
    expect((await feed('Divisions', carol)).status).toBe(200);
    sandbox.clock.advance(2 * DAY);
    expect((await feed('Divisions', carol)).status).toBe(404);
    expect(await divisionsIn(await feed('Divisions', keys.olga))).toHaveLength(8);
  });

  it('leaves an audit trail of the grants, the connect and the key use, without secrets', async () => {
    const { entries } = json<{ entries: Array<{ action: string; user: string | null; detail: Record<string, unknown> }> }>(
      await cli(['audit', 'list', '--workspace', 'acme', '--json'], env),
    );
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['grant.create', 'grant.revoke', 'connection.connect']));
    expect(entries.find((e) => e.action === 'connection.connect')?.detail).toMatchObject({ source: 'exactonline' });
    const olga = await cli(['audit', 'list', '--user', 'olga', '--json'], env);
    expect(olga.stdout).toMatch(/"action": "apikey.use"/);
    const everything = (await cli(['audit', 'list', '--limit', '1000', '--json'], env)).stdout;
    for (const key of Object.values(keys)) expect(everything).not.toContain(key);
  });
});

describe('administrations and syncs', () => {
  it('leaves a deselected administration out of the feed, and takes it back when selected', async () => {
    expect((await cli(['administrations', 'deselect', 'acme', '310102'], env)).stdout).toBe('Deselected 1 administration of acme.\n');
    const listed = await cli(['administrations', 'list', 'acme'], env);
    expect(listed.stdout).toMatch(/exactonline\s+310102\s+Installatiebedrijf Van Dijk\s+no/);
    expect(await divisionsIn(await feed('GLAccounts', keys.olga))).not.toContain(310102);
    expect((await cli(['administrations', 'select', 'acme', '--all'], env)).stdout).toBe('Selected 1 administration of acme (7 already were).\n');
    expect(await divisionsIn(await feed('GLAccounts', keys.olga))).toContain(310102);
  });

  it('reports a sync per table as plain lines, then the summary', async () => {
    const result = await cli(['sync', 'acme', '--table', 'GLAccounts', 'Journals', '--full'], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((l) => / · (GLAccounts|Journals): reload, \d+ rows fetched/.test(l))).toHaveLength(16);
    expect(result.stdout).toContain('310101 Bakkerij De Gouden Korrel B.V. · GLAccounts: reload');
    expect(lines.at(-2)).toMatch(/^Synced acme: 8 administrations, 16 table syncs in /);
    expect(lines.at(-1)).toMatch(/^ {2}rows: [\d,]+ added, 0 changed, 0 deleted \([\d,]+ fetched in \d+ pages, \d+ upstream calls\)$/);
  });

  it('syncs only the source asked for with --source, and refuses one that does not exist', async () => {
    const twinfield = await cli(['sync', 'demo', '--source', 'twinfield', '--table', 'GeneralLedgerAccounts', 'Offices', '--json'], env);
    expect(twinfield.code).toBe(0);
    const summary = JSON.parse(twinfield.stdout) as SyncJson;
    expect(summary.failed).toBe(0);
    expect(new Set(summary.results.map((r) => r.source))).toEqual(new Set(['twinfield']));
    expect(summary.results).toHaveLength(16); // 8 offices × 2 tables
    expect(new Set(summary.results.map((r) => r.administration.code)).size).toBe(8);
    const exact = JSON.parse((await cli(['sync', 'demo', '--source', 'exactonline', '--table', 'Journals', '--json'], env)).stdout) as { results: Array<{ source: string; table: string }> };
    expect(exact.results.map((r) => `${r.source}/${r.table}`)).toEqual(Array(8).fill('exactonline/Journals'));
    const wrong = await cli(['sync', 'demo', '--source', 'quickbooks'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('ledgerfeed: --source is exactonline or twinfield, not "quickbooks".\n');
  });

  it('names the administration and the upstream’s reason when a sync fails, and exits 1', async () => {
    const fault = await fetch(`${sandbox.url}/sandbox/exactonline/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ administration: '310103', status: 403 }),
    });
    expect(fault.status).toBe(200);
    const result = await cli(['sync', 'acme', '--table', 'GLAccounts', '--json'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ledgerfeed: 1 of 8 table syncs failed (see the summary).\n');
    const summary = JSON.parse(result.stdout) as SyncJson;
    expect(summary.failed).toBe(1);
    expect(summary.upstreamCalls).toBeGreaterThanOrEqual(8);
    const failure = summary.results.find((r) => r.outcome === 'failed');
    expect(failure).toMatchObject({ administration: { code: '310103', name: 'Hoveniersbedrijf Groen & Co' }, table: 'GLAccounts' });
    expect(failure?.error?.message).toMatch(/Exact Online refused division 310103/);
  });
});

describe('login health', () => {
  it('renews logins unused for a long time with one keep-alive pass', async () => {
    const longAgo = sandbox.clock.now() - 20 * DAY;
    sandbox.running.context.db.prepare('UPDATE connections SET refresh_renewed_at = ?, access_issued_at = ?').run(longAgo, longAgo);
    // The simulator refuses to renew access tokens younger than 570 seconds by its own clock.
    sandbox.clock.advance(10 * MINUTE);
    const result = await cli(['keepalive', '--json'], env);
    expect(result.code).toBe(0);
    const { outcomes } = JSON.parse(result.stdout) as { outcomes: Array<{ source: string; outcome: string }> };
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.source === 'exactonline' && o.outcome === 'renewed')).toBe(true);
    const { connections } = json<ConnectionsJson>(await cli(['connections', 'list', '--json'], env));
    expect(Date.parse(connections.find((c) => c.workspace === 'acme')!.health.refreshRenewedAt!)).toBeGreaterThan(longAgo + DAY);
    expect((await cli(['keepalive'], env)).stdout).toMatch(/^No login was due: every refresh token was renewed within the last 14 days\.\n$/);
  });

  it('shows a login that needs re-authorization with the reason, and doctor fails on it', async () => {
    const id = json<ConnectionsJson>(await cli(['connections', 'list', 'acme', '--json'], env)).connections[0].id;
    sandbox.running.ledgerfeed.tokens.markNeedsReauthorization(id, 'Exact Online refused the refresh token (invalid_grant)');
    const listed = await cli(['connections', 'list', 'acme'], env);
    expect(listed.stdout).toMatch(/needs re-authorization\s+Exact Online refused the refresh token \(invalid_grant\)/);
    const doctor = await cli(['doctor'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ login acme\/exactonline #\d+\s+Exact Online.*needs re-authorization.*invalid_grant/);
    expect(doctor.stdout).toMatch(/✓ stored logins\s+all \d+ decrypt with this key/);
    expect(doctor.stderr).toMatch(/^ledgerfeed: 1 problem/);
  });
});
