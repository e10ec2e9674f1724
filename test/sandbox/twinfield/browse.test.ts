// Contract of browse data (`<columns code="…">` through ProcessXml): criteria semantics on the fields a mirror
// needs, sorting, the cell formats, optimize, the 100/200 visibility quirk, 040_1 agreeing with 030_3, errors
// inside HTTP 200, and determinism (the same seed gives the same rows).
import type { DemoEntry, DemoLedger, DemoLine } from '../../../server/src/sandbox/demo/ledger';
import { browseRows, cents, type ColumnSpec, columnsRequest, type Harness, login, processXmlDocument, processXmlString, startSimulator } from './harness';

let h: Harness;
let token: string;
let ledger: DemoLedger;
beforeAll(async () => {
  h = await startSimulator();
  token = (await login(h)).access_token;
  ledger = h.sim.ledgers[0];
});
afterAll(() => h.close());

const header = (code = 'NLA310101') => ({ accessToken: token, companyCode: code });

async function browse(code: string, columns: ColumnSpec[], options: Parameters<typeof columnsRequest>[2] = {}) {
  const { response, result } = await processXmlString(h, header(), columnsRequest(code, columns, options));
  expect(response.status).toBe(200);
  return result.browse;
}

const KEY_FIELDS: ColumnSpec[] = [{ field: 'fin.trs.head.code' }, { field: 'fin.trs.head.number' }];
const lineKey = (code: string, number: number | string, line: number | string) => `${code}/${number}/${line}`;

function ledgerLines(filter: (entry: DemoEntry, line: DemoLine) => boolean = () => true): string[] {
  const keys: string[] = [];
  for (const entry of ledger.entries.values()) for (const line of entry.lines) if (filter(entry, line)) keys.push(lineKey(entry.journal, entry.number, line.lineNumber));
  return keys.sort();
}

const rowKeys = (b: Record<string, any>) => browseRows(b).map((r) => lineKey(r.key!.code, r.key!.number, r.key!.line)).sort();

describe('criteria', () => {
  it('yearperiod between YYYY/00 and YYYY/55 selects exactly that book year', async () => {
    const b = await browse('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' }, ...KEY_FIELDS]);
    const expected = ledgerLines((e) => e.year === 2025);
    expect(expected.length).toBeGreaterThan(100);
    expect(rowKeys(b)).toEqual(expected);
    expect(b).toMatchObject({ '@_result': '1', '@_first': '1', '@_last': String(expected.length), '@_total': String(expected.length) });
  });

  it('yearperiod between two periods, and equal to one period', async () => {
    const between = await browse('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/03', to: '2025/05' }, ...KEY_FIELDS]);
    expect(rowKeys(between)).toEqual(ledgerLines((e) => e.year === 2025 && e.period >= 3 && e.period <= 5));
    const equal = await browse('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2026/07' }, ...KEY_FIELDS]);
    expect(rowKeys(equal)).toEqual(ledgerLines((e) => e.year === 2026 && e.period === 7));
  });

  it('status normal is provisional plus final; final and provisional select their own', async () => {
    const normal = await browse('030_3', [{ field: 'fin.trs.head.status', operator: 'equal', from: 'normal' }, ...KEY_FIELDS]);
    const final = await browse('030_3', [{ field: 'fin.trs.head.status', operator: 'equal', from: 'final' }, ...KEY_FIELDS]);
    const provisional = await browse('030_3', [{ field: 'fin.trs.head.status', operator: 'equal', from: 'provisional' }, ...KEY_FIELDS]);
    expect(rowKeys(final)).toEqual(ledgerLines((e) => e.status === 'final'));
    expect(rowKeys(provisional)).toEqual(ledgerLines((e) => e.status === 'provisional'));
    expect(rowKeys(provisional).length).toBeGreaterThan(0);
    expect(rowKeys(normal)).toEqual([...rowKeys(final), ...rowKeys(provisional)].sort());
  });

  it('journal code equal, and a general-ledger account by equal, like and between', async () => {
    const sales = await browse('030_3', [{ field: 'fin.trs.head.code', operator: 'equal', from: 'VRK' }, { field: 'fin.trs.head.number' }]);
    expect(rowKeys(sales)).toEqual(ledgerLines((e) => e.journal === 'VRK'));
    const receivables = await browse('030_3', [{ field: 'fin.trs.line.dim1', operator: 'equal', from: '1300' }, ...KEY_FIELDS]);
    expect(rowKeys(receivables)).toEqual(ledgerLines((_e, l) => l.glAccount === '1300'));
    const vat = await browse('030_3', [{ field: 'fin.trs.line.dim1', operator: 'like', from: '15*' }, ...KEY_FIELDS]);
    expect(rowKeys(vat)).toEqual(ledgerLines((_e, l) => l.glAccount.startsWith('15')));
    const costs = await browse('030_3', [{ field: 'fin.trs.line.dim1', operator: 'between', from: '4000', to: '4999' }, ...KEY_FIELDS]);
    expect(rowKeys(costs)).toEqual(ledgerLines((_e, l) => l.glAccount >= '4000' && l.glAccount <= '4999'));
  });

  it('dim2 holds the customer or supplier of a line, and like with ? matches one character', async () => {
    const customer = ledger.customers[5].code;
    const one = await browse('030_3', [{ field: 'fin.trs.line.dim2', operator: 'equal', from: customer }, { field: 'fin.trs.line.dim2type' }, ...KEY_FIELDS]);
    expect(rowKeys(one)).toEqual(ledgerLines((_e, l) => l.relation === customer));
    expect(browseRows(one).every((r) => r.cells['fin.trs.line.dim2type'] === 'DEB')).toBe(true);
    const pattern = `${customer.slice(0, 3)}?`;
    const like = await browse('030_3', [{ field: 'fin.trs.line.dim2', operator: 'like', from: pattern }, ...KEY_FIELDS]);
    expect(rowKeys(like)).toEqual(ledgerLines((_e, l) => l.relation !== null && l.relation.startsWith(customer.slice(0, 3))));
  });

  it('modified between a moment and empty selects what changed since then', async () => {
    const since = await browse('030_3', [{ field: 'fin.trs.head.modified', operator: 'between', from: '20260601000000', to: '' }, ...KEY_FIELDS]);
    expect(rowKeys(since)).toEqual(ledgerLines((e) => e.modified >= Date.UTC(2026, 5, 1)));
    const dateOnly = await browse('030_3', [{ field: 'fin.trs.head.modified', operator: 'between', from: '20260601', to: '20260630' }, ...KEY_FIELDS]);
    expect(rowKeys(dateOnly)).toEqual(ledgerLines((e) => e.modified >= Date.UTC(2026, 5, 1) && e.modified < Date.UTC(2026, 6, 1)));
  });

  it('office equal to the header company keeps its rows; none and empty criteria filter nothing', async () => {
    const office = await browse('030_3', [{ field: 'fin.trs.head.office', operator: 'equal', from: 'NLA310101' }, { field: 'fin.trs.line.dim1', operator: 'none', from: '9999' }, { field: 'fin.trs.head.code', operator: 'between' }, ...KEY_FIELDS]);
    expect(rowKeys(office)).toEqual(ledgerLines());
  });
});

