// Hostile form posts against every form of the web pages (the POST routes read from the running app): forged
// or misplaced CSRF tokens, oversized and parameter-stuffed bodies, wrong and unreadable content types and
// encodings, duplicate fields, markup in every echoed field, and fuzzed bodies. Each answer is a readable HTML
// page with a 4xx status (never a 500, a stack trace or a hang), and a refused form changes nothing.
import zlib from 'node:zlib';
import fc from 'fast-check';
import {
  appRoutes,
  csrfOf,
  expectClean,
  formBody,
  freshAddress,
  inParallel,
  send,
  signIn,
  startHostileServer,
  type AppRoute,
  type HostileServer,
  type RawRequest,
  type Tenant,
  type WebSession,
} from './harness';

let server: HostileServer;
let carol: Tenant;
let dave: Tenant;
let carolWeb: WebSession;
let daveWeb: WebSession;
/** Carol's own connection, so routes that name one can be reached. */
let carolConnection: number;
/** The form routes (POST) of the web pages, from the app's router stack. */
let formRoutes: AppRoute[];

beforeAll(async () => {
  server = await startHostileServer({ LEDGERFEED_SANDBOX_MINUTE_MS: '1000' });
  carol = await server.tenant('carol');
  dave = await server.tenant('dave');
  await server.connect(carol, ['exactonline']);
  carolConnection = (server.db.prepare('SELECT id FROM connections WHERE workspace_id = ?').get(carol.workspace.id) as { id: number }).id;
  carolWeb = await signIn(server.url, carol.user.username, carol.password);
  daveWeb = await signIn(server.url, dave.user.username, dave.password);
  formRoutes = appRoutes(server.running.ledgerfeed.app as never).routes.filter((r) => r.mount === '' && r.method === 'post');
}, 60_000);
afterAll(() => server.close());

/** The path of a form route with carol's own values in its parameters. */
function pathOf(route: AppRoute): string {
  const values: Record<string, string> = { slug: carol.workspace.slug, connectionId: String(carolConnection), source: 'exactonline', keyId: String(carol.keyId), userId: String(carol.user.id) };
  return route.path.replace(/:(\w+)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`the form route ${route.path} takes :${name}, which this suite cannot fill yet`);
    return encodeURIComponent(values[name]);
  });
}

/** Everything of carol's a form could change. */
function carolState(): unknown {
  const db = server.db;
  return {
    keys: server.accounts.apiKeys(carol.user.id).map((k) => ({ id: k.id, name: k.name, revokedAt: k.revokedAt })),
    workspaces: server.accounts.workspacesFor(carol.user.id).map((w) => w.slug),
    members: server.accounts.members(carol.workspace.id).map((m) => m.userId),
    selection: db.prepare('SELECT id, selected FROM administrations WHERE workspace_id = ? ORDER BY id').all(carol.workspace.id),
    connections: db.prepare('SELECT COUNT(*) AS n FROM connections WHERE workspace_id = ?').get(carol.workspace.id),
    sessions: db.prepare('SELECT COUNT(*) AS n FROM web_sessions WHERE user_id = ?').get(carol.user.id),
  };
}

/** Fields every form reads, harmless values. */
const FIELDS = { name: 'hostile key', slug: 'hostile-ws', username: 'dave', until: '', administration: '1', next: '/keys', password: 'nope' };

function post(route: AppRoute, session: WebSession | null, body: string | Buffer, contentType: string | null = 'application/x-www-form-urlencoded', extra: [string, string][] = [], query = ''): RawRequest {
  const headers: [string, string][] = [['X-Forwarded-For', freshAddress()], ...extra];
  if (session) headers.push(['Cookie', session.cookie]);
  if (contentType !== null) headers.push(['Content-Type', contentType]);
  return { method: 'POST', path: pathOf(route) + query, headers, body };
}

const refusedForm = { status: 403, surface: 'html' } as const;

