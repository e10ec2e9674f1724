// The OData v4 feed, mounted at /odata: /{workspace}/exactonline/ and /{workspace}/twinfield/ with the
// service document, $metadata, one entity set per described table plus Administrations, entities by key,
// their properties, and /$count. Built only from injected dependencies (see dependencies.ts).
import crypto from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { InvalidQuery, NotFound, NotImplementedQuery, Unauthorized } from '../errors';
import { ensureMirrorTable, mirrorTableName, quoteIdentifier } from '../store/mirror';
import { SOURCES, type SourceName, type TableDescription } from '../tables/description';
import { administrationsSource } from './administrations';
import type { Expression } from './ast';
import { metadataDocument, serviceDocument } from './csdl';
import type { FeedDependencies } from './dependencies';
import { EncoderCache } from './encoder';
import { MethodNotAllowed, sendError } from './errors';
import { buildFeedModel, type EntitySetModel, type FeedModel, type PropertyModel } from './model';
import { negotiateJson, negotiateXml, preferredMaxPageSize, type JsonFormat } from './negotiation';
import { inOption, parseQueryOptions, rawQueryOf, type QueryOptions } from './options';
import { parseKeyPredicate } from './parser';
import { compileFilter, compileOrder, compileSelect, countStatement, decodeSkipToken, encodeSkipToken, orderFingerprint, pageStatement, type RowSource } from './query';
import { ReaderPool } from './readers';
import { administrationsInFilter } from './scope';
import { sql } from './sql';
import { writeCollection } from './writer';

export interface FeedRouter extends express.Router {
  /** Closes the feed's read connections (the injected database stays open). */
  close(): void;
}

interface Feed {
  model: FeedModel;
  tables: readonly TableDescription[];
  metadata: string;
}

/** One request's context once the caller and workspace are known. */
interface Context {
  req: Request;
  res: Response;
  workspaceId: number;
  source: SourceName;
  feed: Feed;
  /** `http://host/odata/{workspace}/{source}/` */
  serviceRoot: string;
  options: QueryOptions;
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal;
}

// Paths are parsed here against the model rather than by odata-v4-parser's resourcePath: without the
// model it cannot tell an unknown property (404) from a malformed segment (400) and rejects `Set/Name`.
const ENTITY_SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidQuery(`Malformed percent-encoding in the path segment ${JSON.stringify(segment.slice(0, 40))}`);
  }
}

function jsonContentType(format: JsonFormat): string {
  return `application/json;odata.metadata=${format.metadata};odata.streaming=true;IEEE754Compatible=${format.ieee754};charset=utf-8`;
}

/** A JSON value of a count, as a number or (IEEE754Compatible) a string. */
function countJson(count: number, format: JsonFormat): string {
  return format.ieee754 ? `"${count}"` : String(count);
}

