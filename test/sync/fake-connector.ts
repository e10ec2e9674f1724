// An in-memory SourceConnector for the sync engine's tests: deterministic books per administration, an
// Exact-style change feed (row versions + tombstones, a retention window that makes old cursors invalid),
// a `full` table with a probe fingerprint, and injectable faults, delays, malformed pages and duplicates.
import crypto from 'node:crypto';
import { sleep } from '../../server/src/clock';
import {
  CursorInvalid,
  type ChangeBatch,
  type DiscoveredAdministration,
  type FetchContext,
  type RowMatch,
  type SourceConnector,
  type UpstreamRow,
} from '../../server/src/sources/connector';
import type { TableDescription } from '../../server/src/tables/description';

/** Journal lines: incremental (Exact sync API style), deleted by ID or by whole entry. */
export const LINES: TableDescription = {
  source: 'exactonline',
  name: 'Lines',
  description: 'Journal lines',
  columns: [
    { name: 'Division', type: 'Edm.Int32', description: 'Division' },
    { name: 'ID', type: 'Edm.Guid', description: 'Line ID' },
    { name: 'EntryNumber', type: 'Edm.Int32', description: 'Entry number' },
    { name: 'Amount', type: 'Edm.Decimal', description: 'Amount', scale: 2 },
    { name: 'Date', type: 'Edm.Date', description: 'Date' },
    { name: 'Description', type: 'Edm.String', description: 'Description' },
    { name: 'Modified', type: 'Edm.DateTimeOffset', description: 'Modified' },
  ],
  key: ['Division', 'ID'],
  administrationColumn: 'Division',
  sync: 'exact-sync',
  upstream: {},
};

/** Accounts: reloaded in full, skipped when the probe fingerprint is unchanged. */
export const ACCOUNTS: TableDescription = {
  source: 'exactonline',
  name: 'Accounts',
  description: 'Accounts',
  columns: [
    { name: 'Division', type: 'Edm.Int32', description: 'Division' },
    { name: 'Code', type: 'Edm.String', description: 'Code' },
    { name: 'Name', type: 'Edm.String', description: 'Name' },
    { name: 'Balance', type: 'Edm.Decimal', description: 'Balance', scale: 2 },
  ],
  key: ['Division', 'Code'],
  administrationColumn: 'Division',
  sync: 'full',
  upstream: {},
};

export const ADMINISTRATION_CODES = ['310101', '310102', '310103', '310104', '310105', '310106', '310107', '310108'];

type Method = 'changes' | 'snapshot' | 'probe';

interface Fault {
  method: Method | 'any';
  error: () => Error;
  remaining: number;
  /** Batches or pages delivered before the fault strikes. */
  afterPages: number;
}

interface VersionedRow {
  row: UpstreamRow;
  version: number;
}

interface Books {
  lines: Map<string, VersionedRow>;
  tombstones: { match: RowMatch; version: number }[];
  /** Cursors below this can no longer be continued (the deletion log was trimmed). */
  retainedFrom: number;
  version: number;
  accounts: Map<string, UpstreamRow>;
  accountsGeneration: number;
  nextLine: number;
  nextAccount: number;
  faults: Fault[];
  malformedPages: number;
}

export interface FakeOptions {
  seed?: string;
  codes?: readonly string[];
  lines?: number;
  accounts?: number;
  /** Rows per change batch / snapshot page. */
  pageSize?: number;
  /** Waited before every batch or page (honours the abort signal). */
  delayMs?: number;
  /** Offer `probe` for the full table. */
  probe?: boolean;
  /** Deliver every upserted line twice in its batch, first with a stale description (the engine must keep the last). */
  duplicateUpserts?: boolean;
}

export class FakeConnector implements SourceConnector {
  readonly source = 'exactonline' as const;
  readonly tables = [LINES, ACCOUNTS];
  readonly calls: Record<Method, Map<string, number>> = { changes: new Map(), snapshot: new Map(), probe: new Map() };
  /** Fetches (changes/snapshot streams) running right now, and the most ever at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Runs before every fetch starts delivering (lets a test hold fetches to observe parallelism). */
  beforeFetch?: (code: string, method: Method) => Promise<void>;
  delayMs: number;
  duplicateUpserts: boolean;
  private readonly books = new Map<string, Books>();
  private readonly seed: string;
  private readonly pageSize: number;
  private readonly withProbe: boolean;

