// /webservices/finder.asmx Search: type DIM (dimensions of one office, by dimtype) and OFF (offices), with a
// wildcard pattern, firstRow/maxRows paging and TotalRows. Errors are MessageOfErrorCodes in SearchResult.
import { messages } from './messages';
import { DIMENSION_TYPES, type DimensionType, twinfieldDateTime } from './officeBooks';
import { NS } from './soap';
import { companyOf, requireCompany, type OperationReply, type SoapCall, type SoapOperation, type SoapService } from './soapService';
import { child, childText, children, textOf } from './xmlRequest';
import type { XmlWriter } from './xmlWriter';

type ErrorCode =
  | 'NoAccessToOffice'
  | 'OptionNotAllowed'
  | 'InvalidBooleanOptionValue'
  | 'InvalidEnumerationOptionValue'
  | 'ParameterOutOfRange'
  | 'InvalidFinderType'
  | 'ParameterTooSmall'
  | 'InvalidDateTimeOptionLength'
  | 'InvalidDateTimeOptionValue'
  | 'OptionMandatory';

class FinderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly parameters: string[] = [],
  ) {
    super(message);
  }
}

interface SearchRequest {
  type: string;
  pattern: string;
  field: number;
  firstRow: number;
  maxRows: number;
  options: Map<string, string>;
}

interface FinderResult {
  columns: string[];
  items: string[][];
}

/** The requested page of a result. */
interface FinderPage extends FinderResult {
  total: number;
}

function integer(call: SoapCall, name: string, fallback: number): number {
  const raw = childText(call.body, name)?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new FinderError('ParameterOutOfRange', `Parameter ${name} heeft een ongeldige waarde.`, [name]);
  return Number(raw);
}

function readRequest(call: SoapCall): SearchRequest {
  const options = new Map<string, string>();
  for (const pair of children(child(call.body, 'options'), 'ArrayOfString')) {
    const [name, value] = children(pair, 'string').map((s) => textOf(s)?.trim() ?? '');
    if (name) options.set(name.toLowerCase(), value ?? '');
  }
  return {
    type: childText(call.body, 'type')?.trim().toUpperCase() ?? '',
    pattern: childText(call.body, 'pattern')?.trim() || '*',
    field: integer(call, 'field', 0),
    firstRow: integer(call, 'firstRow', 1),
    maxRows: integer(call, 'maxRows', 100),
    options,
  };
}

/** `*` matches any run, `?` one character; case-insensitive, anchored. */
function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\%]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function allowOnly(options: Map<string, string>, allowed: string[]): void {
  for (const name of options.keys()) {
    if (!allowed.includes(name)) throw new FinderError('OptionNotAllowed', `Optie ${name} is niet toegestaan.`, [name]);
  }
}