describe('cells', () => {
  it('writes th labels and typed cells: Value -121.00, Date YYYYMMDD, Datetime YYYYMMDDHHMMSS, and a row key', async () => {
    const b = await browse('030_3', [
      { field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/02' },
      { field: 'fin.trs.head.number' },
      { field: 'fin.trs.head.date' },
      { field: 'fin.trs.head.modified' },
      { field: 'fin.trs.line.valuesigned' },
      { field: 'fin.trs.line.matchstatus' },
    ]);
    expect(b.th.td.map((td: any) => [td['#text'], td['@_type']])).toEqual([
      ['fin.trs.head.yearperiod', 'String'],
      ['fin.trs.head.number', 'Decimal'],
      ['fin.trs.head.date', 'Date'],
      ['fin.trs.head.modified', 'Datetime'],
      ['fin.trs.line.valuesigned', 'Value'],
      ['fin.trs.line.matchstatus', 'String'],
    ]);
    const tr = b.tr[0];
    expect(tr.td[0]).toMatchObject({ '@_field': 'fin.trs.head.yearperiod', '@_hideforuser': 'false', '@_type': 'String', '#text': '2025/02' });
    expect(tr.td[5]['@_name']).toMatch(/^(Beschikbaar|Afgeletterd|Niet afletterbaar)$/);
    for (const row of browseRows(b)) {
      const entry = [...ledger.entries.values()].find((e) => e.journal === row.key!.code && String(e.number) === row.key!.number)!;
      const line = entry.lines.find((l) => String(l.lineNumber) === row.key!.line)!;
      expect(row.key!.office).toBe('NLA310101');
      expect(row.cells['fin.trs.head.number']).toBe(String(entry.number));
      expect(row.cells['fin.trs.head.date']).toBe(entry.date.replace(/-/g, ''));
      expect(row.cells['fin.trs.head.modified']).toMatch(/^\d{14}$/);
      expect(row.cells['fin.trs.line.valuesigned']).toMatch(/^-?\d+\.\d{2}$/);
      expect(cents(row.cells['fin.trs.line.valuesigned'])).toBe(line.amount);
    }
  });

  it('optimize="true" drops the field and type attributes from row cells, keeping the th order', async () => {
    const columns: ColumnSpec[] = [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/02' }, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.valuesigned' }];
    const plain = await browse('030_3', columns);
    const optimized = await browse('030_3', columns, { optimize: true });
    const cell = optimized.tr[0].td[1];
    expect(typeof cell === 'string' || (cell['@_field'] === undefined && cell['@_type'] === undefined)).toBe(true);
    expect(optimized.th.td.map((td: any) => td['#text'])).toEqual(plain.th.td.map((td: any) => td['#text']));
    expect(browseRows(optimized).map((r) => r.cells)).toEqual(browseRows(plain).map((r) => r.cells));
  });

  it('answers the same rows through ProcessXmlDocument', async () => {
    const request = columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/04' }, { field: 'fin.trs.line.description' }]);
    const asString = (await processXmlString(h, header(), request)).result.browse;
    const asDocument = (await processXmlDocument(h, header(), request)).result.browse;
    expect(browseRows(asDocument)).toEqual(browseRows(asString));
  });
});

