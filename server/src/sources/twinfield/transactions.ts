// The `twinfield-modified` strategy for the transaction-line tables (030_3, 100, 200), and the change check the
// AnnualReportTotals probe shares with it.
//
// First load: one book year per browse request (the years an office has, from 040_1), each committed with a
// cursor that still lists the years to go, so a crash resumes. Then every sync asks, in this order, for the
// transactions deleted since the last sync began (minus a safety overlap) and for the lines of transactions with
// `fin.trs.head.modified` in that window: each such transaction is first deleted by journal + entry number, then
// its current lines are upserted — so a changed transaction never keeps a vanished line and a deleted one goes.
// Deletions are asked first: a transaction deleted between the two calls is then simply caught next time, never
// deleted before its (stale) lines are written back.
//
// Cursor (JSON, opaque to the engine): {"v":1,"since":<epoch ms when the sync that made it began>,
// "years":[<book years still to load>]} — `years` only while a first load is under way.
import { CursorInvalid, type ChangeBatch, type RowMatch, type UpstreamRow } from '../connector';
import { UpstreamMalformed } from '../errors';
import { browseRequest, twinfieldDateTime, type BrowseCriterion, type BrowseQuery, type BrowseResult } from './browse';
import { browseFields, browseRows } from './browse-rows';
import type { TwinfieldClient } from './client';
import type { TwinfieldTable, TwinfieldUpstream } from './tables';

export interface TransactionSyncOptions {
  /** Changes are asked from this long before the last sync began: clock skew and late commits (ms). */
  overlapMs: number;
  /** Book years before this one are not loaded. */
  firstYear?: number;
  /** A cursor older than this reloads the table: how long Twinfield keeps deleted transactions is not documented (ms). */
  maxCursorAgeMs: number;
  /** Upserts per committed batch during a first load. */
  batchRows: number;
}

/** What a strategy needs for one office. */
export interface OfficeContext {
  client: TwinfieldClient;
  office: string;
  now: () => number;
  signal: AbortSignal;
  /** Counts upstream calls (one, unless said) and the rows they brought. */
  called: (rows: number, calls?: number) => void;
}

interface TransactionCursor {
  v: 1;
  since: number;
  years?: number[];
}

export function parseTransactionCursor(text: string): TransactionCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CursorInvalid('the Twinfield cursor is not JSON');
  }
  const c = parsed as Partial<TransactionCursor> | null;
  if (!c || c.v !== 1 || typeof c.since !== 'number' || !Number.isFinite(c.since)) throw new CursorInvalid('the Twinfield cursor has an unknown shape');
  if (c.years !== undefined && (!Array.isArray(c.years) || !c.years.every((y) => Number.isInteger(y)))) throw new CursorInvalid('the Twinfield cursor lists invalid years');
  return { v: 1, since: c.since, years: c.years };
}

const cursorText = (since: number, years?: number[]) => JSON.stringify(years && years.length > 0 ? { v: 1, since, years } : { v: 1, since });

type TransactionsUpstream = Extract<TwinfieldUpstream, { kind: 'transactions' }>;

/** One browse request for one office, counted, its rows streamed in batches of at least `batchRows`. */
export async function* browseBatches(ctx: OfficeContext, query: BrowseQuery, what: string, batchRows: number): AsyncGenerator<BrowseResult> {
  let first = true;
  for await (const batch of ctx.client.browse(ctx.office, browseRequest({ optimize: true, ...query }), what, { batchRows, signal: ctx.signal })) {
    ctx.called(batch.rows.length, first ? 1 : 0);
    first = false;
    yield { total: batch.total, columns: [...batch.columns], rows: batch.rows };
  }
}

/** One browse request for one office, counted, read whole (answers of a few rows: years, changes, totals). */
export async function browse(ctx: OfficeContext, query: BrowseQuery, what: string): Promise<BrowseResult> {
  const result: BrowseResult = { total: 0, columns: [], rows: [] };
  for await (const batch of browseBatches(ctx, query, what, Number.POSITIVE_INFINITY)) {
    result.total = batch.total;
    result.columns = batch.columns;
    result.rows.push(...batch.rows);
  }
  return result;
}

