// How the feed answers what it cannot serve: OData JSON errors with the right status, a message a user can
// act on (with the position of a syntax error), and never a stack trace or a file path.
import { TooManyRequests } from '../../server/src/errors';
import { AdministrationSyncFailed, type AdministrationFailure } from '../../server/src/sync/errors';
import { API_KEY, POWER_BI_HEADERS, startFeed, type Feed } from './harness';

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed();
});
afterAll(() => feed.close());
afterEach(() => {
  feed.failFreshness = null;
  feed.failAdministrations = null;
});

interface ODataError {
  error: { code: string; message: string; target: string | null; details: { code: string; message: string; target?: string }[] };
}

async function failure(path: string, headers: Record<string, string> = POWER_BI_HEADERS, init: RequestInit = {}): Promise<{ status: number; body: ODataError; response: Response }> {
  const response = await fetch(feed.url + path, { headers, ...init });
  const text = await response.text();
  expect(response.headers.get('odata-version')).toBe('4.0');
  expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\/work\/|\.ts\b/); // no stack, no paths
  return { status: response.status, body: JSON.parse(text) as ODataError, response };
}

const lines = '/acme/exactonline/TransactionLines';
const q = (option: string, value: string) => `${lines}?${option}=${encodeURIComponent(value)}`;

