// Tenant isolation: alice's API key and signed-in session, tried against EVERY route of bob's workspace — the
// routes read from the running app's own router stack, so a route added later is covered (or, if it takes a
// parameter this suite cannot fill, fails here until it is taught) — get exactly what a workspace that does
// not exist gets, change nothing of bob's, and never show bob's data. Both workspaces (and the sandbox's demo
// workspace) are connected to the same simulators, so their mirrors hold rows for the same division and office
// codes: alice's feed must still show only the rows of her own administrations (`_administration_id`).
import type { SourceName } from '../../server/src/tables/description';
import {
  appRoutes,
  basic,
  expectClean,
  formBody,
  freshAddress,
  inParallel,
  send,
  signIn,
  startHostileServer,
  type AppRoute,
  type HostileServer,
  type RawAnswer,
  type RawRequest,
  type Tenant,
  type WebSession,
} from './harness';

const SOURCES: readonly SourceName[] = ['exactonline', 'twinfield'];
/** Tables both tenants sync before the test, so their mirrors hold the same administrations' rows. */
const SHARED = { exactonline: { table: 'TransactionLines', column: 'Division', key: 'ID', code: '310101', literal: '310101' }, twinfield: { table: 'GeneralLedgerTransactions', column: 'Office', key: 'EntryNumber', code: 'NLA310101', literal: "'NLA310101'" } } as const;
const NOBODY = 'nobody-books';

let server: HostileServer;
let alice: Tenant;
let bob: Tenant;
let aliceWeb: WebSession;
let bobWeb: WebSession;
/** Texts that identify bob's workspace and must never reach alice. */
let bobMarkers: string[];

interface Snapshot {
  members: unknown;
  keys: unknown;
  connections: unknown;
  selection: unknown;
  audit: unknown;
}

/** Everything of bob's that a request of alice's might change. */
function bobState(): Snapshot {
  const db = server.db;
  return {
    members: server.accounts.members(bob.workspace.id),
    keys: server.accounts.apiKeys(bob.user.id).map((k) => ({ id: k.id, revokedAt: k.revokedAt })),
    connections: db.prepare('SELECT id, source, external_key, status FROM connections WHERE workspace_id = ? ORDER BY id').all(bob.workspace.id),
    selection: db.prepare('SELECT id, code, selected FROM administrations WHERE workspace_id = ? ORDER BY id').all(bob.workspace.id),
    audit: db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE workspace_id = ? AND action NOT LIKE 'sync%'").get(bob.workspace.id),
  };
}

const feedAuth = (tenant: Tenant): [string, string][] => [
  ['Authorization', basic('', tenant.key)],
  ['X-Forwarded-For', freshAddress()],
];
const webAuth = (session: WebSession): [string, string][] => [
  ['Cookie', session.cookie],
  ['X-Forwarded-For', freshAddress()],
];

/** What two answers must share to count as "the same": status, type and body, with the workspace slug written neutrally. */
function normalized(answer: RawAnswer, value: string): string {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Whole tokens only: a value like "5" must not rewrite "1.5rem".
  const token = new RegExp(`(?<![\\w.-])(?:${escaped(value)}|${escaped(encodeURIComponent(value))})(?![\\w-])`, 'g');
  return `${answer.status} ${String(answer.headers['content-type'] ?? '')}\n${answer.body.replace(token, '{value}')}`;
}

/**
 * Sends `make(bob's value)` and `make(a value nobody has)` with alice's credentials and demands the same answer,
 * of one of `statuses`, readable, without any of bob's markers.
 */
async function sameAsNobody(make: (value: string) => RawRequest, bobValue: string, nobodyValue: string, statuses: readonly number[], surface: 'odata' | 'json' | 'html'): Promise<void> {
  const toBob = make(bobValue);
  const toNobody = make(nobodyValue);
  const [bobAnswer, nobodyAnswer] = [await send(server.url, toBob), await send(server.url, toNobody)];
  expectClean(server.url, toBob, bobAnswer, { status: statuses, surface, absent: bobMarkers });
  expectClean(server.url, toNobody, nobodyAnswer, { status: statuses, surface });
  if (normalized(bobAnswer, bobValue) !== normalized(nobodyAnswer, nobodyValue)) {
    throw new Error(
      `alice tells bob's ${JSON.stringify(bobValue)} from a non-existent one:\n  ${JSON.stringify(normalized(bobAnswer, bobValue).slice(0, 300))}\n  vs ${JSON.stringify(normalized(nobodyAnswer, nobodyValue).slice(0, 300))}\n  request: ${toBob.method ?? 'GET'} ${toBob.path}`,
    );
  }
}

