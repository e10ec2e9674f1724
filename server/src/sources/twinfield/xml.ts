// XML in and out for the Twinfield client. Out: a tiny element tree serialised by fast-xml-parser's XMLBuilder,
// which escapes every text and attribute value, so office codes, dimension codes, dates and patterns can never
// break or inject markup. In: fast-xml-parser, strict, with numeric character references decoded (`htmlEntities`).
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** What an element may hold: child elements and text (null/undefined/false are skipped). */
export type XmlContent = XmlElement | string | number | null | undefined | false;

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | undefined>>;
  readonly children: readonly XmlContent[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** An element. Names are fixed by the code (never user values) and checked anyway. */
export function el(name: string, attributes: Record<string, string | number | undefined> = {}, ...children: XmlContent[]): XmlElement {
  if (!NAME.test(name)) throw new RangeError(`not an XML name: ${JSON.stringify(name)}`);
  for (const key of Object.keys(attributes)) if (!NAME.test(key)) throw new RangeError(`not an XML attribute name: ${JSON.stringify(key)}`);
  return { name, attributes, children };
}

// Characters XML 1.0 does not allow at all (C0 controls other than tab/newline/return, U+FFFE/U+FFFF, lone surrogates).
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A value as XML can carry it: characters XML 1.0 cannot hold at all are dropped (escaping is the builder's). */
function carriable(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(FORBIDDEN, '') : value;
}

// fast-xml-parser's builder writes the markup and escapes every text and attribute value (& < > " ').
const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  processEntities: true,
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  format: false,
  tagValueProcessor: (_name, value) => carriable(value),
  attributeValueProcessor: (_name, value) => carriable(value),
});

type OrderedNode = { [name: string]: OrderedNode[] | string } & { ':@'?: Record<string, string> };

function ordered(node: XmlElement): OrderedNode {
  const children: OrderedNode[] = [];
  for (const child of node.children) {
    if (child === null || child === undefined || child === false) continue;
    children.push(typeof child === 'object' ? ordered(child) : ({ '#text': String(child) } as OrderedNode));
  }
  const result = { [node.name]: children } as OrderedNode;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(node.attributes)) if (value !== undefined) attributes[`@_${key}`] = String(value);
  if (Object.keys(attributes).length > 0) result[':@'] = attributes;
  return result;
}

/**
 * Serialises an element tree (no declaration) with fast-xml-parser's XMLBuilder. Text keeps tabs and line feeds;
 * a carriage return reaches a reader as a line feed (XML end-of-line handling), as in any XML document.
 */
export function toXml(node: XmlElement): string {
  return builder.build([ordered(node)]) as string;
}

/** A parsed element: attributes as `@_name`, text as `#text`, children by local name (namespace prefixes removed). */
export type XmlObject = { [name: string]: XmlValue };
export type XmlValue = string | XmlObject | XmlValue[];

/** Elements that repeat: always parsed as lists, even with one occurrence (by name alone: it is checked for every tag). */
const LISTS = new Set(['tr', 'td', 'office', 'ArrayOfString', 'string', 'MessageOfErrorCodes', 'DeletedTransaction', 'address']);
const isArray = (name: string) => LISTS.has(name);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Numeric character references (&#xD;) are decoded only with htmlEntities; the real service sends them.
  htmlEntities: true,
  isArray,
  jPath: false,
});

/**
 * The same, but the text of ProcessXmlStringResult is kept raw (still escaped): a browse answer is one text node of
 * tens of megabytes, which decodeXmlText unescapes far faster than the parser's entity handling.
 */
const envelopeParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true,
  isArray,
  jPath: false,
  stopNodes: ['*.ProcessXmlStringResult'],
});

export class XmlSyntaxError extends Error {}

/** Parses a document strictly; throws XmlSyntaxError when it is not well-formed. */
export function parseXml(xml: string): XmlObject {
  try {
    return parser.parse(xml, true) as XmlObject;
  } catch (err) {
    throw new XmlSyntaxError(err instanceof Error ? err.message : String(err));
  }
}

/** Parses a SOAP envelope strictly, leaving ProcessXmlStringResult's content raw for decodeXmlText. */
export function parseEnvelope(xml: string): XmlObject {
  try {
    return envelopeParser.parse(xml, true) as XmlObject;
  } catch (err) {
    throw new XmlSyntaxError(err instanceof Error ? err.message : String(err));
  }
}

const AMPERSAND_OR_REFERENCE = /&(?:(amp)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;

/** The character data of raw element content: entities and character references decoded, CDATA sections unwrapped. */
export function decodeXmlText(raw: string): string {
  return raw
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) => {
      if (part.startsWith('<![CDATA[')) return part.slice(9, -3);
      if (part.includes('<')) throw new XmlSyntaxError('the element holds markup where text was expected');
      // Plain whole-string replaces are much faster than a callback per match on a megabytes-long text. `&amp;` and
      // character references go last, in one pass, so neither `&amp;lt;` nor `&#38;amp;` is decoded twice.
      return part
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(AMPERSAND_OR_REFERENCE, (_m, amp: string | undefined, decimal: string | undefined, hex: string | undefined) => {
          if (amp) return '&';
          const code = decimal !== undefined ? Number(decimal) : parseInt(hex ?? '', 16);
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new XmlSyntaxError(`invalid character reference &#${decimal ?? `x${hex}`};`);
          return String.fromCodePoint(code);
        });
    })
    .join('');
}

/** A child element (the first, when several). */
export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const value = node[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Child elements of one name, as a list. */
export function children(node: XmlValue | undefined, name: string): XmlValue[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The text of an element (empty for an empty element). */
export function textOf(node: XmlValue | undefined): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return textOf(node[0]);
  const text = node['#text'];
  return typeof text === 'string' ? text : '';
}

/** An attribute of an element, or undefined. */
export function attributeOf(node: XmlValue | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The text of a child element, trimmed. */
export function childText(node: XmlValue | undefined, name: string): string {
  return textOf(child(node, name)).trim();
}
