// Each supported query option, over HTTP, against hand-written expectations over the fixture rows (see
// oracle.ts): the feed must return exactly the rows the query means in OData, in the right order, across
// pages (the feed pages every 7 rows here, so every case also exercises keyset paging).
import type { TableDescription } from '../../server/src/tables/description';
import { TRANSACTION_LINES, TRANSACTIONS, type FixtureRow } from './fixtures';
import { API_KEY, pullAll, startFeed, type Feed } from './harness';
import { compareStrings, eq, expectedJson, fixed, ge, gt, indexOf, instant, le, length, lt, ne, ordered, scaled, substring, type Value } from './oracle';

const HEADERS = { Accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true', Authorization: `Bearer ${API_KEY}` };

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed({ pageSize: 7 });
});
afterAll(() => feed.close());

type Row = FixtureRow;
const dc = (r: Row) => scaled(r.AmountDC as string, 2);
const fc = (r: Row): bigint | null => (r.AmountFC === null ? null : scaled(r.AmountFC as string, 4));
const text = (r: Row, k: string) => r[k] as string | null;
const num = (r: Row, k: string) => r[k] as number | null;
const ms = (r: Row) => instant(r.Modified as string | null);
const utc = (r: Row, part: (d: Date) => number) => (r.Modified === null ? null : part(new Date(Date.parse(r.Modified as string))));

interface Case {
  query: string;
  where?: (r: Row) => boolean;
  order?: { of: (r: Row) => Value; desc?: boolean }[];
  table?: TableDescription;
  skip?: number;
  top?: number;
}

/** Encodes each option value, as a client would. */
function url(table: TableDescription, query: string): string {
  const encoded = query
    .split('&')
    .map((part) => {
      const eqAt = part.indexOf('=');
      return `${part.slice(0, eqAt)}=${encodeURIComponent(part.slice(eqAt + 1))}`;
    })
    .join('&');
  return `/acme/${table.source}/${table.name}?${encoded}`;
}

async function check(c: Case): Promise<void> {
  const table = c.table ?? TRANSACTION_LINES;
  let expected = ordered(feed.rows[table.name].filter(c.where ?? (() => true)), table, c.order);
  expected = expected.slice(c.skip ?? 0, c.top === undefined ? undefined : (c.skip ?? 0) + c.top);
  const pages = await pullAll(feed, url(table, c.query), HEADERS);
  const got = pages.flatMap((p) => p.value);
  expect(got).toEqual(expected.map((r) => expectedJson(table, r, true)));
}

