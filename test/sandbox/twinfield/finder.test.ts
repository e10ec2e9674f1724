// Contract of /webservices/finder.asmx Search: dimensions by type with paging and TotalRows, hidden and
// modified-since options, the pattern, offices, and errors as MessageOfErrorCodes in SearchResult.
import { asmxEnvelope, escapeXml, type Harness, login, postSoap, soapBody, soapFault, startSimulator, TWINFIELD } from './harness';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startSimulator();
  token = (await login(h)).access_token;
});
afterAll(() => h.close());

interface SearchSpec {
  type: string;
  pattern?: string;
  field?: number;
  firstRow?: number;
  maxRows?: number;
  options?: Record<string, string>;
  companyCode?: string;
  accessToken?: string;
}

async function search(spec: SearchSpec) {
  const options = Object.entries(spec.options ?? {})
    .map(([k, v]) => `<ArrayOfString><string>${escapeXml(k)}</string><string>${escapeXml(v)}</string></ArrayOfString>`)
    .join('');
  const body = `<Search xmlns="${TWINFIELD}"><type>${spec.type}</type><pattern>${escapeXml(spec.pattern ?? '*')}</pattern><field>${spec.field ?? 0}</field><firstRow>${spec.firstRow ?? 1}</firstRow><maxRows>${spec.maxRows ?? 100}</maxRows><options>${options}</options></Search>`;
  const response = await postSoap(h, '/webservices/finder.asmx', `${TWINFIELD}Search`, asmxEnvelope({ accessToken: spec.accessToken ?? token, companyCode: spec.companyCode ?? 'NLA310101' }, body));
  const result = response.status === 200 ? soapBody(response).SearchResponse : undefined;
  return { response, result };
}

const items = (result: any): string[][] => (result.data.Items?.ArrayOfString ?? []).map((a: any) => a.string);
const codes = (result: any): string[] => items(result).map((i) => i[0]);

describe('dimensions (DIM)', () => {
  it('pages the visible customers with firstRow/maxRows and tells TotalRows', async () => {
    const customers = h.sim.ledgers[0].customers.filter((c) => !c.blocked).map((c) => c.code);
    const first = await search({ type: 'DIM', maxRows: 15, options: { dimtype: 'DEB' } });
    expect(first.response.status).toBe(200);
    expect(first.result.SearchResult).toBe('');
    expect(first.result.data.TotalRows).toBe(String(customers.length));
    expect(first.result.data.Columns.string).toEqual(['Code', 'Name']);
    const pages: string[] = [];
    for (let firstRow = 1; firstRow <= customers.length; firstRow += 15) {
      const page = await search({ type: 'DIM', firstRow, maxRows: 15, options: { dimtype: 'DEB' } });
      expect(codes(page.result).length).toBe(Math.min(15, customers.length - firstRow + 1));
      pages.push(...codes(page.result));
    }
    expect(pages).toEqual(customers);
    const beyond = await search({ type: 'DIM', firstRow: customers.length + 1, maxRows: 15, options: { dimtype: 'DEB' } });
    expect(codes(beyond.result)).toEqual([]);
    expect(beyond.result.data.TotalRows).toBe(String(customers.length));
  });

  it('includes hidden (blocked) relations only with includehidden=1', async () => {
    const customers = h.sim.ledgers[0].customers;
    expect(customers.some((c) => c.blocked)).toBe(true);
    const withHidden = await search({ type: 'DIM', options: { dimtype: 'DEB', includehidden: '1' } });
    expect(codes(withHidden.result)).toEqual(customers.map((c) => c.code));
    const visible = await search({ type: 'DIM', options: { dimtype: 'DEB', includehidden: '0' } });
    expect(codes(visible.result)).toEqual(customers.filter((c) => !c.blocked).map((c) => c.code));
  });

  it('serves every dimension type the mirror needs', async () => {
    for (const [dimtype, count] of [['BAS', 11], ['PNL', 14], ['KPL', 4], ['PRJ', 6], ['AST', 0]] as const) {
      const { result } = await search({ type: 'DIM', options: { dimtype } });
      expect([dimtype, Number(result.data.TotalRows)]).toEqual([dimtype, count]);
    }
  });

  it('keeps only dimensions modified since the modifiedsince moment', async () => {
    const customers = h.sim.ledgers[0].customers.filter((c) => !c.blocked);
    const middle = [...customers].sort((a, b) => a.modified - b.modified)[Math.floor(customers.length / 2)].modified;
    const since = new Date(middle).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const { result } = await search({ type: 'DIM', options: { dimtype: 'DEB', modifiedsince: since } });
    expect(codes(result)).toEqual(customers.filter((c) => c.modified >= middle).map((c) => c.code));
    expect(codes(result).length).toBeLessThan(customers.length);
  });

  it('matches the pattern on code and name (field 0), code only (1) or name only (2)', async () => {
    const account = await search({ type: 'DIM', pattern: '13*', options: { dimtype: 'BAS' } });
    expect(codes(account.result)).toEqual(['1300']);
    const byName = await search({ type: 'DIM', pattern: '*btw*', field: 2, options: { dimtype: 'BAS' } });
    expect(codes(byName.result)).toEqual(['1500', '1510', '1520']);
    const codeOnly = await search({ type: 'DIM', pattern: '*btw*', field: 1, options: { dimtype: 'BAS' } });
    expect(codes(codeOnly.result)).toEqual([]);
    const oneChar = await search({ type: 'DIM', pattern: '15?0', options: { dimtype: 'BAS' } });
    expect(codes(oneChar.result)).toEqual(['1500', '1510', '1520']);
  });

  it('searches the office named by the company option instead of the header', async () => {
    const { result } = await search({ type: 'DIM', options: { dimtype: 'DEB', company: 'NLA310105', includehidden: '1' } });
    expect(items(result)[0]).toEqual([h.sim.ledgers[4].customers[0].code, h.sim.ledgers[4].customers[0].name]);
  });
});

