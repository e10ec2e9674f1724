// Twinfield as a source for the sync engine: offices as administrations, and for each described table how to load
// it, continue it, or tell cheaply that it has not changed. Strategies per table:
//   Offices                    full; probe: the office's entry in the office list (one call per connection, shared)
//   GeneralLedgerTransactions  twinfield-modified (transactions.ts): a book year per request, then modified + deleted
//   CustomerTransactions       twinfield-modified, browse 100
//   SupplierTransactions       twinfield-modified, browse 200
//   AnnualReportTotals         full, a book year per request; probe: any transaction changed or deleted (2 calls)
//   GeneralLedgerAccounts, Customers, Suppliers, CostCenters, Projects
//                              full through the Finder; probe: modifiedsince + TotalRows (2 calls)
import crypto from 'node:crypto';
import type { Clock } from '../../clock';
import { scaledToDecimalText, decimalToScaled } from '../../tables/values';
import type { TableDescription } from '../../tables/description';
import type { ChangeBatch, DiscoveredAdministration, FetchContext, SourceConnector, UpstreamRow } from '../connector';
import { UpstreamRefused } from '../errors';
import { browseFields, browseRows } from './browse-rows';
import type { OfficeListing } from './client';
import type { TwinfieldClients } from './clients';
import { dimensionProbe, dimensionSnapshot, type DimensionSyncOptions } from './dimensions';
import { TWINFIELD_TABLES, type TwinfieldTable, type TwinfieldUpstream } from './tables';
import { bookYears, browse, transactionChanges, transactionsChangedSince, type OfficeContext, type TransactionSyncOptions } from './transactions';

export interface TwinfieldSyncOptions extends TransactionSyncOptions, DimensionSyncOptions {
  /** How long one office list serves every office of a connection (ms). */
  officeListTtlMs: number;
}

export const DEFAULT_SYNC_OPTIONS: TwinfieldSyncOptions = {
  overlapMs: 10 * 60_000,
  maxCursorAgeMs: 90 * 24 * 3_600_000,
  batchRows: 1000,
  pageSize: 100,
  detailConcurrency: 4,
  officeListTtlMs: 30_000,
};

type TotalsUpstream = Extract<TwinfieldUpstream, { kind: 'totals' }>;

export class TwinfieldConnector implements SourceConnector {
  readonly source = 'twinfield' as const;
  readonly tables: readonly TableDescription[] = TWINFIELD_TABLES;
  private readonly options: TwinfieldSyncOptions;
  private readonly officeLists = new Map<number, { at: number; list: Promise<OfficeListing[]> }>();

  constructor(
    private readonly clients: TwinfieldClients,
    private readonly clock: Clock,
    options: Partial<TwinfieldSyncOptions> = {},
  ) {
    this.options = { ...DEFAULT_SYNC_OPTIONS, ...options };
  }

  async discoverAdministrations(connectionId: number, signal?: AbortSignal): Promise<DiscoveredAdministration[]> {
    const offices = await this.clients.forConnection(connectionId).listOffices(signal);
    this.officeLists.set(connectionId, { at: this.clock.now(), list: Promise.resolve(offices) });
    return offices.map((o) => ({ code: o.code, name: o.name, extra: { shortname: o.shortname } }));
  }

  async *snapshot(description: TableDescription, ctx: FetchContext): AsyncIterable<UpstreamRow[]> {
    const table = twinfieldTableOf(description);
    const office = this.officeContext(ctx);
    const upstream = table.upstream;
    switch (upstream.kind) {
      case 'offices': {
        yield [officeRow(await this.listedOffice(ctx), ctx.administration.code)];
        return;
      }
      case 'totals': {
        for (const year of await bookYears(office, this.options.firstYear)) yield await this.totalsOfYear(table, upstream, office, year);
        return;
      }
      case 'dimensions': {
        yield* dimensionSnapshot(table, office, this.options);
        return;
      }
      case 'transactions': {
        for await (const batch of transactionChanges(table, office, null, this.options)) if (batch.upserts.length > 0) yield batch.upserts;
        return;
      }
    }
  }

  changes(description: TableDescription, ctx: FetchContext, cursor: string | null): AsyncIterable<ChangeBatch> {
    const table = twinfieldTableOf(description);
    if (table.upstream.kind !== 'transactions') throw new TypeError(`${table.name} is not synced incrementally`);
    return transactionChanges(table, this.officeContext(ctx), cursor, this.options);
  }

