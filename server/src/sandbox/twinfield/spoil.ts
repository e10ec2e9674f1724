// How the Twinfield simulator spoils one of its own SOAP answers for an injected fault (`wrongType`,
// `missingKey`, `huge`). The rows are browse `<tr>`s (inside ProcessXmlStringResult as escaped text, or in
// ProcessXmlDocumentResult as XML; cells by field attribute, or by their place under `<th>` when optimized),
// Finder items, the office list or deleted transactions; the spoiling works on their XML text.
import type { AnswerFault } from '../common/controls';
import { escapeText } from './xmlWriter';

/** A word where a number is due. */
const NOT_A_NUMBER = 'twelve';

const RESULT_OPEN = '<ProcessXmlStringResult>';
const RESULT_CLOSE = '</ProcessXmlStringResult>';

function unescapeText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** Replaces the first match of `pattern` in `xml` by `replace(match)`; `null` when nothing matched. */
function replaceFirst(xml: string, pattern: RegExp, replace: (match: RegExpExecArray) => string): string | null {
  const match = pattern.exec(xml);
  if (!match) return null;
  return xml.slice(0, match.index) + replace(match) + xml.slice(match.index + match[0].length);
}

/** The first row of each kind of answer, in the order they are looked for. */
const FIRST_ROW = [/<tr>[\s\S]*?<\/tr>/, /<ArrayOfString>[\s\S]*?<\/ArrayOfString>/, /<b:DeletedTransaction>[\s\S]*?<\/b:DeletedTransaction>/, /<office\b[^>]*>[^<]*<\/office>/];

/** The first browse row with the cell at `index` (counted under `<th>`, as optimized answers place cells) replaced. */
function replaceCell(xml: string, index: number, text: string): string | null {
  return replaceFirst(xml, /<tr>[\s\S]*?<\/tr>/, (row) => {
    let seen = -1;
    // Empty cells may be written self-closed; they count all the same.
    return row[0].replace(/(<td\b[^>]*?)(?:\/>|>[^<]*<\/td>)/g, (cell, open: string) => (++seen === index ? `${open}>${text}</td>` : cell));
  });
}

function wrongType(xml: string, fault: AnswerFault): string | null {
  const word = fault.value === undefined || fault.value === null ? NOT_A_NUMBER : String(fault.value);
  if (fault.field !== undefined) {
    const name = fault.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const byAttribute = replaceFirst(xml, new RegExp(`(<td[^>]*\\bfield="${name}"[^>]*>|<${name}(?:\\s[^>]*)?>)([^<]*)(<)`), (m) => `${m[1]}${escapeText(word)}${m[3]}`);
    if (byAttribute !== null) return byAttribute;
    // An optimized browse names its fields once, in <th>; the rows' cells follow that order.
    const header = /<th>([\s\S]*?)<\/th>/.exec(xml);
    const fields = header ? [...header[1].matchAll(/<td\b[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]) : [];
    const index = fields.indexOf(fault.field);
    return index < 0 ? null : replaceCell(xml, index, escapeText(word));
  }
  for (const row of FIRST_ROW) {
    const spoiled = replaceFirst(xml, row, (m) => replaceFirst(m[0], />(-?\d+(?:\.\d+)?)</, () => `>${escapeText(word)}<`) ?? m[0]);
    if (spoiled !== null && spoiled !== xml) return spoiled;
  }
  return replaceFirst(xml, />(-?\d+(?:\.\d+)?)</, () => `>${escapeText(word)}<`);
}

function missingKey(xml: string): string | null {
  return (
    replaceFirst(xml, /<key>[\s\S]*?<\/key>/, () => '') ??
    replaceFirst(xml, /(<Items>\s*<ArrayOfString>\s*)<string>[^<]*<\/string>/, (m) => m[1]) ??
    replaceFirst(xml, /<b:TransactionNumber>[^<]*<\/b:TransactionNumber>/, () => '') ??
    replaceFirst(xml, /(<office\b[^>]*>)[^<]*(<\/office>)/, (m) => `${m[1]}${m[2]}`)
  );
}

function huge(xml: string, copies: number): string | null {
  for (const row of FIRST_ROW) {
    const spoiled = replaceFirst(xml, row, (m) => m[0].repeat(copies));
    if (spoiled !== null) return spoiled;
  }
  return null;
}

function spoilDocument(xml: string, fault: AnswerFault): string {
  const spoiled = fault.kind === 'wrongType' ? wrongType(xml, fault) : fault.kind === 'missingKey' ? missingKey(xml) : fault.kind === 'huge' ? huge(xml, fault.copies) : null;
  return spoiled ?? xml;
}

/** The answer with the fault applied to its first row (or all rows, for `huge`); an answer without rows is sent as it was. */
export function spoilTwinfieldAnswer(text: string, fault: AnswerFault): string {
  const open = text.indexOf(RESULT_OPEN);
  const close = text.indexOf(RESULT_CLOSE);
  if (open < 0 || close < open) return spoilDocument(text, fault);
  const start = open + RESULT_OPEN.length;
  const inner = unescapeText(text.slice(start, close));
  return `${text.slice(0, start)}${escapeText(spoilDocument(inner, fault))}${text.slice(close)}`;
}