describe('offices (OFF)', () => {
  it('lists the eight offices with code, name and country, without needing a company', async () => {
    const { result } = await search({ type: 'OFF', companyCode: '' });
    expect(result.data.Columns.string).toEqual(['Code', 'Name', 'Country']);
    expect(items(result).map((i) => i[0])).toEqual(h.sim.offices);
    expect(items(result)[2]).toEqual(['NLA310103', 'Hoveniersbedrijf Groen & Co', 'NL']);
  });

  it('pages the offices with firstRow/maxRows, every page telling the same TotalRows', async () => {
    const pages: string[][] = [];
    for (let firstRow = 1; firstRow <= h.sim.offices.length; firstRow += 3) {
      const { result } = await search({ type: 'OFF', companyCode: '', firstRow, maxRows: 3 });
      expect(result.data.TotalRows).toBe(String(h.sim.offices.length));
      pages.push(codes(result));
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat()).toEqual(h.sim.offices);
    const beyond = await search({ type: 'OFF', companyCode: '', firstRow: h.sim.offices.length + 1, maxRows: 3 });
    expect(codes(beyond.result)).toEqual([]);
    expect(beyond.result.data.TotalRows).toBe(String(h.sim.offices.length));
    // TotalRows counts what the pattern matched, not every office.
    const matching = await search({ type: 'OFF', companyCode: '', pattern: '*B.V.', field: 2, firstRow: 2, maxRows: 1 });
    expect(codes(matching.result)).toEqual(['NLA310106']);
    expect(matching.result.data.TotalRows).toBe('2');
  });

  it('refuses maxRows 0 for offices with ParameterTooSmall', async () => {
    const { result } = await search({ type: 'OFF', companyCode: '', maxRows: 0 });
    expect(result.SearchResult.MessageOfErrorCodes).toMatchObject({ Type: 'Error', Code: 'ParameterTooSmall' });
    expect(result.data).toBeUndefined();
  });
});

describe('errors', () => {
  const errorOf = (result: any) => result.SearchResult.MessageOfErrorCodes;

  it.each([
    ['InvalidFinderType for an unknown type', { type: 'XYZ' }, 'InvalidFinderType'],
    ['NoAccessToOffice for an office outside the eight', { type: 'DIM', options: { dimtype: 'DEB', company: 'NLA999999' } }, 'NoAccessToOffice'],
    ['NoAccessToOffice for a header company outside the eight', { type: 'DIM', companyCode: 'ELSEWHERE', options: { dimtype: 'DEB' } }, 'NoAccessToOffice'],
    ['OptionMandatory without a dimtype', { type: 'DIM' }, 'OptionMandatory'],
    ['InvalidEnumerationOptionValue for an unknown dimtype', { type: 'DIM', options: { dimtype: 'ZZZ' } }, 'InvalidEnumerationOptionValue'],
    ['InvalidBooleanOptionValue for includehidden=yes', { type: 'DIM', options: { dimtype: 'DEB', includehidden: 'yes' } }, 'InvalidBooleanOptionValue'],
    ['InvalidDateTimeOptionLength for a short modifiedsince', { type: 'DIM', options: { dimtype: 'DEB', modifiedsince: '20260101' } }, 'InvalidDateTimeOptionLength'],
    ['OptionNotAllowed for an option DIM does not know', { type: 'DIM', options: { dimtype: 'DEB', colour: 'red' } }, 'OptionNotAllowed'],
    ['ParameterTooSmall for firstRow 0', { type: 'DIM', firstRow: 0, options: { dimtype: 'DEB' } }, 'ParameterTooSmall'],
  ] as const)('answers %s inside HTTP 200', async (_what, spec, code) => {
    const { response, result } = await search(spec as SearchSpec);
    expect(response.status).toBe(200);
    expect(errorOf(result)).toMatchObject({ Type: 'Error', Code: code });
    expect(errorOf(result).Text.length).toBeGreaterThan(0);
    expect(result.data).toBeUndefined();
  });

  it('says "U hebt geen toegang tot deze administratie." with NoAccessToOffice', async () => {
    const { result } = await search({ type: 'DIM', options: { dimtype: 'DEB', company: 'NLA999999' } });
    expect(errorOf(result).Text).toBe('U hebt geen toegang tot deze administratie.');
  });

  it('faults 354 for an invalid token, like every service', async () => {
    const { response } = await search({ type: 'OFF', accessToken: 'twf_at_forged' });
    expect(response.status).toBe(401);
    expect(soapFault(response).code).toBe('354');
    expect(soapFault(response).source).toBe('Search');
  });

  it('costs one credit per search', async () => {
    const first = await search({ type: 'OFF' });
    const second = await search({ type: 'OFF' });
    expect(Number(first.response.headers.get('x-ratelimit-remaining')) - Number(second.response.headers.get('x-ratelimit-remaining'))).toBe(1);
  });
});
