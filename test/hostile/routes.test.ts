// Every route of the running app — read from its router stack, the sandbox's simulators included, so a route
// added later is covered — with hostile parameters (broken %-escapes, traversal, overlong), hostile bodies
// (JSON that does not parse, a charset or encoding nothing reads, a body over the limits, too many fields) and
// every method, signed in and not: no answer shows a stack trace or a file path, Ledgerfeed's own routes never
// answer 5xx, and the server keeps serving.
import zlib from 'node:zlib';
import { appRoutes, basic, expectClean, freshAddress, inParallel, send, signIn, startHostileServer, type HostileServer, type RawRequest, type WebSession } from './harness';

let server: HostileServer;
let demoWeb: WebSession;

beforeAll(async () => {
  server = await startHostileServer({ LEDGERFEED_SANDBOX_MINUTE_MS: '1000' });
  demoWeb = await signIn(server.url, 'demo', 'demo');
}, 60_000);
afterAll(() => server.close());

const PARAMETER_VALUES = ['%E0%A4%A', '%', '%00', '..%2F..%2F..%2Fetc%2Fpasswd', '..', '%C0%AF', '%F0%9F%92%B6', 'x'.repeat(4000), "'%20OR%201=1--", '%3Cscript%3E'];
const BODIES: { type: string; body: string | Buffer; encoding?: string }[] = [
  { type: 'application/json', body: '{"a":' },
  { type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
  { type: 'application/x-www-form-urlencoded; charset=utf-16', body: 'a=b' },
  { type: 'application/x-www-form-urlencoded', body: 'a=&'.repeat(25_000) },
  { type: 'application/x-www-form-urlencoded', body: `a=${'x'.repeat(300_000)}` },
  { type: 'application/x-www-form-urlencoded', body: 'a=b', encoding: 'br' },
  { type: 'application/x-www-form-urlencoded', body: zlib.gzipSync('a=b').subarray(0, 8), encoding: 'gzip' },
  { type: 'text/xml; charset=nope', body: '<a/>' },
  { type: 'text/xml; charset=utf-8', body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' },
  { type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--' },
];

function requestsFor(path: string, sandbox: boolean): RawRequest[] {
  const requests: RawRequest[] = [];
  const credentials: [string, string][][] = [[], [['Authorization', basic('', 'demo')], ['Cookie', demoWeb.cookie]]];
  for (const auth of credentials) {
    const headers = (): [string, string][] => [...auth, ['X-Forwarded-For', freshAddress()]];
    for (const value of PARAMETER_VALUES) {
      const filled = path.replace(/:(\w+)/g, value).replace(/\/\*$/, `/${value}`);
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) requests.push({ method, path: filled, headers: headers() });
    }
    const plain = path.replace(/:(\w+)/g, 'x').replace(/\/\*$/, '/x');
    for (const b of BODIES) {
      const extra: [string, string][] = [['Content-Type', b.type], ...(b.encoding ? ([['Content-Encoding', b.encoding]] as [string, string][]) : [])];
      requests.push({ method: 'POST', path: plain, headers: [...headers(), ...extra], body: b.body });
      if (!sandbox) requests.push({ method: 'POST', path: `${plain}?_csrf=${encodeURIComponent(demoWeb.csrf)}`, headers: [...headers(), ...extra], body: b.body });
    }
  }
  return requests;
}

describe('every route of the app', () => {
  it('answers hostile parameters, bodies and methods without a stack trace, and Ledgerfeed’s own routes without a 5xx', async () => {
    const { routes, unreadableMounts } = appRoutes(server.running.ledgerfeed.app as never);
    expect(unreadableMounts).toEqual([]);
    expect(routes.length).toBeGreaterThan(40);
    // A regex route (the Exact simulator's API) is addressed by a path it matches.
    const paths = [...new Set(routes.map((r) => (r.path.includes('^') ? r.path.replace(/\/\^.*$/, '/api/v1/:division/x') : r.path)))];
    const cases = paths.flatMap((path) => requestsFor(path, path.startsWith('/sandbox/')).map((request) => ({ request, sandbox: path.startsWith('/sandbox/') })));
    expect(cases.length).toBeGreaterThan(3000);
    await inParallel(cases, 8, async ({ request, sandbox }) => {
      const answer = await send(server.url, request);
      // The simulators answer in their upstream's own ways (a SOAP fault is an HTTP 500 on Twinfield).
      const status = sandbox ? Array.from({ length: 500 }, (_, i) => 100 + i) : Array.from({ length: 400 }, (_, i) => 100 + i);
      expectClean(server.url, request, answer, { status, surface: sandbox ? 'any' : ['odata', 'json', 'html', 'text', 'bare'], absent: ['root:x:0:0', 'demo:demo'] });
    });
  }, 110_000);

  it('still serves its pages, its API and its feed', async () => {
    for (const request of [
      { path: '/signin' },
      { path: '/api/workspaces', headers: [['Authorization', 'Bearer demo']] as [string, string][] },
      { path: '/odata/demo/exactonline/', headers: [['Authorization', 'Bearer demo']] as [string, string][] },
      { path: '/healthz' },
    ]) {
      expect((await send(server.url, request)).status).toBe(200);
    }
  });
});