// ── bob's feed URLs, from his own service document and $metadata ───────────────

interface EntitySetShape {
  name: string;
  key: { name: string; type: string }[];
  properties: { name: string; type: string }[];
}

function shapesOf(metadata: string): EntitySetShape[] {
  const types = new Map<string, Omit<EntitySetShape, 'name'>>();
  for (const [, name, inner] of metadata.matchAll(/<EntityType Name="([^"]+)">([\s\S]*?)<\/EntityType>/g)) {
    const properties = [...inner.matchAll(/<Property Name="([^"]+)" Type="([^"]+)"/g)].map(([, n, t]) => ({ name: n, type: t }));
    const keyNames = [...(/<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1] ?? '').matchAll(/PropertyRef Name="([^"]+)"/g)].map((m) => m[1]);
    types.set(name, { properties, key: keyNames.map((k) => properties.find((p) => p.name === k)!) });
  }
  return [...metadata.matchAll(/<EntitySet Name="([^"]+)" EntityType="[^"]*\.([^".]+)"/g)].map(([, name, type]) => ({ name, ...types.get(type)! }));
}

function literal(type: string, value: unknown): string {
  if (type === 'Edm.String') return `'${String(value).replace(/'/g, "''")}'`;
  return String(value);
}

/** Every kind of feed URL for bob's workspace, with `{workspace}` where the slug goes. */
async function bobFeedPaths(): Promise<string[]> {
  const paths: string[] = [];
  for (const source of SOURCES) {
    const root = `/odata/{workspace}/${source}`;
    paths.push(`${root}/`, `${root}`, `${root}/$metadata`, `${root}/$batch`, `${root}/Nope`, `${root}/$metadata?$format=xml`);
    const metadata = await send(server.url, { path: `/odata/${bob.workspace.slug}/${source}/$metadata`, headers: feedAuth(bob) });
    expect(metadata.status).toBe(200);
    for (const set of shapesOf(metadata.body)) {
      const base = `${root}/${set.name}`;
      paths.push(base, `${base}/$count`, `${base}?$top=1&$count=true`, `${base}?$filter=${encodeURIComponent(`${set.key[0].name} ne null`)}&$orderby=${set.key[0].name}%20desc`);
      const first = await send(server.url, { path: `/odata/${bob.workspace.slug}/${source}/${set.name}?$top=1`, headers: feedAuth(bob) }, 60_000);
      if (first.status !== 200) throw new Error(`bob's own ${source}/${set.name} answered ${first.status}: ${first.body.slice(0, 300)}`);
      const row = (JSON.parse(first.body) as { value: Record<string, unknown>[] }).value[0];
      if (!row) continue;
      const key = set.key.length === 1 ? literal(set.key[0].type, row[set.key[0].name]) : set.key.map((k) => `${k.name}=${literal(k.type, row[k.name])}`).join(',');
      const entity = `${base}(${encodeURIComponent(key).replace(/%3D/g, '=').replace(/%2C/g, ',')})`;
      const property = set.properties.find((p) => !set.key.some((k) => k.name === p.name) && row[p.name] !== null)?.name ?? set.key[0].name;
      paths.push(entity, `${entity}/${property}`, `${entity}/${property}/$value`, `${entity}?$select=${property}`);
    }
  }
  return paths;
}

// ── setup ────────────────────────────────────────────────────────────────────

