// The pure parts of the Twinfield client: XML written with every value escaped, browse requests and answers (with
// and without optimize="true"), cell values, SOAP faults; and the same browse read from the simulator both ways.
import { browseRequest, cellValue, readBrowse, CellValueError } from '../../../server/src/sources/twinfield/browse';
import { asmxEnvelope, readSoapAnswer, TwinfieldFault } from '../../../server/src/sources/twinfield/soap';
import { decodeXmlText, el, parseXml, toXml, type XmlObject } from '../../../server/src/sources/twinfield/xml';
import { UpstreamMalformed, UpstreamUnavailable } from '../../../server/src/sources/errors';
import { connect, startHarness, type Harness } from './harness';

describe('Twinfield XML', () => {
  it('escapes every value once, in text and attributes, and drops characters XML cannot carry', () => {
    const office = 'NLA</CompanyCode><Evil/>';
    const xml = toXml(el('Header', { note: '"quoted" & <tagged>' }, el('CompanyCode', {}, office)));
    expect(xml).toBe('<Header note="&quot;quoted&quot; &amp; &lt;tagged&gt;"><CompanyCode>NLA&lt;/CompanyCode&gt;&lt;Evil/&gt;</CompanyCode></Header>');
    expect((parseXml(xml).Header as XmlObject).CompanyCode).toBe(office);
    expect(toXml(el('pattern', {}, `a&b<c>d"e'f`))).toBe('<pattern>a&amp;b&lt;c&gt;d&quot;e&apos;f</pattern>');
    expect(toXml(el('pattern', {}, 'bell\u0007 ok\uFFFF'))).toBe('<pattern>bell ok</pattern>');
    expect(toXml(el('to', {}, ''))).toBe('<to/>');
    expect(toXml(el('visible', { empty: undefined }, false, null, 'true'))).toBe('<visible>true</visible>');
    expect(toXml(el('columns', { code: '030_3' }))).toBe('<columns code="030_3"/>');
  });

  it('round-trips hostile user values through a strict parse unchanged', () => {
    const values = [
      ']]><![CDATA[x]]>',
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
      '&amp;&#60;&lt;',
      "' OR 1=1 --",
      'Ærø 😀 \u200b zero-width',
      '<?xml version="1.0"?><a/>',
    ];
    for (const value of values) {
      const xml = toXml(el('search', { pattern: value }, el('pattern', {}, value)));
      const parsed = parseXml(xml).search as XmlObject;
      expect(parsed.pattern).toBe(value);
      expect(parsed['@_pattern']).toBe(value);
    }
    // Text keeps tabs and line feeds as they are.
    expect(parseXml(toXml(el('description', {}, 'tab\tand\nline'))).description).toBe('tab\tand\nline');
  });

  it('refuses element names that are not names', () => {
    expect(() => el('a b')).toThrow(RangeError);
    expect(() => el('a', { 'x y': '1' })).toThrow(RangeError);
  });

  it('decodes numeric character references in answers', () => {
    const parsed = parseXml('<description>Regel&#xD;&#10;twee &#233;&amp;</description>');
    expect(parsed.description).toBe('Regel\r\ntwee é&');
  });

  it('unescapes a ProcessXmlStringResult exactly once, CDATA included', () => {
    expect(decodeXmlText('&lt;a b=&quot;1&quot;&gt;x &amp;amp; y &amp;lt; &#38;amp; &#xD;&lt;/a&gt;')).toBe('<a b="1">x &amp; y &lt; &amp; \r</a>');
    expect(decodeXmlText('before <![CDATA[<kept &amp; raw>]]> after &apos;')).toBe("before <kept &amp; raw> after '");
    expect(() => decodeXmlText('text <element/>')).toThrow();
  });

  it('puts the escaped request inside ProcessXmlString so it survives a second parse', () => {
    const request = toXml(el('columns', { code: '030_3' }, el('column', {}, el('field', {}, 'fin.trs.line.description'), el('operator', {}, 'like'), el('from', {}, '*A&B <1>*'))));
    const envelope = asmxEnvelope({ kind: 'token', accessToken: 'tok&en' }, 'NLA310101', el('ProcessXmlString', { xmlns: 'http://www.twinfield.com/' }, el('xmlRequest', {}, request)));
    const body = (parseXml(envelope).Envelope as XmlObject).Body as XmlObject;
    const inner = ((body.ProcessXmlString as XmlObject).xmlRequest as string);
    expect(inner).toBe(request);
    expect(((((parseXml(inner).columns as XmlObject).column as XmlObject).from) as string)).toBe('*A&B <1>*');
    const header = ((parseXml(envelope).Envelope as XmlObject).Header as XmlObject).Header as XmlObject;
    expect(header.AccessToken).toBe('tok&en');
  });
});