const filters: Case[] = [
  { query: '$filter=Division eq 310102', where: (r) => r.Division === 310102 },
  { query: '$filter=Division ne 310102', where: (r) => r.Division !== 310102 },
  { query: '$filter=Division eq 310104', where: () => false }, // not selected: never shown
  { query: '$filter=AmountDC gt 1000', where: (r) => dc(r) > 100000n },
  { query: '$filter=AmountDC ge 1.01', where: (r) => dc(r) >= 101n },
  { query: '$filter=AmountDC lt -0.01', where: (r) => dc(r) < -1n },
  { query: '$filter=AmountDC le 0', where: (r) => dc(r) <= 0n },
  { query: '$filter=AmountDC eq 12.5', where: (r) => dc(r) === 1250n },
  { query: '$filter=AmountDC eq 12.500', where: (r) => dc(r) === 1250n },
  { query: '$filter=AmountDC gt 1.005', where: (r) => dc(r) >= 101n },
  { query: '$filter=AmountDC lt 1.005', where: (r) => dc(r) <= 100n },
  { query: '$filter=AmountDC eq 1.005', where: () => false },
  { query: '$filter=AmountDC ne 1.005', where: () => true },
  { query: '$filter=AmountDC eq 87654321098765432.19', where: (r) => r.AmountDC === '87654321098765432.19' },
  { query: '$filter=AmountDC gt 87654321098765432.18', where: (r) => dc(r) > 8765432109876543218n },
  { query: '$filter=AmountDC gt 1e3', where: (r) => dc(r) > 100000n },
  { query: '$filter=EntryNumber ge 1.01e3', where: (r) => (r.EntryNumber as number) >= 1010 },
  { query: '$filter=AmountFC eq null', where: (r) => r.AmountFC === null },
  { query: '$filter=AmountFC ne null', where: (r) => r.AmountFC !== null },
  { query: '$filter=not (AmountFC gt 0)', where: (r) => !gt(fc(r), 0n) },
  { query: '$filter=AmountFC ge null', where: (r) => r.AmountFC === null },
  { query: '$filter=null eq AmountFC', where: (r) => r.AmountFC === null },
  { query: '$filter=Quantity lt 0.5', where: (r) => lt(num(r, 'Quantity'), 0.5) },
  { query: '$filter=Quantity eq 2.5e-1', where: (r) => r.Quantity === 0.25 },
  { query: '$filter=Description eq null', where: (r) => r.Description === null },
  { query: "$filter=Description eq ''", where: (r) => r.Description === '' },
  { query: "$filter=Description eq 'O''Brien''s lunch'", where: (r) => r.Description === "O'Brien's lunch" },
  { query: "$filter=Description gt 'Invoice'", where: (r) => r.Description !== null && compareStrings(r.Description as string, 'Invoice') > 0 },
  { query: "$filter=Description lt 'a'", where: (r) => lt(text(r, 'Description'), 'a') },
  { query: "$filter=Description ne 'Straße'", where: (r) => ne(text(r, 'Description'), 'Straße') },
  { query: '$filter=Division in (310101, 310103)', where: (r) => r.Division === 310101 || r.Division === 310103 },
  { query: "$filter=GLAccountCode in ('1300','8100')", where: (r) => r.GLAccountCode === '1300' || r.GLAccountCode === '8100' },
  { query: "$filter=Description in ('Straße', null)", where: (r) => r.Description === 'Straße' || r.Description === null },
  { query: '$filter=not (LineNumber in (1, 2))', where: (r) => !(r.LineNumber === 1 || r.LineNumber === 2) },
  { query: '$filter=AmountDC in (12.50, 1.005, 2.55)', where: (r) => dc(r) === 1250n || dc(r) === 255n },
  { query: '$filter=AmountDC add 0.01 eq 1.02', where: (r) => dc(r) + 1n === 102n },
  { query: '$filter=AmountDC sub 1 gt 0', where: (r) => dc(r) - 100n > 0n },
  { query: '$filter=AmountDC mul 2 eq 25', where: (r) => dc(r) * 2n === 2500n },
  { query: '$filter=AmountDC mul AmountFC gt 0', where: (r) => gt(fc(r) === null ? null : dc(r) * (fc(r) as bigint), 0n) },
  { query: '$filter=EntryNumber mod 3 eq 0', where: (r) => (r.EntryNumber as number) % 3 === 0 },
  { query: '$filter=EntryNumber div 7 eq 145', where: (r) => Math.trunc((r.EntryNumber as number) / 7) === 145 },
  { query: '$filter=AmountFC mul 2 gt AmountDC', where: (r) => gt(fc(r) === null ? null : (fc(r) as bigint) * 2n, dc(r) * 100n) },
  { query: '$filter=Quantity add 1 ge 2', where: (r) => ge(r.Quantity === null ? null : (r.Quantity as number) + 1, 2) },
  { query: '$filter=EntryNumber add LineNumber eq 1005', where: (r) => eq(r.LineNumber === null ? null : (r.EntryNumber as number) + (r.LineNumber as number), 1005) },
  { query: '$filter=-AmountDC gt 0', where: (r) => -dc(r) > 0n },
  { query: '$filter=AmountDC div 4 gt 100', where: (r) => Number(dc(r)) / 100 / 4 > 100 },
  { query: "$filter=contains(Description,'nvoice')", where: (r) => text(r, 'Description')?.includes('nvoice') === true },
  { query: "$filter=not contains(Description,'nvoice')", where: (r) => r.Description !== null && !(r.Description as string).includes('nvoice') },
  { query: "$filter=contains(Description,'')", where: (r) => r.Description !== null },
  { query: "$filter=startswith(Description,'Invoice')", where: (r) => text(r, 'Description')?.startsWith('Invoice') === true },
  { query: "$filter=endswith(Description,'002')", where: (r) => text(r, 'Description')?.endsWith('002') === true },
  { query: "$filter=endswith(Description,'')", where: (r) => r.Description !== null },
  { query: "$filter=tolower(Description) eq 'invoice 2024-001'", where: (r) => text(r, 'Description')?.toLowerCase() === 'invoice 2024-001' },
  { query: "$filter=toupper(Description) eq 'STRASSE'", where: (r) => text(r, 'Description')?.toUpperCase() === 'STRASSE' },
  { query: "$filter=tolower(Description) eq 'école élève'", where: (r) => r.Description === 'ÉCOLE élève' },
  { query: "$filter=trim(Description) eq 'padded text'", where: (r) => text(r, 'Description')?.trim() === 'padded text' },
  { query: '$filter=length(Description) eq 13', where: (r) => length(text(r, 'Description')) === 13 },
  { query: '$filter=length(Description) eq 0', where: (r) => r.Description === '' },
  { query: "$filter=indexof(Description,'2024') eq 8", where: (r) => indexOf(text(r, 'Description'), '2024') === 8 },
  { query: "$filter=indexof(Description,'€') eq -1", where: (r) => indexOf(text(r, 'Description'), '€') === -1 },
  { query: "$filter=substring(Description,8) eq '2024-001'", where: (r) => substring(text(r, 'Description'), 8) === '2024-001' },
  { query: "$filter=substring(Description,0,7) eq 'Invoice'", where: (r) => substring(text(r, 'Description'), 0, 7) === 'Invoice' },
  { query: "$filter=substring(Description,-3) eq '001'", where: (r) => substring(text(r, 'Description'), -3) === '001' },
  { query: "$filter=substring(Description,6,2) eq '💶 '", where: (r) => substring(text(r, 'Description'), 6, 2) === '💶 ' },
  { query: "$filter=substring(Description,LineNumber) eq 'nvoice 2024-001'", where: (r) => r.LineNumber !== null && substring(text(r, 'Description'), r.LineNumber as number) === 'nvoice 2024-001' },
  { query: "$filter=concat(concat(Description,'/'),GLAccountCode) eq 'Straße/1600'", where: (r) => r.Description === 'Straße' && r.GLAccountCode === '1600' },
  { query: '$filter=Date ge 2024-01-01', where: (r) => (r.Date as string) >= '2024-01-01' },
  { query: '$filter=Date lt 2023-11-01', where: (r) => (r.Date as string) < '2023-11-01' },
  { query: '$filter=year(Date) eq 2024', where: (r) => (r.Date as string).startsWith('2024') },
  { query: '$filter=month(Date) eq 2 and day(Date) eq 29', where: (r) => (r.Date as string).slice(5) === '02-29' },
  { query: '$filter=year(Modified) eq 2024', where: (r) => utc(r, (d) => d.getUTCFullYear()) === 2024 },
  { query: '$filter=month(Modified) eq 1 and day(Modified) ge 15', where: (r) => utc(r, (d) => d.getUTCMonth()) === 0 && ge(utc(r, (d) => d.getUTCDate()), 15) },
  { query: '$filter=hour(Modified) eq 7', where: (r) => utc(r, (d) => d.getUTCHours()) === 7 },
  { query: '$filter=minute(Modified) eq 0 and second(Modified) eq 0', where: (r) => utc(r, (d) => d.getUTCMinutes()) === 0 && utc(r, (d) => d.getUTCSeconds()) === 0 },
  { query: '$filter=date(Modified) eq 2024-01-01', where: (r) => r.Modified !== null && (r.Modified as string).startsWith('2024-01-01') },
  { query: '$filter=Modified gt 2024-01-01T01:00:00.750Z', where: (r) => gt(ms(r), Date.UTC(2024, 0, 1, 1, 0, 0, 750)) },
  { query: '$filter=Modified ge 2024-01-01T01:00:00.7501Z', where: (r) => gt(ms(r), Date.UTC(2024, 0, 1, 1, 0, 0, 750)) },
  { query: '$filter=Modified le 2023-12-01T10:00:00.2505Z', where: (r) => le(ms(r), Date.UTC(2023, 11, 1, 10, 0, 0, 250)) },
  { query: '$filter=Modified lt 2023-11-01T02:00:00+01:00', where: (r) => lt(ms(r), Date.UTC(2023, 10, 1, 1)) },
  { query: '$filter=Modified eq null', where: (r) => r.Modified === null },
  { query: '$filter=IsReversal', where: (r) => r.IsReversal === true },
  { query: '$filter=IsReversal eq false', where: (r) => r.IsReversal === false },
  { query: '$filter=not IsReversal', where: (r) => r.IsReversal === false },
  { query: '$filter=IsReversal ne true', where: (r) => r.IsReversal !== true },
  { query: '$filter=Timestamp gt 9007199254740990', where: (r) => BigInt(r.Timestamp as string) > 9007199254740990n },
  { query: '$filter=Timestamp eq 9007199254743991', where: (r) => r.Timestamp === '9007199254743991' },
  { query: '$filter=Timestamp lt 100100', where: (r) => BigInt(r.Timestamp as string) < 100100n },
  { query: '$filter=Division eq 310101 or Division eq 310102 and AmountDC gt 0', where: (r) => r.Division === 310101 || (r.Division === 310102 && dc(r) > 0n) },
  { query: '$filter=(Division eq 310101 or Division eq 310102) and AmountDC gt 0', where: (r) => (r.Division === 310101 || r.Division === 310102) && dc(r) > 0n },
  { query: '$filter=NOT (Division EQ 310101) AND AmountDC Lt 0', where: (r) => r.Division !== 310101 && dc(r) < 0n },
  { query: "$filter=Office eq 'NLA310102'", table: TRANSACTIONS, where: (r) => r.Office === 'NLA310102' },
  { query: "$filter=startswith(Id,'MEMO-2024-001')", table: TRANSACTIONS, where: (r) => (r.Id as string).startsWith('MEMO-2024-001') },
  { query: '$filter=Value lt 0', table: TRANSACTIONS, where: (r) => scaled(r.Value as string, 2) < 0n },
];

