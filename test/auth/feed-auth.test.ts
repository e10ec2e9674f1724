// Feed authentication as Power BI, Excel and scripts meet it, through the connection-health API
// (which authenticates exactly like the OData feed).
import { DAY, MINUTE } from '../../server/src/clock';
import { WWW_AUTHENTICATE } from '../../server/src/auth/feed-auth';
import { basic, createOwner, json, startTestServer, type ConnectionsBody, type ErrorBody, type Owner, type TestServer, type WorkspacesBody } from './harness';

let server: TestServer;
let alice: Owner;
let bob: Owner;

beforeAll(async () => {
  server = await startTestServer();
  alice = await createOwner(server.accounts, 'alice');
  bob = await createOwner(server.accounts, 'bob');
});
afterAll(() => server.close());

/** Each test speaks from its own client address (the app trusts X-Forwarded-For from loopback only). */
let addressCounter = 0;
const freshAddress = (): string => `198.51.100.${++addressCounter}`;

async function connectionsOf(slug: string, authorization: string | null, address = freshAddress()): Promise<Response> {
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (authorization !== null) headers.authorization = authorization;
  return fetch(`${server.url}/api/workspaces/${slug}/connections`, { headers });
}

describe('credentials a feed client may send', () => {
  it("accepts the key as a Basic password with an empty user name (Power Query's Key credential)", async () => {
    const res = await connectionsOf(alice.workspace.slug, basic('', alice.key));
    expect(res.status).toBe(200);
    expect((await json<ConnectionsBody>(res)).workspace.slug).toBe(alice.workspace.slug);
  });

  it("accepts the key as a Basic password with the key owner's user name, in any letter case", async () => {
    expect((await connectionsOf(alice.workspace.slug, basic('alice', alice.key))).status).toBe(200);
    expect((await connectionsOf(alice.workspace.slug, basic('ALICE', alice.key))).status).toBe(200);
  });

  it("refuses the key when the Basic user name is someone else's", async () => {
    const res = await connectionsOf(alice.workspace.slug, basic('bob', alice.key));
    expect(res.status).toBe(401);
  });

  it('accepts Authorization: Bearer <key>', async () => {
    const res = await connectionsOf(alice.workspace.slug, `Bearer ${alice.key}`);
    expect(res.status).toBe(200);
  });

  it('answers 401 with a Basic challenge when no credentials are sent', async () => {
    const res = await connectionsOf(alice.workspace.slug, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW_AUTHENTICATE);
    expect((await json<ErrorBody>(res)).error.code).toBe('Unauthorized');
  });

  it('answers 401 with a Basic challenge to a wrong key, and never echoes the key', async () => {
    const wrong = 'lf_thisIsNotAKeyAnyoneWasGiven000000000000000';
    const res = await connectionsOf(alice.workspace.slug, basic('', wrong));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Ledgerfeed"');
    expect(await res.text()).not.toContain(wrong);
    expect(server.log.text).not.toContain(wrong);
  });

  it('refuses a key once its owner revoked it', async () => {
    const created = server.accounts.createApiKey(alice.user.id, 'laptop');
    expect((await connectionsOf(alice.workspace.slug, `Bearer ${created.plaintext}`)).status).toBe(200);
    server.accounts.revokeApiKey(alice.user.id, created.key.id);
    expect((await connectionsOf(alice.workspace.slug, `Bearer ${created.plaintext}`)).status).toBe(401);
  });
});

describe('which workspaces a key reaches', () => {
  it("answers a key of workspace A asking for workspace B exactly like a workspace that does not exist", async () => {
    const other = await connectionsOf(bob.workspace.slug, basic('', alice.key));
    const missing = await connectionsOf('no-such-books', basic('', alice.key));
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    const [a, b] = [await json<ErrorBody>(other), await json<ErrorBody>(missing)];
    expect(a.error.code).toBe(b.error.code);
    expect(a.error.message.replace(bob.workspace.slug, 'X')).toBe(b.error.message.replace('no-such-books', 'X'));
  });

  it('ends a granted member’s access when the grant expires, without anyone acting', async () => {
    const carol = await createOwner(server.accounts, 'carol');
    server.accounts.grant({ workspaceId: bob.workspace.id, username: 'carol', grantedBy: bob.user.id, expiresAt: server.clock.now() + 10 * DAY });
    expect((await connectionsOf(bob.workspace.slug, basic('', carol.key))).status).toBe(200);
    const list = await json<WorkspacesBody>(await fetch(`${server.url}/api/workspaces`, { headers: { authorization: `Bearer ${carol.key}` } }));
    expect(list.value.map((w) => w.slug).sort()).toEqual(['bob-books', 'carol-books']);

    server.clock.advance(10 * DAY + MINUTE);
    expect((await connectionsOf(bob.workspace.slug, basic('', carol.key))).status).toBe(404);
    expect((await connectionsOf(carol.workspace.slug, basic('', carol.key))).status).toBe(200);
  });

  it('keeps a connection with the workspace after the member who connected it loses access', async () => {
    const dave = await createOwner(server.accounts, 'dave');
    server.accounts.grant({ workspaceId: alice.workspace.id, username: 'dave', grantedBy: alice.user.id, expiresAt: server.clock.now() + DAY });
    const connection = server.connections.upsert({
      workspaceId: alice.workspace.id,
      source: 'twinfield',
      externalKey: 'ORG-DAVE',
      label: 'Dave’s Twinfield organisation',
      baseUrl: 'https://api.accounting2.twinfield.com',
      connectedBy: dave.user.id,
    });
    server.accounts.revoke({ workspaceId: alice.workspace.id, userId: dave.user.id, revokedBy: alice.user.id });

    expect((await connectionsOf(alice.workspace.slug, basic('', dave.key))).status).toBe(404);
    const body = await json<ConnectionsBody>(await connectionsOf(alice.workspace.slug, basic('', alice.key)));
    expect(body.value.map((c) => c.id)).toContain(connection.id);
  });
});

describe('guessing keys', () => {
  it('blocks an address after 20 failed attempts with 429 and Retry-After, while a valid key from another address still works', async () => {
    const guesser = freshAddress();
    for (let i = 0; i < 20; i++) {
      expect((await connectionsOf(alice.workspace.slug, basic('', `lf_guess${i}`), guesser)).status).toBe(401);
    }
    const blocked = await connectionsOf(alice.workspace.slug, basic('', alice.key), guesser);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    expect((await connectionsOf(alice.workspace.slug, basic('', alice.key), freshAddress())).status).toBe(200);

    server.clock.advance(5 * MINUTE + 1000);
    expect((await connectionsOf(alice.workspace.slug, basic('', alice.key), guesser)).status).toBe(200);
  });
});

describe('audit of keys', () => {
  it('records key creation and use in the audit log without the key itself', async () => {
    const erin = await createOwner(server.accounts, 'erin');
    expect((await connectionsOf(erin.workspace.slug, `Bearer ${erin.key}`)).status).toBe(200);
    const entries = server.accounts.auditLog({ userId: erin.user.id });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['apikey.create', 'apikey.use']));
    const stored = JSON.stringify(server.db.prepare('SELECT * FROM audit_log').all());
    expect(stored).not.toContain(erin.key);
    expect(stored).not.toContain(erin.password);
    expect(JSON.stringify(server.db.prepare('SELECT * FROM api_keys').all())).not.toContain(erin.key);
    expect(server.accounts.apiKeys(erin.user.id)[0].lastUsedAt).not.toBeNull();
  });
});
