// Token refreshes as an operator sees them in /metrics, by outcome: `failed` (a refusal that may pass — here Exact's
// "too early", because Ledgerfeed's clock runs ahead of the service's — the login stays ok), `renewed` once the
// service agrees, and `rejected` when the service refuses the refresh token itself (the login needs
// re-authorization, which the connections gauge shows). The simulators run on their own server and clock, as the
// real services would.
import { AdjustableClock, SECOND } from '../../server/src/clock';
import { SIMULATOR_PATHS } from '../../server/src/sandbox/standalone';
import { startSandbox, type Sandbox } from '../acceptance/sync/harness';

const DEMO = { Authorization: `Basic ${Buffer.from(':demo').toString('base64')}`, Accept: 'application/json' };

let sandbox: Sandbox;
const upstreamClock = new AdjustableClock();
const ledgerfeedClock = new AdjustableClock();

async function series(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${sandbox.server.url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((w) => match[2].split(',').includes(w))) return Number(match[3]);
  }
  return 0;
}

async function feed(source: string, table: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${sandbox.server.url}/odata/demo/${source}/${table}?$top=3`, { headers: DEMO });
  return { status: response.status, body: await response.text() };
}

const refreshes = (source: string, outcome: string) => series('ledgerfeed_token_refreshes_total', { source, outcome });

beforeAll(async () => {
  sandbox = await startSandbox({ rows: 30, seed: 'ledgerfeed-token-metrics', simulatorClock: upstreamClock, clock: ledgerfeedClock });
}, 60_000);

afterAll(() => sandbox?.close());

describe('token refresh metrics', () => {
  it('count a refresh the service refused as too early as failed, and keep the login ok', async () => {
    expect(await feed('exactonline', 'Journals')).toMatchObject({ status: 200 });
    expect(await refreshes('exactonline', 'failed')).toBe(0);
    ledgerfeedClock.advance(601 * SECOND); // Ledgerfeed believes the token expired; Exact's clock says it is 0 s old
    const answer = await feed('exactonline', 'Journals');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/too early|this early|570/i);
    expect(await refreshes('exactonline', 'failed')).toBeGreaterThanOrEqual(1);
    expect(await refreshes('exactonline', 'renewed')).toBe(0);
    expect(await refreshes('exactonline', 'rejected')).toBe(0);
    expect(await series('ledgerfeed_connections', { source: 'exactonline', state: 'ok' })).toBe(1);
  });

  it('count the refresh as renewed once the service allows it', async () => {
    upstreamClock.advance(601 * SECOND);
    expect(await feed('exactonline', 'Journals')).toMatchObject({ status: 200 });
    expect(await refreshes('exactonline', 'renewed')).toBe(1);
  });

  it('count a refresh token the service no longer accepts as rejected, and the login as needing re-authorization', async () => {
    const expired = await fetch(`${sandbox.sims.url}${SIMULATOR_PATHS.twinfield}/_tokens/expire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshTokens: true }),
    });
    expect(expired.status).toBe(200);
    const answer = await feed('twinfield', 'GeneralLedgerAccounts');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/re-authorization/);
    expect(await refreshes('twinfield', 'rejected')).toBe(1);
    expect(await refreshes('twinfield', 'renewed')).toBe(0);
    expect(await series('ledgerfeed_connections', { source: 'twinfield', state: 'needs_reauth' })).toBe(1);
    expect(await series('ledgerfeed_connections', { source: 'twinfield', state: 'ok' })).toBe(0);
  });
});
