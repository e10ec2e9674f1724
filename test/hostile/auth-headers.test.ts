// Hostile credentials against the feed and the JSON API: malformed Basic (no colon, broken base64, bytes that
// are no UTF-8, user names that do not match), long keys, other schemes (NTLM, Negotiate, Digest), the right key
// for the wrong workspace, binary garbage, many and repeated headers, and fuzzed Authorization values. Each is a
// 401 with the challenge Power BI needs (or 404 for a workspace the key may not read, 429 once an address has
// guessed too often, Node's 431/400 for what never reaches the app) — never a 500, never the key echoed back
// or written to the log.
import fc from 'fast-check';
import { basic, expectClean, freshAddress, inParallel, send, sendBytes, startHostileServer, type HostileServer, type RawRequest, type Tenant } from './harness';

let server: HostileServer;
let erin: Tenant;

beforeAll(async () => {
  server = await startHostileServer();
  erin = await server.tenant('erin');
}, 60_000);
afterAll(() => server.close());

const ENDPOINTS = ['/odata/demo/exactonline/', '/odata/demo/twinfield/$metadata', '/odata/demo/exactonline/Administrations', '/api/workspaces', '/api/workspaces/demo/connections'];
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

/** One request per endpoint with this Authorization value, each from an address of its own. */
function everywhere(authorization: string | null, extra: [string, string][] = []): RawRequest[] {
  return ENDPOINTS.map((path) => ({ path, headers: [...(authorization === null ? [] : ([['Authorization', authorization]] as [string, string][])), ['X-Forwarded-For', freshAddress()], ...extra] }));
}

async function expectRefused(requests: RawRequest[], secret?: string): Promise<void> {
  await inParallel(requests, 8, async (request) => {
    const answer = await send(server.url, request);
    expectClean(server.url, request, answer, { status: 401, surface: ['odata', 'json'], absent: secret && secret.length >= 6 ? [secret] : [] });
    if (answer.headers['www-authenticate'] !== 'Basic realm="Ledgerfeed"') throw new Error(`a 401 without the Basic challenge for ${request.path}`);
  });
}

async function expectAccepted(requests: RawRequest[]): Promise<void> {
  await inParallel(requests, 8, async (request) => {
    expectClean(server.url, request, await send(server.url, request), { status: 200, surface: 'odata' });
  });
}

describe('malformed and foreign credentials', () => {
  const refused: [string, string][] = [
    ['no credentials', ''],
    ['the bare Basic scheme', 'Basic'],
    ['Basic and a space', 'Basic '],
    ['Basic with only padding', 'Basic ===='],
    ['Basic with characters base64 has not', 'Basic !!!!$$$$'],
    ['Basic without a colon', `Basic ${b64('demo')}`],
    ['Basic with an empty key', `Basic ${b64('demo:')}`],
    ['Basic with a lone colon', `Basic ${b64(':')}`],
    ['Basic with the key after two colons', `Basic ${b64('::demo')}`],
    ['Basic with a space before the key', `Basic ${b64(': demo')}`],
    ['Basic with a NUL after the key', `Basic ${b64(':demo\u0000')}`],
    ['Basic with bytes that are not UTF-8', `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a, 0x64, 0x65, 0x6d, 0x6f]))}`],
    ["Basic with another user's name", `Basic ${b64(`erin:demo`)}`],
    ['Basic with a name in other letters', `Basic ${b64('DÉMO:demo')}`],
    ['Basic with an 8 KB key', `Basic ${b64(`:${'k'.repeat(8000)}`)}`],
    ['Basic with two credentials', `Basic ${b64(':nope')}, Basic ${b64(':demo')}`],
    ['Basic with trailing junk', `Basic ${b64(':demo')} junk`],
    ['the bare Bearer scheme', 'Bearer'],
    ['Bearer and spaces', 'Bearer    '],
    ['Bearer with two words', 'Bearer demo demo'],
    ['Bearer with an 8 KB key', `Bearer ${'lf_'.padEnd(8000, 'x')}`],
    ['Bearer with SQL', "Bearer ' OR 1=1 --"],
    ['Bearer with Latin-1', 'Bearer d\u00e9mo'],
    ['Bearer with a wildcard', 'Bearer %'],
    ['Bearer with a revoked-looking key', 'Bearer lf_00000000000000000000000000000000'],
    ['NTLM (Windows credentials in Power BI)', 'NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=='],
    ['Negotiate', 'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCqKCBkAEggY8'],
    ['Digest', 'Digest username="demo", realm="Ledgerfeed", nonce="x", uri="/", response="y"'],
    ['a token without a scheme', 'demo'],
    ['an unknown scheme', 'Token demo'],
    ['JSON', '{"apiKey":"demo"}'],
  ];
  it.each(refused.map(([name, value]) => ({ name, value })))('refuses $name with 401 and the challenge, on the feed and the API', async ({ value }) => {
    await expectRefused(everywhere(value === '' ? null : value), value.replace(/^\S+\s*/, ''));
  });

  const accepted: [string, string][] = [
    ['Basic with an empty user name', basic('', 'demo')],
    ['Basic with the key’s user', basic('demo', 'demo')],
    ['Basic with the user name in capitals', basic('DEMO', 'demo')],
    ['the scheme in capitals', `BASIC ${b64(':demo')}`],
    ['Bearer', 'Bearer demo'],
    ['Bearer with extra spaces', 'Bearer    demo   '],
    ['a tab after the scheme', `Basic\t${b64(':demo')}`],
  ];
  it.each(accepted.map(([name, value]) => ({ name, value })))('accepts $name on the feed', async ({ value }) => {
    await expectAccepted(everywhere(value).filter((r) => r.path.startsWith('/odata/')));
  });
});

