// Exact Online as a SourceConnector for the sync engine: discovers a login's divisions (current/Me and
// system/Divisions), streams `exact-sync` tables from their Timestamp cursor (sync/… then sync/Deleted, voiding the
// cursor after a division move or beyond the deletion log's two months), reloads `full` tables page by page, and
// probes `full` tables for two calls at most so an unchanged table is not fetched again.
import crypto from 'node:crypto';
import type { Clock } from '../../clock';
import { DAY } from '../../clock';
import type { TableDescription } from '../../tables/description';
import { CursorInvalid, type ChangeBatch, type DiscoveredAdministration, type FetchContext, type SourceConnector, type UpstreamRow } from '../connector';
import { UpstreamMalformed, UpstreamRefused } from '../errors';
import type { ExactOnlineClient } from './client';
import { decodeCursor, decodeWatermark, encodeCursor, encodeWatermark, FIRST_TIMESTAMP, monthsBefore, type SyncCursor } from './cursor';
import { highestTimestamp, latestVersions, toTableRow } from './rows';
import { EXACT_TABLES, isExactTable, ownKey, selectOf, upstreamField, type ExactTable } from './tables';
import { exactInstant, type ExactRow } from './wire';

/** Exact keeps sync/Deleted records this many months. */
const DELETED_LOG_MONTHS = 2;
/** A cursor this close to the retention limit is treated as beyond it (clocks differ; a day costs nothing). */
const RETENTION_SAFETY_MS = DAY;

const DIVISIONS_TABLE = EXACT_TABLES.find((t) => t.name === 'Divisions')!;

/** Who is logged in, from current/Me. */
export interface ExactMe {
  userId: string;
  fullName: string;
  currentDivision: number;
}

/** The client of a stored connection. */
export interface ExactClientsByConnection {
  forConnection(connectionId: number): ExactOnlineClient;
}

export interface ExactConnectorOptions {
  clients: ExactClientsByConnection;
  clock: Clock;
  /** How long one system/Divisions answer (move dates, names) is reused for a connection (ms, default 60 s). */
  divisionsTtlMs?: number;
}

/** current/Me: the user of the login and the division they have open. */
export async function readMe(client: ExactOnlineClient, signal?: AbortSignal): Promise<ExactMe> {
  const page = await client.page(null, client.url(null, 'current/Me', { $select: 'UserID,FullName,CurrentDivision' }), signal);
  const me = page.rows[0];
  const currentDivision = Number(me?.CurrentDivision);
  if (!me || typeof me.UserID !== 'string' || !Number.isInteger(currentDivision)) {
    throw new UpstreamMalformed('Exact Online answered current/Me without a user id and current division.');
  }
  return { userId: me.UserID.toLowerCase(), fullName: typeof me.FullName === 'string' && me.FullName.trim() !== '' ? me.FullName.trim() : 'user', currentDivision };
}

/** system/Divisions: every division the login may open (asked through `viaDivision`, which Exact does not check). */
export function readDivisions(client: ExactOnlineClient, viaDivision: number | string, signal?: AbortSignal): Promise<ExactRow[]> {
  return client.all(viaDivision, DIVISIONS_TABLE.upstream.endpoint, { $select: selectOf(DIVISIONS_TABLE) }, signal);
}

/** Divisions as administrations, named by their Description, with the facts worth keeping. */
export function toDiscovered(rows: readonly ExactRow[]): DiscoveredAdministration[] {
  return rows
    .filter((r) => Number.isInteger(Number(r.Code)))
    .map((r) => ({
      code: String(Number(r.Code)),
      name: typeof r.Description === 'string' && r.Description.trim() !== '' ? r.Description.trim() : `Division ${r.Code}`,
      extra: {
        divisionMoveDate: moveDateOf(r),
        status: r.Status ?? null,
        current: r.Current === true,
        isMainDivision: r.IsMainDivision === true,
        currency: r.Currency ?? null,
        country: r.Country ?? null,
      },
    }));
}

/**
 * The sync/Deleted records of `table`'s entity type. A record whose type cannot be read, or one of this type without
 * its key, makes the page malformed: skipping it would keep a deleted row in the mirror while the cursor moves on.
 */
function deletionsOf(rows: readonly ExactRow[], table: ExactTable, division: number): ExactRow[] {
  return rows.filter((r, i) => {
    const type = typeof r.EntityType === 'number' || typeof r.EntityType === 'string' ? Number(r.EntityType) : NaN;
    if (!Number.isInteger(type)) {
      throw new UpstreamMalformed(`Exact Online's sync/Deleted answer for division ${division} has a record (${i + 1}) without a readable EntityType.`, { administration: String(division) });
    }
    if (type !== table.upstream.deletedEntityType) return false;
    if (typeof r.EntityKey !== 'string' || r.EntityKey.trim() === '') {
      throw new UpstreamMalformed(`Exact Online's sync/Deleted answer for division ${division} has a ${table.name} deletion (${i + 1}) without its EntityKey.`, { administration: String(division) });
    }
    return true;
  });
}

