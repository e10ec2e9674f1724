// Contract of the faults that spoil a served SOAP answer (for the hostile-upstream suites): aimed with `match`,
// a given malformed body, truncated and dripped answers, a word where a browse cell has a number, a browse row
// without its <key>, a Finder item without its code, repeated rows, and forgetting queued faults.
import http from 'node:http';
import {
  asmxEnvelope,
  browseRows,
  columnsRequest,
  escapeXml,
  type Harness,
  login,
  parseXml,
  postSoap,
  processXmlString,
  soapBody,
  startSimulator,
  TWINFIELD,
} from './harness';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startSimulator({ rows: 60 });
  token = (await login(h)).access_token;
});
afterAll(() => h.close());
afterEach(() => fetch(`${h.base}/_faults`, { method: 'DELETE' }));

const fault = (spec: Record<string, unknown>) =>
  fetch(`${h.base}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) }).then(async (r) => ({ status: r.status, json: await r.json() }));

const header = (office: string) => ({ accessToken: token, companyCode: office });
const LINES = columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' }, { field: 'fin.trs.line.valuesigned' }, { field: 'fin.trs.head.number' }]);

async function browse(office: string): Promise<{ status: number; text: string; rows: ReturnType<typeof browseRows> }> {
  const { response, result } = await processXmlString(h, header(office), LINES);
  return { status: response.status, text: response.text, rows: response.status === 200 ? browseRows(result.browse) : [] };
}

function searchEnvelope(office: string): string {
  const options = `<ArrayOfString><string>dimtype</string><string>DEB</string></ArrayOfString>`;
  return asmxEnvelope(header(office), `<Search xmlns="${TWINFIELD}"><type>DIM</type><pattern>*</pattern><field>0</field><firstRow>1</firstRow><maxRows>100</maxRows><options>${options}</options></Search>`);
}

/** The envelope of a browse request, for raw posts. */
const browseEnvelope = (office: string) =>
  asmxEnvelope(header(office), `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${escapeXml(LINES)}</xmlRequest></ProcessXmlString>`);

/** A POST over a raw socket: what arrived, in how many pieces, and whether the connection broke before the end. */
function rawPost(envelope: string): Promise<{ headers: http.IncomingHttpHeaders; bytes: Buffer; pieces: number; broken: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${h.base}/webservices/processxml.asmx`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TWINFIELD}ProcessXmlString"` } }, (response) => {
      const chunks: Buffer[] = [];
      let broken = false;
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('aborted', () => (broken = true));
      response.on('error', () => (broken = true));
      response.on('close', () => resolve({ headers: response.headers, bytes: Buffer.concat(chunks), pieces: chunks.length, broken: broken || !response.complete }));
    });
    request.on('error', reject);
    request.end(envelope);
  });
}

describe('aiming and forgetting faults', () => {
  it('passes calls by that do not match, and fails the first one that does', async () => {
    await fault({ administration: 'NLA310101', kind: 'status', status: 503, match: '030_3' });
    const finder = await postSoap(h, '/webservices/finder.asmx', `${TWINFIELD}Search`, searchEnvelope('NLA310101'));
    expect(finder.status).toBe(200);
    expect((await browse('NLA310101')).status).toBe(503);
    expect((await browse('NLA310101')).status).toBe(200);
  });

  it('forgets one office’s queued faults without touching another’s', async () => {
    await fault({ administration: 'NLA310101', count: 3 });
    await fault({ administration: 'nla310102', count: 2 });
    const cleared = await fetch(`${h.base}/_faults?administration=nla310101`, { method: 'DELETE' });
    expect(await cleared.json()).toEqual({ cleared: 3, pending: { NLA310102: 2 } });
    expect((await browse('NLA310101')).status).toBe(200);
    expect((await browse('NLA310102')).status).toBe(500);
  });
});

