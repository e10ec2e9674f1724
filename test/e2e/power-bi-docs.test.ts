// docs/power-bi.md followed literally against the sandbox: the addresses it tells users to paste (read from the
// markdown), every credential it offers, the requests Power BI and Excel then send (OData.Feed's headers), and what
// it promises — navigator contents, 401s with the Basic challenge, 404s, 429s, page size, the folded date filter.
// The connector's navigation (Ledgerfeed.pq) is replayed against the live service documents too.
import { loadConfig } from '../../server/src/config';
import { EXACT_TABLES } from '../../server/src/sources/exactonline';
import { TWINFIELD_TABLES } from '../../server/src/sources/twinfield';
import type { TableDescription } from '../../server/src/tables/description';
import { MINUTE } from '../../server/src/clock';
import { CONNECTOR_SOURCE } from '../connector/powerquery-document';
import { byKey, simulatorBooks } from './books';
import { code, GUIDE, said, tableWithHeader } from './markdown-guide';
import { basic, MASHUP_HEADERS, newCustomer, pullAll, startSandbox, type Customer, type Sandbox } from './sandbox';

// Whole journeys against a real server (and browser): room for a machine busy with the rest of the suite.
jest.setTimeout(60_000);

let sandbox: Sandbox;
/** The guide's example customer: workspace `acme` on `https://ledgerfeed.example.com`, here on the sandbox. */
let acme: Customer;

beforeAll(async () => {
  // Reading every table syncs all of them: a short rate-limit "minute" keeps Exact Online's 60 calls a minute from pacing the test.
  sandbox = await startSandbox({ LEDGERFEED_PAGE_SIZE: '25', LEDGERFEED_SANDBOX_MINUTE_MS: '1000' });
  const [workspace] = said(/your workspace name \(below `([a-z0-9-]+)`\)/);
  acme = await newCustomer(sandbox, 'anna', { slug: workspace, name: 'Acme' });
});
afterAll(() => sandbox?.close());

/** The guide's example server address, and the addresses of its tables mapped onto the running sandbox. */
const [EXAMPLE_SERVER] = said(/the server address \(below `(https:\/\/[^`]+)`\)/);
const SANDBOX_ORIGIN = 'http://127.0.0.1:8080';
const live = (address: string): string => {
  for (const origin of [EXAMPLE_SERVER, SANDBOX_ORIGIN]) if (address.startsWith(origin)) return sandbox.url + address.slice(origin.length);
  throw new Error(`${address} is on neither ${EXAMPLE_SERVER} nor ${SANDBOX_ORIGIN}`);
};

const ADDRESSES = Object.fromEntries(tableWithHeader('what', 'address').map(([what, address]) => [what, code(address)]));
const SANDBOX_ADDRESSES = Object.fromEntries(tableWithHeader('what', 'sandbox address').map(([what, address]) => [what, code(address)]));
const [SANDBOX_WORKSPACE, SANDBOX_USER, SANDBOX_KEY] = said(/workspace `([^`]+)`, user `([^`]+)`, API key `([^`]+)`/);
const CREDENTIAL_ROWS = tableWithHeader('credential type in Power BI / Excel', 'user name', 'password / key');

/** The credentials the guide's table offers, as OData.Feed sends them (the Key credential is a Basic password without user name). */
function credentialsOffered(username: string, key: string): { label: string; authorization: string }[] {
  const offered: { label: string; authorization: string }[] = [];
  for (const [type, user, secret] of CREDENTIAL_ROWS) {
    expect(secret).toBe('your API key');
    if (type.startsWith('**Basic**')) {
      expect(user).toBe('your Ledgerfeed user name, or leave it empty');
      offered.push({ label: 'Basic with the user name', authorization: basic(username, key) }, { label: 'Basic with no user name', authorization: basic('', key) });
    } else if (type.startsWith('**Web API**')) {
      offered.push({ label: 'Web API key', authorization: basic('', key) });
    } else {
      throw new Error(`the guide offers a credential the test does not know: ${type}`);
    }
  }
  if (GUIDE.includes('`Authorization: Bearer <key>`')) offered.push({ label: 'Bearer', authorization: `Bearer ${key}` });
  return offered;
}

const ENTITY_SET = /<EntitySet Name="([^"]+)"/g;
async function entitySetsOf(feedUrl: string, authorization: string): Promise<string[]> {
  const metadata = await fetch(`${feedUrl}$metadata`, { headers: { ...MASHUP_HEADERS, Authorization: authorization } });
  expect(metadata.status).toBe(200);
  return [...(await metadata.text()).matchAll(ENTITY_SET)].map((m) => m[1]);
}

