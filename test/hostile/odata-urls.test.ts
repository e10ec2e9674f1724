// Hostile feed URLs against the real app (both feeds, real tables, real authentication): a huge $top, deep
// nesting, SQL and XML injection in literals, names and keys, LIKE wildcards, unicode and broken UTF-8, path
// traversal, overlong URLs, percent-encoding abuse, duplicate and unknown options, odd methods and raw bytes —
// hand-written, then fuzzed with fast-check. Every answer is 200 with a well-formed body or a readable OData
// error (400/404/405/406/501; Node's own 400/431 for what never reaches the app), with no stack trace or path,
// and the mirror is exactly as it was afterwards.
import fc from 'fast-check';
import { basic, expectClean, inParallel, send, sendBytes, startHostileServer, type HostileServer, type RawRequest, type Surface } from './harness';

let server: HostileServer;
const AUTH: [string, string][] = [['Authorization', basic('', 'demo')]];
const EXACT = '/odata/demo/exactonline';
const TWINFIELD = '/odata/demo/twinfield';
const LINES = `${EXACT}/TransactionLines`;
const GL = `${TWINFIELD}/GeneralLedgerTransactions`;
/** What a feed answer may be: a result, or one of the errors a client can cause. */
const FEED_STATUSES = [200, 204, 400, 404, 405, 406, 501] as const;

/** Every mirror table with its row count: hostile queries must leave the store exactly as it was. */
function mirrorCounts(): Record<string, number> {
  const tables = server.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'mirror\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  return Object.fromEntries(tables.map((t) => [t, server.db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number]));
}
let countsBefore: Record<string, number>;
let descriptions: string[];