const NORMAL_STATUS: BrowseCriterion = { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' };

/** The book years an office has transactions in (from the 040_1 totals), ascending. */
export async function bookYears(ctx: OfficeContext, firstYear?: number): Promise<number[]> {
  const result = await browse(ctx, { code: '040_1', fields: ['fin.trs.head.year'], criteria: [NORMAL_STATUS] }, 'finding the book years');
  const at = result.columns.findIndex((c) => c.field === 'fin.trs.head.year');
  if (at < 0) throw new UpstreamMalformed(`Twinfield's 040_1 answer for office ${ctx.office} has no year column.`, { administration: ctx.office });
  const years = new Set<number>();
  for (const row of result.rows) {
    const year = Number(row.cells[at].text.trim());
    if (Number.isInteger(year) && year > 0 && (firstYear === undefined || year >= firstYear)) years.add(year);
  }
  return [...years].sort((a, b) => a - b);
}

const yearCriterion = (year: number): BrowseCriterion => ({ field: 'fin.trs.head.yearperiod', operator: 'between', from: `${year}/00`, to: `${year}/55` });

function modifiedCriterion(from: number, to: number): BrowseCriterion {
  return { field: 'fin.trs.head.modified', operator: 'between', from: twinfieldDateTime(from), to: twinfieldDateTime(to) };
}

/** The changes of a transaction-line table since `cursor` (null: first load), as committable batches. */
export async function* transactionChanges(table: TwinfieldTable, ctx: OfficeContext, cursor: string | null, options: TransactionSyncOptions): AsyncGenerator<ChangeBatch> {
  const upstream = table.upstream as TransactionsUpstream;
  const fields = browseFields(upstream.columns);
  const lines = (result: BrowseResult, what: string) => browseRows(table, upstream.columns, result, ctx.office, what);

  let state: TransactionCursor;
  if (cursor === null) {
    state = { v: 1, since: ctx.now(), years: await bookYears(ctx, options.firstYear) };
  } else {
    state = parseTransactionCursor(cursor);
    if (ctx.now() - state.since > options.maxCursorAgeMs) throw new CursorInvalid(`the last ${table.name} sync is older than Twinfield is known to keep deleted transactions`);
  }

  if (state.years !== undefined) {
    // First load, year by year, each streamed: its batches are partial (the engine keeps them aside) until a last,
    // empty one moves the cursor past the year once the answer was read to its well-formed end — so a crash, or an
    // answer found malformed half-way, leaves nothing of the year in the mirror and the year is loaded again.
    const years = [...state.years];
    while (years.length > 0) {
      const year = years[0];
      const what = `loading ${table.name} of ${year}`;
      for await (const batch of browseBatches(ctx, { code: upstream.browseCode, fields, criteria: [yearCriterion(year), NORMAL_STATUS] }, what, options.batchRows)) {
        if (batch.rows.length > 0) yield { deletes: [], upserts: lines(batch, what), cursor: cursorText(state.since, years), partial: true };
      }
      years.shift();
      yield { deletes: [], upserts: [], cursor: cursorText(state.since, years) };
    }
    if (state.years.length === 0) yield { deletes: [], upserts: [], cursor: cursorText(state.since) };
    return;
  }

  const startedAt = ctx.now();
  const from = state.since - options.overlapMs;
  const deleted = await ctx.client.deletedTransactions(ctx.office, { from }, 'reading deleted transactions', ctx.signal);
  ctx.called(deleted.length);
  const what = `reading changed ${table.name}`;
  const changed = lines(await browse(ctx, { code: upstream.browseCode, fields, criteria: [modifiedCriterion(from, startedAt + options.overlapMs), NORMAL_STATUS] }, what), what);
  yield { deletes: transactionMatches(deleted.map((d) => ({ JournalCode: d.daybook, EntryNumber: d.number })), changed), upserts: changed, cursor: cursorText(startedAt) };
}

/** One delete per transaction (journal + entry number), whether it was deleted or is about to be written anew. */
function transactionMatches(deleted: RowMatch[], changed: UpstreamRow[]): RowMatch[] {
  const seen = new Set<string>();
  const matches: RowMatch[] = [];
  for (const row of [...deleted, ...changed]) {
    const journal = String(row.JournalCode ?? '');
    const number = String(row.EntryNumber ?? '').trim();
    if (!journal || !/^-?\d+$/.test(number)) continue;
    const id = `${journal}\u0000${number}`;
    if (seen.has(id)) continue;
    seen.add(id);
    matches.push({ JournalCode: journal, EntryNumber: number });
  }
  return matches;
}

/** Whether any transaction of the office was deleted or changed since `since` (ms): at most two calls. */
export async function transactionsChangedSince(ctx: OfficeContext, since: number, overlapMs: number): Promise<boolean> {
  const deleted = await ctx.client.deletedTransactions(ctx.office, { from: since }, 'checking for deleted transactions', ctx.signal);
  ctx.called(deleted.length);
  if (deleted.length > 0) return true;
  const changed = await browse(
    ctx,
    { code: '030_3', fields: ['fin.trs.head.number'], criteria: [modifiedCriterion(since, ctx.now() + overlapMs), NORMAL_STATUS] },
    'checking for changed transactions',
  );
  return changed.rows.length > 0 || changed.total > 0;
}