function search(call: SoapCall, request: SearchRequest, company: () => string): FinderResult {
  if (request.field < 0 || request.field > 2) throw new FinderError('ParameterOutOfRange', 'Parameter field moet 0, 1 of 2 zijn.', ['field']);
  const pattern = wildcard(request.pattern);
  // field 0 searches code and name, 1 only the code, 2 only the name.
  const matches = (code: string, name: string) =>
    (request.field !== 2 && pattern.test(code)) || (request.field !== 1 && pattern.test(name));

  if (request.type === 'OFF') {
    allowOnly(request.options, []);
    const items = [...call.context.offices.values()].filter((o) => matches(o.code, o.name)).map((o) => [o.code, o.name, 'NL']);
    return { columns: ['Code', 'Name', 'Country'], items };
  }
  if (request.type !== 'DIM') throw new FinderError('InvalidFinderType', `Finder-type ${request.type || '(leeg)'} bestaat niet of wordt niet ondersteund door de sandbox.`, [request.type]);

  allowOnly(request.options, ['dimtype', 'company', 'includehidden', 'modifiedsince']);
  const dimtype = request.options.get('dimtype')?.toUpperCase();
  if (!dimtype) throw new FinderError('OptionMandatory', 'Optie dimtype is verplicht.', ['dimtype']);
  if (!DIMENSION_TYPES.includes(dimtype as DimensionType)) throw new FinderError('InvalidEnumerationOptionValue', messages.unknownDimensionType(dimtype), ['dimtype', dimtype]);
  const includeHidden = request.options.get('includehidden') ?? '0';
  if (includeHidden !== '0' && includeHidden !== '1') throw new FinderError('InvalidBooleanOptionValue', `Optie includehidden moet 0 of 1 zijn.`, ['includehidden', includeHidden]);
  const since = request.options.get('modifiedsince');
  if (since !== undefined) {
    if (since.length !== 14) throw new FinderError('InvalidDateTimeOptionLength', 'Optie modifiedsince moet de vorm JJJJMMDDUUMMSS hebben.', ['modifiedsince', since]);
    if (!/^\d{14}$/.test(since)) throw new FinderError('InvalidDateTimeOptionValue', `Optie modifiedsince heeft een ongeldige waarde.`, ['modifiedsince', since]);
  }
  const officeCode = (request.options.get('company') || company()).toUpperCase();
  const books = call.context.offices.get(officeCode);
  if (!books) throw new FinderError('NoAccessToOffice', messages.noAccessToOffice, [officeCode]);
  const items = books
    .dimensions(dimtype as DimensionType)
    .filter((d) => includeHidden === '1' || d.status !== 'hide')
    .filter((d) => since === undefined || twinfieldDateTime(d.modified) >= since)
    .filter((d) => matches(d.code, d.name))
    .map((d) => [d.code, d.name]);
  return { columns: ['Code', 'Name'], items };
}

function page(result: FinderResult, request: SearchRequest): FinderPage {
  if (request.firstRow < 1) throw new FinderError('ParameterTooSmall', 'Parameter firstRow moet minimaal 1 zijn.', ['firstRow']);
  if (request.maxRows < 1) throw new FinderError('ParameterTooSmall', 'Parameter maxRows moet minimaal 1 zijn.', ['maxRows']);
  const start = request.firstRow - 1;
  return { columns: result.columns, items: result.items.slice(start, start + request.maxRows), total: result.items.length };
}

function writeResponse(w: XmlWriter, result: FinderPage | FinderError): void {
  w.open('SearchResponse', { xmlns: NS.twinfield });
  if (result instanceof FinderError) {
    w.open('SearchResult').open('MessageOfErrorCodes');
    w.element('Type', 'Error').element('Text', result.message).element('Code', result.code);
    w.open('Parameters');
    for (const p of result.parameters) w.element('string', p);
    w.close('Parameters').close('MessageOfErrorCodes').close('SearchResult');
  } else {
    w.element('SearchResult', null);
    w.open('data').element('TotalRows', result.total);
    w.open('Columns');
    for (const column of result.columns) w.element('string', column);
    w.close('Columns').open('Items');
    for (const item of result.items) {
      w.open('ArrayOfString');
      for (const value of item) w.element('string', value);
      w.close('ArrayOfString');
    }
    w.close('Items').close('data');
  }
  w.close('SearchResponse');
}

const searchOperation: SoapOperation = {
  element: 'Search',
  soapAction: `${NS.twinfield}Search`,
  credits: () => 1,
  administration: (call) => {
    const company = children(child(call.body, 'options'), 'ArrayOfString')
      .map((pair) => children(pair, 'string').map((s) => textOf(s)?.trim() ?? ''))
      .find(([name]) => name?.toLowerCase() === 'company')?.[1];
    return company || companyOf(call, undefined);
  },
  handle: (call, principal): OperationReply => {
    let result: FinderPage | FinderError;
    try {
      const request = readRequest(call);
      result = page(search(call, request, () => requireCompany(call, principal)), request);
    } catch (error) {
      if (!(error instanceof FinderError)) throw error;
      result = error;
    }
    return { body: (w) => writeResponse(w, result) };
  },
};

export const finderService: SoapService = {
  path: '/webservices/finder.asmx',
  style: 'asmx',
  operations: [searchOperation],
};