describe('$filter', () => {
  it.each(filters.map((c) => [c.query, c] as const))('%s returns exactly the rows it means', async (_q, c) => {
    await check(c);
  });

  it('finds a row by its Guid, whatever the case of the literal', async () => {
    const row = feed.rows.TransactionLines[17];
    await check({ query: `$filter=ID eq ${(row.ID as string).toUpperCase()}`, where: (r) => r.ID === row.ID });
  });
});

const orders: Case[] = [
  { query: '$orderby=Description', order: [{ of: (r) => text(r, 'Description') }] },
  { query: '$orderby=Description desc,AmountDC', order: [{ of: (r) => text(r, 'Description'), desc: true }, { of: dc }] },
  { query: '$orderby=Modified desc', order: [{ of: ms, desc: true }] },
  { query: '$orderby=AmountFC,EntryNumber desc', order: [{ of: fc }, { of: (r) => num(r, 'EntryNumber'), desc: true }] },
  { query: '$orderby=length(Description) desc', order: [{ of: (r) => length(text(r, 'Description')), desc: true }] },
  { query: '$orderby=IsReversal,LineNumber desc', order: [{ of: (r) => r.IsReversal as boolean | null }, { of: (r) => num(r, 'LineNumber'), desc: true }] },
  { query: '$orderby=Timestamp desc', order: [{ of: (r) => BigInt(r.Timestamp as string), desc: true }] },
  { query: '$orderby=Division desc,ID desc', order: [{ of: (r) => num(r, 'Division'), desc: true }, { of: (r) => text(r, 'ID'), desc: true }] },
  { query: '$orderby=Quantity mul -1', order: [{ of: (r) => (r.Quantity === null ? null : -(r.Quantity as number)) }] },
  { query: '$orderby=Description asc', order: [{ of: (r) => text(r, 'Description') }] },
  { query: '$orderby=GLAccountCode asc,AmountDC desc,EntryNumber asc', order: [{ of: (r) => text(r, 'GLAccountCode') }, { of: dc, desc: true }, { of: (r) => num(r, 'EntryNumber') }] },
  { query: '$orderby=Division desc, Modified asc', order: [{ of: (r) => num(r, 'Division'), desc: true }, { of: ms }] },
  { query: '$orderby=Value desc', table: TRANSACTIONS, order: [{ of: (r) => scaled(r.Value as string, 2), desc: true }] },
];

