// Thousands of random and hostile requests over HTTP: grammar-shaped $filter/$orderby expressions mixing
// every operator, function, property and literal form, random option names and values, random bytes and
// broken percent-encoding, deep nesting and huge chains. Each must get 200, 400, 404 or 501 — never a 500,
// a hang or a dead server — and every error must be OData JSON without internals.
import fc from 'fast-check';
import { POWER_BI_HEADERS, startFeed, type Feed } from './harness';

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed({ pageSize: 20 });
});
afterAll(() => feed.close());

const HEADERS = POWER_BI_HEADERS;
const ALLOWED = new Set([200, 400, 404, 501]);

async function expectHandled(pathAndQuery: string): Promise<void> {
  const response = await fetch(feed.url + pathAndQuery, { headers: HEADERS });
  const text = await response.text();
  if (!ALLOWED.has(response.status)) throw new Error(`${response.status} for ${pathAndQuery}: ${text.slice(0, 300)}`);
  if (response.status === 200) return;
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not an OData error: ${text.slice(0, 200)}`);
  if (/\bat .+:\d+:\d+|node_modules|\.ts:\d/.test(text)) throw new Error(`internals leaked for ${pathAndQuery}: ${text.slice(0, 300)}`);
}

const property = fc.constantFrom('Division', 'ID', 'EntryNumber', 'LineNumber', 'Date', 'Modified', 'AmountDC', 'AmountFC', 'Timestamp', 'IsReversal', 'Description', 'GLAccountCode', 'Quantity', 'Nope', 'Description/Length');
const literal = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
  fc.string({ maxLength: 12 }).map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.constantFrom(
    'null',
    'true',
    'false',
    '2024-02-29',
    '2023-02-29',
    '2024-01-01T00:00:00Z',
    '2024-01-01T23:59:59.9999999+05:30',
    'INF',
    '-INF',
    'NaN',
    '01234567-89ab-cdef-0123-456789abcdef',
    '1e3',
    '1.5e-7',
    '-0.5',
    '9223372036854775807',
    '-9223372036854775809',
    '123456789012345678901234567890.123456789',
    "duration'P1D'",
    '12:30:00',
    '@alias',
    '$it',
  ),
);
const expression = fc.letrec<{ e: string; binary: string; call: string; not: string; inList: string; negate: string }>((tie) => ({
  e: fc.oneof({ depthSize: 'small' }, property, literal, tie('binary'), tie('call'), tie('not'), tie('inList'), tie('negate')),
  binary: fc
    .tuple(tie('e'), fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'add', 'sub', 'mul', 'div', 'divby', 'mod', 'has', 'EQ'), tie('e'), fc.boolean())
    .map(([a, op, b, parens]) => (parens ? `(${a} ${op} ${b})` : `${a} ${op} ${b}`)),
  call: fc
    .tuple(
      fc.constantFrom('contains', 'startswith', 'endswith', 'tolower', 'toupper', 'trim', 'length', 'indexof', 'substring', 'concat', 'year', 'month', 'day', 'hour', 'minute', 'second', 'date', 'round', 'cast', 'foo', 'geo.distance'),
      fc.array(tie('e'), { maxLength: 3 }),
    )
    .map(([f, args]) => `${f}(${args.join(',')})`),
  not: tie('e').map((e) => `not ${e}`),
  inList: fc.tuple(tie('e'), fc.array(literal, { maxLength: 4 })).map(([a, list]) => `${a} in (${list.join(',')})`),
  negate: tie('e').map((e) => `-${e}`),
}));

const HOSTILE = ["'", '(', ')', ',', '/', '$', '%', '+', ' ', 'eq', 'and', 'not', '--', '\\', '\u0000', '💶', 'é', '*', '@', '[', '{', '"', ';', ':', '1', '-', '.', 'e'];
const hostileText = fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 3 })), { maxLength: 40 }).map((parts) => parts.join(''));
const optionName = fc.constantFrom('$filter', '$orderby', '$select', '$top', '$skip', '$count', '$skiptoken', '$expand', '$apply', '$search', '$compute', '$levels', '$unknown', '$FILTER', 'filter', '@p');

describe('fuzzing the feed over HTTP', () => {
  it('answers grammar-shaped $filter and $orderby expressions with 200, 400 or 501', async () => {
    await fc.assert(
      fc.asyncProperty(expression.e, fc.boolean(), async (e, asOrder) => {
        const option = asOrder ? `$orderby=${encodeURIComponent(`${e} desc`)}` : `$filter=${encodeURIComponent(e)}`;
        await expectHandled(`/acme/exactonline/TransactionLines?${option}&$top=5`);
      }),
      { numRuns: 1500, seed: 20240601 },
    );
  });

  it('answers random option names, hostile values and broken encodings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(optionName, hostileText, fc.boolean()), { minLength: 1, maxLength: 4 }), async (options) => {
        // Half the values go out percent-encoded, the others raw (only what a URL can carry at all).
        const query = options.map(([name, value, encode]) => `${name}=${encode ? encodeURIComponent(value) : value.replace(/[^\x21-\x7e]|#/gu, (c) => encodeURIComponent(c))}`).join('&');
        await expectHandled(`/acme/exactonline/TransactionLines?${query}`);
      }),
      { numRuns: 1200, seed: 7 },
    );
  });

  it('answers random resource paths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(hostileText, fc.constantFrom('TransactionLines', 'TransactionLines(1)', "Administrations('x')", '$count', '$value', '$metadata', 'Administrations(310101)')), { maxLength: 3 }), async (segments) => {
        await expectHandled(`/acme/exactonline/${segments.map((s) => encodeURIComponent(s)).join('/')}`);
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('survives extreme sizes: deep nesting, long or-chains, long in-lists, long strings', async () => {
    // Node's default 16 KB limit on the request line bounds how long a URL can be.
    const chain = Array.from({ length: 400 }, (_, i) => `Division eq ${310000 + i}`).join(' or ');
    const list = `Division in (${Array.from({ length: 1000 }, (_, i) => 310000 + i).join(',')})`;
    for (const filter of ['('.repeat(500) + 'true' + ')'.repeat(500), 'not '.repeat(300) + 'true', '-'.repeat(400) + '1 eq 1', chain, list, `Description eq '${'x'.repeat(10_000)}'`, `${'AmountDC add '.repeat(300)}1 gt 0`]) {
      await expectHandled(`/acme/exactonline/TransactionLines?$filter=${encodeURIComponent(filter)}&$top=1`);
    }
    const orderBy = Array.from({ length: 40 }, () => 'Description').join(',');
    await expectHandled(`/acme/exactonline/TransactionLines?$orderby=${orderBy}`);
    expect((await fetch(`${feed.url}/acme/exactonline/TransactionLines?$top=1`, { headers: HEADERS })).status).toBe(200);
  });
});