function moveDateOf(row: ExactRow): number | null {
  const ms = exactInstant(row.DivisionMoveDate);
  return typeof ms === 'number' ? ms : null;
}

export class ExactOnlineConnector implements SourceConnector {
  readonly source = 'exactonline' as const;
  readonly tables: readonly TableDescription[] = EXACT_TABLES;
  private readonly divisionsTtlMs: number;
  private readonly divisionsCache = new Map<number, { at: number; rows: Promise<ExactRow[]> }>();

  constructor(private readonly options: ExactConnectorOptions) {
    this.divisionsTtlMs = options.divisionsTtlMs ?? 60_000;
  }

  async discoverAdministrations(connectionId: number, signal?: AbortSignal): Promise<DiscoveredAdministration[]> {
    const client = this.options.clients.forConnection(connectionId);
    const me = await readMe(client, signal);
    return toDiscovered(await this.divisions(connectionId, me.currentDivision, signal, true));
  }

  async *snapshot(table: TableDescription, ctx: FetchContext): AsyncIterable<UpstreamRow[]> {
    const t = this.exact(table);
    const division = this.division(ctx);
    if (t.upstream.probe?.kind === 'division') {
      const row = await this.divisionRow(ctx, true);
      ctx.progress({ pages: 1, rows: 1 });
      yield [toTableRow(t, row, division)];
      return;
    }
    const client = this.client(ctx);
    if (t.sync === 'exact-sync') {
      // The whole sync stream: every current row, older versions followed by their current one.
      const key = upstreamField(t, ownKey(t));
      for await (const page of client.pages(division, t.upstream.sync!, { $filter: `Timestamp gt ${FIRST_TIMESTAMP}L`, $select: selectOf(t) }, ctx.signal)) {
        ctx.progress({ pages: 1, rows: page.rows.length });
        yield latestVersions(page.rows, key).map((r) => toTableRow(t, r, division));
      }
      return;
    }
    for await (const page of client.pages(division, t.upstream.bulk ?? t.upstream.endpoint, { $select: selectOf(t) }, ctx.signal)) {
      ctx.progress({ pages: 1, rows: page.rows.length });
      yield page.rows.map((r) => toTableRow(t, r, division));
    }
  }

  async *changes(table: TableDescription, ctx: FetchContext, cursorText: string | null): AsyncIterable<ChangeBatch> {
    const t = this.exact(table);
    if (t.sync !== 'exact-sync' || !t.upstream.sync) throw new Error(`exactonline/${t.name} is not an exact-sync table`);
    const client = this.client(ctx);
    const division = this.division(ctx);
    const startedAt = this.options.clock.now();
    const move = moveDateOf(await this.divisionRow(ctx, false));
    let cursor: SyncCursor = cursorText === null ? { ts: FIRST_TIMESTAMP, del: FIRST_TIMESTAMP, move, checked: startedAt } : this.continuable(decodeCursor(cursorText), move, ctx, startedAt);
    const key = ownKey(t);
    const keyField = upstreamField(t, key);

    // Rows first, then deletions: a row deleted meanwhile is either absent from the rows or removed right after.
    for await (const page of client.pages(division, t.upstream.sync, { $filter: `Timestamp gt ${cursor.ts}L`, $select: selectOf(t) }, ctx.signal)) {
      ctx.progress({ pages: 1, rows: page.rows.length });
      cursor = { ...cursor, ts: highestTimestamp(page.rows, cursor.ts) };
      yield { deletes: [], upserts: latestVersions(page.rows, keyField).map((r) => toTableRow(t, r, division)), cursor: encodeCursor(cursor) };
    }
    for await (const page of client.pages(division, 'sync/Deleted', { $filter: `Timestamp gt ${cursor.del}L`, $select: 'EntityKey,EntityType,Timestamp' }, ctx.signal)) {
      const mine = deletionsOf(page.rows, t, division);
      ctx.progress({ pages: 1, rows: mine.length });
      cursor = { ...cursor, del: highestTimestamp(page.rows, cursor.del), checked: page.next ? cursor.checked : startedAt };
      yield { deletes: mine.map((r) => ({ [key]: r.EntityKey })), upserts: [], cursor: encodeCursor(cursor) };
    }
  }

