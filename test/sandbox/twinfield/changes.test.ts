// Contract of bookkeeping changes: POST /_simulate changes an office's books; updated and inserted transactions
// carry a new fin.trs.head.modified (the mirror's "changed since" query) and deleted ones appear in
// /webservices/DeletedTransactionsService.svc.
import { NS } from '../../../server/src/sandbox/twinfield/soap';
import { advanceClock, browseRows, cents, columnsRequest, control, escapeXml, type Harness, login, parseXml, postSoap, processXmlString, soapFault, startSimulator, TEST_START, TWINFIELD } from './harness';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startSimulator();
  token = (await login(h)).access_token;
});
afterAll(() => h.close());

const DELETED = '/webservices/DeletedTransactionsService.svc';
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

interface DeletedQuery {
  company?: string;
  headerCompany?: string;
  accessToken?: string;
  dateFrom?: string;
  dateTo?: string;
  daybook?: string;
}

/** The deleted-transactions Query as WCF clients send it (Authentication header, data-contract namespaces). */
async function deletedTransactions(query: DeletedQuery) {
  const member = (name: string, value: string | undefined) => (value === undefined ? '' : `<b:${name}>${escapeXml(value)}</b:${name}>`);
  const envelope = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:Authentication xmlns:h="${TWINFIELD}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><AccessToken xmlns="${NS.shared}">${escapeXml(query.accessToken ?? token)}</AccessToken>${query.headerCompany === undefined ? '' : `<CompanyCode xmlns="${NS.shared}">${escapeXml(query.headerCompany)}</CompanyCode>`}</h:Authentication></s:Header><s:Body><Query i:type="b:GetDeletedTransactions" xmlns="${TWINFIELD}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="${NS.deletedTransactions}">${member('CompanyCode', query.company)}${member('DateFrom', query.dateFrom)}${member('DateTo', query.dateTo)}${member('Daybook', query.daybook)}</Query></s:Body></s:Envelope>`;
  const response = await postSoap(h, DELETED, `${TWINFIELD}DeletedTransactionsService/Query`, envelope);
  return response;
}

const deletedRows = (text: string): Record<string, string>[] => {
  const result = parseXml(text).Envelope.Body.Result;
  expect(result['@_type']).toBe('b:GetDeletedTransactionsResult');
  return (result.DeletedTransactions?.DeletedTransaction ?? []).map((d: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(d).filter(([k]) => !k.startsWith('@_')).map(([k, v]) => [k, typeof v === 'string' ? v : ''])),
  );
};

const changedSince = async (since: string, office = 'NLA310102') => {
  const { result } = await processXmlString(h, { accessToken: token, companyCode: office }, columnsRequest('030_3', [
    { field: 'fin.trs.head.modified', operator: 'between', from: since, to: '' },
    { field: 'fin.trs.head.code' },
    { field: 'fin.trs.head.number' },
    { field: 'fin.trs.line.description' },
  ]));
  return browseRows(result.browse);
};

describe('POST /_simulate', () => {
  let simulation: any;
  let since: string;

  beforeAll(async () => {
    await advanceClock(h, 60_000);
    since = stamp(h.clock.now());
    simulation = (await control(h, '/_simulate', { administration: 'NLA310102', insert: 2, update: 3, delete: 2 })).json;
  });

  it('reports what changed in Twinfield terms: journal code and number', () => {
    expect(simulation.administration).toBe('NLA310102');
    expect(simulation.modified).toBe(since);
    expect(simulation.inserted).toHaveLength(2);
    expect(simulation.updated).toHaveLength(3);
    expect(simulation.deleted).toHaveLength(2);
    for (const t of [...simulation.inserted, ...simulation.updated, ...simulation.deleted]) {
      expect(t.code).toMatch(/^(VRK|INK|BNK|KAS|MEM)$/);
      expect(t.number).toBeGreaterThan(202500000);
    }
  });

  it('gives inserted and updated transactions a modified moment that a "changed since" browse finds', async () => {
    const rows = await changedSince(since);
    const found = new Set(rows.map((r) => `${r.key!.code}/${r.key!.number}`));
    const expected = new Set([...simulation.inserted, ...simulation.updated].map((t: { code: string; number: number }) => `${t.code}/${t.number}`));
    expect(found).toEqual(expected);
    const lines = [...simulation.inserted, ...simulation.updated].reduce((n: number, t: { lines: number }) => n + t.lines, 0);
    expect(rows).toHaveLength(lines);
    expect(rows.filter((r) => simulation.updated.some((t: { number: number }) => String(t.number) === r.key!.number)).every((r) => /gewijzigd/.test(r.cells['fin.trs.line.description']))).toBe(true);
  });

  it('leaves the other offices untouched', async () => {
    expect(await changedSince(since, 'NLA310101')).toEqual([]);
  });

  it('removes deleted transactions from browse data', async () => {
    const { result } = await processXmlString(h, { accessToken: token, companyCode: 'NLA310102' }, columnsRequest('030_3', [{ field: 'fin.trs.head.code' }, { field: 'fin.trs.head.number' }]));
    const present = new Set(browseRows(result.browse).map((r) => `${r.key!.code}/${r.key!.number}`));
    for (const t of simulation.deleted) expect(present.has(`${t.code}/${t.number}`)).toBe(false);
  });

  it('keeps 040_1 in agreement with the changed lines', async () => {
    const header = { accessToken: token, companyCode: 'NLA310102' };
    const period = { field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2026/12' } as const;
    const lines = (await processXmlString(h, header, columnsRequest('030_3', [period, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.valuesigned' }]))).result.browse;
    const totals = (await processXmlString(h, header, columnsRequest('040_1', [period, { field: 'fin.trs.line.dim1' }, { field: 'fin.trs.line.basevaluesigned' }]))).result.browse;
    const sum = (rows: ReturnType<typeof browseRows>, value: string) => {
      const m: Record<string, number> = {};
      for (const r of rows) m[r.cells['fin.trs.line.dim1']] = (m[r.cells['fin.trs.line.dim1']] ?? 0) + cents(r.cells[value]);
      return m;
    };
    expect(sum(browseRows(totals), 'fin.trs.line.basevaluesigned')).toEqual(sum(browseRows(lines), 'fin.trs.line.valuesigned'));
  });

  it('lists the deleted transactions with daybook, number, dates and user', async () => {
    const response = await deletedTransactions({ company: 'NLA310102' });
    expect(response.status).toBe(200);
    expect(response.text).toContain('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">');
    const rows = deletedRows(response.text);
    expect(rows.map((r) => `${r.Daybook}/${r.TransactionNumber}`).sort()).toEqual(simulation.deleted.map((t: { code: string; number: number }) => `${t.code}/${t.number}`).sort());
    // The simulation ran one minute after the test start (the clock moves only when told).
    const deletedAt = new Date(TEST_START + 60_000).toISOString();
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(['Daybook', 'DeletionDate', 'ReasonForDeletion', 'TransactionDate', 'TransactionNumber', 'User']);
      expect(r.DeletionDate).toBe(deletedAt.replace(/\.\d{3}Z$/, 'Z'));
      expect(r.TransactionDate).toMatch(/^20(25|26)-\d{2}-\d{2}T00:00:00$/);
      expect(r.User).toBe('DEMO');
    }
  });

  it('filters deleted transactions by daybook and by the deletion-date window', async () => {
    const daybook = simulation.deleted[0].code;
    const byDaybook = deletedRows((await deletedTransactions({ company: 'NLA310102', daybook })).text);
    expect(byDaybook.length).toBe(simulation.deleted.filter((t: { code: string }) => t.code === daybook).length);
    const deletedOn = new Date(TEST_START + 60_000).toISOString().slice(0, 10);
    expect(deletedRows((await deletedTransactions({ company: 'NLA310102', dateFrom: deletedOn, dateTo: deletedOn })).text)).toHaveLength(2);
    expect(deletedRows((await deletedTransactions({ company: 'NLA310102', dateFrom: '2030-01-01' })).text)).toHaveLength(0);
    expect(deletedRows((await deletedTransactions({ company: 'NLA310102', dateTo: '2026-12-31T23:59:59' })).text)).toHaveLength(0);
    expect(deletedRows((await deletedTransactions({ company: 'NLA310101' })).text)).toHaveLength(0);
  });
});

describe('DeletedTransactionsService faults', () => {
  it('takes the company from the Authentication header when the query names none', async () => {
    const response = await deletedTransactions({ headerCompany: 'NLA310102' });
    expect(response.status).toBe(200);
    expect(deletedRows(response.text).length).toBeGreaterThan(0);
  });

  it('faults 101 when neither the query nor the header names a company', async () => {
    const response = await deletedTransactions({});
    expect(response.status).toBe(500);
    expect(soapFault(response).code).toBe('101');
  });

  it('faults 102 with HTTP 403 for an office outside the eight', async () => {
    const response = await deletedTransactions({ company: 'NLA999999' });
    expect(response.status).toBe(403);
    expect(soapFault(response)).toMatchObject({ code: '102', message: 'U hebt geen toegang tot deze administratie.', faultcode: 's:Client' });
  });

  it('faults 354 for an invalid token', async () => {
    const response = await deletedTransactions({ company: 'NLA310102', accessToken: 'twf_at_forged' });
    expect(response.status).toBe(401);
    expect(soapFault(response).code).toBe('354');
  });

  it('faults 187 for a date that is not xs:date or xs:dateTime', async () => {
    const response = await deletedTransactions({ company: 'NLA310102', dateFrom: '01-02-2026' });
    expect(response.status).toBe(500);
    expect(soapFault(response).code).toBe('187');
  });
});

describe('_simulate validation', () => {
  it('answers 404 for an unknown administration and 400 for a bad body', async () => {
    expect((await control(h, '/_simulate', { administration: 'NLA999999', update: 1 })).status).toBe(404);
    expect((await control(h, '/_simulate', { administration: 'NLA310101', update: -1 })).status).toBe(400);
    expect((await control(h, '/_simulate', { update: 1 })).status).toBe(400);
  });
});
