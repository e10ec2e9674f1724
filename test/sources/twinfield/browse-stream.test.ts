// The streaming reader of ProcessXmlDocument browse answers: the same rows however the body is cut into chunks,
// faults and refusals recognised inside the envelope, and anything not well-formed refused — also at the very end.
import { BrowseStreamReader, ResultRefused, UnexpectedAnswer } from '../../../server/src/sources/twinfield/browse-stream';
import { TwinfieldFault } from '../../../server/src/sources/twinfield/soap';
import { XmlSyntaxError } from '../../../server/src/sources/twinfield/xml';

const envelope = (result: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ProcessXmlDocumentResponse xmlns="http://www.twinfield.com/"><ProcessXmlDocumentResult>${result}</ProcessXmlDocumentResult></ProcessXmlDocumentResponse></soap:Body></soap:Envelope>`;
const header = '<th><td label="Periode" type="String">fin.trs.head.yearperiod</td><td label="Bedrag" type="Value">fin.trs.line.valuesigned</td><td label="Omschrijving" type="String">fin.trs.line.description</td></th>';
const row = (n: number) => `<tr><td>2026/0${n}</td><td>-12${n}.00</td><td name="x">Regel&#xD;&#10;${n} &amp; &lt;co&gt; <![CDATA[<raw>]]></td><key><office>NLA310101</office><code>BNK</code><number>20260000${n}</number><line>${n}</line></key></tr>`;
const browse = (rows: number) => envelope(`<browse xmlns="" result="1" first="1" last="${rows}" total="${rows}">${header}${Array.from({ length: rows }, (_, i) => row(i + 1)).join('')}</browse>`);

function read(text: string, chunkSize: number): { reader: BrowseStreamReader; rows: ReturnType<BrowseStreamReader['take']> } {
  const reader = new BrowseStreamReader();
  const rows: ReturnType<BrowseStreamReader['take']> = [];
  for (let at = 0; at < text.length; at += chunkSize) {
    reader.write(text.slice(at, at + chunkSize));
    rows.push(...reader.take());
  }
  reader.end();
  rows.push(...reader.take());
  return { reader, rows };
}

describe('Streaming browse answers', () => {
  it.each([1, 7, 64, 100_000])('reads the same header, rows and keys when the body arrives in chunks of %i characters', (size) => {
    const { reader, rows } = read(browse(3), size);
    expect(reader.header?.map((c) => [c.field, c.type])).toEqual([
      ['fin.trs.head.yearperiod', 'String'],
      ['fin.trs.line.valuesigned', 'Value'],
      ['fin.trs.line.description', 'String'],
    ]);
    expect(reader.totalRows).toBe(3);
    expect(rows.map((r) => r.cells.map((c) => c.text))).toEqual([1, 2, 3].map((n) => [`2026/0${n}`, `-12${n}.00`, `Regel\r\n${n} & <co> <raw>`]));
    expect(rows[1].cells[2].name).toBe('x');
    expect(rows[2].key).toEqual({ office: 'NLA310101', code: 'BNK', number: '202600003', line: '3' });
  });

  it('places cells by their field attribute when the answer is not optimized', () => {
    const tr = '<tr><td field="fin.trs.line.description" type="String">b</td><td field="fin.trs.head.yearperiod" type="String">2026/01</td></tr>';
    const { rows } = read(envelope(`<browse xmlns="" result="1" total="1">${header}${tr}</browse>`), 10);
    expect(rows[0].cells.map((c) => c.text)).toEqual(['2026/01', '', 'b']);
    expect(rows[0].cells[0].type).toBe('String');
  });

  it('recognises a SOAP fault with its Twinfield code', () => {
    const fault = '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Access denied. Token invalid.</faultstring><detail><message>Access denied. Token invalid.</message><code>354</code></detail></soap:Fault></soap:Body></soap:Envelope>';
    expect(() => read(fault, 16)).toThrow(TwinfieldFault);
    try {
      read(fault, 16);
    } catch (err) {
      expect(err).toMatchObject({ code: 354, faultMessage: 'Access denied. Token invalid.', side: 'Client' });
    }
  });

  it("recognises Twinfield's refusal inside the result (result=\"0\")", () => {
    expect(() => read(envelope('<browse xmlns="" result="0" msgtype="error" msg="U hebt geen toegang tot deze administratie."/>'), 50)).toThrow(ResultRefused);
  });

  it('refuses another result document, or none', () => {
    expect(() => read(envelope('<dimensions xmlns="" result="1"/>'), 50)).toThrow(UnexpectedAnswer);
    expect(() => read('<soap:Envelope xmlns:soap="x"><soap:Body/></soap:Envelope>', 50)).toThrow(UnexpectedAnswer);
  });

  it.each([
    ['cut off after some rows', browse(3).slice(0, browse(3).indexOf('</tr>') + 30)],
    ['cut off inside the first tag', '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Pro'],
    ['an undeclared entity', browse(1).replace('&amp;', '&nbsp;')],
    ['a second root element', `${browse(1)}<extra/>`],
    ['mismatched tags', browse(1).replace('</th>', '</tr>')],
  ])('refuses an answer that is not well-formed: %s', (_what, text) => {
    expect(() => read(text, 64)).toThrow(XmlSyntaxError);
  });

  it('refuses a row with a cell for a field the header does not have', () => {
    const tr = '<tr><td field="fin.trs.line.other">x</td></tr>';
    expect(() => read(envelope(`<browse xmlns="" result="1">${header}${tr}</browse>`), 64)).toThrow(/not in the header/);
  });
});