describe('spoiled answers', () => {
  it('answers a malformed fault with exactly the given body, as XML', async () => {
    const billionLaughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    await fault({ administration: 'NLA310101', kind: 'malformed', body: billionLaughs });
    const response = await postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}ProcessXmlString`, browseEnvelope('NLA310101'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/xml/);
    expect(response.text).toBe(billionLaughs);
  });

  it('cuts a truncated answer short of the length it announces and drops the connection', async () => {
    const whole = await browse('NLA310103');
    await fault({ administration: 'NLA310103', kind: 'truncated', bytes: 300 });
    const cut = await rawPost(browseEnvelope('NLA310103'));
    expect(Number(cut.headers['content-length'])).toBe(Buffer.byteLength(whole.text));
    expect(cut.bytes.toString()).toBe(whole.text.slice(0, 300));
    expect(cut.broken).toBe(true);
  });

  it('drips the real answer a byte at a time, or drops it after the given bytes', async () => {
    const whole = await browse('NLA310104');
    await fault({ administration: 'NLA310104', kind: 'drip', intervalMs: 0 });
    const dripped = await rawPost(browseEnvelope('NLA310104'));
    expect(dripped.broken).toBe(false);
    expect(dripped.bytes.toString()).toBe(whole.text);
    expect(dripped.pieces).toBeGreaterThan(20);

    await fault({ administration: 'NLA310104', kind: 'drip', intervalMs: 0, bytes: 120 });
    const cut = await rawPost(browseEnvelope('NLA310104'));
    expect(cut.broken).toBe(true);
    expect(cut.bytes.toString()).toBe(whole.text.slice(0, 120));
  });

  it('puts a word where the first browse row has a number, inside the escaped result', async () => {
    const whole = await browse('NLA310105');
    await fault({ administration: 'NLA310105', kind: 'wrongType', field: 'fin.trs.line.valuesigned' });
    const spoiled = await browse('NLA310105');
    expect(spoiled.rows[0].cells['fin.trs.line.valuesigned']).toBe('twelve');
    expect(spoiled.rows.slice(1)).toEqual(whole.rows.slice(1));

    await fault({ administration: 'NLA310105', kind: 'wrongType' });
    const first = (await browse('NLA310105')).rows[0];
    expect(Object.values(first.cells)).toContain('twelve');
  });

  it('finds a named field of an optimized browse by its place under <th>', async () => {
    const optimized = columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: '2025/00', to: '2025/55' }, { field: 'fin.trs.head.number' }, { field: 'fin.trs.line.valuesigned' }], { optimize: true });
    const read = async () => browseRows((await processXmlString(h, header('NLA310105'), optimized)).result.browse);
    const whole = await read();
    await fault({ administration: 'NLA310105', kind: 'wrongType', field: 'fin.trs.line.valuesigned', value: 'lots' });
    const spoiled = await read();
    expect(spoiled[0].cells).toEqual({ ...whole[0].cells, 'fin.trs.line.valuesigned': 'lots' });
    expect(spoiled.slice(1)).toEqual(whole.slice(1));
  });

  it('takes the <key> from the first browse row and the code from the first Finder item', async () => {
    await fault({ administration: 'NLA310106', kind: 'missingKey' });
    const rows = (await browse('NLA310106')).rows;
    expect(rows[0].key).toBeUndefined();
    expect(rows[1].key).toBeDefined();

    await fault({ administration: 'NLA310106', kind: 'missingKey' });
    const finder = await postSoap(h, '/webservices/finder.asmx', `${TWINFIELD}Search`, searchEnvelope('NLA310106'));
    const items = soapBody(finder).SearchResponse.data.Items.ArrayOfString;
    expect(items[0].string).toHaveLength(1);
    expect(items[1].string).toHaveLength(2);
  });

  it('repeats the first browse row of a huge answer', async () => {
    const whole = await browse('NLA310107');
    await fault({ administration: 'NLA310107', kind: 'huge', copies: 40 });
    const huge = await browse('NLA310107');
    expect(huge.rows).toHaveLength(whole.rows.length + 39);
    expect(huge.rows.slice(0, 40)).toEqual(Array(40).fill(whole.rows[0]));
    expect(() => parseXml(huge.text)).not.toThrow();
  });
});