describe('cross-site request forgery', () => {
  it('refuses every form posted with a missing, wrong, foreign, misplaced or doubled CSRF token, and changes nothing', async () => {
    expect(formRoutes.length).toBeGreaterThanOrEqual(8);
    const before = carolState();
    const forgeries: ((route: AppRoute) => RawRequest)[] = [
      (r) => post(r, carolWeb, formBody(FIELDS)),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: 'x'.repeat(carolWeb.csrf.length) })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: daveWeb.csrf })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: '' })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: ` ${carolWeb.csrf}` })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: carolWeb.csrf.toUpperCase() })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: carolWeb.csrf.slice(0, -1) })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: [carolWeb.csrf, carolWeb.csrf] })),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: [carolWeb.csrf, 'wrong'] })),
      (r) => post(r, carolWeb, formBody(FIELDS), undefined, [], `?_csrf=${encodeURIComponent(carolWeb.csrf)}`),
      (r) => post(r, carolWeb, formBody(FIELDS), undefined, [['X-CSRF-Token', carolWeb.csrf]]),
      (r) => post(r, null, formBody({ ...FIELDS, _csrf: carolWeb.csrf })),
      (r) => post(r, daveWeb, formBody({ ...FIELDS, _csrf: carolWeb.csrf })),
      (r) => post(r, carolWeb, JSON.stringify({ ...FIELDS, _csrf: carolWeb.csrf }), 'application/json'),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: carolWeb.csrf }), 'text/plain'),
      (r) => post(r, carolWeb, formBody({ ...FIELDS, _csrf: carolWeb.csrf }), null),
      (r) => post(r, carolWeb, `--b\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${carolWeb.csrf}\r\n--b--\r\n`, 'multipart/form-data; boundary=b'),
      (r) => post(r, { cookie: `${carolWeb.cookie.split('=')[0]}=forged-session-id`, csrf: carolWeb.csrf }, formBody({ ...FIELDS, _csrf: carolWeb.csrf })),
    ];
    const cases = formRoutes.flatMap((route) => forgeries.map((forge) => forge(route)));
    await inParallel(cases, 6, async (request) => {
      // Carol's own pages carry her token (the sign-out form); no other session's page may.
      const asCarol = (request.headers ?? []).some(([name, value]) => name === 'Cookie' && value === carolWeb.cookie);
      expectClean(server.url, request, await send(server.url, request), { ...refusedForm, absent: asCarol ? [carol.password] : [carolWeb.csrf, carol.password] });
    });
    expect(carolState()).toEqual(before);
  });
});

describe('bodies the forms cannot take', () => {
  const signInRoute = (): AppRoute => formRoutes.find((r) => r.path === '/signin')!;
  const keysRoute = (): AppRoute => formRoutes.find((r) => r.path === '/keys')!;

  it('answers a body over the limit, announced or not, with 413 and a page', async () => {
    for (const route of formRoutes) {
      const big = formBody({ _csrf: carolWeb.csrf, name: 'x'.repeat(140 * 1024) });
      const request = post(route, carolWeb, big);
      expectClean(server.url, request, await send(server.url, request), { status: 413, surface: 'html' });
    }
    const huge = post(keysRoute(), carolWeb, Buffer.alloc(4 * 1024 * 1024, 'a'));
    expectClean(server.url, huge, await send(server.url, huge), { status: 413, surface: 'html' });
  });

  it('answers a body with too many fields with 413, and one with many fields within the limit normally', async () => {
    const stuffed = post(keysRoute(), carolWeb, `_csrf=${carolWeb.csrf}&${'a=&'.repeat(25_000)}name=k`);
    expectClean(server.url, stuffed, await send(server.url, stuffed), { status: 413, surface: 'html' });
    const many = post(keysRoute(), carolWeb, `_csrf=${carolWeb.csrf}&${'a=&'.repeat(1000)}name=many-fields`);
    expectClean(server.url, many, await send(server.url, many), { status: 201, surface: 'html' });
  });

  it('answers a charset or content encoding it cannot read with 415 or 400 and a page, never a 500', async () => {
    const route = keysRoute();
    const body = formBody({ _csrf: carolWeb.csrf, name: 'encoded' });
    const cases: RawRequest[] = [
      post(route, carolWeb, body, 'application/x-www-form-urlencoded; charset=utf-16'),
      post(route, carolWeb, body, 'application/x-www-form-urlencoded; charset=iso-8859-1'),
      post(route, carolWeb, body, 'application/x-www-form-urlencoded; charset=nope-42'),
      post(route, carolWeb, body, undefined, [['Content-Encoding', 'br']]),
      post(route, carolWeb, body, undefined, [['Content-Encoding', 'compress']]),
      post(route, carolWeb, body, undefined, [['Content-Encoding', 'gzip']]),
      post(route, carolWeb, body, undefined, [['Content-Encoding', 'deflate']]),
      post(route, carolWeb, zlib.gzipSync(body).subarray(0, 12), undefined, [['Content-Encoding', 'gzip']]),
      post(signInRoute(), carolWeb, body, 'application/x-www-form-urlencoded; charset=utf-16'),
    ];
    for (const request of cases) expectClean(server.url, request, await send(server.url, request), { status: [400, 415], surface: 'html' });
    // What it can read, it reads: gzip, and a charset written in capitals and quotes.
    const gzipped = post(route, carolWeb, zlib.gzipSync(formBody({ _csrf: carolWeb.csrf, name: 'gzipped key' })), undefined, [['Content-Encoding', 'gzip']]);
    expectClean(server.url, gzipped, await send(server.url, gzipped), { status: 201, surface: 'html' });
    const quoted = post(route, carolWeb, formBody({ _csrf: carolWeb.csrf, name: 'quoted charset' }), 'application/x-www-form-urlencoded; charset="UTF-8"');
    expectClean(server.url, quoted, await send(server.url, quoted), { status: 201, surface: 'html' });
  });

  it('keeps answering others while a form body stalls half-sent', async () => {
    const stalled = new Promise<void>((resolve) => {
      const url = new URL(server.url);
      const socket = require('node:net').connect(Number(url.port), url.hostname, () => {
        socket.write(`POST /keys HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${carolWeb.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n_csrf=`);
        resolve();
      });
      setTimeout(() => socket.destroy(), 1500);
    });
    await stalled;
    const page = { path: '/signin', headers: [['X-Forwarded-For', freshAddress()]] as [string, string][] };
    expectClean(server.url, page, await send(server.url, page, 5000), { status: 200, surface: 'html' });
  });
});