describe('Twinfield browse requests and answers', () => {
  it('asks for every column visible, with criteria and sort', () => {
    const request = parseXml(
      toXml(
        browseRequest({
          code: '100',
          optimize: true,
          fields: ['fin.trs.line.valuesigned'],
          criteria: [
            { field: 'fin.trs.head.yearperiod', operator: 'between', from: '2026/00', to: '2026/55' },
            { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' },
          ],
          sort: [{ field: 'fin.trs.head.number', descending: true }],
        }),
      ),
    ).columns as XmlObject;
    expect(request['@_code']).toBe('100');
    expect(request['@_optimize']).toBe('true');
    const columns = request.column as XmlObject[];
    expect(columns.map((c) => c.field)).toEqual(['fin.trs.line.valuesigned', 'fin.trs.head.yearperiod', 'fin.trs.head.status']);
    expect(columns.every((c) => c.visible === 'true')).toBe(true);
    expect(columns[1]).toMatchObject({ ask: 'true', operator: 'between', from: '2026/00', to: '2026/55' });
    expect((request.sort as XmlObject).field).toEqual({ '#text': 'fin.trs.head.number', '@_order': 'descending' });
    expect(() => browseRequest({ code: '030_3', fields: [], sort: [{ field: 'a' }, { field: 'b' }, { field: 'c' }, { field: 'd' }] })).toThrow(RangeError);
  });

  const header = '<th><td label="Periode" hideforuser="false" type="String">fin.trs.head.yearperiod</td><td label="Bedrag" hideforuser="false" type="Value">fin.trs.line.valuesigned</td><td label="Status" hideforuser="false" type="String">fin.trs.line.matchstatus</td></th>';
  const key = '<key><office>001</office><code>BNK</code><number>201300001</number><line>2</line></key>';

  it('reads cells by their field attribute', () => {
    const xml = `<browse result="1" first="1" last="1" total="1">${header}<tr><td field="fin.trs.line.matchstatus" hideforuser="false" type="String" name="Beschikbaar">available</td><td field="fin.trs.head.yearperiod" hideforuser="false" type="String">2013/04</td><td field="fin.trs.line.valuesigned" hideforuser="false" type="Value">-121.00</td>${key}</tr></browse>`;
    const result = readBrowse(parseXml(xml).browse as XmlObject);
    expect(result.total).toBe(1);
    expect(result.columns.map((c) => c.type)).toEqual(['String', 'Value', 'String']);
    expect(result.rows[0].cells.map((c) => c.text)).toEqual(['2013/04', '-121.00', 'available']);
    expect(result.rows[0].cells[2].name).toBe('Beschikbaar');
    expect(result.rows[0].key).toEqual({ office: '001', code: 'BNK', number: '201300001', line: '2' });
  });

  it('reads optimized cells (no field attribute) in the order of <th>', () => {
    const xml = `<browse result="1" first="1" last="2" total="2">${header}<tr><td>2013/04</td><td>-121.00</td><td name="Beschikbaar">available</td>${key}</tr><tr><td>2013/05</td><td>5.5</td><td/></tr></browse>`;
    const result = readBrowse(parseXml(xml).browse as XmlObject);
    expect(result.rows.map((r) => r.cells.map((c) => c.text))).toEqual([
      ['2013/04', '-121.00', 'available'],
      ['2013/05', '5.5', ''],
    ]);
    expect(result.rows[1].key).toBeUndefined();
  });

  it('reads an empty answer', () => {
    const result = readBrowse(parseXml(`<browse result="1" first="0" last="0" total="0">${header}</browse>`).browse as XmlObject);
    expect(result).toMatchObject({ total: 0, rows: [] });
  });

  it.each([
    ['-121.00', 'Value', 'Edm.Decimal', '-121.00'],
    ['0.5', 'Decimal', 'Edm.Decimal', '0.5'],
    ['201300001', 'Decimal', 'Edm.Int64', '201300001'],
    ['201300001.00', 'Decimal', 'Edm.Int64', '201300001'],
    ['12', 'Long', 'Edm.Int32', '12'],
    ['20130415', 'Date', 'Edm.Date', '2013-04-15'],
    ['20270115120530', 'Datetime', 'Edm.DateTimeOffset', '2027-01-15T12:05:30Z'],
    ['', 'Date', 'Edm.Date', null],
    ['', 'Value', 'Edm.Decimal', null],
    [' spaced ', 'String', 'Edm.String', ' spaced '],
    ['', 'String', 'Edm.String', null],
  ] as const)('reads %j of type %s as %s', (text, type, edm, expected) => {
    expect(cellValue(text, type, edm)).toBe(expected);
  });

  it.each([
    ['12,50', 'Value', 'Edm.Decimal'],
    ['2013-4-5x', 'Date', 'Edm.Date'],
    ['yesterday', 'Datetime', 'Edm.DateTimeOffset'],
    ['1.5', 'Long', 'Edm.Int32'],
  ] as const)('refuses %j as %s', (text, type, edm) => {
    expect(() => cellValue(text, type, edm)).toThrow(CellValueError);
  });
});

describe('Twinfield SOAP answers', () => {
  const fault = (code: number, message: string) =>
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>${message}</faultstring><detail><message>${message}</message><code>${code}</code><source>ProcessXmlString</source></detail></soap:Fault></soap:Body></soap:Envelope>`;

  it('reads a Twinfield fault with its code', () => {
    let error: unknown;
    try {
      readSoapAnswer({ status: 401, text: fault(354, 'Access denied. Token invalid.') }, { what: 'testing' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TwinfieldFault);
    expect(error).toMatchObject({ code: 354, httpStatus: 401, loginRefused: true });
  });

  it('reads an HTML error page as unavailable and a cut-off envelope as malformed', () => {
    expect(() => readSoapAnswer({ status: 502, text: '<html><body>Bad gateway</body></html>' }, { what: 'testing', administration: 'X1' })).toThrow(UpstreamUnavailable);
    expect(() => readSoapAnswer({ status: 200, text: '<soap:Envelope xmlns:soap="x"><soap:Body><Pro' }, { what: 'testing', administration: 'X1' })).toThrow(UpstreamMalformed);
  });
});

describe('Twinfield browse against the simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('reads the same rows with and without optimize="true"', async () => {
    const connection = await connect(h);
    const client = h.source.clients.forConnection(connection.id);
    const query = {
      code: '100',
      fields: ['fin.trs.head.number', 'fin.trs.line.valuesigned', 'fin.trs.line.matchstatus', 'fin.trs.head.date'],
      criteria: [{ field: 'fin.trs.head.yearperiod', operator: 'between' as const, from: '2026/01', to: '2026/03' }],
    };
    const plain = readBrowse((await client.processXml('NLA310104', browseRequest(query), 'testing')).element);
    const optimized = readBrowse((await client.processXml('NLA310104', browseRequest({ ...query, optimize: true }), 'testing')).element);
    expect(plain.rows.length).toBeGreaterThan(5);
    expect(plain.rows[0].cells.every((c) => c.type !== undefined)).toBe(true);
    expect(optimized.rows[0].cells.every((c) => c.type === undefined)).toBe(true);
    expect(optimized.columns).toEqual(plain.columns);
    expect(optimized.rows.map((r) => [r.cells.map((c) => c.text), r.key])).toEqual(plain.rows.map((r) => [r.cells.map((c) => c.text), r.key]));
    // Every column visible, so code 100 keeps its value column.
    expect(plain.columns.map((c) => c.field)).toContain('fin.trs.line.valuesigned');
  });
});