describe('$orderby', () => {
  it.each(orders.map((c) => [c.query, c] as const))('%s orders every row, nulls first ascending, across pages', async (_q, c) => {
    await check(c);
  });
});

describe('$top, $skip, $select and $count', () => {
  it('takes $top rows after $skip rows of the order, across pages', async () => {
    await check({ query: '$orderby=AmountDC desc&$skip=3&$top=17', order: [{ of: dc, desc: true }], skip: 3, top: 17 });
  });

  it('applies $filter before $skip and $top', async () => {
    await check({ query: '$filter=AmountDC gt 0&$skip=5&$top=9', where: (r) => dc(r) > 0n, skip: 5, top: 9 });
  });

  it('returns nothing for $top=0 and no next link', async () => {
    const pages = await pullAll(feed, '/acme/exactonline/TransactionLines?$top=0', HEADERS);
    expect(pages).toHaveLength(1);
    expect(pages[0].value).toEqual([]);
  });

  it('selects only the named properties, in the order of the entity type', async () => {
    const pages = await pullAll(feed, `/acme/exactonline/TransactionLines?$select=${encodeURIComponent('Description,AmountDC, Division')}&$top=10`, HEADERS);
    expect(pages[0]['@odata.context']).toMatch(/\$metadata#TransactionLines\(Division,AmountDC,Description\)$/);
    const expected = ordered(feed.rows.TransactionLines, TRANSACTION_LINES)
      .slice(0, 10)
      .map((r) => ({ Division: r.Division, AmountDC: fixed(r.AmountDC as string, 2), Description: r.Description }));
    expect(pages.flatMap((p) => p.value)).toEqual(expected);
  });

  it('reports the total of the filtered rows with $count=true on every page', async () => {
    const matching = feed.rows.TransactionLines.filter((r) => dc(r) > 0n).length;
    const pages = await pullAll(feed, `/acme/exactonline/TransactionLines?$filter=${encodeURIComponent('AmountDC gt 0')}&$count=true&$top=20`, HEADERS);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page['@odata.count']).toBe(String(matching)); // a string under IEEE754Compatible
    expect(pages.flatMap((p) => p.value)).toHaveLength(20);
  });

  it('answers /$count as plain text, honouring $filter', async () => {
    const response = await feed.get(`/acme/exactonline/TransactionLines/$count?$filter=${encodeURIComponent("Description eq 'Straße'")}`, HEADERS);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(String(feed.rows.TransactionLines.filter((r) => r.Description === 'Straße').length));
  });

  it('answers an entity by its key, and one property of it', async () => {
    const row = feed.rows.TransactionLines[23];
    const key = `Division=${row.Division},ID=${row.ID}`;
    const entity = await feed.get(`/acme/exactonline/TransactionLines(${key})`, HEADERS);
    expect(entity.status).toBe(200);
    const body = (await entity.json()) as Record<string, unknown>;
    expect(body['@odata.context']).toMatch(/\$metadata#TransactionLines\/\$entity$/);
    delete body['@odata.context'];
    expect(body).toEqual(expectedJson(TRANSACTION_LINES, row, true));
    const property = await feed.get(`/acme/exactonline/TransactionLines(${key})/AmountDC`, HEADERS);
    expect(((await property.json()) as { value: unknown }).value).toBe(fixed(row.AmountDC as string, 2));
    const raw = await feed.get(`/acme/exactonline/TransactionLines(${key})/GLAccountCode/$value`, HEADERS);
    expect(await raw.text()).toBe(row.GLAccountCode);
    const office = feed.rows.Transactions[3];
    const twinfield = await feed.get(`/acme/twinfield/Transactions(Office='${office.Office}',Id='${encodeURIComponent(office.Id as string)}')`, HEADERS);
    expect(((await twinfield.json()) as Record<string, unknown>).Id).toBe(office.Id);
  });
});