describe('sorting', () => {
  it('sorts by up to three fields, each ascending or descending', async () => {
    const b = await browse(
      '030_3',
      [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/06' }, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.valuesigned' }, { field: 'fin.trs.head.number' }],
      { sort: [{ field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.valuesigned', order: 'descending' }, { field: 'fin.trs.head.number' }] },
    );
    const rows = browseRows(b).map((r) => [r.cells['fin.trs.line.dim1'], cents(r.cells['fin.trs.line.valuesigned']), Number(r.cells['fin.trs.head.number'])] as const);
    const sorted = [...rows].sort((a, c) => a[0].localeCompare(c[0]) || c[1] - a[1] || a[2] - c[2]);
    expect(rows.length).toBeGreaterThan(3);
    expect(rows).toEqual(sorted);
  });

  it('refuses a fourth sort field with result="0"', async () => {
    const b = await browse('030_3', [{ field: 'fin.trs.line.dim1' }], {
      sort: ['fin.trs.line.dim1', 'fin.trs.head.number', 'fin.trs.head.code', 'fin.trs.head.date'].map((field) => ({ field })),
    });
    expect(b).toMatchObject({ '@_result': '0', '@_msgtype': 'error' });
  });
});

describe('customer and supplier transactions (100, 200)', () => {
  const every: ColumnSpec[] = [
    { field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' },
    { field: 'fin.trs.line.dim2' },
    { field: 'fin.trs.line.valuesigned' },
    { field: 'fin.trs.line.openbasevaluesigned' },
    { field: 'fin.trs.line.matchstatus' },
    ...KEY_FIELDS,
  ];

  it('100 lists the customer lines with their values when every column is visible', async () => {
    const b = await browse('100', every);
    expect(rowKeys(b)).toEqual(ledgerLines((e, l) => e.year === 2025 && l.relation !== null && ledger.customers.some((c) => c.code === l.relation)));
    const rows = browseRows(b);
    expect(rows.every((r) => /^-?\d+\.\d{2}$/.test(r.cells['fin.trs.line.valuesigned']))).toBe(true);
    expect(rows.filter((r) => r.cells['fin.trs.line.matchstatus'] === 'available').every((r) => r.cells['fin.trs.line.openbasevaluesigned'] === r.cells['fin.trs.line.valuesigned'])).toBe(true);
  });

  it('100 leaves the value columns out as soon as one column is not visible', async () => {
    const b = await browse('100', [{ ...every[0], visible: false }, ...every.slice(1)]);
    const fields = b.th.td.map((td: any) => td['#text']);
    expect(fields).toEqual(['fin.trs.line.dim2', 'fin.trs.line.matchstatus', 'fin.trs.head.code', 'fin.trs.head.number']);
    expect(browseRows(b).every((r) => r.cells['fin.trs.line.valuesigned'] === undefined)).toBe(true);
  });

  it('200 lists the supplier lines', async () => {
    const b = await browse('200', every);
    expect(rowKeys(b)).toEqual(ledgerLines((e, l) => e.year === 2025 && l.relation !== null && ledger.suppliers.some((s) => s.code === l.relation)));
  });

  it('030_3 keeps invisible criteria columns out of the answer but still filters on them', async () => {
    const b = await browse('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/01', visible: false }, { field: 'fin.trs.line.valuesigned' }, ...KEY_FIELDS]);
    expect(b.th.td.map((td: any) => td['#text'])).toEqual(['fin.trs.line.valuesigned', 'fin.trs.head.code', 'fin.trs.head.number']);
    expect(rowKeys(b)).toEqual(ledgerLines((e) => e.year === 2025 && e.period === 1));
  });
});

describe('annual report totals (040_1)', () => {
  it('agrees with the sum of the 030_3 lines per account and period', async () => {
    const year: ColumnSpec = { field: 'fin.trs.head.yearperiod', operator: 'between', from: '2026/00', to: '2026/55' };
    const status: ColumnSpec = { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' };
    const lines = await browse('030_3', [year, status, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.valuesigned' }]);
    const totals = await browse('040_1', [year, status, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.dim1type' }, { field: 'fin.trs.line.basevaluesigned' }]);
    const fromLines = new Map<string, number>();
    for (const r of browseRows(lines)) {
      const k = `${r.cells['fin.trs.line.dim1']}|${r.cells['fin.trs.head.yearperiod']}`;
      fromLines.set(k, (fromLines.get(k) ?? 0) + cents(r.cells['fin.trs.line.valuesigned']));
    }
    const fromTotals = new Map<string, number>();
    for (const r of browseRows(totals)) {
      const k = `${r.cells['fin.trs.line.dim1']}|${r.cells['fin.trs.head.yearperiod']}`;
      fromTotals.set(k, (fromTotals.get(k) ?? 0) + cents(r.cells['fin.trs.line.basevaluesigned']));
    }
    expect(fromTotals.size).toBeGreaterThan(20);
    expect(Object.fromEntries(fromTotals)).toEqual(Object.fromEntries(fromLines));
    expect(browseRows(totals).every((r) => ['BAS', 'PNL'].includes(r.cells['fin.trs.line.dim1type']))).toBe(true);
  });

  it('comes from the ledger balances', async () => {
    const totals = await browse('040_1', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/03' }, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.basevaluesigned' }]);
    const expected = ledger.balances().filter((b) => b.year === 2025 && b.period === 3).map((b) => [b.glAccount, b.amount]);
    expect(browseRows(totals).map((r) => [r.cells['fin.trs.line.dim1'], cents(r.cells['fin.trs.line.basevaluesigned'])])).toEqual(expected);
  });
});

describe('errors inside HTTP 200', () => {
  it.each([
    ['an unknown browse code', '999', [{ field: 'fin.trs.line.dim1' }], /999/],
    ['a real code the sandbox does not serve', '130_1', [{ field: 'fin.trs.line.dim1' }], /sandbox/],
    ['an unknown field', '030_3', [{ field: 'fin.trs.line.nosuchfield' }], /nosuchfield/],
    ['a yearperiod in the wrong form', '030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025-01', to: '2025-12' }], /2025-01/],
    ['an unknown status', '030_3', [{ field: 'fin.trs.head.status', operator: 'equal', from: 'temporary' }], /temporary/],
    ['like on a value', '030_3', [{ field: 'fin.trs.line.valuesigned', operator: 'like', from: '1*' }], /like/],
    ['a modified moment that is not YYYYMMDDHHMMSS', '030_3', [{ field: 'fin.trs.head.modified', operator: 'between', from: '2026-01-01T00:00:00' }], /2026-01-01/],
  ] as const)('answers result="0" msgtype="error" for %s', async (_what, code, columns, message) => {
    const b = await browse(code, [...columns] as ColumnSpec[]);
    expect(b).toMatchObject({ '@_result': '0', '@_msgtype': 'error' });
    expect(b['@_msg']).toMatch(message);
  });

  it('answers an empty browse with total 0 when nothing matches', async () => {
    const b = await browse('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2019/01' }, { field: 'fin.trs.line.dim1' }]);
    expect(b).toMatchObject({ '@_result': '1', '@_total': '0' });
    expect(b.tr).toBeUndefined();
  });
});

describe('determinism', () => {
  it('serves identical rows from the same seed, and other rows from another seed', async () => {
    const request = columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2026/55' }, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.dim2' }, { field: 'fin.trs.line.valuesigned' }, { field: 'fin.trs.line.description' }, { field: 'fin.trs.head.date' }]);
    const twin = await startSimulator();
    const other = await startSimulator({ seed: 'another seed' });
    try {
      const mine = await processXmlString(h, header(), request);
      const same = await processXmlString(twin, { accessToken: (await login(twin)).access_token, companyCode: 'NLA310101' }, request);
      const different = await processXmlString(other, { accessToken: (await login(other)).access_token, companyCode: 'NLA310101' }, request);
      expect(same.response.text).toBe(mine.response.text);
      expect(different.response.text).not.toBe(mine.response.text);
    } finally {
      await twin.close();
      await other.close();
    }
  });
});
