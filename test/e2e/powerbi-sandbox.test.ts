// Power BI's OData.Feed replayed against the real sandbox, with its own headers (shared/reference/powerbi.md): the
// service root, $metadata, the $top=1000 preview, and incremental-refresh partitions folded into $select + $filter on
// a DateTimeOffset and on a Date column, following @odata.nextLink to the end with a small page size — on both feeds
// of the demo workspace. Every row is checked against the simulators' own books.
import http from 'node:http';
import { parse } from '@sap-ux/edmx-parser';
import { convert } from '@sap-ux/annotation-converter';
import Ajv from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { EXACT_TABLES } from '../../server/src/sources/exactonline';
import { TWINFIELD_TABLES } from '../../server/src/sources/twinfield';
import type { TableDescription } from '../../server/src/tables/description';
import { byKey, selected, simulatorBooks, type FeedRow, type SimulatorBooks } from './books';
import { basic, MASHUP_HEADERS, pullAll, startSandbox, type ODataPage, type Sandbox } from './sandbox';

// odata-csdl ships no type declarations, hence require.
const { xml2json } = require('odata-csdl') as { xml2json(xml: string, options: { strict: boolean }): Record<string, unknown> };
const csdlSchema = require('odata-csdl/schemas/csdl.schema.json') as object;

const PAGE_SIZE = 7;
/** The Key credential as OData.Feed sends it: the key as Basic password, no user name. */
const POWER_BI = { ...MASHUP_HEADERS, Authorization: basic('', 'demo') };

interface FeedCase {
  source: 'exactonline' | 'twinfield';
  tables: readonly TableDescription[];
  table: string;
  key: string[];
  /** Columns a report keeps (folded into $select). */
  columns: string[];
  rows(books: SimulatorBooks): FeedRow[];
}

const FEEDS: FeedCase[] = [
  {
    source: 'exactonline',
    tables: EXACT_TABLES,
    table: 'TransactionLines',
    key: ['Division', 'ID'],
    columns: ['Division', 'ID', 'Date', 'GLAccountCode', 'AmountDC', 'Modified'],
    rows: (books) => books.exactTransactionLines,
  },
  {
    source: 'twinfield',
    tables: TWINFIELD_TABLES,
    table: 'GeneralLedgerTransactions',
    key: ['Office', 'JournalCode', 'EntryNumber', 'LineNumber'],
    columns: ['Office', 'JournalCode', 'EntryNumber', 'LineNumber', 'Date', 'GLAccount', 'Amount', 'Modified'],
    rows: (books) => books.twinfieldTransactionLines,
  },
];

// Whole journeys against a real server (and browser): room for a machine busy with the rest of the suite.
jest.setTimeout(60_000);

let sandbox: Sandbox;
let books: SimulatorBooks;

beforeAll(async () => {
  sandbox = await startSandbox({ LEDGERFEED_PAGE_SIZE: String(PAGE_SIZE) });
  books = simulatorBooks(sandbox.config);
});
afterAll(() => sandbox?.close());

/** Raw response headers, so a repeated header shows twice (fetch would merge it). */
function rawHeaders(url: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: POWER_BI }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.rawHeaders));
      })
      .on('error', reject);
  });
}

/** What one partition of an incremental refresh must hold: RangeStart <= value < RangeEnd. */
function inRange(rows: readonly FeedRow[], column: string, start: string, end: string): FeedRow[] {
  const instant = (value: unknown) => Date.parse(String(value));
  return rows.filter((row) => row[column] !== null && instant(row[column]) >= instant(start) && instant(row[column]) < instant(end));
}

const rowsOf = (pages: readonly ODataPage[]) => pages.flatMap((page) => page.value);

