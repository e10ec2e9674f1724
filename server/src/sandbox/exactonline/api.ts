// The REST API under `/api/v1`: bearer authentication, division access, the per-app per-division rate limit,
// injected faults, then the endpoint itself (current/Me, system/Divisions, standard, bulk and sync entity sets,
// sync/Deleted, a `read/` function that answers `d` as a bare array), each with Exact's restrictions and paging.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Clock } from '../../clock';
import { InvalidQuery } from '../../errors';
import { isAnswerFault, playFault, spoilAnswer, type FaultInjector, type SimulatorStats } from '../common/controls';
import type { DivisionBooks, SortedView } from './books';
import type { DemoUser } from './entities';
import { ENDPOINTS, STANDARD_PAGE, type Endpoint } from './endpoints';
import { parseKeyLiteral, type EdmType, type Row, type Value } from './filter';
import type { TokenAuthority } from './oauth';
import { countMatching, encodeSkipToken, parseQueryOptions, readPage, type EntityShape, type QueryOptions } from './query';
import type { RateLimiter } from './ratelimit';
import { spoilExactAnswer } from './spoil';
import { atomFeed, sendExactError, serializeRow, type SerializeContext } from './wire';

export interface ApiContext {
  clock: Clock;
  books: ReadonlyMap<number, DivisionBooks>;
  user: DemoUser;
  /** The division the demo user has open (Me.CurrentDivision). */
  currentDivision: number;
  authority: TokenAuthority;
  limiter: RateLimiter;
  faults: FaultInjector;
  stats: SimulatorStats;
}

const MANDATORY_SELECT = 'Please add a $select or a $top=1 statement to the query string.';
/** sync/Deleted keeps two months of deletions. */
const DELETED_RETENTION_MONTHS = 2;

const ME_SHAPE: EntityShape = {
  type: 'Exact.Web.Api.System.Me',
  key: 'UserID',
  navigation: [],
  properties: new Map<string, EdmType>(
    Object.entries({
      UserID: 'Guid', AccountingDivision: 'Int32', CurrentDivision: 'Int32', DivisionCustomer: 'Guid', DivisionCustomerCode: 'String', DivisionCustomerName: 'String',
      DivisionCustomerVatNumber: 'String', Email: 'String', EmployeeID: 'Guid', FirstName: 'String', FullName: 'String', Gender: 'String', Initials: 'String',
      IsClientUser: 'Boolean', IsEmployeeSelfServiceUser: 'Boolean', IsStarterUser: 'Boolean', Language: 'String', LanguageCode: 'String', LastName: 'String',
      Legislation: 'Int64', MiddleName: 'String', Mobile: 'String', Nationality: 'String', PackageCode: 'String', Phone: 'String', PictureUrl: 'String',
      ServerTime: 'String', ServerUtcOffset: 'Double', ThumbnailPicture: 'String', Title: 'String', UserName: 'String',
    }),
  ),
};

const DIVISION_SHAPE: EntityShape = {
  type: 'Exact.Web.Api.System.Division',
  key: 'Code',
  navigation: [],
  properties: new Map<string, EdmType>(
    Object.entries({
      Code: 'Int32', BlockingStatus: 'Int32', City: 'String', Country: 'String', CountryDescription: 'String', Created: 'DateTime', Creator: 'Guid',
      CreatorFullName: 'String', Currency: 'String', CurrencyDescription: 'String', Current: 'Boolean', Customer: 'Guid', CustomerCode: 'String',
      CustomerName: 'String', Description: 'String', DivisionMoveDate: 'DateTime', Hid: 'Int64', IsMainDivision: 'Boolean', IsPracticeDivision: 'Boolean',
      Legislation: 'String', Modified: 'DateTime', StartDate: 'DateTime', Status: 'Int32', VATNumber: 'String', Website: 'String',
    }),
  ),
};

const REVENUE_TYPE = 'Exact.Web.Api.Models.Financial.RevenueListByYear';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What the path after `/api/v1/` asks for. */
type Target =
  | { kind: 'me' }
  | { kind: 'divisions'; division: number }
  | { kind: 'revenue'; division: number }
  | { kind: 'endpoint'; division: number; endpoint: Endpoint; count: boolean; key?: string; navigation?: string };