/** The navigator OData.Feed shows: the service document's entity sets, each of which must be declared in $metadata. */
async function odataNavigator(feedUrl: string, authorization: string): Promise<string[]> {
  const response = await fetch(feedUrl, { headers: { ...MASHUP_HEADERS, Authorization: authorization } });
  expect(response.status).toBe(200);
  const names = ((await response.json()) as { value: { name: string }[] }).value.map((s) => s.name);
  expect(names).toEqual(await entitySetsOf(feedUrl, authorization));
  return names;
}

describe('the guide\'s addresses and credentials', () => {
  it('gives the OData feed of each source on the example server, and the Excel formula uses the Exact Online one', () => {
    const workspace = ADDRESSES['Workspace (for the connector)'];
    expect(workspace).toBe(`${EXAMPLE_SERVER}/odata/${acme.workspace.slug}`);
    expect(ADDRESSES['Exact Online feed (OData feed, Excel)']).toBe(`${workspace}/exactonline/`);
    expect(ADDRESSES['Twinfield feed (OData feed, Excel)']).toBe(`${workspace}/twinfield/`);
    const [excelUrl] = said(/`OData\.Feed\("([^"]+)", null, \[Implementation="2\.0"\]\)`/);
    expect(excelUrl).toBe(ADDRESSES['Exact Online feed (OData feed, Excel)']);
  });

  it.each(['Exact Online feed (OData feed, Excel)', 'Twinfield feed (OData feed, Excel)'])(
    'opens the %s with every credential the guide offers, showing the same tables in the navigator',
    async (what) => {
      const url = live(ADDRESSES[what]);
      const navigators = [];
      for (const credential of credentialsOffered(acme.username, acme.key)) navigators.push(await odataNavigator(url, credential.authorization));
      expect(navigators.length).toBeGreaterThanOrEqual(3);
      for (const names of navigators) expect(names).toEqual(navigators[0]);
      expect(navigators[0]).toContain('Administrations');
    },
  );

  it('opens the sandbox addresses with workspace demo, user demo and API key demo, and the demo books are in them', async () => {
    expect(SANDBOX_ADDRESSES['Workspace (connector)']).toBe(`${SANDBOX_ORIGIN}/odata/${SANDBOX_WORKSPACE}`);
    for (const what of ['Exact Online feed', 'Twinfield feed']) {
      const url = live(SANDBOX_ADDRESSES[what]);
      for (const credential of credentialsOffered(SANDBOX_USER, SANDBOX_KEY)) {
        const administrations = await fetch(`${url}Administrations`, { headers: { ...MASHUP_HEADERS, Authorization: credential.authorization } });
        expect(administrations.status).toBe(200);
        expect(((await administrations.json()) as { value: unknown[] }).value).toHaveLength(8);
      }
    }
  });

  it('answers the folded filter the guide shows for incremental refresh with exactly the rows of its RangeStart and RangeEnd', async () => {
    const [startDay, endDay] = said(/any current\s+value \(for example (\d+-\d+-\d{4}) and (\d+-\d+-\d{4})\)/).map((d) => {
      const [day, month, year] = d.split('-');
      return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
    });
    const [filter] = said(/the URLs\s+carry `\$filter=([^`]+)`/);
    expect(filter).toBe(`Date ge ${startDay} and Date lt ${endDay}`);
    const url = `${live(SANDBOX_ADDRESSES['Exact Online feed'])}TransactionLines?$filter=${encodeURIComponent(filter)}`;
    const rows = (await pullAll(url, { ...MASHUP_HEADERS, Authorization: basic('', SANDBOX_KEY) })).flatMap((page) => page.value);
    const expected = simulatorBooks(sandbox.config).exactTransactionLines.filter((row) => String(row.Date) >= startDay && String(row.Date) < endDay);
    expect(expected.length).toBeGreaterThan(0);
    expect(byKey(rows, ['Division', 'ID'])).toEqual(byKey(expected, ['Division', 'ID']));
  });

  it('names, for date filters that fold, columns the feeds serve as Date or Date/Time/Timezone', () => {
    const [dates] = said(/\*\*Dates\*\*: ([\s\S]*?) are sent as `\$filter`/);
    const [exactPart, twinfieldPart] = dates.split('in Twinfield transaction tables');
    const named = (text: string) => [...text.matchAll(/`(?:(\w+)\[)?(\w+)\]?`/g)].map((m) => ({ table: m[1] as string | undefined, column: m[2] }));
    const dateTyped = (tables: readonly TableDescription[], column: string) =>
      tables.length > 0 && tables.every((t) => t.columns.some((c) => c.name === column && (c.type === 'Edm.Date' || c.type === 'Edm.DateTimeOffset')));
    const exact = named(exactPart);
    const twinfield = named(twinfieldPart);
    expect(exact.length + twinfield.length).toBeGreaterThanOrEqual(4);
    for (const { table, column } of exact) {
      const tables = EXACT_TABLES.filter((t) => (table ? t.name === table : t.columns.some((c) => c.name === column)));
      expect({ table, column, dateTyped: dateTyped(tables, column) }).toEqual({ table, column, dateTyped: true });
    }
    const transactionTables = TWINFIELD_TABLES.filter((t) => t.upstream.kind === 'transactions');
    for (const { column } of twinfield) expect({ column, dateTyped: dateTyped(transactionTables, column) }).toEqual({ column, dateTyped: true });
  });

  it('sends big tables in pages of 10,000 rows by default, as the guide says', () => {
    const [pageSize] = said(/in pages \(([\d,]+) rows each by default\)/);
    expect(loadConfig('sandbox', {}).pageSize).toBe(Number(pageSize.replace(/,/g, '')));
  });
});

describe('the guide\'s troubleshooting table', () => {
  const challenge = async (url: string, authorization: string | null) => {
    const response = await fetch(url, { headers: { ...MASHUP_HEADERS, ...(authorization ? { Authorization: authorization } : {}) } });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as { error: { message: string } } };
  };

  it('answers 401 with the Basic challenge Power BI needs for a wrong, revoked, misplaced or someone else\'s key', async () => {
    const url = live(ADDRESSES['Exact Online feed (OData feed, Excel)']);
    const accounts = sandbox.running.ledgerfeed.access.accounts;
    const revoked = accounts.createApiKey(accounts.userByUsername(acme.username)!.id, 'old laptop');
    accounts.revokeApiKey(revoked.key.userId, revoked.key.id);
    const cases = {
      'no credentials': null,
      'a wrong key': basic('', 'lf_not_a_key'),
      'a revoked key': basic('', revoked.plaintext),
      'the key typed into the user name field': basic(acme.key, ''),
      'a user name that is not the key\'s user': basic(SANDBOX_USER, acme.key),
    };
    for (const [what, authorization] of Object.entries(cases)) {
      const answer = await challenge(url, authorization);
      expect({ what, status: answer.status, challenge: answer.challenge }).toEqual({ what, status: 401, challenge: 'Basic realm="Ledgerfeed"' });
    }
  });

  it('answers 404 for a wrong workspace, one the user may not open, and a feed address without its source', async () => {
    const feed = ADDRESSES['Exact Online feed (OData feed, Excel)'];
    const authorization = basic('', acme.key);
    expect((await challenge(live(feed.replace(`/${acme.workspace.slug}/`, '/acme-typo/')), authorization)).status).toBe(404);
    const otherWorkspace = await challenge(live(SANDBOX_ADDRESSES['Exact Online feed']), authorization);
    expect(otherWorkspace.status).toBe(404);
    expect(otherWorkspace.body.error.message).toBe(`No workspace '${SANDBOX_WORKSPACE}' that this key may read.`);
    expect((await challenge(live(ADDRESSES['Workspace (for the connector)']), authorization)).status).toBe(404);
  });

  it('blocks an address after 20 wrong keys within five minutes with 429, the message the guide quotes and the wait', async () => {
    const [quoted] = said(/HTTP \*\*429\*\* \*([^*]+)\*/);
    const [failures] = said(/Too many wrong keys from your address \((\d+) within five minutes\)/);
    const url = live(ADDRESSES['Twinfield feed (OData feed, Excel)']);
    sandbox.clock.advance(5 * MINUTE + 1000); // earlier tests' wrong keys fall out of the window
    try {
      const answers = [];
      for (let i = 0; i <= Number(failures); i++) answers.push(await challenge(url, basic('', 'lf_wrong')));
      expect(answers.map((a) => a.status)).toEqual([...Array(Number(failures)).fill(401), 429]);
      const response = await fetch(url, { headers: { ...MASHUP_HEADERS, Authorization: basic('', acme.key) } });
      // Even the right key waits.
      expect(response.status).toBe(429);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(quoted);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(5 * 60);
    } finally {
      sandbox.clock.advance(5 * MINUTE + 1000);
    }
    expect((await challenge(url, basic('', acme.key))).status).toBe(200);
  });
});

describe('the guide\'s promise about an administration that cannot be synced', () => {
  it('fails the table with 502 naming the administration and the reason, shows the error in Administrations, and recovers', async () => {
    const [quoted] = said(/HTTP \*\*502\*\* or \*\*503\*\* naming an administration: \*([^*]+)\*/);
    const [, name, code, table] = /^Administration "([^"]+)" \((\d+)\) could not be synced \((\w+)\): …$/.exec(quoted) ?? [];
    const feed = live(SANDBOX_ADDRESSES['Exact Online feed']);
    const headers = { ...MASHUP_HEADERS, Authorization: basic('', SANDBOX_KEY) };
    const url = `${feed}${table}?$filter=${encodeURIComponent(`Division eq ${code}`)}`;
    sandbox.clock.advance(2 * MINUTE); // past the allowed staleness, so the next read syncs
    // Exact Online refuses the division once (403, as for a division the login may no longer open).
    const fault = await fetch(`${sandbox.url}/sandbox/exactonline/_faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ administration: code, count: 1, status: 403 }) });
    expect(fault.status).toBe(200);
    const failed = await fetch(url, { headers });
    expect(failed.status).toBe(502);
    const message = ((await failed.json()) as { error: { message: string } }).error.message;
    expect(message.startsWith(`Administration "${name}" (${code}) could not be synced (${table}): `)).toBe(true);

    const administrations = (await (await fetch(`${feed}Administrations?$filter=${encodeURIComponent(`Division eq ${code}`)}`, { headers })).json()) as { value: Record<string, unknown>[] };
    expect(administrations.value).toHaveLength(1);
    expect(administrations.value[0].Status).toBe('error');
    expect(String(administrations.value[0].LastError).startsWith(`${table}: Exact Online refused division ${code}`)).toBe(true);

    expect((await fetch(url, { headers })).status).toBe(200);
  });
});

