// The web pages as a person uses them: signing in and out, forms protected against cross-site posts,
// API keys shown once, administrations selected, connection health, members with dated access.
import { DAY } from '../../server/src/clock';
import { ensureSandboxDemo, SANDBOX_DEMO } from '../../server/src/auth/sandbox-accounts';
import { basic, Browser, createOwner, json, startTestServer, type ConnectionsBody, type Owner, type TestServer } from '../auth/harness';

let server: TestServer;
let alice: Owner;

let addressCounter = 0;
/** A browser from its own client address, so the failure limiter of one test never affects another. */
const browser = (): Browser => new Browser(server.url, { 'x-forwarded-for': `203.0.113.${++addressCounter}` });

beforeAll(async () => {
  server = await startTestServer();
  alice = await createOwner(server.accounts, 'alice');
});
afterAll(() => server.close());

async function healthOf(owner: Owner): Promise<ConnectionsBody> {
  return json<ConnectionsBody>(await fetch(`${server.url}/api/workspaces/${owner.workspace.slug}/connections`, { headers: { authorization: `Bearer ${owner.key}` } }));
}

describe('signing in and out', () => {
  it('signs in with a password, opens the workspace list, and signs out so the old cookie opens nothing', async () => {
    const b = browser();
    const signedIn = await b.signIn('alice', alice.password);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/workspaces');
    const list = await b.get('/workspaces');
    expect(list.status).toBe(200);
    expect(list.text).toContain("alice&#39;s books");

    const oldCookies = new Map(b.cookies);
    expect((await b.submit('/workspaces', '/signout', {})).location).toBe('/signin');
    expect((await b.get('/workspaces')).status).toBe(303);

    const replay = new Browser(server.url);
    for (const [k, v] of oldCookies) replay.cookies.set(k, v);
    const page = await replay.get('/workspaces');
    expect(page.status).toBe(303);
    expect(page.location).toMatch(/^\/signin/);
    const actions = server.accounts.auditLog({ userId: alice.user.id }).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.signin', 'user.signout']));
  });

  it('gives a new session id at sign-in, so an id planted before sign-in is worthless', async () => {
    const b = browser();
    await b.get('/signin');
    const before = [...b.cookies.values()][0];
    await b.signIn('alice', alice.password);
    const after = [...b.cookies.values()][0];
    expect(after).not.toBe(before);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, and not Secure over plain http', async () => {
    const page = await browser().get('/signin');
    const cookie = page.headers.getSetCookie()[0];
    expect(cookie).toMatch(/^ledgerfeed_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
  });

  it('refuses a wrong password with a readable page and keeps the password out of logs and the audit log', async () => {
    const b = browser();
    const typed = 'wrong-password-Zebra-42';
    const page = await b.signIn('alice', typed);
    expect(page.status).toBe(401);
    expect(page.text).toContain('The user name or password is not right.');
    expect(page.text).not.toContain(typed);
    expect(server.log.text).not.toContain(typed);
    expect(JSON.stringify(server.db.prepare('SELECT * FROM audit_log').all())).not.toContain(typed);
    expect(server.accounts.auditLog({ userId: alice.user.id }).map((e) => e.action)).toContain('user.signin_failed');
  });

  it('refuses sign-in from an address that has been guessing API keys, with Retry-After, but not from elsewhere', async () => {
    const guesser = new Browser(server.url, { 'x-forwarded-for': '192.0.2.77' });
    for (let i = 0; i < 20; i++) {
      await fetch(`${server.url}/api/workspaces`, { headers: { authorization: `Bearer lf_guess_${i}`, 'x-forwarded-for': '192.0.2.77' } });
    }
    const refused = await guesser.signIn('alice', alice.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many failed attempts');
    expect((await browser().signIn('alice', alice.password)).status).toBe(303);
  });

  it('never sends a signed-in person to another host, whatever `next` says', async () => {
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/workspaces']) {
      const b = browser();
      const form = await b.get(`/signin?next=${encodeURIComponent(next)}`);
      const res = await b.post('/signin', { _csrf: Browser.csrf(form), username: 'alice', password: alice.password, next });
      expect(res.status).toBe(303);
      expect(res.location).toBe('/workspaces');
    }
    const b = browser();
    const form = await b.get('/signin');
    const res = await b.post('/signin', { _csrf: Browser.csrf(form), username: 'alice', password: alice.password, next: '/keys' });
    expect(res.location).toBe('/keys');
  });

  it('signs the sandbox demo user in with demo/demo', async () => {
    await ensureSandboxDemo(server.accounts, 'sandbox');
    const b = browser();
    expect((await b.signIn(SANDBOX_DEMO.username, SANDBOX_DEMO.password)).location).toBe('/workspaces');
    expect((await b.get('/workspaces')).text).toContain('href="/workspaces/demo"');
  });
});

describe('forms are protected against cross-site posts', () => {
  it('rejects a form posted without the session’s CSRF token, and does nothing', async () => {
    const b = browser();
    await b.signIn('alice', alice.password);
    const before = server.accounts.apiKeys(alice.user.id).length;
    const forged = await b.post('/keys', { name: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('Form expired');
    const wrong = await b.post('/keys', { name: 'forged', _csrf: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect(server.accounts.apiKeys(alice.user.id).length).toBe(before);
  });

  it('rejects a sign-in form that did not come from a sign-in page of this browser', async () => {
    const attacker = browser();
    const token = Browser.csrf(await attacker.get('/signin'));
    const victim = browser();
    const res = await victim.post('/signin', { _csrf: token, username: 'alice', password: alice.password });
    expect(res.status).toBe(403);
    expect(victim.cookies.size).toBe(0);
  });

  it('refuses an oversized form with a readable page', async () => {
    const b = browser();
    await b.signIn('alice', alice.password);
    const csrf = Browser.csrf(await b.get('/keys'));
    const res = await b.post('/keys', { _csrf: csrf, name: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('Too much data');
    expect(res.text).not.toMatch(/at \w+ \(/);
  });
});

describe('API keys page', () => {
  it('shows a new key once, lists it by prefix only, and revokes it', async () => {
    const b = browser();
    await b.signIn('alice', alice.password);
    const created = await b.submit('/keys', '/keys', { name: 'Excel on my laptop' });
    expect(created.status).toBe(201);
    const key = /<p class="key">([^<]+)<\/p>/.exec(created.text)?.[1];
    expect(key).toMatch(/^lf_[0-9A-Za-z]{43}$/);
    expect((await fetch(`${server.url}/api/workspaces`, { headers: { authorization: basic('', key!) } })).status).toBe(200);

    const listing = await b.get('/keys');
    expect(listing.text).toContain('Excel on my laptop');
    expect(listing.text).toContain(key!.slice(0, 10));
    expect(listing.text).not.toContain(key!);

    const info = server.accounts.apiKeys(alice.user.id).find((k) => k.name === 'Excel on my laptop')!;
    expect((await b.submit('/keys', `/keys/${info.id}/revoke`, {})).status).toBe(303);
    expect((await fetch(`${server.url}/api/workspaces`, { headers: { authorization: basic('', key!) } })).status).toBe(401);
    expect((await b.get('/keys')).text).toMatch(/revoked \d{4}-/);
    expect(server.log.text).not.toContain(key!);
  });
});

describe('workspace page', () => {
  it('escapes everything a user typed', async () => {
    const b = browser();
    await b.signIn('alice', alice.password);
    const res = await b.submit('/workspaces', '/workspaces', { slug: 'xss-test', name: '<script>alert("x")</script>' });
    expect(res.location).toBe('/workspaces/xss-test');
    const page = await b.get('/workspaces/xss-test');
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers a workspace the user may not open exactly like one that does not exist', async () => {
    const bob = await createOwner(server.accounts, 'bob');
    const b = browser();
    await b.signIn('alice', alice.password);
    const other = await b.get(`/workspaces/${bob.workspace.slug}`);
    const missing = await b.get('/workspaces/no-such-books');
    expect(other.status).toBe(404);
    expect(other.text).toBe(missing.text);
  });

  it('persists selecting and deselecting administrations', async () => {
    const connection = server.connections.upsert({
      workspaceId: alice.workspace.id,
      source: 'exactonline',
      externalKey: 'exact-user-1',
      label: 'Alice @ Exact',
      baseUrl: 'https://start.exactonline.nl',
    });
    const [a1, a2, a3] = server.connections.upsertAdministrations(connection.id, [
      { code: '310101', name: 'Alpha BV' },
      { code: '310102', name: 'Beta BV' },
      { code: '310103', name: 'Gamma BV' },
    ]);
    const b = browser();
    await b.signIn('alice', alice.password);
    const page = await b.get(`/workspaces/${alice.workspace.slug}`);
    expect(page.text).toContain('3 of 3 administrations in the feed.');

    const saved = await b.post(`/workspaces/${alice.workspace.slug}/connections/${connection.id}/administrations`, {
      _csrf: Browser.csrf(page),
      administration: [String(a1.id), String(a3.id)],
    });
    expect(saved.status).toBe(303);
    const selected = server.connections.administrations(alice.workspace.id, { source: 'exactonline', selectedOnly: true }).map((a) => a.code);
    expect(selected).toEqual(['310101', '310103']);
    const reloaded = await b.get(`/workspaces/${alice.workspace.slug}`);
    expect(reloaded.text).toContain('2 of 3 administrations in the feed.');
    expect(reloaded.text).toMatch(new RegExp(`value="${a2.id}" >`));

    const api = await healthOf(alice);
    const fromApi = api.value.find((c) => c.id === connection.id)!;
    expect(fromApi.administrations.map((a) => [a.code, a.selected])).toEqual([
      ['310101', true],
      ['310102', false],
      ['310103', true],
    ]);
  });

  it('shows each connection’s health: ok, expiring, and needs re-authorization with the reason and the last renewal', async () => {
    const b = browser();
    await b.signIn('alice', alice.password);
    const now = server.clock.now();
    const healthy = server.connections.upsert({ workspaceId: alice.workspace.id, source: 'exactonline', externalKey: 'healthy', label: 'Fresh login', baseUrl: 'https://start.exactonline.nl' });
    const ageing = server.connections.upsert({ workspaceId: alice.workspace.id, source: 'exactonline', externalKey: 'ageing', label: 'Ageing login', baseUrl: 'https://start.exactonline.nl' });
    const broken = server.connections.upsert({ workspaceId: alice.workspace.id, source: 'twinfield', externalKey: 'broken', label: 'Broken login', baseUrl: 'https://api.accounting2.twinfield.com' });
    // The token store writes refresh_renewed_at; here the test plays its part.
    server.db.prepare('UPDATE connections SET refresh_renewed_at = ? WHERE id = ?').run(now - DAY, healthy.id);
    server.db.prepare('UPDATE connections SET refresh_renewed_at = ? WHERE id = ?').run(now - 25 * DAY, ageing.id);
    server.connections.markNeedsReauth(broken.id, 'Twinfield refused the refresh token (invalid_grant).');

    const page = await b.get(`/workspaces/${alice.workspace.slug}`);
    const block = (id: number) => page.text.slice(page.text.indexOf(`id="connection-${id}"`)).split('</section>')[0];
    expect(block(healthy.id)).toContain('class="ok">OK');
    expect(block(ageing.id)).toContain('class="expiring">Expiring');
    expect(block(ageing.id)).toContain(new Date(now - 25 * DAY).toISOString().slice(0, 10));
    expect(block(broken.id)).toContain('Needs re-authorization');
    expect(block(broken.id)).toContain('Twinfield refused the refresh token (invalid_grant).');
    expect(block(broken.id)).toContain('Authorize Twinfield again');

    const api = await healthOf(alice);
    const states = Object.fromEntries(api.value.map((c) => [c.label, c.health.state]));
    expect(states).toMatchObject({ 'Fresh login': 'ok', 'Ageing login': 'expiring', 'Broken login': 'needs_reauth' });
    expect(JSON.stringify(api)).not.toMatch(/_enc|access_token|refresh_token/);

    server.clock.advance(6 * DAY);
    const later = await healthOf(alice);
    expect(later.value.find((c) => c.label === 'Ageing login')!.health.state).toBe('needs_reauth');
  });
});

describe('members page', () => {
  it('grants access until a date (through that day) and revokes it, auditing both', async () => {
    const frank = await createOwner(server.accounts, 'frank');
    const b = browser();
    await b.signIn('alice', alice.password);
    const page = await b.get(`/workspaces/${alice.workspace.slug}/members`);
    const defaultUntil = /name="until" required value="(\d{4}-\d{2}-\d{2})"/.exec(page.text)?.[1];
    expect(defaultUntil).toBe(new Date(server.clock.now() + 90 * DAY).toISOString().slice(0, 10));

    const until = new Date(server.clock.now() + 30 * DAY).toISOString().slice(0, 10);
    const granted = await b.post(`/workspaces/${alice.workspace.slug}/members`, { _csrf: Browser.csrf(page), username: 'frank', until });
    expect(granted.status).toBe(303);
    const member = server.accounts.members(alice.workspace.id).find((m) => m.username === 'frank')!;
    expect(new Date(member.expiresAt!).toISOString()).toBe(`${new Date(Date.parse(until) + DAY).toISOString().slice(0, 10)}T00:00:00.000Z`);
    expect(server.accounts.accessTo(frank.user.id, alice.workspace.slug)?.role).toBe('member');

    const tooLong = await b.submit(`/workspaces/${alice.workspace.slug}/members`, `/workspaces/${alice.workspace.slug}/members`, {
      username: 'frank',
      until: new Date(server.clock.now() + 400 * DAY).toISOString().slice(0, 10),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('at most 365 days');

    const revoked = await b.submit(`/workspaces/${alice.workspace.slug}/members`, `/workspaces/${alice.workspace.slug}/members/${frank.user.id}/revoke`, {});
    expect(revoked.status).toBe(303);
    expect(server.accounts.accessTo(frank.user.id, alice.workspace.slug)).toBeNull();
    const actions = server.accounts.auditLog({ workspaceId: alice.workspace.id }).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['grant.create', 'grant.revoke']));
  });

  it('does not let a member manage members', async () => {
    const gina = await createOwner(server.accounts, 'gina');
    server.accounts.grant({ workspaceId: alice.workspace.id, username: 'gina', grantedBy: alice.user.id });
    const b = browser();
    await b.signIn('gina', gina.password);
    const page = await b.get(`/workspaces/${alice.workspace.slug}/members`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Grant access');
    const res = await b.post(`/workspaces/${alice.workspace.slug}/members`, { _csrf: Browser.csrf(page), username: 'gina', until: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Only an owner');
  });
});

describe('over https', () => {
  it('marks the session cookie Secure with the __Host- prefix when the public URL is https', async () => {
    const secure = await startTestServer({ LEDGERFEED_PUBLIC_URL: 'https://ledgerfeed.example' });
    try {
      const page = await new Browser(secure.url).get('/signin');
      const cookie = page.headers.getSetCookie()[0];
      expect(cookie).toMatch(/^__Host-ledgerfeed_session=/);
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/Path=\//);
    } finally {
      await secure.close();
    }
  });
});