export function createFeedRouter<User>(deps: FeedDependencies<User>): FeedRouter {
  const readers = ReaderPool.for(deps.db);
  const encoders = new EncoderCache();
  const feeds = new Map<SourceName, Feed>();
  const mirrors = new Set<string>();
  const router = express.Router() as FeedRouter;

  function feedOf(source: SourceName): Feed {
    let feed = feeds.get(source);
    if (!feed) {
      const tables = deps.tables(source);
      const model = buildFeedModel(source, tables);
      feed = { model, tables, metadata: metadataDocument(model) };
      feeds.set(source, feed);
    }
    return feed;
  }

  /** Creates a table's mirror on first use, so a feed answers (empty) before the first sync. */
  function ensureMirror(table: TableDescription): void {
    const name = mirrorTableName(table);
    if (mirrors.has(name)) return;
    ensureMirrorTable(deps.db, table);
    mirrors.add(name);
  }

  function serviceRootOf(req: Request, slug: string, source: SourceName): string {
    const base = deps.publicUrl?.() ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return `${base}${req.baseUrl}/${encodeURIComponent(slug)}/${source}/`;
  }

  /** The rows `set` may show this request; for mirror tables, first brings the touched administrations up to date. */
  async function rowSource(ctx: Context, set: EntitySetModel, filter: Expression | null, continuation: boolean): Promise<RowSource> {
    const statuses = await deps.administrations(ctx.workspaceId, ctx.source);
    if (!set.table) return administrationsSource(set, ctx.feed.tables, statuses);
    const scope = administrationsInFilter(filter, set.administration.name);
    const ids = statuses.filter((a) => a.selected && (scope.all || scope.codes.has(a.code))).map((a) => a.id);
    ensureMirror(set.table);
    // Later pages of one pull read the same mirror state instead of syncing again mid-pull.
    if (!continuation && ids.length > 0) await deps.ensureFresh({ workspaceId: ctx.workspaceId, table: set.table, administrationIds: ids, signal: ctx.signal });
    return {
      from: sql(quoteIdentifier(mirrorTableName(set.table))),
      // The unary + keeps SQLite from choosing the primary key index here: the key index gives the page order.
      scope: sql('+"_administration_id" IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)]),
    };
  }

  async function collection(ctx: Context, set: EntitySetModel): Promise<void> {
    const { req, res, options } = ctx;
    const format = negotiateJson(req.headers.accept, options.format);
    const filter = options.filter ? compileFilter(set, options.filter.expression) : null;
    const select = compileSelect(set, options.select);
    const order = compileOrder(set, options.orderBy?.items ?? null);
    const fingerprint = orderFingerprint(set, order);
    const continuation = options.skipToken !== null ? decodeSkipToken(options.skipToken, order, fingerprint) : null;
    if (continuation && options.skip !== null) throw new InvalidQuery('$skip cannot be combined with $skiptoken: follow the next link as given', undefined, { target: '$skip' });
    const preferred = preferredMaxPageSize(req.headers.prefer);
    const pageSize = Math.min(deps.config.pageSize, preferred ?? Infinity);
    const owed = continuation ? continuation.remaining : options.top;
    const limit = owed === null ? pageSize : Math.min(pageSize, owed);
    const source = await rowSource(ctx, set, options.filter?.expression ?? null, continuation !== null);

    const reader = readers.acquire();
    try {
      reader.exec('BEGIN'); // one snapshot for the count and the rows
      const where = filter?.where ?? null;
      let count: number | null = null;
      if (options.count) {
        const c = countStatement(source, where);
        count = reader.prepare(c.text).pluck().get(...c.params) as number;
      }
      const page = pageStatement({ source, select, where, order, after: continuation?.after ?? null, limit: limit + 1, offset: continuation ? 0 : (options.skip ?? 0) });
      const rows = reader.prepare(page.text).raw(true).iterate(...page.params) as IterableIterator<unknown[]>;

      const selectSuffix = options.select && !options.select.all ? `(${select.map((p) => p.name).join(',')})` : '';
      let opening = '{';
      if (format.metadata !== 'none') opening += `"@odata.context":${JSON.stringify(`${ctx.serviceRoot}$metadata#${set.name}${selectSuffix}`)},`;
      if (count !== null) opening += `"@odata.count":${countJson(count, format)},`;
      opening += '"value":[';

      res.status(200);
      res.setHeader('Content-Type', jsonContentType(format));
      // Only a preference that set the page size was applied; a larger one gave way to the server's own page size.
      if (preferred !== null && preferred <= deps.config.pageSize) res.setHeader('Preference-Applied', `odata.maxpagesize=${preferred}`);
      const written = await writeCollection(res, {
        opening,
        rows,
        encode: encoders.get(select, format.ieee754),
        limit,
        closing: (last, more) => {
          const remaining = owed === null ? null : owed - limit; // when more rows follow, exactly `limit` were written
          if (!more || !last || remaining === 0) return ']}';
          const token = encodeSkipToken(order, last.slice(select.length), remaining, fingerprint);
          return `],"@odata.nextLink":${JSON.stringify(nextLink(ctx, set, token))}}`;
        },
      });
      deps.onRowsServed?.({ source: ctx.source, table: set.name, rows: written });
    } finally {
      readers.release(reader);
    }
  }

  function nextLink(ctx: Context, set: EntitySetModel, token: string): string {
    const kept = ctx.options.raw.filter(([name]) => name !== '$skip' && name !== '$top' && name !== '$skiptoken');
    const query = [...kept.map(([name, value]) => `${name}=${encodeURIComponent(value)}`), `$skiptoken=${token}`].join('&');
    return `${ctx.serviceRoot}${set.name}?${query}`;
  }

  async function count(ctx: Context, set: EntitySetModel): Promise<void> {
    const filter = ctx.options.filter ? compileFilter(set, ctx.options.filter.expression) : null;
    const source = await rowSource(ctx, set, ctx.options.filter?.expression ?? null, false);
    const reader = readers.acquire();
    try {
      const c = countStatement(source, filter?.where ?? null);
      const n = reader.prepare(c.text).pluck().get(...c.params) as number;
      ctx.res.status(200).setHeader('Content-Type', 'text/plain;charset=utf-8');
      ctx.res.end(String(n));
    } finally {
      readers.release(reader);
    }
  }

  /** The key predicate `(…)` of `set` as a filter expression: Division eq 1 and ID eq … */
  function keyFilter(set: EntitySetModel, text: string): Expression {
    const predicate = inOption('key', () => parseKeyPredicate(text));
    const pairs: { property: PropertyModel; value: Expression; position: number }[] = [];
    if (predicate.kind === 'single') {
      if (set.key.length !== 1) throw new InvalidQuery(`The key of ${set.name} has several properties; address an entity as ${set.name}(${set.key.map((k) => `${k.name}=…`).join(',')})`, undefined, { target: 'key' });
      pairs.push({ property: set.key[0], value: predicate.value, position: predicate.value.position });
    } else {
      for (const pair of predicate.values) {
        const property = set.key.find((k) => k.name === pair.name);
        if (!property) throw new InvalidQuery(`${pair.name} is not a key property of ${set.name}`, pair.position, { target: 'key' });
        if (pairs.some((p) => p.property === property)) throw new InvalidQuery(`${pair.name} is given twice in the key`, pair.position, { target: 'key' });
        pairs.push({ property, value: pair.value, position: pair.position });
      }
      const missing = set.key.filter((k) => !pairs.some((p) => p.property === k));
      if (missing.length > 0) throw new InvalidQuery(`The key of ${set.name} also needs ${missing.map((k) => k.name).join(', ')}`, undefined, { target: 'key' });
    }
    return pairs
      .map<Expression>((p) => ({ kind: 'binary', operator: 'eq', left: { kind: 'property', path: [p.property.name], position: p.position }, right: p.value, position: p.position }))
      .reduce((a, b) => ({ kind: 'binary', operator: 'and', left: a, right: b, position: a.position }));
  }

  /** `Set(key)`, `Set(key)/Property` and `Set(key)/Property/$value`. */
  async function entity(ctx: Context, set: EntitySetModel, keyText: string, propertyName: string | null, raw: boolean): Promise<void> {
    const { req, res, options } = ctx;
    for (const name of ['$filter', '$orderby', '$top', '$skip', '$count', '$skiptoken'] as const) {
      if (options.raw.some(([n]) => n === name)) throw new InvalidQuery(`${name} does not apply to a single entity`, undefined, { target: name });
    }
    const format = raw ? null : negotiateJson(req.headers.accept, options.format);
    const expression = keyFilter(set, keyText);
    const where = compileFilter(set, expression, 'key').where;
    const property = propertyName === null ? null : set.property(propertyName);
    if (propertyName !== null && !property) throw new NotFound(`${set.name} has no property '${propertyName}'`, { target: propertyName });
    const select = property ? [property] : compileSelect(set, options.select);
    const source = await rowSource(ctx, set, expression, false);
    const reader = readers.acquire();
    let row: unknown[] | undefined;
    try {
      const page = pageStatement({ source, select, where, order: compileOrder(set, null), after: null, limit: 1, offset: 0 });
      row = reader.prepare(page.text).raw(true).get(...page.params) as unknown[] | undefined;
    } finally {
      readers.release(reader);
    }
    if (!row) throw new NotFound(`${set.name}(${keyText}) does not exist`, { target: set.name });
    const encoded = encoders.get(select, format?.ieee754 ?? false)(row);
    if (!property) {
      const json = format ?? { metadata: 'minimal', ieee754: false };
      const body = json.metadata === 'none' ? encoded : `{"@odata.context":${JSON.stringify(`${ctx.serviceRoot}$metadata#${set.name}/$entity`)},${encoded.slice(1)}`;
      res.status(200).setHeader('Content-Type', jsonContentType(json));
      res.end(body);
      return;
    }
    const valueJson = encoded.slice(`{${JSON.stringify(property.name)}:`.length, -1);
    if (valueJson === 'null') {
      res.status(204).end();
      return;
    }
    if (!format) {
      const quoted = valueJson.startsWith('"');
      res.status(200).setHeader('Content-Type', 'text/plain;charset=utf-8');
      res.end(quoted ? (JSON.parse(valueJson) as string) : valueJson);
      return;
    }
    const context = `${ctx.serviceRoot}$metadata#${set.name}(${keyText})/${property.name}`;
    res.status(200).setHeader('Content-Type', jsonContentType(format));
    res.end(`{${format.metadata === 'none' ? '' : `"@odata.context":${JSON.stringify(context)},`}"value":${valueJson}}`);
  }

  async function handle(req: Request, res: Response): Promise<void> {
    res.setHeader('OData-Version', '4.0');
    res.setHeader('Cache-Control', 'private, no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowed(`${req.method} is not supported: the feed is read-only.`);
    const segments = req.path.split('/').slice(1);
    if (segments.length > 2 && segments[segments.length - 1] === '') segments.pop();
    const user = await deps.authenticate(req);
    if (user === null) throw new Unauthorized('An API key is required: send it as the Basic password (the user name may be empty) or as a Bearer token.');
    if (segments.length < 2 || segments[0] === '') throw new NotFound('No feed here: feeds are /odata/{workspace}/exactonline/ and /odata/{workspace}/twinfield/.');
    const slug = decodeSegment(segments[0]);
    const workspace = await deps.workspaceFor(user, slug);
    if (!workspace) throw new NotFound(`No workspace '${slug}' that this key may read.`, { target: slug });
    const source = SOURCES.find((s) => s === decodeSegment(segments[1]));
    if (!source) throw new NotFound(`No feed '${decodeSegment(segments[1])}': feeds are exactonline and twinfield.`);
    const feed = feedOf(source);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
    });
    const ctx: Context = {
      req,
      res,
      workspaceId: workspace.id,
      source,
      feed,
      serviceRoot: serviceRootOf(req, workspace.slug, source),
      options: parseQueryOptions(rawQueryOf(req.originalUrl)),
      signal: controller.signal,
    };
    const path = segments.slice(2).map(decodeSegment);
    if (path.length === 0 || (path.length === 1 && path[0] === '')) {
      const format = negotiateJson(req.headers.accept, ctx.options.format);
      res.status(200).setHeader('Content-Type', jsonContentType(format));
      res.end(serviceDocument(feed.model, ctx.serviceRoot));
      return;
    }
    if (path[0] === '$metadata' && path.length === 1) {
      negotiateXml(req.headers.accept, ctx.options.format);
      res.status(200).setHeader('Content-Type', 'application/xml;charset=utf-8');
      res.end(feed.metadata);
      return;
    }
    if (path[0] === '$batch' || path[0] === '$all' || path[0] === '$crossjoin') throw new NotImplementedQuery(`${path[0]} is not supported by this feed.`);
    const match = ENTITY_SEGMENT.exec(path[0]);
    const set = match ? feed.model.set(match[1]) : undefined;
    if (!match || !set) throw new NotFound(`No entity set '${path[0].replace(/\(.*$/s, '')}' in the ${source} feed.`, { target: path[0] });
    const keyText = match[2];
    if (keyText === undefined) {
      if (path.length === 1) return collection(ctx, set);
      if (path.length === 2 && path[1] === '$count') return count(ctx, set);
      throw new NotFound(`No resource '${path.slice(1).join('/')}' under ${set.name}: address an entity by its key first.`);
    }
    if (path.length === 1) return entity(ctx, set, keyText, null, false);
    if (path.length === 2) return entity(ctx, set, keyText, path[1], false);
    if (path.length === 3 && path[2] === '$value') return entity(ctx, set, keyText, path[1], true);
    throw new NotFound(`No resource '${path.join('/')}' in the ${source} feed.`);
  }

  router.use((req, res) => {
    // The id the request log gave this request, when one did, so an error message quotes what the log shows.
    const assigned = res.getHeader('X-Request-Id');
    const requestId = typeof assigned === 'string' ? assigned : crypto.randomUUID();
    res.setHeader('X-Request-Id', requestId);
    handle(req, res).catch((error: unknown) => sendError(res, error, requestId, deps.logger));
  });
  router.close = () => readers.close();
  return router;
}