  async probe(table: TableDescription, ctx: FetchContext, previous?: string | null): Promise<string | undefined> {
    const t = this.exact(table);
    const probe = t.upstream.probe;
    if (t.sync !== 'full' || !probe) return undefined;
    const client = this.client(ctx);
    const division = this.division(ctx);
    switch (probe.kind) {
      case 'division': {
        const row = toTableRow(t, await this.divisionRow(ctx, false), division);
        return `exact-division:${crypto.createHash('sha256').update(JSON.stringify(row)).digest('hex')}`;
      }
      case 'count-modified': {
        const count = await client.count(division, t.upstream.endpoint, {}, ctx.signal);
        const latest = await client.page(division, client.url(division, t.upstream.endpoint, { $select: 'Modified', $orderby: 'Modified desc', $top: 1 }), ctx.signal);
        const modified = exactInstant(latest.rows[0]?.Modified ?? null);
        return `exact-count-modified:${count}:${typeof modified === 'number' ? modified : '-'}`;
      }
      case 'sync-watermark': {
        const move = moveDateOf(await this.divisionRow(ctx, false));
        const before = decodeWatermark(previous);
        // After a division move the old watermarks mean nothing: start over (the fingerprint differs, so it reloads).
        const from = before && before.move === move ? before : { ts: FIRST_TIMESTAMP, del: FIRST_TIMESTAMP };
        let ts = from.ts;
        for await (const page of client.pages(division, probe.sync, { $filter: `Timestamp gt ${from.ts}L`, $select: 'Timestamp' }, ctx.signal)) {
          ts = highestTimestamp(page.rows, ts);
        }
        let del = from.del;
        for await (const page of client.pages(division, 'sync/Deleted', { $filter: `Timestamp gt ${from.del}L`, $select: 'EntityType,Timestamp' }, ctx.signal)) {
          // Only deletions that matter move the fingerprint; others are read again next time (the log is short).
          del = highestTimestamp(page.rows.filter((r) => probe.deletedEntityTypes.includes(Number(r.EntityType))), del);
        }
        return encodeWatermark({ move, ts, del });
      }
    }
  }

  /** Checks that a stored cursor can be continued. */
  private continuable(cursor: SyncCursor, move: number | null, ctx: FetchContext, now: number): SyncCursor {
    const code = ctx.administration.code;
    if (cursor.move !== move) {
      const when = move === null ? 'recently' : `on ${new Date(move).toISOString()}`;
      throw new CursorInvalid(`Exact Online moved division ${code} to another database ${when}, which renumbered its row versions`);
    }
    if (cursor.checked < monthsBefore(now, DELETED_LOG_MONTHS) + RETENTION_SAFETY_MS) {
      throw new CursorInvalid(
        `division ${code} was last synced on ${new Date(cursor.checked).toISOString()}, longer ago than the two months Exact Online keeps its record of deletions`,
      );
    }
    return cursor;
  }

  /** The division's own row of system/Divisions (cached per connection; `fresh` asks again). */
  private async divisionRow(ctx: FetchContext, fresh: boolean): Promise<ExactRow> {
    const rows = await this.divisions(ctx.administration.connectionId, ctx.administration.code, ctx.signal, fresh);
    const row = rows.find((r) => String(Number(r.Code)) === ctx.administration.code);
    if (!row) {
      throw new UpstreamRefused(`Division ${ctx.administration.code} is no longer among the divisions this Exact Online login can open.`, {
        administration: ctx.administration.code,
      });
    }
    return row;
  }

  private divisions(connectionId: number, viaDivision: number | string, signal: AbortSignal | undefined, fresh: boolean): Promise<ExactRow[]> {
    signal?.throwIfAborted();
    const now = this.options.clock.now();
    const cached = this.divisionsCache.get(connectionId);
    if (!fresh && cached && now - cached.at < this.divisionsTtlMs) return cached.rows;
    // Shared by every sync of the connection, so not tied to one caller's signal (the call's own time limit bounds it).
    const rows = readDivisions(this.options.clients.forConnection(connectionId), viaDivision);
    const entry = { at: now, rows };
    this.divisionsCache.set(connectionId, entry);
    rows.catch(() => {
      if (this.divisionsCache.get(connectionId) === entry) this.divisionsCache.delete(connectionId);
    });
    return rows;
  }

  private client(ctx: FetchContext): ExactOnlineClient {
    return this.options.clients.forConnection(ctx.administration.connectionId);
  }

  private division(ctx: FetchContext): number {
    const division = Number(ctx.administration.code);
    if (!Number.isInteger(division)) throw new UpstreamRefused(`"${ctx.administration.code}" is not an Exact Online division number.`);
    return division;
  }

  private exact(table: TableDescription): ExactTable {
    if (!isExactTable(table)) throw new Error(`${table.source}/${table.name} is not an Exact Online table`);
    return table;
  }
}