  constructor(options: FakeOptions = {}) {
    this.seed = options.seed ?? 'fake';
    this.pageSize = options.pageSize ?? 50;
    this.delayMs = options.delayMs ?? 0;
    this.withProbe = options.probe ?? true;
    this.duplicateUpserts = options.duplicateUpserts ?? false;
    for (const code of options.codes ?? ADMINISTRATION_CODES) {
      const books: Books = {
        lines: new Map(),
        tombstones: [],
        retainedFrom: 0,
        version: 0,
        accounts: new Map(),
        accountsGeneration: 0,
        nextLine: 0,
        nextAccount: 0,
        faults: [],
        malformedPages: 0,
      };
      this.books.set(code, books);
      this.insertLines(code, options.lines ?? 120);
      this.insertAccounts(code, options.accounts ?? 30);
    }
  }

  get probe(): SourceConnector['probe'] {
    if (!this.withProbe) return undefined;
    return async (_table: TableDescription, ctx: FetchContext) => {
      const books = this.booksOf(ctx.administration.code);
      this.count('probe', ctx.administration.code);
      this.strike(books, 'probe', 0);
      return `g${books.accountsGeneration}`;
    };
  }

  async discoverAdministrations(): Promise<DiscoveredAdministration[]> {
    return [...this.books.keys()].map((code) => ({ code, name: `Company ${code}`, extra: { DivisionMoveDate: null } }));
  }

  async *snapshot(table: TableDescription, ctx: FetchContext): AsyncIterable<UpstreamRow[]> {
    const code = ctx.administration.code;
    const books = this.booksOf(code);
    this.count('snapshot', code);
    const rows = table.name === ACCOUNTS.name ? [...books.accounts.values()] : [...books.lines.values()].map((v) => v.row);
    yield* this.deliver(books, 'snapshot', ctx, chunk(rows, this.pageSize), (page) => page);
  }

  async *changes(table: TableDescription, ctx: FetchContext, cursor: string | null): AsyncIterable<ChangeBatch> {
    if (table.name !== LINES.name) throw new Error(`${table.name} has no change feed`);
    const code = ctx.administration.code;
    const books = this.booksOf(code);
    this.count('changes', code);
    const since = cursor === null ? 0 : Number(cursor);
    if (cursor !== null && since < books.retainedFrom) throw new CursorInvalid(`cursor ${cursor} is older than the deletion log (from ${books.retainedFrom})`);
    type Change = { version: number; upsert?: UpstreamRow; delete?: RowMatch };
    const feed: Change[] = [
      ...[...books.lines.values()].filter((v) => v.version > since).map((v) => ({ version: v.version, upsert: v.row })),
      ...(cursor === null ? [] : books.tombstones.filter((t) => t.version > since).map((t) => ({ version: t.version, delete: t.match }))),
    ].sort((a, b) => a.version - b.version);
    const batches = chunk(feed, this.pageSize).map((changes) => ({
      deletes: changes.flatMap((c) => (c.delete ? [c.delete] : [])),
      upserts: changes.flatMap((c) => (c.upsert ? (this.duplicateUpserts ? [{ ...c.upsert, Description: 'stale copy' }, c.upsert] : [c.upsert]) : [])),
      cursor: String(changes[changes.length - 1].version),
    }));
    // The feed is complete up to the upstream's latest version, whatever kind of change that was.
    if (batches.length > 0) batches[batches.length - 1].cursor = String(books.version);
    yield* this.deliver(books, 'changes', ctx, batches, (b) => b.upserts);
  }

  // —— the upstream's books, as a test changes them ——

  insertLines(code: string, n: number): void {
    const books = this.booksOf(code);
    for (let i = 0; i < n; i++) {
      const number = books.nextLine++;
      const h = digest(`${this.seed}:${code}:line:${number}`);
      const id = guid(h);
      this.putLine(books, {
        ID: number % 2 === 0 ? id.toUpperCase() : id,
        EntryNumber: 1000 + Math.floor(number / 4),
        Amount: `${h.readInt32BE(16) % 100000}.${String(h[20] % 100).padStart(2, '0')}`,
        Date: `2024-${String((h[21] % 12) + 1).padStart(2, '0')}-${String((h[22] % 28) + 1).padStart(2, '0')}`,
        Description: `Line ${number} of ${code}`,
        Modified: new Date(Date.UTC(2024, 0, 1) + number * 60_000).toISOString(),
      });
    }
  }

  /** Changes the description and amount of the first `n` lines. */
  updateLines(code: string, n: number, tag = 'updated'): void {
    const books = this.booksOf(code);
    for (const v of [...books.lines.values()].slice(0, n)) this.putLine(books, { ...v.row, Description: `${v.row.Description} (${tag})`, Amount: '1.50' });
  }

  /** Gives the first `n` lines a new version without changing any value we read (a field outside our columns changed). */
  touchLines(code: string, n: number): void {
    const books = this.booksOf(code);
    for (const v of [...books.lines.values()].slice(0, n)) this.putLine(books, { ...v.row });
  }