describe('authentication and addressing', () => {
  it('asks for credentials with a Basic challenge when none or wrong ones are sent', async () => {
    for (const headers of [{}, { Authorization: 'Basic ' + Buffer.from(':wrong').toString('base64') }] as Record<string, string>[]) {
      const { status, body, response } = await failure('/acme/exactonline/', headers);
      expect(status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Ledgerfeed"');
      expect(body.error.code).toBe('Unauthorized');
    }
    expect((await fetch(feed.url + '/acme/exactonline/', { headers: { Authorization: `Bearer ${API_KEY}` } })).status).toBe(200);
  });

  it('answers a workspace the key may not read exactly like one that does not exist', async () => {
    const other = await failure('/other/exactonline/TransactionLines');
    const none = await failure('/nowhere/exactonline/TransactionLines');
    expect([other.status, none.status]).toEqual([404, 404]);
    expect(other.body.error.message.replace('other', 'X')).toBe(none.body.error.message.replace('nowhere', 'X'));
  });

  it.each([
    ['/acme/quickbooks/', 'No feed'],
    ['/acme/exactonline/Invoices', "No entity set 'Invoices'"],
    ['/acme/exactonline/TransactionLines/Nope', 'address an entity by its key'],
    [`/acme/exactonline/TransactionLines(Division=310101,ID=00000000-0000-4000-a000-000000000000)`, 'does not exist'],
  ])('answers 404 for %s', async (path, message) => {
    const { status, body } = await failure(path);
    expect(status).toBe(404);
    expect(body.error.message).toContain(message);
  });

  it('answers 404 for an unknown property of an entity', async () => {
    const row = feed.rows.TransactionLines[0];
    const { status, body } = await failure(`/acme/exactonline/TransactionLines(Division=${row.Division},ID=${row.ID})/Colour`);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'NotFound', target: 'Colour' });
  });

  it('is read-only', async () => {
    const { status, response } = await failure(lines, POWER_BI_HEADERS, { method: 'POST', body: '{}' });
    expect(status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('malformed queries', () => {
  it.each([
    ["AmountDC gt 'abc", 'Unterminated string literal', 12],
    ['AmountDC gtt 5', "found 'gtt'", 9],
    ['AmountDC gt', 'Expected an expression but found the end of the text', 11],
    ['(AmountDC gt 5', "Expected ')'", 14],
    ['Colour eq 1', "no property 'Colour'", 0],
    ['Description eq 1', 'Cannot compare Edm.String with a number', 12],
    ['AmountDC', 'must be a Boolean', 0],
    ['AmountDC gt 5 #', 'Unexpected character "#"', 14],
    ['Date eq 2024-02-30', 'not a valid Edm.Date', 8],
    ['Modified gt 2024-01-01T25:00:00Z', 'not a valid Edm.DateTimeOffset', 12],
    ['substring(Description, 1, -1) eq 1', 'must not be negative', 26],
    ['AmountDC gt 12M', 'type suffixes', 12],
    ['hour(Modified) eq hour(2024-01-01T10:00:00+02:00)', 'in UTC', 23],
  ])('refuses $filter=%s, saying what and where', async (filter, message, position) => {
    const { status, body } = await failure(q('$filter', filter));
    expect(status).toBe(400);
    expect(body.error.code).toBe('InvalidQuery');
    expect(body.error.target).toBe('$filter');
    expect(body.error.message).toContain(message);
    expect(body.error.message).toContain(`(at position ${position})`);
  });

  it.each([
    ['$top=-1', '$top must be a non-negative integer'],
    ['$top=1&$top=2', 'more than once'],
    ['$skip=x', '$skip must be'],
    ['$count=maybe', '$count must be true or false'],
    ['$select=Colour', "no property 'Colour'"],
    ['$orderby=AmountDC sideways', "Expected an operator, asc or desc but found 'sideways'"],
    ['$foo=1', 'Unknown system query option $foo'],
    ['$skiptoken=abc', 'Invalid $skiptoken'],
    ['$format=yaml', '$format must be json or a media type'],
  ])('refuses %s', async (query, message) => {
    const { status, body } = await failure(`${lines}?${query}`);
    expect(status).toBe(400);
    expect(body.error.message).toContain(message);
  });

  it.each([
    ['$expand', 'Lines'],
    ['$apply', 'groupby((Division))'],
    ['$search', 'bread'],
    ['$compute', 'AmountDC mul 2 as Double'],
  ])('answers %s with 501 Not Implemented', async (option, value) => {
    const { status, body } = await failure(q(option, value));
    expect(status).toBe(501);
    expect(body.error).toMatchObject({ code: 'NotImplemented', target: option });
  });

  it.each(['Lines/any(d:d/Amount gt 1)', 'round(AmountDC) eq 1', "Description has Ns.Colour'Red'", 'AmountDC gt @limit', "Date lt duration'P1D'"])(
    'answers valid but unsupported $filter=%s with 501',
    async (filter) => {
      const { status, body } = await failure(q('$filter', filter));
      expect(status).toBe(501);
      expect(body.error.message).toMatch(/not supported \(at position \d+\)/);
    },
  );

  it('refuses JSON to a client that accepts only Atom, and $format=xml for data', async () => {
    expect((await failure(lines, { ...POWER_BI_HEADERS, Accept: 'application/atom+xml' })).status).toBe(406);
    expect((await failure(q('$format', 'xml'))).status).toBe(406);
    expect((await failure(q('$format', 'application/atom+xml'))).status).toBe(406);
  });
});

describe('sync failures and unexpected errors', () => {
  const failure502: AdministrationFailure = {
    administrationId: 2,
    code: '310102',
    name: 'Installatiebedrijf Van Dijk',
    source: 'exactonline',
    table: 'TransactionLines',
    error: { code: 'UpstreamUnavailable', message: 'Exact Online answered 500 Internal Server Error', retryable: true, status: 502 },
  };

  it("fails the request with the sync engine's 502, naming the administration and the upstream reason, never with fewer rows", async () => {
    feed.failFreshness = async () => {
      throw new AdministrationSyncFailed([failure502]);
    };
    const { status, body } = await failure(lines);
    expect(status).toBe(502);
    expect(body.error).toEqual({
      code: 'AdministrationSyncFailed',
      message: 'Administration "Installatiebedrijf Van Dijk" (310102) could not be synced (TransactionLines): Exact Online answered 500 Internal Server Error',
      target: '310102',
      details: [{ code: 'UpstreamUnavailable', target: '310102', message: 'Installatiebedrijf Van Dijk (310102), TransactionLines: Exact Online answered 500 Internal Server Error' }],
    });
  });

  it('answers 503 when every failure passes with time, and 429 with Retry-After when rate limited', async () => {
    feed.failFreshness = async () => {
      throw new AdministrationSyncFailed([{ ...failure502, error: { code: 'LoginNeedsReauthorization', message: 'the Exact Online login must be renewed', retryable: false, status: 503 } }]);
    };
    expect((await failure(lines)).status).toBe(503);
    feed.failFreshness = async () => {
      throw new TooManyRequests('Too many requests from this address; try again later.', 42);
    };
    const { status, response } = await failure(lines);
    expect(status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('42');
  });

  it('answers an unexpected error with 500, a generic message and the request id, without internals', async () => {
    feed.failAdministrations = new Error("ENOENT: no such file or directory, open '/var/lib/ledgerfeed/secret.sqlite'");
    const { status, body, response } = await failure(lines);
    expect(status).toBe(500);
    const requestId = response.headers.get('x-request-id') as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error.code).toBe('InternalError');
    expect(body.error.message).toContain(requestId);
    expect(JSON.stringify(body)).not.toContain('ENOENT');
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});
