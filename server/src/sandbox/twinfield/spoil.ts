// How the Twinfield simulator spoils one of its own SOAP answers for an injected fault (`wrongType`,
// `missingKey`, `huge`). The rows are browse `<tr>`s (inside ProcessXmlStringResult as escaped text),
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

function wrongType(xml: string, fault: AnswerFault): string | null {
  const word = fault.value === undefined || fault.value === null ? NOT_A_NUMBER : String(fault.value);
  if (fault.field !== undefined) {
    const name = fault.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return replaceFirst(xml, new RegExp(`(<td[^>]*\\bfield="${name}"[^>]*>|<${name}(?:\\s[^>]*)?>)([^<]*)(<)`), (m) => `${m[1]}${escapeText(word)}${m[3]}`);
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