beforeAll(async () => {
  // A day of staleness: after the warm-up, hostile requests read the mirror and never wait for a sync.
  server = await startHostileServer({ LEDGERFEED_MAX_STALENESS_S: '86400', LEDGERFEED_SANDBOX_MINUTE_MS: '1000' });
  for (const feed of [EXACT, TWINFIELD]) {
    const service = JSON.parse((await send(server.url, { path: `${feed}/`, headers: AUTH })).body) as { value: { url: string }[] };
    for (const set of service.value) {
      const answer = await send(server.url, { path: `${feed}/${set.url}?$top=1`, headers: AUTH }, 60_000);
      if (answer.status !== 200) throw new Error(`warming ${feed}/${set.url} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
  }
  countsBefore = mirrorCounts();
  descriptions = (JSON.parse((await send(server.url, { path: `${LINES}?$select=Description`, headers: AUTH })).body) as { value: { Description: string | null }[] }).value.map((r) => r.Description ?? '');
}, 90_000);
afterAll(() => server.close());

/** Sends a feed request and checks it; a 200 must carry a body its content type can parse. */
async function feed(request: RawRequest, statuses: readonly number[] = FEED_STATUSES, surface: readonly Surface[] = ['odata', 'bare']): Promise<{ status: number; body: string }> {
  const full = { ...request, headers: [...AUTH, ...(request.headers ?? [])] };
  const answer = await send(server.url, full);
  expectClean(server.url, full, answer, { status: statuses, surface, absent: ['demo:'] });
  if (answer.status === 200 && request.method !== 'HEAD') {
    const type = String(answer.headers['content-type'] ?? '');
    try {
      if (/json/.test(type)) JSON.parse(answer.body);
      else if (/xml/.test(type)) expect(answer.body.startsWith('<?xml')).toBe(true);
      else if (!/text\/plain/.test(type)) throw new Error(`unexpected content type ${type}`);
    } catch (err) {
      throw new Error(`a 200 answer with an unreadable body (${(err as Error).message}) for ${request.path}`);
    }
  }
  return answer;
}

const q = (path: string, options: Record<string, string>) => `${path}?${Object.entries(options).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;

describe('hand-written hostile URLs', () => {
  const cases: [string, RawRequest, readonly number[], (readonly Surface[])?][] = [
    // Sizes.
    ['the largest $top', { path: `${LINES}?$top=999999999999999&$select=ID` }, [200]],
    ['a $top beyond 15 digits', { path: `${LINES}?$top=9999999999999999` }, [400]],
    ['a $top of 2^64', { path: `${LINES}?$top=18446744073709551616` }, [400]],
    ['a negative $top', { path: `${LINES}?$top=-1` }, [400]],
    ['a $top in exponent form', { path: `${LINES}?$top=1e3` }, [400]],
    ['a hexadecimal $top', { path: `${LINES}?$top=0x10` }, [400]],
    ['an empty $top', { path: `${LINES}?$top=` }, [400]],
    ['the largest $skip', { path: `${LINES}?$skip=999999999999999` }, [200]],
    ['$top 0 with a count', { path: `${LINES}?$top=0&$count=true` }, [200]],
    ['a huge odata.maxpagesize', { path: `${LINES}?$top=3`, headers: [['Prefer', 'odata.maxpagesize=999999999999']] }, [200]],
    ['a page size of zero', { path: `${LINES}?$top=3`, headers: [['Prefer', 'odata.maxpagesize=0']] }, [200]],
    // Nesting.
    ['parentheses 6,000 deep', { path: `${LINES}?$filter=${'('.repeat(6000)}true${')'.repeat(6000)}` }, [400]],
    ['"not" 2,000 times', { path: q(LINES, { $filter: `${'not '.repeat(2000)}true` }) }, [400]],
    ['negation 4,000 times', { path: q(LINES, { $filter: `${'-'.repeat(4000)}1 eq 1` }) }, [400]],
    ['functions 800 deep', { path: q(LINES, { $filter: `${'tolower('.repeat(800)}Description${')'.repeat(800)} eq 'x'` }) }, [400]],
    ['an or-chain of 300', { path: q(LINES, { $filter: Array.from({ length: 300 }, (_, i) => `EntryNumber eq ${i}`).join(' or ') }) }, [200, 400]],
    ['an in-list of 1,500', { path: q(LINES, { $filter: `EntryNumber in (${Array.from({ length: 1500 }, (_, i) => i).join(',')})` }) }, [200, 400]],
    ['1,000 $select items', { path: `${LINES}?$select=${Array(1000).fill('ID').join(',')}` }, [200, 400]],
    ['40 $orderby keys', { path: `${LINES}?$orderby=${Array(40).fill('Description').join(',')}` }, [400]],
    ['an addition chain of 500', { path: q(LINES, { $filter: `${'AmountDC add '.repeat(500)}1 gt 0` }) }, [200, 400]],
    // SQL in literals, names and keys.
    ['a quote-escaped OR 1=1', { path: q(LINES, { $filter: "Description eq 'x'' OR ''1''=''1'" }) }, [200]],
    ['a DROP TABLE after a closed literal', { path: q(LINES, { $filter: "Description eq '1'); DROP TABLE mirror_exactonline_TransactionLines; --'" }) }, [400]],
    ['a DROP TABLE inside a literal', { path: q(LINES, { $filter: "Description eq '1''); DROP TABLE mirror_exactonline_TransactionLines; --'" }) }, [200]],
    ['a UNION in a literal', { path: q(LINES, { $filter: "Description eq 'x' UNION SELECT * FROM api_keys --'" }) }, [400]],
    ['a comment after a filter', { path: q(LINES, { $filter: 'Division eq 310101 --' }) }, [400]],
    ['a semicolon in $orderby', { path: q(LINES, { $orderby: 'ID; DROP TABLE users' }) }, [400]],
    ['a subquery in $select', { path: q(LINES, { $select: '(SELECT password_hash FROM users)' }) }, [400]],
    ['SQL in a property name', { path: q(LINES, { $filter: 'sqlite_master eq 1' }) }, [400]],
    ['a quoted identifier', { path: q(LINES, { $filter: '"ID" eq 1' }) }, [400]],
    ['SQL in a key', { path: `${LINES}(Division=310101,ID='x''%20OR%201=1--')` }, [400, 404]],
    ['SQL in an Administrations key', { path: `${EXACT}/Administrations('x''%20or%201=1%20--')` }, [400, 404]],
    ['SQL in a Twinfield key', { path: `${GL}(Office='NLA310101''%20OR%20''1''=''1',JournalCode='x',EntryNumber=1,LineNumber=1)` }, [400, 404]],
    ['CAST in a filter', { path: q(LINES, { $filter: "cast(Description, 'Edm.Int32) eq 1" }) }, [400, 501]],
    ['a json_each() call', { path: q(LINES, { $filter: "json_each('[1]') eq 1" }) }, [400, 501]],
    // XML in literals and formats.
    ['an XML entity in a literal', { path: q(LINES, { $filter: `Description eq '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'` }) }, [200]],
    ['CDATA in a literal', { path: q(GL, { $filter: "Description eq '<![CDATA[x]]>'" }) }, [200]],
    ['markup in $format', { path: `${EXACT}/$metadata?$format=${encodeURIComponent('application/xml;<script>alert(1)</script>')}` }, [200, 406]],
    ['a format the feed does not serve', { path: `${LINES}?$format=atom` }, [406]],
    ['markup in an entity set name', { path: `${EXACT}/${encodeURIComponent('<script>alert(1)</script>')}` }, [404]],
    // Unicode.
    ['an emoji literal', { path: q(LINES, { $filter: "Description eq '💶💶'" }) }, [200]],
    ['right-to-left override', { path: q(LINES, { $filter: "Description eq '\u202Eevil'" }) }, [200]],
    ['a NUL in a literal', { path: q(LINES, { $filter: "Description eq 'a\u0000b'" }) }, [200, 400]],
    ['a lone surrogate', { path: `${LINES}?$filter=Description%20eq%20'%ED%A0%80'` }, [400]],
    ['an overlong UTF-8 slash', { path: `${LINES}?$filter=Description%20eq%20'%C0%AF'` }, [400]],
    ['Latin-1 bytes in a literal', { path: `${LINES}?$filter=Description%20eq%20'%E9'` }, [400]],
    ['a byte-order mark before an option', { path: `${LINES}?%EF%BB%BF$top=1` }, [200]],
    ['a fullwidth dollar', { path: `${LINES}?%EF%BC%84top=1` }, [200]],
    ['a unicode workspace', { path: '/odata/d%C3%A9mo/exactonline/' }, [404]],
    ['a unicode entity set', { path: `${EXACT}/Trans%C3%A4ctionLines` }, [404]],
    // Traversal.
    ['dot-dot to /etc/passwd', { path: `${EXACT}/../../../../etc/passwd` }, [404]],
    ['encoded dot-dot slashes', { path: `${EXACT}/..%2f..%2f..%2fetc%2fpasswd` }, [404]],
    ['encoded dots', { path: `${EXACT}/%2e%2e/%2e%2e/%2e%2e/package.json` }, [404]],
    ['double-encoded dots', { path: `${EXACT}/%252e%252e%252fpackage.json` }, [404]],
    ['backslashes', { path: `${EXACT}/..\\..\\..\\etc\\passwd` }, [404]],
    ['a NUL in a segment', { path: `${EXACT}/TransactionLines%00.json` }, [404]],
    ['dot-dot as the workspace', { path: '/odata/../exactonline/' }, [404]],
    ['an encoded slash in the workspace', { path: '/odata/demo%2F..%2Fother/exactonline/' }, [404]],
    // Not the feed's address at all: the pages' 404.
    ['double slashes', { path: '//odata//demo//exactonline//TransactionLines' }, [404], ['html']],
    ['a trailing dot-dot after a set', { path: `${LINES}/..` }, [404]],
    ['a property path of dots', { path: `${LINES}(Division=310101,ID=00000000-0000-0000-0000-000000000000)/../../..` }, [404]],
    // Percent-encoding.
    ['a lone percent in a value', { path: `${LINES}?$filter=%` }, [400]],
    ['a broken escape in a value', { path: `${LINES}?$filter=Division%20eq%20%zz` }, [400]],
    ['a half escape', { path: `${LINES}?$top=1%2` }, [400]],
    ['a %u escape', { path: `${LINES}?$filter=Description%20eq%20'%u0041'` }, [400]],
    ['an encoded option name', { path: `${LINES}?%24top=1` }, [200]],
    ['an encoded ampersand inside a value', { path: `${LINES}?$filter=Description%20eq%20'a%26$top=1'` }, [200]],
    ['an encoded equals in a name', { path: `${LINES}?$top%3D1=2` }, [400]],
    ['a plus as a space', { path: `${LINES}?$filter=Division+eq+310101&$top=1` }, [200]],
    ['a broken escape in the path', { path: `${EXACT}/Transaction%Lines` }, [400]],
    ['a broken escape in the workspace', { path: '/odata/%E0%A4%A/exactonline/' }, [400]],
    ['a double-encoded option', { path: `${LINES}?%2524top=1` }, [200]],
    // Duplicates and unknowns.
    ['$top twice', { path: `${LINES}?$top=1&$top=2` }, [400]],
    ['$top plain and encoded', { path: `${LINES}?$top=1&%24top=2` }, [400]],
    ['$filter twice', { path: `${LINES}?$filter=true&$filter=false` }, [400]],
    ['$format twice', { path: `${LINES}?$format=json&$format=json` }, [400]],
    ['an upper-case $TOP', { path: `${LINES}?$TOP=1` }, [200, 400]],
    ['a custom option twice', { path: `${LINES}?x=1&x=2&$top=1` }, [200]],
    ['an unknown system option', { path: `${LINES}?$foo=1` }, [400]],
    ['$expand', { path: `${LINES}?$expand=Anything` }, [501]],
    ['empty option names', { path: `${LINES}?=&=&&&=1` }, [200]],
    ['a skiptoken of JSON', { path: q(LINES, { $skiptoken: '{"after":[1],"fingerprint":"x"}' }) }, [400]],
    ['a skiptoken with $skip', { path: `${LINES}?$skiptoken=abc&$skip=1` }, [400]],
    // Methods and headers.
    ['HEAD', { method: 'HEAD', path: LINES }, [200]],
    ['POST', { method: 'POST', path: LINES, headers: [['Content-Type', 'application/json']], body: '{"ID":"x"}' }, [405]],
    ['DELETE', { method: 'DELETE', path: `${LINES}(Division=310101,ID=00000000-0000-0000-0000-000000000000)` }, [405]],
    ['PATCH', { method: 'PATCH', path: LINES, body: '{}' }, [405]],
    ['OPTIONS', { method: 'OPTIONS', path: LINES }, [405]],
    ['TRACE', { method: 'TRACE', path: LINES }, [405]],
    ['PROPFIND', { method: 'PROPFIND', path: LINES }, [405]],
    ['$batch', { method: 'POST', path: `${EXACT}/$batch`, headers: [['Content-Type', 'multipart/mixed; boundary=b']], body: '--b--' }, [405, 501]],
    ['an Accept of HTML only', { path: LINES, headers: [['Accept', 'text/html']] }, [406]],
    ['an Accept of garbage', { path: LINES, headers: [['Accept', ';;;,,,/;q=x']] }, [200, 406]],
    ['a hostile Prefer', { path: `${LINES}?$top=1`, headers: [['Prefer', 'odata.maxpagesize=-1, odata.maxpagesize="x", return=minimal;;;']] }, [200]],
    ['a forged X-Forwarded-Host', { path: `${EXACT}/`, headers: [['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'javascript']] }, [200]],
  ];

  // Objects, not rows: jest would hand a short row's missing argument over as its `done` callback.
  it.each(cases.map(([name, request, statuses, surface]) => ({ name, request, statuses, surface: surface ?? (['odata', 'bare'] as const) })))('answers $name cleanly', async ({ request, statuses, surface }) => {
    await feed(request, statuses, surface);
  });

  it('never points a link at a host the request named', async () => {
    const answer = await feed({ path: `${LINES}?$top=1`, headers: [['Host', 'evil.example'], ['X-Forwarded-Host', 'evil.example']] });
    expect(answer.body).not.toContain('evil.example');
  });

  it('takes LIKE wildcards, quotes and backslashes in contains/startswith/endswith literally', async () => {
    const needles = ['%', '_', '\\', '[', ']', '*', "'", '%_%', 'a%', '_o', '.', '^', '$', 'ë', ''];
    for (const needle of needles) {
      for (const fn of ['contains', 'startswith', 'endswith'] as const) {
        const literal = `'${needle.replace(/'/g, "''")}'`;
        const answer = await feed({ path: q(LINES, { $filter: `${fn}(Description,${literal})`, $select: 'Description' }) }, [200]);
        const got = (JSON.parse(answer.body) as { value: { Description: string }[] }).value.map((r) => r.Description);
        const want = descriptions.filter((d) => (fn === 'contains' ? d.includes(needle) : fn === 'startswith' ? d.startsWith(needle) : d.endsWith(needle)));
        if (got.length !== want.length) throw new Error(`${fn}(Description, ${literal}) gave ${got.length} rows, ${want.length} hold that text literally`);
      }
    }
  });

  it('answers URLs longer than Node takes with 431, and just under it normally', async () => {
    const long = (n: number) => q(LINES, { $filter: `Description eq '${'x'.repeat(n)}'` });
    await feed({ path: long(15_000) }, [200]);
    for (const n of [17_000, 60_000, 400_000]) {
      const request = { path: long(n), headers: AUTH };
      expectClean(server.url, request, await send(server.url, request), { status: 431, surface: 'bare' });
    }
    await feed({ path: `${LINES}?$top=1` }, [200]);
  });

  it('answers raw bytes no client would send with a 400 from Node or a clean error, and keeps serving', async () => {
    const host = new URL(server.url).host;
    const key = Buffer.from(':demo').toString('base64');
    const raw = [
      `GET ${LINES}?$top=1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${key}\r\n\r\n`,
      `GET /odata/demo/exactonline/Trans actionLines HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${key}\r\n\r\n`,
      `GET ${LINES}?$filter=Description eq 'a' HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET ${LINES}\r\n\r\n`,
      `GET ${LINES} HTTP/9.9\r\nHost: ${host}\r\n\r\n`,
      `G\u0000T ${LINES} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET ${LINES}\u0000 HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET ${LINES}?\u00ff\u00fe HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${key}\r\n\r\n`,
      `GET ${LINES} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${key}\r\nX-Evil: a\rb\r\n\r\n`,
      `GET ${LINES} HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
      `GET ${LINES} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\n\r\n`,
      '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003',
    ];
    // Not yet a request: HTTP lets the server wait for the rest, as long as it keeps serving everyone else.
    const incomplete = ['\r\n\r\n\r\n', `GET ${LINES} HTTP/1.1\r\nHost: ${host}\r\n`, `POST ${LINES} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1000\r\n\r\nab`];
    for (const text of [...raw, ...incomplete]) {
      const answer = await sendBytes(server.url, Buffer.from(text, 'latin1'), { silenceIsFine: incomplete.includes(text), timeoutMs: incomplete.includes(text) ? 1000 : 10_000 });
      if (answer.status !== 0 && ![200, 400, 401, 404, 405, 505].includes(answer.status)) throw new Error(`raw request ${JSON.stringify(text)} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      if (/node_modules|\n\s+at /.test(answer.text)) throw new Error(`raw request ${JSON.stringify(text)} showed internals: ${answer.text.slice(0, 300)}`);
    }
    await feed({ path: `${LINES}?$top=1` }, [200]);
  });
});

describe('fuzzed feed URLs', () => {
  const exactProperties = ['Division', 'ID', 'EntryNumber', 'LineNumber', 'Date', 'AmountDC', 'Description', 'GLAccountCode', 'Timestamp', 'FinancialYear', 'Nope', 'Description/Length', 'sqlite_master', '_administration_id', '_hash'];
  const literal = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.string({ maxLength: 12 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.constantFrom('null', 'true', '2025-02-29', '2024-01-01T00:00:00Z', '01234567-89ab-cdef-0123-456789abcdef', '9223372036854775808', "'; DROP TABLE x; --'", "'%'", "'_'", "''''", '@p', '$it', "X'00'", '0x1F', '1e999'),
  );
  const expression = fc.letrec<{ e: string; binary: string; call: string }>((tie) => ({
    e: fc.oneof({ depthSize: 'small' }, fc.constantFrom(...exactProperties), literal, tie('binary'), tie('call'), tie('e').map((e) => `not ${e}`), tie('e').map((e) => `(${e})`)),
    binary: fc.tuple(tie('e'), fc.constantFrom('eq', 'ne', 'gt', 'le', 'and', 'or', 'add', 'mul', 'div', 'mod', 'in', '||', '=', 'like'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`),
    call: fc.tuple(fc.constantFrom('contains', 'startswith', 'tolower', 'substring', 'year', 'round', 'concat', 'length', 'sqlite_version', 'load_extension'), fc.array(tie('e'), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(',')})`),
  }));

  it('answers grammar-shaped $filter, $orderby and $select over the real tables of both feeds', async () => {
    const samples = fc.sample(fc.tuple(expression.e, fc.constantFrom('$filter', '$orderby', '$select'), fc.constantFrom(LINES, GL, `${EXACT}/Administrations`, `${LINES}/$count`)), { numRuns: 900, seed: 20261123 });
    await inParallel(samples, 6, async ([e, option, path]) => {
      await feed({ path: `${path}?${option}=${encodeURIComponent(e)}&$top=3` });
    });
  });

  it('answers random option names, hostile values, duplicates and broken encodings', async () => {
    const name = fc.constantFrom('$filter', '$orderby', '$select', '$top', '$skip', '$count', '$skiptoken', '$format', '$expand', '$search', '$TOP', '%24top', '$', '', 'x', '@p', '$filter%00');
    const hostile = fc.array(fc.oneof(fc.constantFrom("'", '(', ')', '%', '%2', '%zz', '%00', '%ED%A0%80', '%C0%AF', '+', '&', '=', ';', '--', '/*', '\\', '..%2F', '💶', 'é', 'eq', 'or 1 eq 1', '1e309', '999999999999999999'), fc.string({ maxLength: 4 })), { maxLength: 20 }).map((p) => p.join(''));
    const samples = fc.sample(fc.array(fc.tuple(name, hostile, fc.boolean()), { minLength: 1, maxLength: 5 }), { numRuns: 900, seed: 77 });
    await inParallel(samples, 6, async (options) => {
      // Half go out percent-encoded, half raw (only what Node will put on the wire at all).
      const query = options.map(([n, v, encode]) => `${n}=${encode ? encodeURIComponent(v) : v.replace(/[^\x21-\x7e]|#/gu, (c) => encodeURIComponent(c))}`).join('&');
      await feed({ path: `${[LINES, GL][query.length % 2]}?${query}` });
    });
  });

  it('answers random resource paths on both feeds and beyond them', async () => {
    const segment = fc.oneof(
      fc.constantFrom('TransactionLines', 'GeneralLedgerTransactions', 'Administrations', '$metadata', '$count', '$value', '$batch', '..', '.', '', '%2e%2e', '..%2f', '%00', '%ED%A0%80', 'ID', 'Description', "TransactionLines('x')", 'TransactionLines(Division=310101,ID=1)', "Administrations(310101)", "GeneralLedgerTransactions(Office='NLA310101')", 'demo', 'exactonline', 'twinfield'),
      fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(s)),
    );
    const samples = fc.sample(fc.tuple(fc.constantFrom('/odata/demo/exactonline', '/odata/demo/twinfield', '/odata/demo', '/odata'), fc.array(segment, { maxLength: 4 })), { numRuns: 700, seed: 11 });
    await inParallel(samples, 6, async ([root, segments]) => {
      await feed({ path: `${root}/${segments.join('/')}` });
    });
  });

  it('finds exactly the rows a unicode literal names, whatever it holds', async () => {
    const samples = fc.sample(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 }), fc.constantFrom(...descriptions.slice(0, 20))), { numRuns: 300, seed: 5 });
    await inParallel(samples, 6, async (text) => {
      const answer = await feed({ path: q(LINES, { $filter: `Description eq '${text.replace(/'/g, "''")}'`, $select: 'Description' }) }, [200, 400]);
      if (answer.status !== 200) return;
      const rows = (JSON.parse(answer.body) as { value: { Description: string }[] }).value;
      const want = descriptions.filter((d) => d === text).length;
      if (rows.length !== want || rows.some((r) => r.Description !== text)) throw new Error(`Description eq ${JSON.stringify(text)} gave ${rows.length} rows, ${want} hold it`);
    });
  });
});

describe('after all that', () => {
  it('left every mirror table as it was, and still answers', async () => {
    expect(mirrorCounts()).toEqual(countsBefore);
    await feed({ path: `${LINES}/$count` }, [200]);
    await feed({ path: `${GL}?$top=1` }, [200]);
  });
});
