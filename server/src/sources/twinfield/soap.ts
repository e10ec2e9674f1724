// SOAP 1.1 as Twinfield speaks it: request envelopes for the .asmx services (a `Header` block) and the WCF .svc
// services (an `Authentication` block), and the reading of answers into a parsed body or a fault. Pure: no I/O.
import { UpstreamMalformed, UpstreamRefused, UpstreamUnavailable } from '../errors';
import { child, childText, el, parseEnvelope, textOf, toXml, XmlSyntaxError, type XmlContent, type XmlObject, type XmlValue } from './xml';

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  twinfield: 'http://www.twinfield.com/',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  shared: 'http://schemas.datacontract.org/2004/07/Twinfield.WebServices.Shared',
  deletedTransactions: 'http://schemas.datacontract.org/2004/07/Twinfield.WebServices.DeletedTransactionsService',
} as const;

/** How a call proves who it is: an OAuth access token, or a (deprecated) password session. */
export type Credentials = { kind: 'token'; accessToken: string } | { kind: 'session'; sessionId: string };

/** An envelope for an .asmx service (processxml, finder, session). `company` is left out when undefined. */
export function asmxEnvelope(credentials: Credentials | undefined, company: string | undefined, body: XmlContent): string {
  const header = credentials
    ? el(
        'soap:Header',
        {},
        el(
          'Header',
          { xmlns: NS.twinfield },
          credentials.kind === 'token' ? el('AccessToken', {}, credentials.accessToken) : el('SessionID', {}, credentials.sessionId),
          company !== undefined && el('CompanyCode', {}, company),
        ),
      )
    : null;
  const envelope = el('soap:Envelope', { 'xmlns:soap': NS.soap, 'xmlns:xsi': NS.xsi, 'xmlns:xsd': NS.xsd }, header, el('soap:Body', {}, body));
  return `<?xml version="1.0" encoding="utf-8"?>${toXml(envelope)}`;
}

/** An envelope for a WCF service (DeletedTransactionsService): credentials in `h:Authentication`. */
export function wcfEnvelope(credentials: Credentials, company: string, body: XmlContent): string {
  const shared = { xmlns: NS.shared };
  const header = el(
    's:Header',
    {},
    el(
      'h:Authentication',
      { 'xmlns:h': NS.twinfield },
      credentials.kind === 'token' ? el('AccessToken', shared, credentials.accessToken) : el('SessionID', shared, credentials.sessionId),
      el('CompanyCode', shared, company),
    ),
  );
  return `<?xml version="1.0" encoding="utf-8"?>${toXml(el('s:Envelope', { 'xmlns:s': NS.soap }, header, el('s:Body', {}, body)))}`;
}

/**
 * A SOAP fault with Twinfield's `<detail><code/>` (354 token invalid, 103 credentials no longer valid, 101 missing
 * token or company, 102 access denied, 168 session taken over, 187 invalid XML), or without a code (the SOAP stack's
 * own faults). Internal: the client turns it into a typed upstream error or a renewed login.
 */
export class TwinfieldFault extends Error {
  constructor(
    readonly code: number | undefined,
    readonly faultMessage: string,
    readonly httpStatus: number,
    /** `Client` or `Server` (prefix removed). */
    readonly side: string,
  ) {
    super(code === undefined ? faultMessage : `${faultMessage} (code ${code})`);
    this.name = 'TwinfieldFault';
  }

  /** The access token or session was refused: renew it and try once more. */
  get loginRefused(): boolean {
    return this.code === 354 || this.code === 103;
  }
}

export interface SoapAnswer {
  /** The envelope's Body element. */
  body: XmlObject;
  /** The envelope's Header element, when present (Logon's SessionID). */
  header?: XmlObject;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * Reads an HTTP answer of a SOAP call: the envelope's body, or a TwinfieldFault, or a typed upstream error for
 * what is not SOAP (5xx pages, unreadable bodies). 429 never reaches here: the transport handles it.
 */
export function readSoapAnswer(answer: HttpAnswer, where: { administration?: string; what: string }): SoapAnswer {
  const options = { administration: where.administration, upstreamStatus: answer.status };
  const during = whileDoing(where);
  const looksLikeXml = /^\s*</.test(answer.text) && !/^\s*<(!doctype\s+)?html/i.test(answer.text);
  if (!looksLikeXml) {
    if (answer.status >= 500) throw new UpstreamUnavailable(`Twinfield answered HTTP ${answer.status}${during}.`, options);
    if (answer.status >= 400) throw new UpstreamRefused(`Twinfield answered HTTP ${answer.status}${during}.`, options);
    throw new UpstreamMalformed(`Twinfield answered something that is not XML${during}.`, options);
  }
  let document: XmlObject;
  try {
    document = parseEnvelope(answer.text);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    if (answer.status >= 500) throw new UpstreamUnavailable(`Twinfield answered HTTP ${answer.status} with unreadable XML${during}.`, options);
    throw new UpstreamMalformed(`Twinfield answered XML that is not well-formed${during}: ${err.message}`, { ...options, cause: err });
  }
  const envelope = child(document, 'Envelope');
  const body = child(envelope, 'Body');
  if (body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    if (answer.status >= 500) throw new UpstreamUnavailable(`Twinfield answered HTTP ${answer.status}${during}.`, options);
    throw new UpstreamMalformed(`Twinfield answered something that is not a SOAP envelope${during}.`, options);
  }
  const fault = child(body, 'Fault');
  if (fault !== undefined) throw readFault(fault, answer.status);
  if (answer.status !== 200) throw new UpstreamUnavailable(`Twinfield answered HTTP ${answer.status}${during}.`, options);
  const header = child(envelope, 'Header');
  return { body, header: header !== undefined && typeof header === 'object' && !Array.isArray(header) ? header : undefined };
}

function readFault(fault: XmlValue, status: number): TwinfieldFault {
  const detail = child(fault, 'detail');
  const codeText = childText(detail, 'code');
  const code = /^\d+$/.test(codeText) ? Number(codeText) : undefined;
  const message = childText(detail, 'message') || textOf(child(fault, 'faultstring')).trim() || 'SOAP fault without a message';
  const side = textOf(child(fault, 'faultcode')).replace(/^.*:/, '').trim() || 'Server';
  return new TwinfieldFault(code, message, status, side);
}

/** The typed error a fault becomes when it is not answered by renewing the login. */
export function faultToError(fault: TwinfieldFault, where: { administration?: string; what: string }): UpstreamRefused | UpstreamUnavailable {
  const options = { administration: where.administration, upstreamStatus: fault.httpStatus, cause: fault };
  if (fault.code === undefined && fault.side !== 'Client') {
    return new UpstreamUnavailable(`Twinfield failed${whileDoing(where)}: ${fault.faultMessage}`, options);
  }
  const code = fault.code === undefined ? '' : ` (code ${fault.code})`;
  return new UpstreamRefused(`Twinfield refused the request${whileDoing(where)}: ${fault.faultMessage}${code}`, options);
}

/** " while browsing 030_3 for office NLA310101": where a message says the failure happened. */
export function whileDoing(where: { administration?: string; what: string }): string {
  return ` while ${where.what}${where.administration ? ` for office ${where.administration}` : ''}`;
}