async function syncShared(tenant: Tenant): Promise<void> {
  for (const source of SOURCES) {
    const answer = await send(server.url, { path: `/odata/${tenant.workspace.slug}/${source}/${SHARED[source].table}?$count=true&$top=0`, headers: feedAuth(tenant) }, 60_000);
    if (answer.status !== 200) throw new Error(`syncing ${tenant.user.username}'s ${source} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  }
}

/** The key values of every row of the shared table in one administration, as a tenant's feed shows them. */
async function keysIn(tenant: Tenant, source: SourceName): Promise<string[]> {
  const { table, column, literal: code } = SHARED[source];
  const path = `/odata/${tenant.workspace.slug}/${source}/${table}?$filter=${encodeURIComponent(`${column} eq ${code}`)}`;
  const answer = await send(server.url, { path, headers: feedAuth(tenant) });
  expect(answer.status).toBe(200);
  const rows = (JSON.parse(answer.body) as { value: Record<string, unknown>[] }).value;
  return rows.map((r) => (source === 'exactonline' ? String(r.ID) : `${String(r.JournalCode)}/${String(r.EntryNumber)}/${String(r.LineNumber)}`));
}

/** Rows only bob's mirror holds: inserted upstream after alice synced and before bob did. */
const bobOnly: Record<SourceName, string[]> = { exactonline: [], twinfield: [] };

beforeAll(async () => {
  // A day of staleness: what a tenant synced stays as it was, so alice's mirror and bob's can differ.
  // Short fair-use windows: the three tenants share the sandbox login's Twinfield budget.
  server = await startHostileServer({ LEDGERFEED_MAX_STALENESS_S: '86400', LEDGERFEED_SANDBOX_MINUTE_MS: '1000' });
  alice = await server.tenant('alicemarker3');
  // Bob's slug does not hold his name: only what alice types may come back to her.
  bob = await server.tenant('bobmarker7', 'tenant-b');
  await server.connect(alice);
  await server.connect(bob);
  await syncShared(alice);
  for (const source of SOURCES) {
    const administration = source === 'exactonline' ? Number(SHARED.exactonline.code) : SHARED.twinfield.code;
    const simulated = await fetch(`${server.simulators[source]}/_simulate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ administration, insert: 3 }) });
    expect(simulated.status).toBe(200);
  }
  await syncShared(bob);
  for (const source of SOURCES) {
    const aliceKeys = new Set(await keysIn(alice, source));
    bobOnly[source] = (await keysIn(bob, source)).filter((k) => !aliceKeys.has(k));
  }
  aliceWeb = await signIn(server.url, alice.user.username, alice.password);
  bobWeb = await signIn(server.url, bob.user.username, bob.password);
  const exactIds = bobOnly.exactonline;
  bobMarkers = ['bobmarker7', bob.key, ...exactIds];
}, 90_000);
afterAll(() => server.close());

// ── the routes ───────────────────────────────────────────────────────────────

/** Route parameters this suite knows how to fill; a route with any other parameter fails the first test. */
const KNOWN_PARAMETERS = new Set(['slug', 'connectionId', 'source', 'keyId', 'userId']);
/** Mounts that are not Ledgerfeed's own surface: the simulated upstreams (sandbox only, no tenant data). */
const NOT_TENANT_SURFACE = ['/sandbox/'];

function tenantRoutes(): AppRoute[] {
  return appRoutes(server.running.ledgerfeed.app as never).routes.filter((r) => !NOT_TENANT_SURFACE.some((prefix) => r.path.startsWith(prefix)));
}

const parametersOf = (route: AppRoute): string[] => [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);

/** The path of `route` with its parameters filled from `values`. */
function fill(route: AppRoute, values: Record<string, string>): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name]));
}

/** A form that fills every field any of the web's forms reads, aimed at bob's things. */
function hostileForm(session: WebSession, extra: Record<string, string | string[]> = {}): string {
  const bobAdministrations = (server.db.prepare('SELECT id FROM administrations WHERE workspace_id = ?').all(bob.workspace.id) as { id: number }[]).map((a) => String(a.id));
  return formBody({ _csrf: session.csrf, username: alice.user.username, until: '', name: 'alice was here', slug: 'alice-was-here', administration: bobAdministrations, next: '/', ...extra });
}

function webRequest(route: AppRoute, path: string, session: WebSession): RawRequest {
  const method = route.method === 'all' ? 'GET' : route.method.toUpperCase();
  if (method === 'GET') return { method, path, headers: webAuth(session) };
  return { method, path, headers: [...webAuth(session), ['Content-Type', 'application/x-www-form-urlencoded']], body: hostileForm(session) };
}

