// /webservices/processxml.asmx: ProcessXmlString (the request and result as entity-escaped strings) and
// ProcessXmlDocument (as XML). Requests served: list offices, list dimensions, read dimensions, read a browse
// definition, and browse data (`<columns code="…">`). Business errors answer inside HTTP 200 with
// result="0" msgtype="error" msg="…".
import { BrowseError, browseDefinitionWriter, parseBrowseRequest, prepareBrowse } from './browse';
import { faults, messages } from './messages';
import { DIMENSION_TYPE_NAMES, DIMENSION_TYPES, type DimensionType, type OfficeBooks } from './officeBooks';
import { NS } from './soap';
import { companyOf, requireCompany, type OperationReply, type Principal, type SoapCall, type SoapOperation, type SoapService } from './soapService';
import { child, childNames, childText, InvalidXml, parseXmlDocument, textOf, type XmlNode } from './xmlRequest';
import type { Attributes, XmlWriter } from './xmlWriter';

interface XmlRequest {
  name: string;
  element: XmlNode;
}

/** `list`, `read` and `columns` are reads (1 credit); anything else costs 3. */
const READ_REQUESTS = new Set(['list', 'read', 'columns']);

/** The xmlRequest of either operation, or why it is not XML. */
function xmlRequestOf(call: SoapCall): XmlRequest | InvalidXml {
  const holder = child(call.body, 'xmlRequest');
  try {
    if (call.request.operation === 'ProcessXmlString') return parseXmlDocument(textOf(holder) ?? '');
    const roots = childNames(holder);
    if (roots.length !== 1) throw new InvalidXml(roots.length === 0 ? 'Root element is missing.' : 'There are multiple root elements.');
    const element = child(holder, roots[0]);
    return { name: roots[0], element: element ?? '' };
  } catch (error) {
    if (error instanceof InvalidXml) return error;
    throw error;
  }
}

/** A request parsed once per call, shared by credits, administration and the handler. */
const parsedRequests = new WeakMap<SoapCall, XmlRequest | InvalidXml>();
function parsed(call: SoapCall): XmlRequest | InvalidXml {
  let result = parsedRequests.get(call);
  if (!result) parsedRequests.set(call, (result = xmlRequestOf(call)));
  return result;
}

/**
 * Writes the result document. `root` goes on its root element: `xmlns=""` inside ProcessXmlDocumentResult, whose
 * parent declares the Twinfield namespace as default while the result document itself has no namespace.
 */
type ResultWriter = (writer: XmlWriter, root: Attributes) => void;

function errorResult(element: string, message: string): ResultWriter {
  return (w, root) => w.element(element, null, { ...root, result: '0', msgtype: 'error', msg: message });
}

function office(call: SoapCall, code: string | undefined): OfficeBooks | undefined {
  return code ? call.context.offices.get(code.toUpperCase()) : undefined;
}

function resultOf(call: SoapCall, principal: Principal | undefined, request: XmlRequest): ResultWriter {
  const { name, element } = request;
  if (name === 'list') return listResult(call, principal, element);
  if (name === 'read') return readResult(call, principal, element);
  if (name === 'columns') return columnsResult(call, principal, element);
  return errorResult(name, messages.notSupportedInSandbox(name));
}

function listResult(call: SoapCall, principal: Principal | undefined, element: XmlNode): ResultWriter {
  const type = childText(element, 'type')?.trim() ?? '';
  if (type === 'offices') {
    return (w, root) => {
      w.open('offices', { ...root, result: '1' });
      for (const books of call.context.offices.values()) w.element('office', books.code, { name: books.name, shortname: books.shortname });
      w.close('offices');
    };
  }
  if (type === 'dimensions') {
    const code = childText(element, 'office')?.trim() || requireCompany(call, principal);
    const dimtype = (childText(element, 'dimtype')?.trim() ?? '').toUpperCase();
    const books = office(call, code);
    if (!books) return errorResult('dimensions', messages.noAccessToOffice);
    if (!DIMENSION_TYPES.includes(dimtype as DimensionType)) return errorResult('dimensions', messages.unknownDimensionType(dimtype));
    return (w, root) => {
      w.open('dimensions', { ...root, office: books.code, type: dimtype, result: '1' });
      for (const d of books.dimensions(dimtype as DimensionType)) w.element('dimension', d.code, { name: d.name, shortname: d.shortname });
      w.close('dimensions');
    };
  }
  return errorResult('list', messages.unknownListType(type));
}