describe('fields', () => {
  it('reads a doubled field as no value: a readable refusal, never a crash', async () => {
    const find = (path: string) => formRoutes.find((r) => r.path === path)!;
    const cases: RawRequest[] = [
      post(find('/keys'), carolWeb, formBody({ _csrf: carolWeb.csrf, name: ['one', 'two'] })),
      post(find('/workspaces'), carolWeb, formBody({ _csrf: carolWeb.csrf, slug: ['one', 'two'], name: ['a', 'b'] })),
      post(find('/workspaces/:slug/members'), carolWeb, formBody({ _csrf: carolWeb.csrf, username: ['dave', 'dave'], until: ['2030-01-01', 'x'] })),
      post(find('/signin'), carolWeb, formBody({ _csrf: carolWeb.csrf, username: ['carol', 'carol'], password: [carol.password, carol.password] })),
    ];
    for (const request of cases) expectClean(server.url, request, await send(server.url, request), { status: [400, 401, 429], surface: 'html', absent: [carol.password] });
  });

  it('shows markup typed into any field as text, on the page that answers and on the pages that list it', async () => {
    const payloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>", '</textarea><iframe src=javascript:alert(1)>'];
    const find = (path: string) => formRoutes.find((r) => r.path === path)!;
    for (const payload of payloads) {
      const answers = [
        await send(server.url, post(find('/keys'), carolWeb, formBody({ _csrf: carolWeb.csrf, name: payload }))),
        await send(server.url, post(find('/workspaces'), carolWeb, formBody({ _csrf: carolWeb.csrf, slug: `x${Math.random().toString(36).slice(2, 8)}`, name: payload }))),
        await send(server.url, post(find('/workspaces'), carolWeb, formBody({ _csrf: carolWeb.csrf, slug: payload, name: 'n' }))),
        await send(server.url, post(find('/workspaces/:slug/members'), carolWeb, formBody({ _csrf: carolWeb.csrf, username: payload, until: payload }))),
        await send(server.url, post(find('/signin'), null, formBody({ username: payload, password: 'x' }))),
        await send(server.url, { path: '/keys', headers: [['Cookie', carolWeb.cookie]] }),
        await send(server.url, { path: '/workspaces', headers: [['Cookie', carolWeb.cookie]] }),
        await send(server.url, { path: `/signin?next=${encodeURIComponent(payload)}` }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBeLessThan(500);
        if (answer.body.includes(payload)) throw new Error(`a page shows ${JSON.stringify(payload)} unescaped (status ${answer.status}): ${answer.body.slice(answer.body.indexOf(payload) - 200, answer.body.indexOf(payload) + 100)}`);
      }
    }
  });
});

describe('fuzzed forms', () => {
  it('answers random bodies, content types and tokens on every form with a 2xx/3xx or a 4xx page', async () => {
    const field = fc.constantFrom('_csrf', 'name', 'slug', 'username', 'password', 'until', 'administration', 'next', '__proto__', 'constructor', 'a[b]', '_csrf[]', '');
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('%', '%ZZ', '%ED%A0%80', '%00', '&', '=', '+', '..%2F..%2F', '\u0000', '💶', 'null', '[]', '{}', "' OR 1=1 --", '<b>x</b>'),
      fc.constant('__CSRF__'),
    );
    const contentType = fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'application/x-www-form-urlencoded; charset=utf-16le',
      'application/json',
      'text/plain',
      'multipart/form-data',
      'application/x-www-form-urlencoded; boundary=--',
      '',
    );
    const mutations = fc.record({ route: fc.nat(), fields: fc.array(fc.tuple(field, value, fc.boolean()), { maxLength: 8 }), contentType, session: fc.constantFrom('carol', 'dave', 'none') });
    const samples = fc.sample(mutations, { numRuns: 500, seed: 424242 });
    const before = { dave: server.accounts.apiKeys(dave.user.id).length };
    await inParallel(samples, 6, async (sample) => {
      const route = formRoutes[sample.route % formRoutes.length];
      const session = sample.session === 'carol' ? carolWeb : sample.session === 'dave' ? daveWeb : null;
      // Half the values go out raw (broken escapes included), half encoded; the marker becomes carol's token.
      const body = sample.fields.map(([k, v, raw]) => `${encodeURIComponent(k)}=${v === '__CSRF__' ? carolWeb.csrf : raw ? v.replace(/[&=\s]/g, '') : encodeURIComponent(v)}`).join('&');
      const request = post(route, session, body, sample.contentType === '' ? null : sample.contentType);
      const absent = [carol.password, ...(session === daveWeb ? [carolWeb.csrf] : session === carolWeb ? [daveWeb.csrf] : [carolWeb.csrf, daveWeb.csrf])];
      expectClean(server.url, request, await send(server.url, request), { status: [200, 201, 303, 400, 401, 403, 404, 413, 415, 429], surface: 'html', absent });
    });
    // Dave's forms never carried his own token: nothing of his changed.
    expect(server.accounts.apiKeys(dave.user.id).length).toBe(before.dave);
  });

  it('answers hostile paths and query strings on every page with a page, never a 500', async () => {
    const pages = appRoutes(server.running.ledgerfeed.app as never).routes.filter((r) => r.mount === '' && r.method === 'get');
    const hostile = ['%E0%A4%A', '%', '..%2F..%2Fetc%2Fpasswd', '%00', '%F0%9F%92%B6', '\u00e9\u00ff', 'a'.repeat(3000), '%2e%2e', "'", '<x>', '..', '%C0%AF'];
    const cases: RawRequest[] = [];
    for (const route of pages) {
      for (const value of hostile) {
        const path = route.path.replace(/:(\w+)/g, () => value);
        for (const session of [carolWeb, null]) {
          const headers: [string, string][] = [['X-Forwarded-For', freshAddress()], ...(session ? ([['Cookie', session.cookie]] as [string, string][]) : [])];
          cases.push({ path, headers }, { path: `${route.path.replace(/:(\w+)/g, 'x')}?next=${value}&state=${value}&code=${value}&error=${value}`, headers });
        }
      }
    }
    await inParallel(cases, 6, async (request) => {
      // The operations endpoints answer in plain text (and /metrics only to direct local connections); raw bytes in
      // the request line are refused by Node's HTTP parser itself, without a body.
      expectClean(server.url, request, await send(server.url, request), { status: [200, 303, 400, 403, 404], surface: ['html', 'text', 'bare'] });
    });
  });
});

describe('after all that', () => {
  it('still serves its pages and the sign-in works', async () => {
    const fresh = await signIn(server.url, carol.user.username, carol.password);
    const page = await send(server.url, { path: `/workspaces/${carol.workspace.slug}`, headers: [['Cookie', fresh.cookie]] });
    expect(page.status).toBe(200);
    expect(csrfOf(page.body)).toBe(fresh.csrf);
  });
});