  /** Deletes the first `n` lines, one tombstone per ID. */
  deleteLines(code: string, n: number): void {
    const books = this.booksOf(code);
    for (const [key, v] of [...books.lines.entries()].slice(0, n)) {
      books.lines.delete(key);
      books.tombstones.push({ match: { ID: v.row.ID }, version: ++books.version });
    }
  }

  /** Deletes every line of an entry with one tombstone naming the entry number (like Twinfield's journal + number). */
  deleteEntry(code: string, entryNumber: number): void {
    const books = this.booksOf(code);
    for (const [key, v] of books.lines) if (v.row.EntryNumber === entryNumber) books.lines.delete(key);
    books.tombstones.push({ match: { EntryNumber: entryNumber }, version: ++books.version });
  }

  /** Trims the deletion log: every cursor older than the latest change becomes invalid. */
  expireDeletionLog(code: string): void {
    const books = this.booksOf(code);
    books.retainedFrom = books.version;
    books.tombstones = [];
  }

  insertAccounts(code: string, n: number): void {
    const books = this.booksOf(code);
    for (let i = 0; i < n; i++) {
      const number = books.nextAccount++;
      const accountCode = `A${String(number).padStart(5, '0')}`;
      books.accounts.set(accountCode, { Division: Number(code), Code: accountCode, Name: `Account ${number}`, Balance: (digest(`${this.seed}:${code}:acc:${number}`).readInt32BE(0) % 1_000_000) / 100 });
    }
    books.accountsGeneration++;
  }

  updateAccounts(code: string, n: number): void {
    const books = this.booksOf(code);
    for (const row of [...books.accounts.values()].slice(0, n)) books.accounts.set(String(row.Code), { ...row, Name: `${row.Name} (renamed)` });
    books.accountsGeneration++;
  }

  deleteAccounts(code: string, n: number): void {
    const books = this.booksOf(code);
    for (const key of [...books.accounts.keys()].slice(0, n)) books.accounts.delete(key);
    books.accountsGeneration++;
  }

  /** The rows the mirror should hold for this administration and table. */
  rowsOf(code: string, table: TableDescription): UpstreamRow[] {
    const books = this.booksOf(code);
    return table.name === ACCOUNTS.name ? [...books.accounts.values()] : [...books.lines.values()].map((v) => v.row);
  }

  // —— faults ——

  /** The next `times` fetches (of `method`, or any) of this administration fail with `error` after `afterPages` pages. */
  failNext(code: string, error: () => Error, options: { times?: number; method?: Method | 'any'; afterPages?: number } = {}): void {
    this.booksOf(code).faults.push({ error, remaining: options.times ?? 1, method: options.method ?? 'any', afterPages: options.afterPages ?? 0 });
  }

  /** The next `times` pages or batches of this administration carry a value no Edm type accepts. */
  malformNext(code: string, times = 1): void {
    this.booksOf(code).malformedPages += times;
  }

  calledCount(method: Method, code?: string): number {
    if (code !== undefined) return this.calls[method].get(code) ?? 0;
    return [...this.calls[method].values()].reduce((a, b) => a + b, 0);
  }

  private async *deliver<T>(books: Books, method: Method, ctx: FetchContext, items: T[], rowsOf: (item: T) => UpstreamRow[]): AsyncIterable<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.beforeFetch?.(ctx.administration.code, method);
      this.strike(books, method, 0);
      let delivered = 0;
      for (const item of items) {
        if (this.delayMs > 0) await sleep(this.delayMs, ctx.signal);
        ctx.signal.throwIfAborted();
        const rows = rowsOf(item);
        if (books.malformedPages > 0 && rows.length > 0) {
          books.malformedPages--;
          const last = rows[rows.length - 1];
          rows[rows.length - 1] = { ...last, ['Balance' in last ? 'Balance' : 'Amount']: 'twelve euros' };
        }
        ctx.progress({ pages: 1, rows: rows.length });
        yield item;
        delivered++;
        this.strike(books, method, delivered);
      }
    } finally {
      this.inFlight--;
    }
  }

  private strike(books: Books, method: Method, delivered: number): void {
    const fault = books.faults.find((f) => (f.method === 'any' || f.method === method) && f.afterPages === delivered && f.remaining > 0);
    if (!fault) return;
    fault.remaining--;
    if (fault.remaining === 0) books.faults.splice(books.faults.indexOf(fault), 1);
    throw fault.error();
  }

  private putLine(books: Books, row: UpstreamRow): void {
    books.lines.set(String(row.ID).toLowerCase(), { row, version: ++books.version });
  }

  private count(method: Method, code: string): void {
    this.calls[method].set(code, (this.calls[method].get(code) ?? 0) + 1);
  }

  private booksOf(code: string): Books {
    const books = this.books.get(code);
    if (!books) throw new Error(`no administration ${code} in the fake`);
    return books;
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function digest(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

function guid(h: Buffer): string {
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