describe('the routes of the app', () => {
  it('are all read from the running app, and every parameter they take is one this suite can fill', () => {
    const routes = tenantRoutes();
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/odata/*', '/api/workspaces/:slug/connections', '/workspaces/:slug', '/keys/:keyId/revoke']));
    const unknown = routes.filter((r) => parametersOf(r).some((p) => !KNOWN_PARAMETERS.has(p)));
    expect(unknown.map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual([]);
    expect(appRoutes(server.running.ledgerfeed.app as never).unreadableMounts).toEqual([]);
  });

  it('gave bob rows alice does not have, in the same administrations (so leaks would show)', () => {
    expect(bobOnly.exactonline.length).toBeGreaterThan(0);
    expect(bobOnly.twinfield.length).toBeGreaterThan(0);
  });
});

describe("alice's API key against bob's workspace", () => {
  it('gets every feed URL of bob’s — service documents, $metadata, each entity set, $count, keys, properties, Administrations — answered as for a workspace that does not exist', async () => {
    const paths = await bobFeedPaths();
    expect(paths.length).toBeGreaterThan(100);
    const sanity = await send(server.url, { path: paths.find((p) => p.includes('/Administrations('))!.replace('{workspace}', bob.workspace.slug), headers: feedAuth(bob) });
    expect(sanity.status).toBe(200);
    const schemes: ((t: Tenant) => string)[] = [(t) => basic('', t.key), (t) => `Bearer ${t.key}`, (t) => basic(t.user.username, t.key)];
    const cases = paths.flatMap((p) => schemes.map((scheme) => ({ p, scheme })));
    await inParallel(cases, 8, ({ p, scheme }) =>
      sameAsNobody((slug) => ({ path: p.replace('{workspace}', encodeURIComponent(slug)), headers: [['Authorization', scheme(alice)], ['X-Forwarded-For', freshAddress()]] }), bob.workspace.slug, NOBODY, [404], 'odata'),
    );
  });

  it('gets every JSON API route of bob’s answered as for a workspace that does not exist, and a list without bob’s', async () => {
    const routes = tenantRoutes().filter((r) => r.mount === '/api');
    for (const route of routes) {
      if (parametersOf(route).includes('slug')) {
        await sameAsNobody((slug) => ({ path: fill(route, { slug }), headers: feedAuth(alice) }), bob.workspace.slug, NOBODY, [404], 'json');
      } else if (route.path.endsWith('/*')) {
        for (const tail of ['{slug}', 'workspaces/{slug}', 'workspaces/{slug}/connections/1', 'workspaces/{slug}/administrations']) {
          await sameAsNobody((slug) => ({ path: `${route.mount}/${tail.replace('{slug}', slug)}`, headers: feedAuth(alice) }), bob.workspace.slug, NOBODY, [404], 'json');
        }
      } else {
        const request = { path: route.path, headers: feedAuth(alice) };
        expectClean(server.url, request, await send(server.url, request), { status: 200, surface: 'json', absent: bobMarkers });
      }
    }
  });

  it("shows alice none of bob's rows in her own feed, though both mirrors hold rows of the same administrations", async () => {
    for (const source of SOURCES) {
      const { table, column, literal: code } = SHARED[source];
      const own = await keysIn(alice, source);
      for (const key of bobOnly[source]) expect(own).not.toContain(key);
      const root = `/odata/${alice.workspace.slug}/${source}`;
      const count = await send(server.url, { path: `${root}/${table}/$count?$filter=${encodeURIComponent(`${column} eq ${code}`)}`, headers: feedAuth(alice) });
      const bobCount = await send(server.url, { path: `/odata/${bob.workspace.slug}/${source}/${table}/$count?$filter=${encodeURIComponent(`${column} eq ${code}`)}`, headers: feedAuth(bob) });
      expect(Number(count.body)).toBe(own.length);
      expect(Number(bobCount.body)).toBe(own.length + bobOnly[source].length);
      // The Administrations set counts alice's rows only.
      const administrations = JSON.parse((await send(server.url, { path: `${root}/Administrations`, headers: feedAuth(alice) })).body) as { value: Record<string, unknown>[] };
      const mine = administrations.value.find((a) => String(a[column]) === SHARED[source].code)!;
      expect(mine[`${table}Rows`]).toBe(own.length);
    }
    // Bob's new Exact rows, asked for by key and by filter in alice's feed: not there.
    await inParallel(bobOnly.exactonline, 4, async (id) => {
      // The 404 repeats the key alice typed; nothing else of bob's may come back.
      const absent = bobMarkers.filter((m) => m !== id);
      const byKey = { path: `/odata/${alice.workspace.slug}/exactonline/TransactionLines(Division=310101,ID=${id})`, headers: feedAuth(alice) };
      expectClean(server.url, byKey, await send(server.url, byKey), { status: 404, surface: 'odata', absent });
      const byFilter = { path: `/odata/${alice.workspace.slug}/exactonline/TransactionLines?$filter=${encodeURIComponent(`ID eq ${id}`)}`, headers: feedAuth(alice) };
      const answer = await send(server.url, byFilter);
      expectClean(server.url, byFilter, answer, { status: 200, surface: 'odata', absent });
      expect(JSON.parse(answer.body).value).toEqual([]);
    });
  });

  it("keeps an administration alice deselected out of her feed, though bob's mirror has it selected and synced", async () => {
    const connection = server.db.prepare("SELECT id FROM connections WHERE workspace_id = ? AND source = 'exactonline'").get(alice.workspace.id) as { id: number };
    const keep = (server.db.prepare("SELECT id FROM administrations WHERE workspace_id = ? AND source = 'exactonline' AND code <> '310101'").all(alice.workspace.id) as { id: number }[]).map((a) => String(a.id));
    const deselect = { method: 'POST', path: `/workspaces/${alice.workspace.slug}/connections/${connection.id}/administrations`, headers: [...webAuth(aliceWeb), ['Content-Type', 'application/x-www-form-urlencoded']] as [string, string][], body: formBody({ _csrf: aliceWeb.csrf, administration: keep }) };
    expect((await send(server.url, deselect)).status).toBe(303);
    const request = { path: `/odata/${alice.workspace.slug}/exactonline/TransactionLines?$filter=Division%20eq%20310101&$count=true`, headers: feedAuth(alice) };
    const answer = await send(server.url, request);
    expectClean(server.url, request, answer, { status: 200, surface: 'odata', absent: bobMarkers });
    expect(JSON.parse(answer.body)['@odata.count']).toBe(0);
    expect(Number((await send(server.url, { path: `/odata/${bob.workspace.slug}/exactonline/TransactionLines/$count?$filter=Division%20eq%20310101`, headers: feedAuth(bob) })).body)).toBeGreaterThan(0);
  });
});

describe("alice's signed-in session against bob's workspace", () => {
  it('gets every web route that names bob’s workspace answered as for one that does not exist, and changes nothing of bob’s', async () => {
    const before = bobState();
    const routes = tenantRoutes().filter((r) => r.mount === '' && parametersOf(r).includes('slug'));
    expect(routes.length).toBeGreaterThan(4);
    const bobConnection = String((server.db.prepare('SELECT id FROM connections WHERE workspace_id = ? LIMIT 1').get(bob.workspace.id) as { id: number }).id);
    for (const route of routes) {
      for (const source of ['exactonline', 'twinfield', 'nope']) {
        const values = { connectionId: bobConnection, source, keyId: String(bob.keyId), userId: String(bob.user.id) };
        await sameAsNobody((slug) => webRequest(route, fill(route, { ...values, slug }), aliceWeb), bob.workspace.slug, NOBODY, [404], 'html');
        if (!parametersOf(route).includes('source')) break;
      }
    }
    expect(bobState()).toEqual(before);
  });

  it('gets bob’s connections, keys and users inside her own workspace answered as ones that do not exist, and changes nothing of bob’s', async () => {
    const before = bobState();
    const bobConnection = String((server.db.prepare('SELECT id FROM connections WHERE workspace_id = ? LIMIT 1').get(bob.workspace.id) as { id: number }).id);
    const values: Record<string, [string, string]> = { connectionId: [bobConnection, '999999'], keyId: [String(bob.keyId), '999998'], userId: [String(bob.user.id), '999997'] };
    const routes = tenantRoutes().filter((r) => r.mount === '' && parametersOf(r).some((p) => p in values));
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const route of routes) {
      const param = parametersOf(route).find((p) => p in values)!;
      const [bobValue, nobodyValue] = values[param];
      const make = (value: string) => webRequest(route, fill(route, { slug: alice.workspace.slug, source: 'exactonline', connectionId: bobConnection, keyId: String(bob.keyId), userId: String(bob.user.id), [param]: value }), aliceWeb);
      const toBob = make(bobValue);
      const toNobody = make(nobodyValue);
      const bobAnswer = await send(server.url, toBob);
      const nobodyAnswer = await send(server.url, toNobody);
      expectClean(server.url, toBob, bobAnswer, { status: [303, 400, 404], surface: 'html', absent: bobMarkers });
      // A redirect names the thing asked for; the rest must be the same.
      expect(normalized(bobAnswer, bobValue)).toBe(normalized(nobodyAnswer, nobodyValue));
    }
    expect(bobState()).toEqual(before);
    const stillWorks = await send(server.url, { path: `/odata/${bob.workspace.slug}/exactonline/`, headers: feedAuth(bob) });
    expect(stillWorks.status).toBe(200);
  });

  it("cannot select or deselect bob's administrations through her own connection's form", async () => {
    const before = bobState();
    const connection = server.db.prepare("SELECT id FROM connections WHERE workspace_id = ? AND source = 'twinfield'").get(alice.workspace.id) as { id: number };
    const bobIds = (server.db.prepare('SELECT id FROM administrations WHERE workspace_id = ?').all(bob.workspace.id) as { id: number }[]).map((a) => String(a.id));
    for (const selection of [bobIds, [], bobIds.slice(0, 3)]) {
      const request = {
        method: 'POST',
        path: `/workspaces/${alice.workspace.slug}/connections/${connection.id}/administrations`,
        headers: [...webAuth(aliceWeb), ['Content-Type', 'application/x-www-form-urlencoded']] as [string, string][],
        body: formBody({ _csrf: aliceWeb.csrf, administration: selection }),
      };
      expectClean(server.url, request, await send(server.url, request), { status: 303, surface: 'html', absent: bobMarkers });
      expect(bobState()).toEqual(before);
    }
  });

  it('cannot finish a connect attempt bob started: his state in her browser is an unknown state, and nothing is connected', async () => {
    const started = await send(server.url, {
      method: 'POST',
      path: `/workspaces/${bob.workspace.slug}/connect/exactonline`,
      headers: [...webAuth(bobWeb), ['Content-Type', 'application/x-www-form-urlencoded']],
      body: formBody({ _csrf: bobWeb.csrf }),
    });
    expect(started.status).toBe(303);
    const state = new URL(String(started.headers.location)).searchParams.get('state')!;
    const before = { alice: server.db.prepare('SELECT COUNT(*) AS n FROM connections WHERE workspace_id = ?').get(alice.workspace.id), bob: bobState() };
    await sameAsNobody((s) => ({ path: `/connect/exactonline/callback?state=${encodeURIComponent(s)}&code=stolen-code`, headers: webAuth(aliceWeb) }), state, 'A'.repeat(state.length), [400], 'html');
    expect({ alice: server.db.prepare('SELECT COUNT(*) AS n FROM connections WHERE workspace_id = ?').get(alice.workspace.id), bob: bobState() }).toEqual(before);
  });

  it('sees no trace of bob on any page or endpoint without parameters', async () => {
    const routes = tenantRoutes().filter((r) => parametersOf(r).length === 0 && (r.method === 'get' || r.method === 'all') && !r.path.endsWith('/*'));
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      for (const headers of [webAuth(aliceWeb), feedAuth(alice), [] as [string, string][]]) {
        const request = { path: route.path, headers };
        const answer = await send(server.url, request);
        expectClean(server.url, request, answer, { status: [200, 303, 401, 403, 404], surface: ['html', 'json', 'odata', 'text'], absent: bobMarkers });
      }
    }
  });
});