  async probe(description: TableDescription, ctx: FetchContext, previous?: string | null): Promise<string | undefined> {
    const table = twinfieldTableOf(description);
    const office = this.officeContext(ctx);
    switch (table.upstream.kind) {
      case 'offices': {
        const listed = officeRow(await this.listedOffice(ctx), ctx.administration.code);
        return `office:v1:${crypto.createHash('sha256').update(JSON.stringify(listed)).digest('base64url')}`;
      }
      case 'dimensions':
        return dimensionProbe(table, office, previous, this.options);
      case 'totals': {
        // `changes:v1:<checkpoint>`: unchanged while no transaction was changed or deleted since the checkpoint.
        const fresh = `changes:v1:${this.clock.now() - this.options.overlapMs}`;
        const m = previous ? /^changes:v1:(\d+)$/.exec(previous) : null;
        if (!m || !previous) return fresh;
        return (await transactionsChangedSince(office, Number(m[1]), this.options.overlapMs)) ? fresh : previous;
      }
      case 'transactions':
        return undefined;
    }
  }

  private officeContext(ctx: FetchContext): OfficeContext {
    return {
      client: this.clients.forConnection(ctx.administration.connectionId),
      office: ctx.administration.code,
      now: () => this.clock.now(),
      signal: ctx.signal,
      called: (rows, calls = 1) => ctx.progress({ pages: calls, rows }),
    };
  }

  /** The office's entry in its connection's office list; one list call serves every office for a short while. */
  private async listedOffice(ctx: FetchContext): Promise<OfficeListing> {
    const { connectionId, code } = ctx.administration;
    const now = this.clock.now();
    let cached = this.officeLists.get(connectionId);
    if (!cached || now - cached.at > this.options.officeListTtlMs) {
      const list = this.clients.forConnection(connectionId).listOffices(ctx.signal);
      cached = { at: now, list };
      this.officeLists.set(connectionId, cached);
      list.then(
        () => ctx.progress({ pages: 1, rows: 1 }),
        () => this.officeLists.delete(connectionId),
      );
    }
    const offices = await cached.list;
    const office = offices.find((o) => o.code.toUpperCase() === code.toUpperCase());
    if (!office) throw new UpstreamRefused(`Twinfield no longer lists office ${code} for this login: U hebt geen toegang tot deze administratie.`, { administration: code });
    return office;
  }

  /** 040_1 of one book year; rows with the same key (if Twinfield splits them) are added up exactly. */
  private async totalsOfYear(table: TwinfieldTable, upstream: TotalsUpstream, office: OfficeContext, year: number): Promise<UpstreamRow[]> {
    const what = `loading ${table.name} of ${year}`;
    const result = await browse(
      office,
      {
        code: upstream.browseCode,
        fields: browseFields(upstream.columns),
        criteria: [
          { field: 'fin.trs.head.yearperiod', operator: 'between', from: `${year}/00`, to: `${year}/55` },
          { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' },
        ],
      },
      what,
    );
    const amounts = table.columns.filter((c) => c.type === 'Edm.Decimal');
    const byKey = new Map<string, UpstreamRow>();
    for (const row of browseRows(table, upstream.columns, result, office.office, what)) {
      const id = JSON.stringify(table.key.map((k) => row[k]));
      const seen = byKey.get(id);
      if (!seen) {
        byKey.set(id, row);
        continue;
      }
      for (const column of amounts) {
        const scale = column.scale ?? 2;
        const sum = BigInt(decimalToScaled(String(seen[column.name] ?? '0'), scale)) + BigInt(decimalToScaled(String(row[column.name] ?? '0'), scale));
        seen[column.name] = scaledToDecimalText(sum, scale);
      }
    }
    return [...byKey.values()];
  }
}

function twinfieldTableOf(description: TableDescription): TwinfieldTable {
  const table = TWINFIELD_TABLES.find((t) => t === description || t.name === description.name);
  if (!table || description.source !== 'twinfield') throw new TypeError(`${description.source}/${description.name} is not a Twinfield table`);
  return table;
}

function officeRow(office: OfficeListing, code: string): UpstreamRow {
  return { Office: code, Name: office.name || null, ShortName: office.shortname || null };
}