function readResult(call: SoapCall, principal: Principal | undefined, element: XmlNode): ResultWriter {
  const type = childText(element, 'type')?.trim() ?? '';
  const code = childText(element, 'office')?.trim() || requireCompany(call, principal);
  if (type === 'browse') {
    const browseCode = childText(element, 'code')?.trim() ?? '';
    const books = office(call, code);
    if (!books) return errorResult('browse', messages.noAccessToOffice);
    try {
      return browseDefinitionWriter(browseCode, books);
    } catch (error) {
      if (error instanceof BrowseError) return errorResult('browse', error.message);
      throw error;
    }
  }
  if (type !== 'dimensions') return errorResult('read', messages.unknownReadType(type));
  const books = office(call, code);
  if (!books) return errorResult('dimension', messages.noAccessToOffice);
  const dimtype = (childText(element, 'dimtype')?.trim() ?? '').toUpperCase() as DimensionType;
  const dimCode = childText(element, 'code')?.trim() ?? '';
  if (!DIMENSION_TYPES.includes(dimtype)) return errorResult('dimension', messages.unknownDimensionType(dimtype));
  const d = books.dimension(dimtype, dimCode);
  if (!d) return errorResult('dimension', messages.unknownDimension(dimtype, dimCode));
  return (w, root) => {
    w.open('dimension', { ...root, status: d.status, result: '1' });
    w.element('office', books.code, { name: books.name, shortname: books.shortname });
    w.element('type', d.type, { name: DIMENSION_TYPE_NAMES[d.type], shortname: DIMENSION_TYPE_NAMES[d.type] });
    w.element('code', d.code).element('name', d.name).element('shortname', d.shortname).element('uid', d.uid);
    w.element('inuse', 'true').element('behaviour', 'normal').element('touched', '1');
    if (d.relation) {
      w.element('website', '').element('vatnumber', d.relation.vatNumber).element('cocnumber', d.relation.chamberOfCommerce);
      w.open('addresses').open('address', { default: 'true', type: 'invoice', id: '1' });
      w.element('name', d.name).element('country', d.relation.country, { name: d.relation.country, shortname: d.relation.country });
      w.element('city', d.relation.city).element('postcode', d.relation.postcode);
      w.close('address').close('addresses');
      w.open('financials').element('duedays', d.relation.paymentDays).close('financials');
    }
    w.close('dimension');
  };
}

function columnsResult(call: SoapCall, principal: Principal | undefined, element: XmlNode): ResultWriter {
  const books = office(call, requireCompany(call, principal));
  if (!books) return errorResult('browse', messages.noAccessToOffice);
  try {
    const request = parseBrowseRequest(element);
    // An office criterion naming an office outside the user's reach is refused rather than answered empty.
    for (const column of request.columns) {
      if (column.field === 'fin.trs.head.office' && column.operator === 'equal' && column.from !== '' && !office(call, column.from)) {
        return errorResult('browse', messages.noAccessToOffice);
      }
    }
    const prepared = prepareBrowse(request, books);
    return (w, root) => prepared.write(w, root);
  } catch (error) {
    if (error instanceof BrowseError) return errorResult('browse', error.message);
    throw error;
  }
}

/** The SOAP reply: the result document inside ProcessXmlStringResult (as escaped text) or ProcessXmlDocumentResult. */
function reply(call: SoapCall, principal: Principal | undefined, asString: boolean): OperationReply {
  const request = parsed(call);
  if (request instanceof InvalidXml) throw faults.invalidXml(request.message);
  const write = resultOf(call, principal, request);
  const operation = asString ? 'ProcessXmlStringResponse' : 'ProcessXmlDocumentResponse';
  const result = asString ? 'ProcessXmlStringResult' : 'ProcessXmlDocumentResult';
  return {
    body: (w) => {
      w.open(operation, { xmlns: NS.twinfield }).open(result);
      if (asString) w.asText((inner) => write(inner, {}));
      else write(w, { xmlns: '' });
      w.close(result).close(operation);
    },
  };
}

function processXmlOperation(name: 'ProcessXmlString' | 'ProcessXmlDocument'): SoapOperation {
  return {
    element: name,
    soapAction: `${NS.twinfield}${name}`,
    credits: (call) => {
      const request = parsed(call);
      return request instanceof InvalidXml || !READ_REQUESTS.has(request.name) ? 3 : 1;
    },
    administration: (call) => {
      const request = parsed(call);
      const fromRequest = request instanceof InvalidXml ? undefined : childText(request.element, 'office')?.trim();
      return fromRequest || companyOf(call, undefined);
    },
    handle: (call, principal) => reply(call, principal, name === 'ProcessXmlString'),
  };
}

export const processXmlService: SoapService = {
  path: '/webservices/processxml.asmx',
  style: 'asmx',
  operations: [processXmlOperation('ProcessXmlString'), processXmlOperation('ProcessXmlDocument')],
};

