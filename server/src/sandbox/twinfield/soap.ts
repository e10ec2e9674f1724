// SOAP 1.1 as the Twinfield services speak it: reading request envelopes (the `Header` of the .asmx services
// or the `Authentication` header of the WCF .svc services) and writing response and fault envelopes.
import type { TwinfieldFault } from './messages';
import { child, childNames, childText, type XmlNode, parseXmlDocument, InvalidXml } from './xmlRequest';
import { XmlWriter } from './xmlWriter';

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  twinfield: 'http://www.twinfield.com/',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  /** Members of the WCF `Authentication` header. */
  shared: 'http://schemas.datacontract.org/2004/07/Twinfield.WebServices.Shared',
  deletedTransactions: 'http://schemas.datacontract.org/2004/07/Twinfield.WebServices.DeletedTransactionsService',
} as const;

/** ASP.NET .asmx services (`soap:` prefix) or WCF .svc services (`s:` prefix). */
export type SoapStyle = 'asmx' | 'wcf';

export interface SoapHeader {
  accessToken?: string;
  sessionId?: string;
  /** Present (possibly empty) when the header has a CompanyCode element. */
  companyCode?: string;
  companyId?: string;
}

export interface SoapRequest {
  header: SoapHeader;
  /** Local name of the body's element (the operation). */
  operation: string;
  body: XmlNode;
}

/** Reads a SOAP 1.1 envelope; throws {@link InvalidXml} when it is not one. */
export function readEnvelope(xml: string): SoapRequest {
  const { name, element } = parseXmlDocument(xml);
  if (name !== 'Envelope') throw new InvalidXml('The root element is not a SOAP Envelope.');
  const body = child(element, 'Body');
  const operations = childNames(body);
  if (operations.length !== 1) throw new InvalidXml('The SOAP Body must hold exactly one element.');
  const headerBlock = child(element, 'Header');
  const header: SoapHeader = {};
  for (const block of [child(headerBlock, 'Header'), child(headerBlock, 'Authentication')]) {
    if (!block) continue;
    header.accessToken ??= nonEmpty(childText(block, 'AccessToken'));
    header.sessionId ??= nonEmpty(childText(block, 'SessionID')) ?? nonEmpty(childText(block, 'SessionId'));
    header.companyCode ??= childText(block, 'CompanyCode')?.trim();
    header.companyId ??= nonEmpty(childText(block, 'CompanyId'));
  }
  return { header, operation: operations[0], body: child(body, operations[0]) ?? '' };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The SOAPAction header without its quotes. */
export function soapAction(header: string | undefined): string {
  return (header ?? '').trim().replace(/^"(.*)"$/, '$1');
}

const PREFIX: Record<SoapStyle, string> = { asmx: 'soap', wcf: 's' };

/** A whole response envelope as a string (faults and other small answers). */
export function envelope(style: SoapStyle, writeBody: (writer: XmlWriter) => void, writeHeader?: (writer: XmlWriter) => void): string {
  const writer = new XmlWriter();
  writeEnvelope(writer, style, writeBody, writeHeader);
  return writer.toString();
}

/** Writes a response envelope into `writer`; `writeHeader` adds SOAP header blocks (Logon's SessionID). */
export function writeEnvelope(writer: XmlWriter, style: SoapStyle, writeBody: (writer: XmlWriter) => void, writeHeader?: (writer: XmlWriter) => void): void {
  const p = PREFIX[style];
  writer.declaration();
  writer.open(`${p}:Envelope`, style === 'asmx' ? { 'xmlns:soap': NS.soap, 'xmlns:xsi': NS.xsi, 'xmlns:xsd': NS.xsd } : { 'xmlns:s': NS.soap });
  if (writeHeader) {
    writer.open(`${p}:Header`);
    writeHeader(writer);
    writer.close(`${p}:Header`);
  }
  writer.open(`${p}:Body`);
  writeBody(writer);
  writer.close(`${p}:Body`);
  writer.close(`${p}:Envelope`);
}

/** A Twinfield fault: `<detail><message/><code/><source/></detail>`. */
export function twinfieldFaultEnvelope(style: SoapStyle, fault: TwinfieldFault, actor: string, source: string): string {
  const p = PREFIX[style];
  return envelope(style, (w) => {
    w.open(`${p}:Fault`);
    w.element('faultcode', `${p}:Client`).element('faultstring', fault.message).element('faultactor', actor);
    w.open('detail').element('message', fault.message).element('code', fault.code).element('source', source).close('detail');
    w.close(`${p}:Fault`);
  });
}

/** A fault of the SOAP stack itself (unreadable envelope, unknown SOAPAction), without Twinfield detail. */
export function protocolFaultEnvelope(style: SoapStyle, message: string, side: 'Client' | 'Server' = 'Client'): string {
  const p = PREFIX[style];
  return envelope(style, (w) => {
    w.open(`${p}:Fault`).element('faultcode', `${p}:${side}`).element('faultstring', message).close(`${p}:Fault`);
  });
}
