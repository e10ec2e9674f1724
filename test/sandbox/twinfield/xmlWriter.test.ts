// Unit tests of the simulator's XML writer: whatever a value holds, the output parses back (with
// fast-xml-parser) to exactly that value — also when a whole document is written as escaped text.
import { XMLParser } from 'fast-xml-parser';
import { escapeAttribute, escapeText, PreparedAttributes, XmlWriter } from '../../../server/src/sandbox/twinfield/xmlWriter';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: false });
const parse = (xml: string) => parser.parse(xml, true);
/** XML end-of-line handling: a parser reads CR LF (and a lone CR) as LF. */
const endOfLines = (value: string) => value.replace(/\r\n?/g, '\n');

const HOSTILE = [
  'plain',
  'Groen & Co',
  '<script>alert("x")</script>',
  "it's \"quoted\"",
  ']]> and <![CDATA[ x ]]>',
  '&amp; already escaped',
  'line\nbreak\r\nand\ttab',
  'emoji 😀 and accents éü',
  '',
];

describe('escaping', () => {
  it.each([
    ['a & b', 'a &amp; b', 'a &amp; b'],
    ['<x>', '&lt;x&gt;', '&lt;x&gt;'],
    ['say "hi"', 'say "hi"', 'say &quot;hi&quot;'],
    ['a\r\nb\tc', 'a\r\nb\tc', 'a\r\nb\tc'],
    ['bell\u0007 and lone \uD800 surrogate', 'bell\uFFFD and lone \uFFFD surrogate', 'bell\uFFFD and lone \uFFFD surrogate'],
  ])('escapes %j as text %j and as attribute %j', (value, text, attribute) => {
    expect(escapeText(value)).toBe(text);
    expect(escapeAttribute(value)).toBe(attribute);
  });

  it('returns values without special characters unchanged (the fast path)', () => {
    const value = 'NLA310101 fin.trs.line.valuesigned -121.00';
    expect(escapeText(value)).toBe(value);
    expect(escapeAttribute(value)).toBe(value);
  });
});

describe('XmlWriter', () => {
  it.each(HOSTILE)('round-trips %j as element text and as attribute value', (value) => {
    const xml = new XmlWriter().open('root').element('td', value, { name: value }).close('root').toString();
    const td = parse(xml).root.td;
    expect(typeof td === 'string' ? td : (td['#text'] ?? '')).toBe(endOfLines(value));
    expect(typeof td === 'string' ? undefined : endOfLines(td['@_name'])).toBe(endOfLines(value));
  });

  it.each(HOSTILE)('round-trips %j through a document written as escaped text', (value) => {
    const attributes = new PreparedAttributes({ field: 'f', name: value });
    const outer = new XmlWriter()
      .open('Result')
      .asText((w) => w.open('browse', { result: '1' }).element('td', value, attributes).close('browse'))
      .close('Result')
      .toString();
    const inner = parse(outer).Result as string;
    expect(inner.startsWith('<browse result="1">')).toBe(true);
    const td = parse(inner).browse.td;
    expect(endOfLines(td['@_name'])).toBe(endOfLines(value));
    expect(td['#text'] ?? '').toBe(endOfLines(value));
  });

  it('writes empty elements self-closed and leaves out undefined attributes', () => {
    expect(new XmlWriter().element('SearchResult', null).element('x', '', { a: undefined, b: null, c: '' }).toString()).toBe('<SearchResult/><x c=""></x>');
  });

  it('refuses names that are not XML names and unbalanced closes', () => {
    expect(() => new XmlWriter().open('bad name')).toThrow(/not an XML name/);
    expect(() => new XmlWriter().element('x', 'v', { 'on"click': 'y' })).toThrow(/not an XML name/);
    expect(() => new XmlWriter().open('a').close('b')).toThrow(/closing <b>/);
    expect(() => new XmlWriter().open('a').toString()).toThrow(/unclosed <a>/);
  });

  it('streams a large document in chunks that join to the same text', () => {
    const chunks: string[] = [];
    const streaming = new XmlWriter((chunk) => chunks.push(chunk));
    const whole = new XmlWriter();
    for (const w of [streaming, whole]) {
      w.declaration().open('browse');
      for (let i = 0; i < 20_000; i++) w.element('td', `value ${i} & more`, { field: 'fin.trs.line.description' });
      w.close('browse');
    }
    streaming.end();
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(whole.toString());
  });
});
