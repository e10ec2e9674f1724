// The Twinfield client of one connection: the SOAP operations Ledgerfeed uses — ProcessXmlString (list offices,
// read dimensions), ProcessXmlDocument for browse data (read while it streams: a book year is tens of megabytes),
// Finder Search, and the deleted-transactions query — over whichever login the
// connection has (OAuth, or the deprecated password session). Faults and business errors (`result="0"`, Finder's
// MessageOfErrorCodes) become typed upstream errors that name the office and carry Twinfield's own (Dutch) words.
import { UpstreamMalformed, UpstreamRefused } from '../errors';
import { BrowseShapeError, type BrowseColumn, type BrowseRow } from './browse';
import { BrowseStreamReader, ResultRefused, UnexpectedAnswer } from './browse-stream';
import type { BudgetKey } from './fair-use';
import { asmxEnvelope, faultToError, NS, TwinfieldFault, wcfEnvelope, whileDoing, type Credentials } from './soap';
import type { SoapTransport } from './transport';
import { attributeOf, child, children, childText, decodeXmlText, el, parseXml, textOf, toXml, XmlSyntaxError, type XmlElement, type XmlObject } from './xml';

/** A way of being logged in to Twinfield: what credentials go into a call, where it goes, and how a refusal is recovered. */
export interface TwinfieldLogin {
  /** Whose fair-use budget the calls spend. */
  readonly budget: BudgetKey;
  /** Runs `call` with this login's credentials and cluster; renews the login once when Twinfield refuses it. */
  run<T>(office: string | undefined, call: (credentials: Credentials, clusterUrl: string) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface OfficeListing {
  code: string;
  name: string;
  shortname: string;
}

export interface FinderQuery {
  type: 'DIM' | 'OFF';
  /** `*` and `?` wildcards. */
  pattern?: string;
  /** 0 code or name, 1 code, 2 name. */
  field?: 0 | 1 | 2;
  firstRow: number;
  maxRows: number;
  /** Finder options as name/value pairs: dimtype, includehidden, modifiedsince, company. */
  options: ReadonlyArray<readonly [string, string]>;
}

export interface FinderPage {
  /** Every match, not just this page's. */
  total: number;
  columns: string[];
  items: string[][];
}

export interface DeletedTransaction {
  /** Journal (daybook) code. */
  daybook: string;
  /** Transaction (entry) number, as text. */
  number: string;
  /** When it was deleted (ms), if said. */
  deletedAt?: number;
}

/** The result document of a ProcessXml request: its root element's name and content. */
export interface ProcessXmlResult {
  name: string;
  element: XmlObject;
}

export const NO_ACCESS_TO_OFFICE = 'U hebt geen toegang tot deze administratie.';

/** Rows of a streamed browse answer, handed out as they arrive. */
export interface BrowseBatch {
  columns: readonly BrowseColumn[];
  /** Rows read since the previous batch. */
  rows: BrowseRow[];
  /** `total` of the answer, or the rows read so far when Twinfield does not say. */
  total: number;
}

/** `list`, `read` and `columns` requests are reads (1 credit); others cost 3. */
const READ_REQUESTS = new Set(['list', 'read', 'columns']);

export class TwinfieldClient {
  constructor(
    private readonly login: TwinfieldLogin,
    private readonly transport: SoapTransport,
  ) {}

  /** The offices the login can see (no company in the header). */
  async listOffices(signal?: AbortSignal): Promise<OfficeListing[]> {
    const result = await this.processXml(undefined, el('list', {}, el('type', {}, 'offices')), 'listing the offices', signal);
    return children(result.element, 'office').map((office) => ({
      code: textOf(office).trim(),
      name: attributeOf(office, 'name') ?? '',
      shortname: attributeOf(office, 'shortname') ?? '',
    }));
  }

  /** ProcessXmlString: the request is serialised, escaped into `xmlRequest`, and the escaped result parsed again. */
  async processXml(office: string | undefined, request: XmlElement, what: string, signal?: AbortSignal): Promise<ProcessXmlResult> {
    const where = { administration: office, what };
    const requestText = toXml(request);
    const answer = await this.call(where, signal, (credentials, cluster) =>
      this.transport.call({
        url: `${cluster}/webservices/processxml.asmx`,
        action: `${NS.twinfield}ProcessXmlString`,
        envelope: asmxEnvelope(credentials, office, el('ProcessXmlString', { xmlns: NS.twinfield }, el('xmlRequest', {}, requestText))),
        credits: READ_REQUESTS.has(request.name) ? 1 : 3,
        budget: this.login.budget,
        administration: office,
        what,
        signal,
      }),
    );
    const rawResult = textOf(child(child(answer.body, 'ProcessXmlStringResponse'), 'ProcessXmlStringResult'));
    let document: XmlObject;
    try {
      document = parseXml(decodeXmlText(rawResult));
    } catch (err) {
      if (!(err instanceof XmlSyntaxError)) throw err;
      throw new UpstreamMalformed(`Twinfield's ProcessXmlString result is not well-formed XML${whileDoing(where)}: ${err.message}`, { administration: office, cause: err });
    }
    const name = Object.keys(document).find((key) => !key.startsWith('@_') && !key.startsWith('#') && !key.startsWith('?'));
    const element = name === undefined ? undefined : document[name];
    if (name === undefined || element === undefined || typeof element !== 'object' || Array.isArray(element)) {
      throw new UpstreamMalformed(`Twinfield's ProcessXmlString result is empty${whileDoing(where)}.`, { administration: office });
    }
    if (attributeOf(element, 'result') === '0') throw businessError(attributeOf(element, 'msg') ?? 'no reason given', where);
    return { name, element };
  }

  /**
   * Browse data (a `<columns>` request) through ProcessXmlDocument, parsed while the answer streams in: batches of
   * at least `batchRows` rows, then a last one (possibly empty) once the answer is complete and well-formed. A
   * malformed answer throws UpstreamMalformed at the point it is found; rows handed out before it were whole rows.
   */
  async *browse(office: string, request: XmlElement, what: string, options: { batchRows: number; signal?: AbortSignal }): AsyncGenerator<BrowseBatch> {
    const where = { administration: office, what };
    const signal = options.signal;
    // The request document has no namespace, as the result document has none (`xmlns=""`).
    const document: XmlElement = { ...request, attributes: { xmlns: '', ...request.attributes } };
    const answer = await this.call(where, signal, (credentials, cluster) =>
      this.transport.open({
        url: `${cluster}/webservices/processxml.asmx`,
        action: `${NS.twinfield}ProcessXmlDocument`,
        envelope: asmxEnvelope(credentials, office, el('ProcessXmlDocument', { xmlns: NS.twinfield }, el('xmlRequest', {}, document))),
        credits: READ_REQUESTS.has(request.name) ? 1 : 3,
        budget: this.login.budget,
        administration: office,
        what,
        signal,
      }),
    );
    const reader = new BrowseStreamReader();
    try {
      for await (const text of answer.chunks()) {
        reader.write(text);
        if (reader.header && reader.pending >= options.batchRows) yield { columns: reader.header, rows: reader.take(), total: reader.totalRows };
      }
      reader.end();
      yield { columns: reader.header ?? [], rows: reader.take(), total: reader.totalRows };
    } catch (err) {
      throw browseError(err, where);
    } finally {
      await answer.close();
    }
  }

  /** Finder Search, one page. */
  async search(office: string | undefined, query: FinderQuery, what: string, signal?: AbortSignal): Promise<FinderPage> {
    const where = { administration: office, what };
    const body = el(
      'Search',
      { xmlns: NS.twinfield },
      el('type', {}, query.type),
      el('pattern', {}, query.pattern ?? '*'),
      el('field', {}, query.field ?? 0),
      el('firstRow', {}, query.firstRow),
      el('maxRows', {}, query.maxRows),
      el('options', {}, ...query.options.map(([name, value]) => el('ArrayOfString', {}, el('string', {}, name), el('string', {}, value)))),
    );
    const answer = await this.call(where, signal, (credentials, cluster) =>
      this.transport.call({
        url: `${cluster}/webservices/finder.asmx`,
        action: `${NS.twinfield}Search`,
        envelope: asmxEnvelope(credentials, office, body),
        credits: 1,
        budget: this.login.budget,
        administration: office,
        what,
        signal,
      }),
    );
    const response = child(answer.body, 'SearchResponse');
    const errors = children(child(response, 'SearchResult'), 'MessageOfErrorCodes').filter((m) => childText(m, 'Type') !== 'Warning');
    if (errors.length > 0) {
      const message = errors.map((m) => `${childText(m, 'Text')} (${childText(m, 'Code')})`).join('; ');
      throw businessError(message, where, childText(errors[0], 'Code') === 'NoAccessToOffice');
    }
    const data = child(response, 'data');
    const total = Number(childText(data, 'TotalRows'));
    if (data === undefined || !Number.isInteger(total)) throw new UpstreamMalformed(`Twinfield's Finder answer has no TotalRows${whileDoing(where)}.`, { administration: office });
    return {
      total,
      columns: children(child(data, 'Columns'), 'string').map((s) => textOf(s)),
      items: children(child(data, 'Items'), 'ArrayOfString').map((row) => children(row, 'string').map((s) => textOf(s))),
    };
  }

  /** Transactions of an office deleted from `from` (ms) on, oldest first. */
  async deletedTransactions(office: string, range: { from: number; to?: number }, what: string, signal?: AbortSignal): Promise<DeletedTransaction[]> {
    const where = { administration: office, what };
    const b = (name: string) => `b:${name}`;
    const body = el(
      'Query',
      { 'i:type': 'b:GetDeletedTransactions', xmlns: NS.twinfield, 'xmlns:i': NS.xsi, 'xmlns:b': NS.deletedTransactions },
      el(b('CompanyCode'), {}, office),
      el(b('DateFrom'), {}, xsDateTime(range.from)),
      range.to !== undefined && el(b('DateTo'), {}, xsDateTime(range.to)),
    );
    const answer = await this.call(where, signal, (credentials, cluster) =>
      this.transport.call({
        url: `${cluster}/webservices/DeletedTransactionsService.svc`,
        action: `${NS.twinfield}DeletedTransactionsService/Query`,
        envelope: wcfEnvelope(credentials, office, body),
        credits: 1,
        budget: this.login.budget,
        administration: office,
        what,
        signal,
      }),
    );
    const result = child(answer.body, 'Result') ?? child(child(answer.body, 'QueryResponse'), 'QueryResult');
    if (result === undefined) throw new UpstreamMalformed(`Twinfield's deleted-transactions answer has no Result${whileDoing(where)}.`, { administration: office });
    return children(child(result, 'DeletedTransactions'), 'DeletedTransaction').map((d, i) => {
      const deletedAt = Date.parse(childText(d, 'DeletionDate'));
      const daybook = childText(d, 'Daybook');
      const number = childText(d, 'TransactionNumber');
      // A deletion that names no transaction cannot be applied; skipping it would keep the deleted lines for good.
      if (daybook.trim() === '' || !/^\d+$/.test(number.trim())) {
        throw new UpstreamMalformed(`Twinfield's deleted-transactions answer names no daybook and number in deletion ${i + 1}${whileDoing(where)}.`, { administration: office });
      }
      return { daybook, number, deletedAt: Number.isFinite(deletedAt) ? deletedAt : undefined };
    });
  }

  /** One operation through the login; faults the login did not recover become typed upstream errors. */
  private async call<T>(where: { administration?: string; what: string }, signal: AbortSignal | undefined, operation: (credentials: Credentials, cluster: string) => Promise<T>): Promise<T> {
    try {
      return await this.login.run(where.administration, operation, signal);
    } catch (err) {
      if (err instanceof TwinfieldFault) throw faultToError(err, where);
      throw err;
    }
  }
}

/** What goes wrong while reading a streamed browse answer, as the typed error a user reads. */
function browseError(err: unknown, where: { administration?: string; what: string }): unknown {
  const options = { administration: where.administration, cause: err };
  if (err instanceof TwinfieldFault) return faultToError(err, where);
  if (err instanceof ResultRefused) return businessError(err.reason, where);
  if (err instanceof XmlSyntaxError) return new UpstreamMalformed(`Twinfield answered XML that is not well-formed${whileDoing(where)}: ${err.message}`, options);
  if (err instanceof UnexpectedAnswer || err instanceof BrowseShapeError) return new UpstreamMalformed(`Twinfield's browse answer is unreadable${whileDoing(where)}: ${err.message}.`, options);
  return err;
}

/** A business error answered inside HTTP 200. "No access to this office" names the office first. */
function businessError(message: string, where: { administration?: string; what: string }, noAccess = false): UpstreamRefused {
  if (where.administration && (noAccess || message.includes(NO_ACCESS_TO_OFFICE))) {
    return new UpstreamRefused(`Twinfield refused access to office ${where.administration}${whileDoing({ what: where.what })}: ${message}`, { administration: where.administration });
  }
  return new UpstreamRefused(`Twinfield refused the request${whileDoing(where)}: ${message}`, { administration: where.administration });
}

/** xs:dateTime in UTC, whole seconds: 2027-01-15T12:00:00Z. */
function xsDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