describe('the right key, the wrong place', () => {
  it('answers a valid key for a workspace it may not read exactly as for one that does not exist', async () => {
    const paths = (slug: string) => [`/odata/${slug}/exactonline/`, `/odata/${slug}/twinfield/GeneralLedgerTransactions`, `/api/workspaces/${slug}/connections`];
    for (const [mine, theirs] of [[paths('nobody-at-all'), paths('demo')]]) {
      for (let i = 0; i < mine.length; i++) {
        const [a, b] = [await send(server.url, { path: mine[i], headers: [['Authorization', `Bearer ${erin.key}`]] }), await send(server.url, { path: theirs[i], headers: [['Authorization', `Bearer ${erin.key}`]] })];
        expectClean(server.url, { path: theirs[i] }, b, { status: 404, surface: ['odata', 'json'], absent: ['Demo books'] });
        expect(b.body.split('demo').join('X')).toBe(a.body.split('nobody-at-all').join('X'));
      }
    }
  });

  it("refuses demo's key under erin's name, and erin's under demo's", async () => {
    await expectRefused(everywhere(basic('erin', 'demo')), 'demo');
    await expectRefused(everywhere(basic('demo', erin.key)), erin.key);
  });
});

describe('many, long and binary headers', () => {
  it('answers headers beyond Node’s limit with 431, and many small headers normally', async () => {
    const huge = { path: ENDPOINTS[0], headers: [['Authorization', `Bearer ${'x'.repeat(20_000)}`]] as [string, string][] };
    expectClean(server.url, huge, await send(server.url, huge), { status: 431, surface: 'bare' });
    const many = Array.from({ length: 1200 }, (_, i) => [`x-pad-${i}`, 'y'] as [string, string]);
    await expectAccepted(everywhere(basic('', 'demo'), many).filter((r) => r.path.startsWith('/odata/')));
    const tooMany = Array.from({ length: 3000 }, (_, i) => [`x-pad-${i}`, 'yyyy'] as [string, string]);
    const request = { path: ENDPOINTS[0], headers: [['Authorization', basic('', 'demo')], ...tooMany] as [string, string][] };
    expectClean(server.url, request, await send(server.url, request), { status: [200, 431], surface: 'bare' });
  });

  it('takes the first of repeated Authorization headers, whatever follows', async () => {
    const repeated = (first: string) => [['Authorization', first], ...Array.from({ length: 100 }, () => ['Authorization', `Bearer ${'z'.repeat(30)}`] as [string, string])] as [string, string][];
    await expectAccepted([{ path: ENDPOINTS[0], headers: repeated('Bearer demo') }]);
    await expectRefused([{ path: ENDPOINTS[0], headers: [...repeated('Bearer nope').slice(0, 50), ['Authorization', 'Bearer demo'], ['X-Forwarded-For', freshAddress()]] }]);
  });

  it('answers binary garbage in the Authorization header with 401 (Latin-1 bytes) or Node’s 400 (control bytes)', async () => {
    const host = new URL(server.url).host;
    const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 200 }), { numRuns: 150, seed: 99 });
    await inParallel(samples, 6, async (bytes) => {
      const head = Buffer.from(`GET ${ENDPOINTS[0]} HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-For: ${freshAddress()}\r\nConnection: close\r\nAuthorization: Basic `, 'latin1');
      const answer = await sendBytes(server.url, Buffer.concat([head, Buffer.from(bytes), Buffer.from('\r\n\r\n')]));
      const printable = [...bytes].every((b) => b >= 0x20 && b !== 0x7f);
      if (![400, 401].includes(answer.status)) throw new Error(`Authorization bytes ${JSON.stringify([...bytes])} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      if (printable && answer.status !== 401) throw new Error(`printable Authorization bytes ${JSON.stringify([...bytes])} answered ${answer.status}`);
      if (/node_modules|\n\s+at /.test(answer.text)) throw new Error(`internals shown for bytes ${JSON.stringify([...bytes])}`);
    });
  });
});

describe('guessing', () => {
  it('blocks an address after 20 failed keys with 429 and Retry-After — even for a right key — but not other addresses', async () => {
    const address = freshAddress();
    for (let i = 0; i < 20; i++) {
      const request = { path: ENDPOINTS[i % ENDPOINTS.length], headers: [['Authorization', `Bearer lf_guess_${i}_abcdef`], ['X-Forwarded-For', address]] as [string, string][] };
      expectClean(server.url, request, await send(server.url, request), { status: 401, surface: ['odata', 'json'] });
    }
    for (const path of ENDPOINTS) {
      const request = { path, headers: [['Authorization', 'Bearer demo'], ['X-Forwarded-For', address]] as [string, string][] };
      const answer = await send(server.url, request);
      expectClean(server.url, request, answer, { status: 429, surface: ['odata', 'json'] });
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    await expectAccepted(everywhere('Bearer demo').filter((r) => r.path.startsWith('/odata/')));
  });
});

describe('fuzzed Authorization values', () => {
  it('refuses random values of every shape with 401, never echoing them or writing them to the log', async () => {
    const value = fc.oneof(
      fc.string({ minLength: 1, maxLength: 60 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => `Basic ${b64(Buffer.from(bytes))}`),
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map(([user, key]) => `Basic ${b64(`${user}:${key}`)}`),
      fc.string({ maxLength: 80 }).filter((s) => /^[\x21-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`),
      fc.tuple(fc.constantFrom('Basic', 'Bearer', 'basic', 'BEARER', 'Negotiate', 'NTLM', 'Digest', 'AWS4-HMAC-SHA256', ''), fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s))).map(([scheme, rest]) => `${scheme} ${rest}`),
    );
    // The sandbox's own key is `demo`: a value that could carry it is no hostile guess.
    const samples = fc.sample(value, { numRuns: 600, seed: 31337 }).filter((v) => !/demo/i.test(v) && !/demo/i.test(Buffer.from(v.replace(/^\S+\s*/, ''), 'base64').toString('latin1')) && v.trim() !== '');
    const requests = samples.map((v, i) => ({ path: ENDPOINTS[i % ENDPOINTS.length], headers: [['Authorization', v], ['X-Forwarded-For', freshAddress()]] as [string, string][] }));
    await inParallel(requests, 8, async (request) => {
      const value = request.headers[0][1];
      const secret = value.replace(/^\S+\s+/, '');
      const answer = await send(server.url, request);
      expectClean(server.url, request, answer, { status: 401, surface: ['odata', 'json'], absent: secret.length >= 8 ? [secret] : [] });
    });
    const distinctive = samples.map((v) => v.replace(/^\S+\s+/, '')).filter((s) => s.length >= 12 && /[A-Za-z0-9]{6}/.test(s));
    const logged = distinctive.filter((s) => server.log.text.includes(s));
    expect(logged).toEqual([]);
  });
});
