// Reads the XML that clients send to the Twinfield simulator (SOAP envelopes and ProcessXml requests)
// with fast-xml-parser, strictly enough to refuse what the real .NET service refuses: malformed XML, a DTD,
// undeclared entities, more than one root element.
import { XMLParser } from 'fast-xml-parser';

/** A parsed element: text, or an object of child elements (`@_name` for attributes, `#text` for mixed text). */
export type XmlNode = string | XmlElement;
export interface XmlElement {
  [name: string]: XmlNode | XmlNode[] | undefined;
}

export class InvalidXml extends Error {}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Namespace prefixes differ per client (soap:, s:, soapenv:, twin:, b:); the simulator matches local names.
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // Decodes numeric character references (&#xD;) as .NET does; named HTML entities never get here (see below).
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** An entity reference XML itself defines (the five named ones or a character reference). */
const UNDECLARED_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;

/** Parses one XML document with exactly one root element; throws {@link InvalidXml}. */
export function parseXmlDocument(xml: string): { name: string; element: XmlNode } {
  if (/<!DOCTYPE/i.test(xml)) throw new InvalidXml('DTD is prohibited in this XML document.');
  if (UNDECLARED_ENTITY.test(xml)) throw new InvalidXml('Reference to undeclared entity.');
  let parsed: unknown;
  try {
    parsed = parser.parse(xml, true);
  } catch (error) {
    throw new InvalidXml(error instanceof Error ? error.message : String(error));
  }
  const roots = parsed && typeof parsed === 'object' ? Object.keys(parsed as object) : [];
  if (roots.length !== 1) throw new InvalidXml(roots.length === 0 ? 'Root element is missing.' : 'There are multiple root elements.');
  const value = (parsed as XmlElement)[roots[0]];
  if (Array.isArray(value)) throw new InvalidXml('There are multiple root elements.');
  return { name: roots[0], element: value ?? '' };
}

/** The child element(s) called `name`, always as a list. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!node || typeof node === 'string') return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first child element called `name`. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** The text of an element (empty for an empty element, undefined when absent). */
export function textOf(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  const text = node['#text'];
  return typeof text === 'string' ? text : '';
}

/** The text of child `name`, if present. */
export function childText(node: XmlNode | undefined, name: string): string | undefined {
  return textOf(child(node, name));
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  if (!node || typeof node === 'string') return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** Names of the child elements of `node`, in the parser's order. */
export function childNames(node: XmlNode | undefined): string[] {
  if (!node || typeof node === 'string') return [];
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}