describe('the connector\'s navigation against the live service documents', () => {
  /** The connector's sources (folder name, feed path) and service-document headers, read from Ledgerfeed.pq. */
  const SOURCES = [...CONNECTOR_SOURCE.matchAll(/\{"([^"]+)", "([a-z]+)"\}/g)].map((m) => ({ folder: m[1], path: m[2] }));
  const [ACCEPT, MAX_VERSION] = /ServiceDocumentHeaders = \[Accept = "([^"]+)", #"OData-MaxVersion" = "([^"]+)"\]/.exec(CONNECTOR_SOURCE)?.slice(1) ?? [];

  /** Ledgerfeed.pq's WorkspaceUrl: the address ending in "/", also when a feed address was pasted. */
  function workspaceUrl(url: string): string {
    const trimmed = url.replace(/\/+$/, '');
    const last = trimmed.split('/').pop() ?? '';
    return `${SOURCES.some((s) => s.path === last) ? trimmed.slice(0, trimmed.lastIndexOf('/')) : trimmed}/`;
  }

  /** The connector's folders: a service document per source (a 404 leaves the folder out), its entity sets as tables. */
  async function connectorNavigator(url: string, authorization: string): Promise<Record<string, Record<string, string>>> {
    const folders: Record<string, Record<string, string>> = {};
    for (const source of SOURCES) {
      const feedUrl = new URL(`${source.path}/`, workspaceUrl(url)).href; // Uri.Combine resolves as RFC 3986 does
      const response = await fetch(feedUrl, { headers: { Accept: ACCEPT, 'OData-MaxVersion': MAX_VERSION, Authorization: authorization } });
      if (response.status === 404) continue;
      expect(response.status).toBe(200);
      const entries = ((await response.json()) as { value: { name: string; kind?: string; url: string }[] }).value;
      folders[source.folder] = Object.fromEntries(entries.filter((e) => e.kind === undefined || e.kind === 'EntitySet').map((e) => [e.name, new URL(e.url, feedUrl).href]));
    }
    return folders;
  }

  it('reads the connector\'s sources and headers from Ledgerfeed.pq', () => {
    expect(SOURCES).toEqual([
      { folder: 'Exact Online', path: 'exactonline' },
      { folder: 'Twinfield', path: 'twinfield' },
    ]);
    expect(ACCEPT).toBe('application/json');
    expect(MAX_VERSION).toBe('4.0');
    expect(CONNECTOR_SOURCE).toContain('[Authorization = "Bearer " & credential[Key]]');
  });

  it('shows a folder per source with exactly the entity sets each feed serves, and every table URL it composes answers', async () => {
    const authorization = `Bearer ${SANDBOX_KEY}`; // the connector's API key credential
    const navigator = await connectorNavigator(live(SANDBOX_ADDRESSES['Workspace (connector)']), authorization);
    expect(Object.keys(navigator)).toEqual(['Exact Online', 'Twinfield']);
    for (const source of SOURCES) {
      const feedUrl = `${live(SANDBOX_ADDRESSES['Workspace (connector)'])}/${source.path}/`;
      const tables = navigator[source.folder];
      expect(Object.keys(tables)).toEqual(await entitySetsOf(feedUrl, authorization));
      for (const [name, url] of Object.entries(tables)) {
        expect(url).toBe(`${feedUrl}${name}`);
        // OData.Feed reads the table, then the $metadata its context names.
        const response = await fetch(`${url}?$top=1`, { headers: { ...MASHUP_HEADERS, Authorization: authorization } });
        expect({ name, status: response.status }).toEqual({ name, status: 200 });
        const context = ((await response.json()) as { '@odata.context': string })['@odata.context'];
        expect(context).toBe(`${feedUrl}$metadata#${name}`);
      }
    }
  });

  it('navigates the same from a pasted feed address and with the user name and API key credential', async () => {
    const fromWorkspace = await connectorNavigator(live(ADDRESSES['Workspace (for the connector)']), `Bearer ${acme.key}`);
    const fromFeed = await connectorNavigator(live(ADDRESSES['Twinfield feed (OData feed, Excel)']), basic(acme.username, acme.key));
    expect(fromFeed).toEqual(fromWorkspace);
    expect(Object.keys(fromWorkspace)).toEqual(['Exact Online', 'Twinfield']);
  });

  it('finds no folder for a workspace the key cannot open, so the connector says "No Ledgerfeed workspace at …"', async () => {
    expect(await connectorNavigator(live(SANDBOX_ADDRESSES['Workspace (connector)']), `Bearer ${acme.key}`)).toEqual({});
    expect(GUIDE).toContain('*No Ledgerfeed workspace at …*');
  });

  it('allows each request the 30 minutes the guide promises', () => {
    expect(GUIDE).toContain('A request may take up to 30 minutes by default.');
    expect(CONNECTOR_SOURCE).toContain('DefaultTimeout = #duration(0, 0, 30, 0);');
  });
});