function resolveTarget(path: string): Target | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 2 && segments[0].toLowerCase() === 'current' && segments[1].toLowerCase() === 'me') return { kind: 'me' };
  if (segments.length < 3 || !/^\d{1,9}$/.test(segments[0])) return undefined;
  const division = Number(segments[0]);
  const rest = segments.slice(1).join('/');
  const lower = rest.toLowerCase();
  if (lower === 'system/divisions' || lower === 'system/alldivisions') return { kind: 'divisions', division };
  if (lower === 'read/financial/revenuelistbyyear') return { kind: 'revenue', division };
  for (const endpoint of ENDPOINTS) {
    const p = endpoint.path.toLowerCase();
    if (lower === p) return { kind: 'endpoint', division, endpoint, count: false };
    if (lower === `${p}/$count`) return { kind: 'endpoint', division, endpoint, count: true };
    if (lower.startsWith(`${p}(`)) {
      const m = /^\((.*)\)(?:\/([A-Za-z]+))?$/.exec(rest.slice(p.length));
      if (m) return { kind: 'endpoint', division, endpoint, count: false, key: m[1], navigation: m[2] };
    }
  }
  return undefined;
}

/** The property that identifies a row of what `target` answers (an entity's own key, also on sync endpoints). */
function rowKeyOf(target: Target | undefined): string | undefined {
  if (!target) return undefined;
  if (target.kind === 'me') return ME_SHAPE.key;
  if (target.kind === 'divisions') return DIVISION_SHAPE.key;
  if (target.kind === 'revenue') return undefined;
  return target.endpoint.kind === 'deleted' ? 'EntityKey' : (target.endpoint.entity?.key ?? target.endpoint.shape.key);
}

function wantsJson(req: Request): boolean {
  const format = typeof req.query.$format === 'string' ? req.query.$format : undefined;
  if (format) return format === 'json';
  return /(application|text)\/json/i.test(req.get('accept') ?? '');
}

function rawQuery(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? '' : req.originalUrl.slice(q + 1);
}

/** The absolute URL of the simulator's mount point, from the request (as the real service's own host). */
function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host')}${req.baseUrl}`;
}

/** Like Exact's own links: commas stay readable, spaces become %20. */
function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%2C/g, ',');
}

function nextLink(req: Request, skiptoken: string): string {
  const params = new URLSearchParams(rawQuery(req));
  const parts: string[] = [];
  for (const [k, v] of params) {
    if (k === '$skiptoken' || k === '$skip') continue;
    parts.push(`${/^[\w$]+$/.test(k) ? k : encodeURIComponent(k)}=${encodeQueryValue(v)}`);
  }
  parts.push(`$skiptoken=${encodeQueryValue(skiptoken)}`);
  return `${baseUrl(req)}${req.path}?${parts.join('&')}`;
}

function minusMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

interface CollectionRequest {
  view: SortedView;
  shape: EntityShape;
  setUri: string;
  pageSize: number;
  options: QueryOptions;
  timestampsAsText: boolean;
  extraFilter?: (row: Row) => boolean;
  expand?: SerializeContext['expand'];
}

function sendCollection(req: Request, res: Response, c: CollectionRequest): void {
  const page = readPage(c.view.rows, c.view.order, c.options, c.pageSize, c.extraFilter);
  const next = page.next ? nextLink(req, encodeSkipToken(page.next)) : undefined;
  const expand = c.expand;
  const expanded = c.options.expand;
  const ctx: SerializeContext = {
    shape: c.shape,
    setUri: c.setUri,
    select: c.options.select,
    timestampsAsText: c.timestampsAsText,
    expand: expand && expanded.length > 0 ? (row, nav) => (expanded.includes(nav) ? expand(row, nav) : undefined) : undefined,
  };
  if (!wantsJson(req)) {
    res.status(200).type('application/atom+xml;type=feed;charset=utf-8').send(atomFeed(page.rows, ctx, c.setUri.split('/').pop() ?? '', next));
    return;
  }
  const results = page.rows.map((r) => serializeRow(r, ctx));
  res.status(200).json({ d: next ? { results, __next: next } : { results } });
}

/** Counts API calls in flight (and the most at once) for `_stats`. */
export function trackInFlight(stats: SimulatorStats) {
  return (_req: Request, res: Response, next: NextFunction) => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.once('close', () => {
      stats.inFlight--;
    });
    next();
  };
}

