// Contract of /webservices/processxml.asmx: both operations and their escaping, the offices and dimension
// requests, the header's company, SOAP faults (354, 101, 102, 187) and business errors inside HTTP 200.
import { ADMINISTRATIONS, COST_CENTERS, GL_ACCOUNTS } from '../../../server/src/sandbox/demo/catalog';
import {
  advanceClock,
  asmxEnvelope,
  columnsRequest,
  type Harness,
  login,
  parseXml,
  postSoap,
  processXmlDocument,
  processXmlString,
  soapBody,
  soapFault,
  startSimulator,
  TWINFIELD,
} from './harness';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startSimulator();
  token = (await login(h)).access_token;
});
afterAll(() => h.close());

const PROCESS_XML = '/webservices/processxml.asmx';
const company = (code = 'NLA310101') => ({ accessToken: token, companyCode: code });
const yearBrowse = columnsRequest('030_3', [
  { field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' },
  { field: 'fin.trs.line.dim1' },
]);

describe('ProcessXmlString and ProcessXmlDocument', () => {
  it('lists the eight offices without a company in the header, names unescaped exactly once', async () => {
    const { response, result } = await processXmlString(h, { accessToken: token }, '<list><type>offices</type></list>');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(response.text).toContain('<ProcessXmlStringResponse xmlns="http://www.twinfield.com/"><ProcessXmlStringResult>&lt;offices result="1"&gt;');
    expect(result.offices['@_result']).toBe('1');
    expect(result.offices.office.map((o: any) => [o['#text'], o['@_name'], o['@_shortname']])).toEqual(ADMINISTRATIONS.map((a) => [a.office, a.name, a.shortName]));
    expect(result.offices.office[2]['@_name']).toBe('Hoveniersbedrijf Groen & Co');
  });

  it('accepts the xmlRequest as CDATA', async () => {
    const { result } = await processXmlString(h, { accessToken: token }, '<list><type>offices</type></list>', true);
    expect(result.offices.office).toHaveLength(8);
  });

  it('also accepts an empty CompanyCode when listing offices, which needs no company', async () => {
    const { result } = await processXmlString(h, { accessToken: token, companyCode: '' }, '<list><type>offices</type></list>');
    expect(result.offices.office).toHaveLength(8);
  });

  it('answers ProcessXmlDocument with the result as XML inside ProcessXmlDocumentResult', async () => {
    const { response, result } = await processXmlDocument(h, { accessToken: token }, '<list xmlns=""><type>offices</type></list>');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<ProcessXmlDocumentResult><offices xmlns="" result="1">');
    expect(result.offices.office).toHaveLength(8);
  });

  it('decodes character references in the request, as the .NET service does', async () => {
    const { result } = await processXmlDocument(h, { accessToken: token }, '<list xmlns=""><type>&#111;ff&#x69;ces</type></list>');
    expect(result.offices.office).toHaveLength(8);
  });

  it('takes the company from CompanyId (the office guid) as well', async () => {
    const officeId = h.sim.ledgers[1].guid('office');
    const { result } = await processXmlString(h, { accessToken: token, companyId: officeId }, '<list><type>dimensions</type><dimtype>KPL</dimtype></list>');
    expect(result.dimensions['@_office']).toBe('NLA310102');
  });
});

describe('dimensions', () => {
  it('lists every dimension type of an office', async () => {
    const expected: Record<string, string[]> = {
      BAS: GL_ACCOUNTS.filter((a) => a.balanceType === 'B').map((a) => a.code),
      PNL: GL_ACCOUNTS.filter((a) => a.balanceType === 'W').map((a) => a.code),
      DEB: h.sim.ledgers[0].customers.map((c) => c.code),
      CRD: h.sim.ledgers[0].suppliers.map((s) => s.code),
      KPL: COST_CENTERS.map((c) => c.code),
      PRJ: h.sim.ledgers[0].projects.map((p) => p.code),
    };
    for (const [dimtype, codes] of Object.entries(expected)) {
      const { result } = await processXmlString(h, company(), `<list><type>dimensions</type><dimtype>${dimtype}</dimtype></list>`);
      expect(result.dimensions).toMatchObject({ '@_office': 'NLA310101', '@_type': dimtype, '@_result': '1' });
      expect(result.dimensions.dimension.map((d: any) => d['#text'])).toEqual(codes);
    }
  });

  it('lists the dimensions of the office named in the request rather than the header', async () => {
    const { result } = await processXmlString(h, company('NLA310101'), '<list><type>dimensions</type><office>NLA310104</office><dimtype>DEB</dimtype></list>');
    expect(result.dimensions['@_office']).toBe('NLA310104');
    expect(result.dimensions.dimension[0]['@_name']).toBe(h.sim.ledgers[3].customers[0].name);
  });

  it('reads one customer with its address', async () => {
    const customer = h.sim.ledgers[0].customers[3];
    const { result } = await processXmlString(h, company(), `<read><type>dimensions</type><office>NLA310101</office><dimtype>DEB</dimtype><code>${customer.code}</code></read>`);
    expect(result.dimension).toMatchObject({ '@_result': '1', code: customer.code, name: customer.name, vatnumber: customer.vatNumber });
    expect(result.dimension.addresses.address.city).toBe(customer.city);
  });

  it('answers result="0" for an unknown dimension or dimension type', async () => {
    const unknown = await processXmlString(h, company(), '<read><type>dimensions</type><dimtype>DEB</dimtype><code>9999</code></read>');
    expect(unknown.result.dimension).toMatchObject({ '@_result': '0', '@_msgtype': 'error' });
    expect(unknown.result.dimension['@_msg']).toMatch(/9999/);
    const badType = await processXmlString(h, company(), '<list><type>dimensions</type><dimtype>XYZ</dimtype></list>');
    expect(badType.result.dimensions).toMatchObject({ '@_result': '0', '@_msgtype': 'error' });
  });

  it('reads a browse definition with its fields', async () => {
    const { result } = await processXmlString(h, company(), '<read><type>browse</type><code>030_3</code></read>');
    expect(result.browse['@_result']).toBe('1');
    const fields = result.browse.columns.column.map((c: any) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['fin.trs.head.yearperiod', 'fin.trs.head.status', 'fin.trs.line.dim1', 'fin.trs.line.valuesigned', 'fin.trs.head.modified']));
  });
});

