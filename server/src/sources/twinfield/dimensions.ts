// The dimension tables (GL accounts, customers, suppliers, cost centers, projects): a full load through the Finder
// (paged with firstRow/maxRows, hidden dimensions included and flagged), customers and suppliers completed with one
// dimension read each (address, VAT and CoC numbers, payment term); and their probe, which costs two Finder calls
// per office: anything modified since the last load (`modifiedsince`), and the total count (a removal lowers it).
import pLimit from 'p-limit';
import type { UpstreamRow } from '../connector';
import { UpstreamMalformed } from '../errors';
import { twinfieldDateTime } from './browse';
import type { FinderPage } from './client';
import type { OfficeContext } from './transactions';
import type { DimensionType, TwinfieldTable, TwinfieldUpstream } from './tables';
import { attributeOf, child, children, childText, el, type XmlObject } from './xml';

type DimensionsUpstream = Extract<TwinfieldUpstream, { kind: 'dimensions' }>;

export interface DimensionSyncOptions {
  /** Rows per Finder page. */
  pageSize: number;
  /** Dimension reads in flight per office (the fair-use governor still caps the organisation). */
  detailConcurrency: number;
  /** A change this long before the last probe is still looked for (ms). */
  overlapMs: number;
}

interface FinderItem {
  code: string;
  name: string;
}

async function search(ctx: OfficeContext, dimtype: DimensionType, options: { firstRow: number; maxRows: number; includeHidden: boolean; modifiedSince?: number }): Promise<FinderPage> {
  const finderOptions: Array<[string, string]> = [
    ['dimtype', dimtype],
    ['includehidden', options.includeHidden ? '1' : '0'],
  ];
  if (options.modifiedSince !== undefined) finderOptions.push(['modifiedsince', twinfieldDateTime(options.modifiedSince)]);
  const page = await ctx.client.search(ctx.office, { type: 'DIM', firstRow: options.firstRow, maxRows: options.maxRows, options: finderOptions }, `searching ${dimtype} dimensions`, ctx.signal);
  ctx.called(page.items.length);
  return page;
}

/** Every dimension of a type, page by page. */
async function* finderItems(ctx: OfficeContext, dimtype: DimensionType, includeHidden: boolean, pageSize: number): AsyncGenerator<FinderItem[]> {
  for (let firstRow = 1; ; firstRow += pageSize) {
    const page = await search(ctx, dimtype, { firstRow, maxRows: pageSize, includeHidden });
    const codeAt = page.columns.findIndex((c) => c.toLowerCase() === 'code');
    const nameAt = page.columns.findIndex((c) => c.toLowerCase() === 'name');
    if (codeAt < 0 || nameAt < 0) throw new UpstreamMalformed(`Twinfield's Finder answer for ${dimtype} dimensions of office ${ctx.office} has no Code or Name column.`, { administration: ctx.office });
    yield page.items.map((item) => ({ code: item[codeAt] ?? '', name: item[nameAt] ?? '' }));
    if (page.items.length === 0 || firstRow + page.items.length > page.total) return;
  }
}

/** Every row of a dimension table for one office, a Finder page at a time. */
export async function* dimensionSnapshot(table: TwinfieldTable, ctx: OfficeContext, options: DimensionSyncOptions): AsyncGenerator<UpstreamRow[]> {
  const upstream = table.upstream as DimensionsUpstream;
  for (const dimtype of upstream.dimensionTypes) {
    if (upstream.details === 'relation') {
      const read = pLimit(options.detailConcurrency);
      for await (const items of finderItems(ctx, dimtype, true, options.pageSize)) {
        yield await Promise.all(items.map((item) => read(() => relationRow(ctx, dimtype, item))));
      }
      continue;
    }
    // Hidden dimensions are the ones missing from the Finder's answer without includehidden.
    const active = new Set<string>();
    for await (const items of finderItems(ctx, dimtype, false, options.pageSize)) for (const item of items) active.add(item.code);
    for await (const items of finderItems(ctx, dimtype, true, options.pageSize)) {
      yield items.map((item) => ({
        Office: ctx.office,
        Code: item.code,
        Name: item.name || null,
        ...(upstream.dimensionTypes.length > 1 ? { Type: dimtype } : {}),
        Hidden: !active.has(item.code),
      }));
    }
  }
}

/** A customer or supplier with the details of its dimension read. */
async function relationRow(ctx: OfficeContext, dimtype: DimensionType, item: FinderItem): Promise<UpstreamRow> {
  const request = el('read', {}, el('type', {}, 'dimensions'), el('office', {}, ctx.office), el('dimtype', {}, dimtype), el('code', {}, item.code));
  const result = await ctx.client.processXml(ctx.office, request, `reading ${dimtype} dimension ${item.code}`, ctx.signal);
  ctx.called(1);
  const d: XmlObject = result.element;
  const addresses = children(child(d, 'addresses'), 'address');
  const address = addresses.find((a) => attributeOf(a, 'default') === 'true') ?? addresses[0];
  const text = (value: string) => (value === '' ? null : value);
  const days = childText(child(d, 'financials'), 'duedays');
  const status = attributeOf(d, 'status') ?? 'active';
  return {
    Office: ctx.office,
    Code: childText(d, 'code') || item.code,
    Name: text(childText(d, 'name') || item.name),
    ShortName: text(childText(d, 'shortname')),
    Hidden: status !== 'active',
    Country: text(childText(address, 'country')),
    City: text(childText(address, 'city')),
    Postcode: text(childText(address, 'postcode')),
    VatNumber: text(childText(d, 'vatnumber')),
    ChamberOfCommerce: text(childText(d, 'cocnumber')),
    PaymentDays: /^\d+$/.test(days) ? Number(days) : null,
    Id: text(childText(d, 'uid')),
  };
}

const FINGERPRINT = /^finder:v1:(\d+)(?::(\d+))?$/;

/**
 * The fingerprint of a dimension table: `finder:v1:<checkpoint ms>[:<total>]`. It stays the same — two Finder calls,
 * no reload — while nothing was modified since the checkpoint and (for one dimension type) the count is unchanged.
 */
export async function dimensionProbe(table: TwinfieldTable, ctx: OfficeContext, previous: string | null | undefined, options: DimensionSyncOptions): Promise<string> {
  const upstream = table.upstream as DimensionsUpstream;
  const single = upstream.dimensionTypes.length === 1 ? upstream.dimensionTypes[0] : undefined;
  const total = async () => (single ? (await search(ctx, single, { firstRow: 1, maxRows: 1, includeHidden: true })).total : undefined);
  const fingerprint = (count: number | undefined) => `finder:v1:${ctx.now() - options.overlapMs}${count === undefined ? '' : `:${count}`}`;
  const m = previous ? FINGERPRINT.exec(previous) : null;
  if (!m || !previous) return fingerprint(await total());
  const since = Number(m[1]);
  for (const dimtype of upstream.dimensionTypes) {
    const modified = await search(ctx, dimtype, { firstRow: 1, maxRows: 1, includeHidden: true, modifiedSince: since });
    if (modified.total > 0) return fingerprint(await total());
  }
  const count = await total();
  return count === undefined || String(count) === m[2] ? previous : fingerprint(count);
}