export function apiRouter(ctx: ApiContext): express.Router {
  const router = express.Router();
  const { stats } = ctx;

  // A regex without capture groups: express would otherwise reject an undecodable path before it is counted.
  router.all(/^\/api\/v1\/.+/, (req: Request, res: Response) => {
    stats.requests++;
    let path: string | undefined;
    try {
      path = decodeURIComponent(req.path.slice('/api/v1/'.length));
    } catch {
      path = undefined; // answered as a 400 once the call is authenticated and counted, like any other
    }
    const target = path === undefined ? undefined : resolveTarget(path);
    const urlDivision = target && target.kind !== 'me' ? target.division : undefined;
    // Me and the divisions list are served by the user's current division; data calls by the one in the URL.
    const accounting = target?.kind === 'me' || (target?.kind === 'divisions' && !ctx.books.has(target.division)) ? ctx.currentDivision : urlDivision ?? ctx.currentDivision;
    const perAdministration = stats.administration(accounting);
    perAdministration.requests++;

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const access = ctx.authority.verifyAccess(bearer);
    if (access.status !== 'valid') {
      res.set(ctx.limiter.check(access.status === 'expired' ? access.clientId : 'anonymous', accounting, false).headers);
      res.set('WWW-Authenticate', 'Bearer');
      return sendExactError(res, 401, access.status === 'expired' ? 'Access token has expired.' : 'Unauthorized: no valid access token.');
    }
    const rate = ctx.limiter.check(access.clientId, accounting, true);
    res.set(rate.headers);
    if (rate.limitedBy) {
      stats.rateLimited++;
      perAdministration.rateLimited++;
      // Exact's 429 has no JSON body: an empty one per minute, a plain text one per day.
      if (rate.limitedBy === 'minutely') return void res.status(429).end();
      return void res.status(429).type('text/plain').send('Too many requests: the daily limit of API calls for this division has been reached.');
    }
    // Faults may be aimed at one kind of call: they match against the path and query after /api/v1/.
    const fault = ctx.faults.take(accounting, req.url.slice('/api/v1/'.length));
    if (fault) {
      stats.faults++;
      perAdministration.faults++;
      if (!isAnswerFault(fault)) return playFault(fault, res, 'json');
      spoilAnswer(res, fault, (body, spoiling) => spoilExactAnswer(body, spoiling, rowKeyOf(target)));
    }
    try {
      if (path === undefined) throw new ApiError(400, 'The request URI is not valid.');
      if (!target) throw new ApiError(404, `Resource not found for the segment '${path.split('/').pop() ?? path}'.`);
      if (req.method !== 'GET') throw new ApiError(405, 'This sandbox serves read requests only.');
      if (target.kind === 'me') return serveMe(req, res);
      if (target.kind === 'divisions') return serveDivisions(req, res, target.division);
      const books = ctx.books.get(target.division);
      if (!books) throw new ApiError(403, 'Forbidden', { Reason: 'NoDivisionAccess' });
      if (target.kind === 'revenue') return serveRevenue(req, res, books);
      return serveEndpoint(req, res, books, target);
    } catch (error) {
      if (error instanceof ApiError) {
        res.set(error.headers);
        return sendExactError(res, error.status, error.message);
      }
      if (error instanceof InvalidQuery) return sendExactError(res, 400, error.message);
      throw error;
    }
  });

  function params(req: Request): URLSearchParams {
    return new URLSearchParams(rawQuery(req));
  }

  function serveMe(req: Request, res: Response): void {
    const current = ctx.books.get(ctx.currentDivision)!;
    const now = ctx.clock.now();
    const row: Row = {
      UserID: ctx.user.id, AccountingDivision: ctx.currentDivision, CurrentDivision: ctx.currentDivision, DivisionCustomer: current.guid('customer'),
      DivisionCustomerCode: '1', DivisionCustomerName: current.ledger.info.name, DivisionCustomerVatNumber: 'NL001234567B01', Email: ctx.user.email, EmployeeID: null,
      FirstName: 'Demo', FullName: ctx.user.fullName, Gender: 'O', Initials: 'D.', IsClientUser: false, IsEmployeeSelfServiceUser: false, IsStarterUser: false,
      Language: 'NL', LanguageCode: 'nl-NL', LastName: 'Gebruiker', Legislation: 1, MiddleName: null, Mobile: null, Nationality: null, PackageCode: 'ACC',
      Phone: null, PictureUrl: null, ServerTime: new Date(now).toISOString().replace(/Z$/, ''), ServerUtcOffset: 1, ThumbnailPicture: null, Title: null,
      UserName: ctx.user.userName,
    };
    const options = parseQueryOptions(params(req), ME_SHAPE);
    sendCollection(req, res, {
      view: { rows: [row], order: [{ property: 'UserID', descending: false }] },
      shape: ME_SHAPE,
      setUri: `${baseUrl(req)}/api/v1/current/Me`,
      pageSize: STANDARD_PAGE,
      options,
      timestampsAsText: false,
    });
  }

  function serveDivisions(req: Request, res: Response, division: number): void {
    const rows: Row[] = [...ctx.books.values()].map((b, index) => {
      const created = Date.UTC(2024, 0, 2 + index);
      return {
        Code: b.division, BlockingStatus: 0, City: b.ledger.info.city, Country: 'NL', CountryDescription: 'Nederland', Created: created, Creator: ctx.user.id,
        CreatorFullName: ctx.user.fullName, Currency: 'EUR', CurrencyDescription: 'Euro', Current: b.division === ctx.currentDivision, Customer: b.guid('customer'),
        CustomerCode: String(index + 1).padStart(18, ' '), CustomerName: b.ledger.info.name, Description: b.ledger.info.name, DivisionMoveDate: b.moveDate,
        Hid: index + 1, IsMainDivision: index === 0, IsPracticeDivision: false, Legislation: 'NL', Modified: b.moveDate ?? created, StartDate: Date.UTC(2025, 0, 1),
        Status: 1, VATNumber: `NL${String(b.division).padStart(9, '0')}B01`, Website: null,
      };
    });
    const options = parseQueryOptions(params(req), DIVISION_SHAPE);
    sendCollection(req, res, {
      view: { rows, order: [{ property: 'Code', descending: false }] },
      shape: DIVISION_SHAPE,
      setUri: `${baseUrl(req)}/api/v1/${division}/system/Divisions`,
      pageSize: STANDARD_PAGE,
      options,
      timestampsAsText: false,
    });
  }

  /** A function import of the `read/` family: its result is serialised with `d` as a bare array. */
  function serveRevenue(req: Request, res: Response, books: DivisionBooks): void {
    const yearText = params(req).get('year');
    if (yearText === null || !/^\d{4}$/.test(yearText)) throw new InvalidQuery("Mandatory parameter 'year' is missing or not a year.");
    const year = Number(yearText);
    const revenue = new Set(books.ledger.glAccounts.filter((a) => a.exactType === 110).map((a) => a.code));
    const perPeriod = new Array<number>(12).fill(0);
    for (const b of books.ledger.balances()) if (b.year === year && revenue.has(b.glAccount)) perPeriod[b.period - 1] -= b.amount;
    res.status(200).json({ d: perPeriod.map((cents, i) => ({ __metadata: { type: REVENUE_TYPE }, Amount: cents / 100, Period: i + 1, Year: year })) });
  }

  function serveEndpoint(req: Request, res: Response, books: DivisionBooks, target: Extract<Target, { kind: 'endpoint' }>): void {
    const { endpoint } = target;
    const setUri = `${baseUrl(req)}/api/v1/${books.division}/${endpoint.path}`;
    if (target.key !== undefined) return serveByKey(req, res, books, target, setUri);
    const options = parseQueryOptions(params(req), endpoint.shape);
    const syncLike = endpoint.kind === 'sync' || endpoint.kind === 'deleted';
    if (syncLike) {
      const others = options.filter ? [...options.filter.properties].filter((p) => p !== 'Timestamp') : [];
      if (others.length > 0) throw new InvalidQuery(`Only the Timestamp property can be filtered on a sync endpoint; ${others.join(', ')} cannot.`);
      if (options.orderby.length > 0 || options.skip > 0) throw new InvalidQuery('$orderby and $skip are not supported on sync endpoints; rows come in Timestamp order.');
    }
    if (!target.count && endpoint.requiresSelect && !options.selectGiven && options.top !== 1) throw new InvalidQuery(MANDATORY_SELECT);
    if (endpoint.syncTwin && !options.filter) {
      throw new InvalidQuery(`This endpoint has mandatory filtering applied. Add a $filter to the request, or use ${endpoint.syncTwin} to download all records.`);
    }

    let view: SortedView;
    let extraFilter: ((row: Row) => boolean) | undefined;
    if (endpoint.kind === 'deleted') {
      const cutoff = minusMonths(ctx.clock.now(), DELETED_RETENTION_MONTHS);
      view = books.deleted();
      extraFilter = (row) => Number(row.DeletedDate) >= cutoff;
    } else if (endpoint.kind === 'sync') {
      view = books.sync(endpoint.entity!);
    } else {
      view = books.current(endpoint.entity!);
    }
    if (options.orderby.length > 0) view = books.ordered(view, options.orderby, endpoint.entity!.name);

    if (target.count) {
      return void res.status(200).type('text/plain').send(String(countMatching(view.rows, options.filter, extraFilter)));
    }
    sendCollection(req, res, {
      view,
      shape: endpoint.shape,
      setUri,
      pageSize: endpoint.pageSize,
      options,
      timestampsAsText: books.timestampsAsText,
      extraFilter,
      expand: (row, navigation) => expandNavigation(req, books, endpoint, row, navigation),
    });
  }

  function standardEndpointOf(entityName: string): Endpoint {
    return ENDPOINTS.find((e) => e.kind === 'standard' && e.entity?.name === entityName)!;
  }

  function expandNavigation(req: Request, books: DivisionBooks, endpoint: Endpoint, row: Row, navigation: string): Record<string, unknown>[] {
    const nav = endpoint.entity!.navigation.find((n) => n.name === navigation)!;
    const targetEndpoint = standardEndpointOf(nav.target);
    const rows = books.children(targetEndpoint.entity!, nav.foreignKey, String(row[endpoint.entity!.key]));
    const setUri = `${baseUrl(req)}/api/v1/${books.division}/${targetEndpoint.path}`;
    return rows.map((r) => serializeRow(r, { shape: targetEndpoint.shape, setUri, timestampsAsText: books.timestampsAsText }));
  }

  function serveByKey(req: Request, res: Response, books: DivisionBooks, target: Extract<Target, { kind: 'endpoint' }>, setUri: string): void {
    const { endpoint } = target;
    if (endpoint.kind !== 'standard') throw new ApiError(400, 'Key lookups are only supported on standard endpoints.');
    const entity = endpoint.entity!;
    const keyType = endpoint.shape.properties.get(endpoint.shape.key)!;
    const literal = parseKeyLiteral(target.key!);
    const compatibleKey = literal.type === keyType || (keyType === 'Int64' && literal.type === 'Int32');
    if (!compatibleKey) throw new InvalidQuery(`The key value '${target.key}' is not of type 'Edm.${keyType}'.`);
    const row = books.byKey(entity, String(literal.value as Value));
    if (!row) throw new ApiError(404, 'Resource not found.');
    if (target.navigation) {
      const nav = entity.navigation.find((n) => n.name.toLowerCase() === target.navigation!.toLowerCase());
      if (!nav) throw new ApiError(404, `Resource not found for the segment '${target.navigation}'.`);
      const childEndpoint = standardEndpointOf(nav.target);
      const children = books.children(childEndpoint.entity!, nav.foreignKey, String(row[entity.key]));
      const options = parseQueryOptions(params(req), childEndpoint.shape);
      return sendCollection(req, res, {
        view: { rows: children, order: [{ property: childEndpoint.shape.key, descending: false }] },
        shape: childEndpoint.shape,
        setUri: `${baseUrl(req)}/api/v1/${books.division}/${childEndpoint.path}`,
        pageSize: childEndpoint.pageSize,
        options,
        timestampsAsText: books.timestampsAsText,
      });
    }
    const options = parseQueryOptions(params(req), endpoint.shape);
    const serialized = serializeRow(row, {
      shape: endpoint.shape,
      setUri,
      select: options.select,
      timestampsAsText: books.timestampsAsText,
      expand: (r, n) => (options.expand.includes(n) ? expandNavigation(req, books, endpoint, r, n) : undefined),
    });
    res.status(200).json({ d: serialized });
  }

  return router;
}