describe.each(FEEDS)('Power BI on the sandbox $source feed', (feed) => {
  const root = () => `${sandbox.url}/odata/demo/${feed.source}/`;

  it('reads the service root: every table and Administrations, with exactly one OData-Version: 4.0', async () => {
    const response = await fetch(root(), { headers: POWER_BI });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/);
    const document = (await response.json()) as { '@odata.context': string; value: { name: string; kind: string; url: string }[] };
    expect(document['@odata.context']).toBe(`${root()}$metadata`);
    expect(document.value.map((s) => s.name)).toEqual([...feed.tables.map((t) => t.name), 'Administrations']);
    for (const url of [root(), `${root()}$metadata`, `${root()}${feed.table}?$top=1`]) {
      const headers = await rawHeaders(url);
      expect(headers.filter((_, i) => i % 2 === 1 && headers[i - 1].toLowerCase() === 'odata-version')).toEqual(['4.0']);
    }
  });

  it('reads $metadata as CSDL XML: every entity set, and the table with its columns and Edm types', async () => {
    const response = await fetch(`${root()}$metadata`, { headers: POWER_BI });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['Schema', 'EntityType', 'Property', 'EntitySet'].includes(name) });
    type Named = { Name: string };
    const csdl = parser.parse(await response.text()) as {
      Edmx: { Version: string; DataServices: { Schema: { EntityType?: (Named & { Property: (Named & { Type: string })[] })[]; EntityContainer?: { EntitySet: (Named & { EntityType: string })[] } }[] } };
    };
    expect(csdl.Edmx.Version).toBe('4.0');
    const schemas = csdl.Edmx.DataServices.Schema;
    const sets = schemas.flatMap((s) => s.EntityContainer?.EntitySet ?? []);
    expect(sets.map((s) => s.Name)).toEqual([...feed.tables.map((t) => t.name), 'Administrations']);
    const typeName = sets.find((s) => s.Name === feed.table)!.EntityType.split('.').pop();
    const type = schemas.flatMap((s) => s.EntityType ?? []).find((t) => t.Name === typeName)!;
    const described = feed.tables.find((t) => t.name === feed.table)!;
    expect(type.Property.map((p) => [p.Name, p.Type])).toEqual(described.columns.map((c) => [c.name, c.type]));
  });

  it('serves $metadata that independent OData implementations accept: every table, keyed by the administration column first', async () => {
    const xml = await (await fetch(`${root()}$metadata`, { headers: POWER_BI })).text();
    // OASIS's converter (strict) and the CSDL JSON schema it ships.
    const csdl = xml2json(xml, { strict: true });
    const validate = new Ajv({ strict: false, allErrors: true }).compile(csdlSchema);
    expect(validate(csdl)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    // SAP's EDMX parser and converter, as an OData client reads a service.
    const model = convert(parse(xml));
    expect(model.diagnostics).toEqual([]);
    expect(model.entitySets.map((set) => set.name)).toEqual([...feed.tables.map((t) => t.name), 'Administrations']);
    for (const table of feed.tables) {
      const type = model.entitySets.find((set) => set.name === table.name)!.entityType;
      expect([table.name, type.keys.map((k) => k.name)]).toEqual([table.name, table.key]);
      expect(table.key[0]).toBe(table.administrationColumn);
      expect(type.entityProperties.map((p) => [p.name, p.type])).toEqual(table.columns.map((c) => [c.name, c.type]));
      const described = Object.values(csdl).find((schema) => typeof schema === 'object' && schema !== null && type.name in schema) as Record<string, Record<string, unknown>>;
      expect(described[type.name]['@Core.Description']).toBe(table.description);
      for (const column of table.columns) expect((described[type.name][column.name] as Record<string, unknown>)['@Core.Description']).toBe(column.description);
    }
  });

  it('previews the table with $top=1000: every row of all eight administrations, as the simulator holds it', async () => {
    const expected = byKey(feed.rows(books), feed.key);
    expect(expected.length).toBeGreaterThan(PAGE_SIZE);
    expect(expected.length).toBeLessThan(1000);
    const pages = await pullAll(`${root()}${feed.table}?$top=1000`, POWER_BI);
    expect(pages).toHaveLength(Math.ceil(expected.length / PAGE_SIZE));
    expect(rowsOf(pages)).toEqual(expected);
    expect(new Set(rowsOf(pages).map((row) => row[feed.key[0]])).size).toBe(8);
  });

  /** One partition as incremental refresh asks for it: the report's columns, RangeStart <= column < RangeEnd, folded. */
  async function partition(column: string, start: string, end: string): Promise<{ expected: FeedRow[]; pages: ODataPage[] }> {
    const all = feed.rows(books);
    const expected = selected(byKey(inRange(all, column, start, end), feed.key), feed.columns);
    expect(expected.length).toBeGreaterThan(PAGE_SIZE);
    expect(expected.length).toBeLessThan(all.length);
    const filter = encodeURIComponent(`${column} ge ${start} and ${column} lt ${end}`);
    return { expected, pages: await pullAll(`${root()}${feed.table}?$select=${feed.columns.join(',')}&$filter=${filter}`, POWER_BI) };
  }

  it('pulls an incremental-refresh partition on Modified (DateTimeOffset) with $select, page by page to the end', async () => {
    const { expected, pages } = await partition('Modified', '2025-07-01T00:00:00Z', '2026-01-01T00:00:00Z');
    expect(rowsOf(pages)).toEqual(expected);
    expect(pages).toHaveLength(Math.ceil(expected.length / PAGE_SIZE));
    for (const page of pages.slice(0, -1)) {
      const next = new URL(page['@odata.nextLink']!);
      expect(next.searchParams.get('$select')).toBe(feed.columns.join(','));
      expect(next.searchParams.get('$filter')).toBe('Modified ge 2025-07-01T00:00:00Z and Modified lt 2026-01-01T00:00:00Z');
    }
  });

  it('pulls an incremental-refresh partition on the Date column (Edm.Date), page by page to the end', async () => {
    const { expected, pages } = await partition('Date', '2026-01-01', '2026-04-01');
    expect(rowsOf(pages)).toEqual(expected);
  });
});
