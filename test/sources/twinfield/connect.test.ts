// Connecting Twinfield through the workspace page's provider, against the simulator's real login form; tokens kept
// encrypted and out of the logs; an expired token renewed once and the call retried.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LoginNeedsReauthorization } from '../../../server/src/sources/tokens';
import { twinfieldTable } from '../../../server/src/sources/twinfield';
import { connect, control, fetchContext, REDIRECT_URI, resetStats, startHarness, stats, type Harness } from './harness';
import { pkceChallenge } from '../../../server/src/web/connect';

const table = (name: string) => twinfieldTable(name)!;

describe('Twinfield connect provider', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('connects a login through the real login form: organisation, cluster URL and eight offices stored', async () => {
    const url = new URL(
      await h.source.connectProvider.authorizationUrl({
        workspace: { id: h.workspaceId, slug: 'demo', name: 'Demo' },
        user: { id: h.userId, username: 'accountant' },
        state: 'the-state',
        nonce: 'the-nonce',
        codeChallenge: 'challenge',
        codeChallengeMethod: 'S256',
        redirectUri: 'http://127.0.0.1:9/cb',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${h.base}/auth/authentication/connect/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'sandbox-client',
      scope: 'openid twf.user twf.organisation twf.organisationUser offline_access',
      state: 'the-state',
      nonce: 'the-nonce',
      code_challenge: 'challenge',
      code_challenge_method: 'S256',
    });

    const connection = await connect(h);
    expect(connection).toMatchObject({ source: 'twinfield', externalKey: 'SANDBOX', label: 'Twinfield — SANDBOX', authKind: 'oauth', status: 'ok', connectedBy: h.userId });
    expect(connection.extra).toMatchObject({ clusterUrl: h.base, organisationCode: 'SANDBOX' });
    expect(typeof connection.extra.organisationId).toBe('string');
    const offices = h.connections.administrations(h.workspaceId, { source: 'twinfield' });
    expect(offices.map((o) => o.code)).toEqual(['NLA310101', 'NLA310102', 'NLA310103', 'NLA310104', 'NLA310105', 'NLA310106', 'NLA310107', 'NLA310108']);
    expect(offices.every((o) => o.connectionId === connection.id && o.selected && o.name.length > 0)).toBe(true);
  });

  it('refuses a callback whose id_token carries another nonce, and a code used twice, with readable reasons', async () => {
    const provider = h.source.connectProvider;
    const workspace = { id: h.workspaceId, slug: 'demo', name: 'Demo' };
    const user = { id: h.userId, username: 'accountant' };
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const url = await provider.authorizationUrl({ workspace, user, state: 's', nonce: 'right-nonce', codeChallenge: pkceChallenge(verifier), codeChallengeMethod: 'S256', redirectUri: REDIRECT_URI });
    const form = new URLSearchParams({ ...Object.fromEntries(new URL(url).searchParams), username: 'demo', password: 'demo', organisation: 'SANDBOX', action: 'login' });
    const redirect = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
    const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
    const callback = { workspace, user, code, codeVerifier: verifier, nonce: 'other-nonce', redirectUri: REDIRECT_URI, query: new URLSearchParams() };
    await expect(provider.complete(callback)).rejects.toMatchObject({ name: 'ConnectFailed', failure: 'upstream', message: expect.stringContaining('nonce') });
    await expect(provider.complete({ ...callback, nonce: 'right-nonce' })).rejects.toMatchObject({ name: 'ConnectFailed', failure: 'expired_code' });
    expect(h.connections.inWorkspace(h.workspaceId, 'twinfield')).toHaveLength(0);
  });

  it('connecting the same organisation again updates the one connection', async () => {
    const first = await connect(h);
    const second = await connect(h);
    expect(second.id).toBe(first.id);
    expect(h.connections.inWorkspace(h.workspaceId, 'twinfield')).toHaveLength(1);
  });

  it('keeps no access or refresh token in the SQLite file or in the logs', async () => {
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await h.source.connector.probe(table('CostCenters'), fetchContext(admin), null);
    await control(h, '/_tokens/expire', {});
    await h.source.connector.probe(table('CostCenters'), fetchContext(admin), null);
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of fs.readdirSync(h.dir).filter((f) => f.startsWith('ledgerfeed.sqlite'))) {
      const bytes = fs.readFileSync(path.join(h.dir, file)).toString('latin1');
      expect(bytes).not.toContain('twf_at_');
      expect(bytes).not.toContain('twf_rt_');
    }
    expect(h.logs.length).toBeGreaterThan(0);
    const logs = h.logs.join('\n');
    expect(logs).not.toContain('twf_at_');
    expect(logs).not.toContain('twf_rt_');
    expect(logs).not.toContain('twf_code_');
  });

  it('answers an expired token (354) with exactly one refresh, shared by concurrent calls, and retries the calls', async () => {
    const connection = await connect(h);
    const admins = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await control(h, '/_tokens/expire', {});
    await resetStats(h);
    const fingerprints = await Promise.all(admins.map((admin) => h.source.connector.probe(table('Projects'), fetchContext(admin), null)));
    expect(fingerprints.every((f) => typeof f === 'string' && f.startsWith('finder:v1:'))).toBe(true);
    const after = await stats(h);
    expect(after.tokenRequests).toBe(1);
    expect(after.rejectedRefreshes).toBe(0);
    // Each office: the refused call and its retry.
    expect(after.requests).toBe(admins.length * 2);
  });

  it('marks the login for re-authorization when Twinfield refuses the refresh token (invalid_grant)', async () => {
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await control(h, '/_tokens/expire', { refreshTokens: true });
    await expect(h.source.connector.probe(table('Projects'), fetchContext(admin), null)).rejects.toBeInstanceOf(LoginNeedsReauthorization);
    expect(h.connections.byId(connection.id)?.status).toBe('needs_reauth');
    expect(h.connections.byId(connection.id)?.statusReason).toMatch(/invalid_grant/);
  });

  it('asks Twinfield for the cluster again when the stored one does not answer, and keeps the new one', async () => {
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    // A cluster URL where nothing listens, as after Twinfield moved the organisation.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    h.db.prepare("UPDATE connections SET extra_json = json_set(extra_json, '$.clusterUrl', ?) WHERE id = ?").run(`http://127.0.0.1:${port}/gone`, connection.id);
    h.source.clients.forget(connection.id);
    await resetStats(h);
    await expect(h.source.connector.probe(table('Projects'), fetchContext(admin), null)).resolves.toMatch(/^finder:v1:/);
    expect((await stats(h)).tokenRequests).toBe(1);
    expect(h.connections.byId(connection.id)?.extra.clusterUrl).toBe(h.base);
  });

  it('renews the access token a minute before it expires, without waiting for a refusal', async () => {
    const connection = await connect(h);
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    h.clock.advance(59 * 60_000 + 1000);
    await resetStats(h);
    await h.source.connector.probe(table('Projects'), fetchContext(admin), null);
    const after = await stats(h);
    expect(after.tokenRequests).toBe(1);
    expect(after.requests).toBe(1);
  });
});