describe('access and business errors', () => {
  it('answers result="0" with "U hebt geen toegang tot deze administratie." for an office outside the eight', async () => {
    const browse = await processXmlString(h, company('NLA999999'), yearBrowse);
    expect(browse.response.status).toBe(200);
    expect(browse.result.browse).toMatchObject({ '@_result': '0', '@_msgtype': 'error', '@_msg': 'U hebt geen toegang tot deze administratie.' });
    const dims = await processXmlString(h, company(), '<list><type>dimensions</type><office>OTHER</office><dimtype>DEB</dimtype></list>');
    expect(dims.result.dimensions['@_msg']).toBe('U hebt geen toegang tot deze administratie.');
  });

  it('answers result="0" for a request the sandbox does not process (and charges it as a write)', async () => {
    const before = await processXmlString(h, company(), '<list><type>offices</type></list>');
    const { response, result } = await processXmlString(h, company(), '<dimension><office>NLA310101</office><type>DEB</type><code>1999</code><name>Nieuw</name></dimension>');
    expect(response.status).toBe(200);
    expect(result.dimension).toMatchObject({ '@_result': '0', '@_msgtype': 'error' });
    expect(Number(before.response.headers.get('x-ratelimit-remaining')) - Number(response.headers.get('x-ratelimit-remaining'))).toBe(3);
  });
});

describe('faults', () => {
  it('faults 354 "Access denied. Token invalid." with HTTP 401 for a token it did not issue', async () => {
    const { response } = await processXmlString(h, { accessToken: 'twf_at_forged', companyCode: 'NLA310101' }, yearBrowse);
    expect(response.status).toBe(401);
    expect(soapFault(response)).toEqual({ faultcode: 'soap:Client', faultstring: 'Access denied. Token invalid.', message: 'Access denied. Token invalid.', code: '354', source: 'ProcessXmlString' });
    expect(soapBody(response).Fault.faultactor).toBe(`${h.base}${PROCESS_XML}`);
  });

  it('faults 354 once the access token has expired', async () => {
    const fresh = await login(h);
    await advanceClock(h, 3600 * 1000);
    const { response } = await processXmlString(h, { accessToken: fresh.access_token }, '<list><type>offices</type></list>');
    expect(response.status).toBe(401);
    expect(soapFault(response).code).toBe('354');
    token = (await login(h)).access_token;
  });

  it('faults 101 "Company ontbreekt in request header" for an empty CompanyCode where a company is needed', async () => {
    const { response } = await processXmlString(h, { accessToken: token, companyCode: '' }, yearBrowse);
    expect(response.status).toBe(500);
    expect(soapFault(response)).toMatchObject({ code: '101', message: 'Company ontbreekt in request header' });
  });

  it('faults 101 when the header carries neither an access token nor a session', async () => {
    const { response } = await processXmlString(h, { companyCode: 'NLA310101' }, '<list><type>offices</type></list>');
    expect(response.status).toBe(500);
    expect(soapFault(response).code).toBe('101');
  });

  it('faults 102 access denied (HTTP 403) for a token without the Twinfield scopes', async () => {
    const openidOnly = await login(h, { scope: 'openid' });
    const { response } = await processXmlString(h, { accessToken: openidOnly.access_token }, '<list><type>offices</type></list>');
    expect(response.status).toBe(403);
    expect(soapFault(response).code).toBe('102');
  });

  it('faults 187 for an xmlRequest that is not well-formed XML', async () => {
    for (const bad of ['<list><type>offices</list>', '<list/><list/>', '<!DOCTYPE x [<!ENTITY a "b">]><list/>', 'plain text']) {
      const { response } = await processXmlString(h, company(), bad);
      expect(response.status).toBe(500);
      expect(soapFault(response).code).toBe('187');
    }
  });

  it('refuses an unknown SOAPAction and an envelope it cannot read with a plain SOAP fault', async () => {
    const envelope = asmxEnvelope({ accessToken: token }, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>x</xmlRequest></ProcessXmlString>`);
    const unknown = await postSoap(h, PROCESS_XML, `${TWINFIELD}ProcessXmlZip`, envelope);
    expect(unknown.status).toBe(500);
    expect(soapBody(unknown).Fault.faultstring).toMatch(/did not recognize the value of HTTP Header SOAPAction/);
    const unreadable = await postSoap(h, PROCESS_XML, `${TWINFIELD}ProcessXmlString`, '<soap:Envelope');
    expect(unreadable.status).toBe(500);
    expect(parseXml(unreadable.text).Envelope.Body.Fault.faultcode).toBe('soap:Client');
  });

  it('speaks SOAP 1.1 only: another content type is 415', async () => {
    const envelope = asmxEnvelope({ accessToken: token }, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>&lt;list&gt;&lt;type&gt;offices&lt;/type&gt;&lt;/list&gt;</xmlRequest></ProcessXmlString>`);
    const response = await postSoap(h, PROCESS_XML, `${TWINFIELD}ProcessXmlString`, envelope, 'application/soap+xml; charset=utf-8');
    expect(response.status).toBe(415);
  });
});
