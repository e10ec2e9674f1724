// One division as the simulated Exact Online holds it: the demo ledger, how its row versions are exposed as
// Exact Timestamps (renumbered by a division move), the older row versions a sync batch may repeat after
// updates, the deletion log, and sorted views of every entity built once per ledger version.
import { v5 as uuidv5 } from 'uuid';
import type { DemoGLAccount, DemoItem, DemoJournal, DemoLedger, DemoLine, DemoProject, DemoRelation, SimulatedChange } from '../demo/ledger';
import { POSTING } from '../demo/ledger';
import type { Row } from './filter';
import { DELETED_ENTITY_TYPES, ENTITIES, type BooksContext, type DemoUser, type EntitySpec } from './entities';
import { effectiveOrder, orderSignature, rowComparator, type OrderKey } from './query';

const GUID_NAMESPACE = '3f5d8e9c-2b7a-4c1e-9d0f-6a8b4c2e1f00';

/**
 * Exposed Timestamps leave room between consecutive ledger writes: an older version of an updated row sits
 * 4 below the new one, and the records of one deletion take +0…+5 of its slot.
 */
const SLOT = 8;
const GHOST_OFFSET = 4;
/** Exact's Timestamps are SQL rowversions, far beyond 32 bits: a client must keep them as Int64. */
const TIMESTAMP_BASE = 10_000_000_000;

/** Timestamp numbering after a division move: dense ranks below the old maximum, then growing from there. */
interface Renumbering {
  sorted: number[];
  maxAtMove: number;
}

export interface SortedView {
  /** In the view's default order (key, or Timestamp for sync views). */
  rows: readonly Row[];
  order: OrderKey[];
}

interface ViewCache {
  version: string;
  built: Map<string, Row[]>;
  views: Map<string, SortedView>;
  byKey: Map<string, Map<string, Row>>;
  groups: Map<string, Map<string, Row[]>>;
}

export interface SimulateReport {
  administration: number;
  inserted: SimulatedChange['inserted'];
  updated: SimulatedChange['updated'];
  deleted: SimulatedChange['deleted'];
  /** Highest Timestamp of sync/Financial/TransactionLines afterwards. */
  maxTimestamp: number;
}

export interface MoveReport {
  administration: number;
  divisionMoveDate: number;
  maxTimestampBefore: number;
  maxTimestampAfter: number;
}

export class DivisionBooks implements BooksContext {
  readonly division: number;
  /** Odd-numbered demo divisions serialise Int64 Timestamps as JSON strings (see index.ts). */
  readonly timestampsAsText: boolean;
  moveDate: number | null = null;
  private renumbering: Renumbering | null = null;
  private generation = 0;
  /** Older versions of updated transaction lines, by line id, still visible to sync until a division move. */
  private readonly ghosts = new Map<string, { row: Row; ledgerTimestamp: number }[]>();
  /** Deleted line ids that were payment terms (sync/Deleted EntityType 10). */
  private readonly deletedTerms = new Set<string>();
  private cache: ViewCache | null = null;
  private readonly guids = new Map<string, string>();
  private readonly glByCode: Map<string, DemoGLAccount>;
  private readonly relationsByCode: Map<string, DemoRelation>;
  private readonly itemsByCode: Map<string, DemoItem>;
  private readonly projectsByCode: Map<string, DemoProject>;
  private readonly journalsByCode: Map<string, DemoJournal>;

  constructor(
    readonly ledger: DemoLedger,
    readonly user: DemoUser,
  ) {
    this.division = ledger.info.division;
    this.timestampsAsText = ledger.info.index % 2 === 1;
    this.glByCode = new Map(ledger.glAccounts.map((a) => [a.code, a]));
    this.relationsByCode = new Map([...ledger.customers, ...ledger.suppliers].map((r) => [r.code, r]));
    this.itemsByCode = new Map(ledger.items.map((i) => [i.code, i]));
    this.projectsByCode = new Map(ledger.projects.map((p) => [p.code, p]));
    this.journalsByCode = new Map(ledger.journals.map((j) => [j.code, j]));
  }

  // ----------------------------------------------------------------------------------------- BooksContext
  timestamp(ledgerTimestamp: number): number {
    const r = this.renumbering;
    if (!r) return TIMESTAMP_BASE + ledgerTimestamp * SLOT;
    if (ledgerTimestamp > r.maxAtMove) return TIMESTAMP_BASE + r.sorted.length * SLOT + (ledgerTimestamp - r.maxAtMove) * 2 * SLOT;
    let lo = 0;
    let hi = r.sorted.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.sorted[mid] < ledgerTimestamp) lo = mid + 1;
      else hi = mid;
    }
    return TIMESTAMP_BASE + (lo + 1) * SLOT;
  }
  glAccount(code: string): DemoGLAccount {
    const a = this.glByCode.get(code);
    if (!a) throw new Error(`unknown GL account ${code}`);
    return a;
  }
  relation(code: string): DemoRelation | undefined {
    return this.relationsByCode.get(code);
  }
  item(code: string): DemoItem | undefined {
    return this.itemsByCode.get(code);
  }
  project(code: string): DemoProject | undefined {
    return this.projectsByCode.get(code);
  }
  journal(code: string): DemoJournal {
    return this.journalsByCode.get(code)!;
  }
  guid(path: string): string {
    let id = this.guids.get(path);
    if (!id) this.guids.set(path, (id = uuidv5(`${this.ledger.info.division}/${path}`, this.ledger.guid('exactonline'))));
    return id;
  }
  isPaymentTerm(line: DemoLine): boolean {
    return line.relation !== null && (line.glAccount === POSTING.receivables || line.glAccount === POSTING.payables);
  }

  // ---------------------------------------------------------------------------------------------- views
  private state(): ViewCache {
    const version = `${this.ledger.version}/${this.generation}`;
    if (this.cache?.version !== version) this.cache = { version, built: new Map(), views: new Map(), byKey: new Map(), groups: new Map() };
    return this.cache;
  }

  private built(entity: EntitySpec): Row[] {
    const state = this.state();
    let rows = state.built.get(entity.name);
    if (!rows) state.built.set(entity.name, (rows = entity.build(this)));
    return rows;
  }

  /** Current rows of an entity, sorted by key (standard and bulk endpoints). */
  current(entity: EntitySpec): SortedView {
    return this.sorted(`current/${entity.name}`, () => this.built(entity), [{ property: entity.key, descending: false }]);
  }

  /** Rows of a sync endpoint in Timestamp order, including older versions of updated transaction lines. */
  sync(entity: EntitySpec): SortedView {
    return this.sorted(`sync/${entity.name}`, () => {
      const rows = this.built(entity);
      if (entity.name !== ENTITIES.TransactionLines.name || this.ghosts.size === 0) return rows;
      const ghosts: Row[] = [];
      for (const versions of this.ghosts.values()) {
        for (const g of versions) ghosts.push({ ...g.row, Timestamp: this.timestamp(g.ledgerTimestamp) - GHOST_OFFSET });
      }
      return [...rows, ...ghosts];
    }, [{ property: 'Timestamp', descending: false }]);
  }

  /** sync/Deleted: one record per deleted transaction line, payment term and sales invoice, in Timestamp order. */
  deleted(): SortedView {
    return this.sorted('deleted', () => {
      const rows: Row[] = [];
      for (const d of this.ledger.deletions) {
        const base = this.timestamp(d.timestamp);
        const records: [number, string][] = d.lineIds.map((id) => [DELETED_ENTITY_TYPES.TransactionLines, id]);
        for (const id of d.lineIds) if (this.deletedTerms.has(id)) records.push([DELETED_ENTITY_TYPES.PaymentTerms, id]);
        if (d.invoiceId) records.push([DELETED_ENTITY_TYPES.SalesInvoices, d.invoiceId]);
        records.forEach(([type, key], j) => {
          rows.push({ ID: this.guid(`deleted/${type}/${key}`), DeletedBy: this.user.id, DeletedDate: d.deletedAt, Division: this.division, EntityKey: key, EntityType: type, Timestamp: base + j });
        });
      }
      return rows;
    }, [{ property: 'Timestamp', descending: false }]);
  }

  /** A view in another order (cached per ledger version), with the view's key as tie-breaker. */
  ordered(view: SortedView, orderby: OrderKey[], name: string): SortedView {
    const key = view.order[view.order.length - 1].property;
    const order = effectiveOrder(orderby, key);
    const signature = orderSignature(order);
    if (signature === orderSignature(view.order)) return view;
    return this.sorted(`${name}|${signature}`, () => [...view.rows], order);
  }

  private sorted(name: string, rows: () => Row[], order: OrderKey[]): SortedView {
    const state = this.state();
    let view = state.views.get(name);
    if (!view) {
      const list = rows().slice();
      list.sort(rowComparator(order));
      state.views.set(name, (view = { rows: list, order }));
    }
    return view;
  }

  /** Row of an entity by its key value. */
  byKey(entity: EntitySpec, key: string): Row | undefined {
    const state = this.state();
    let index = state.byKey.get(entity.name);
    if (!index) {
      index = new Map(this.built(entity).map((r) => [String(r[entity.key]), r]));
      state.byKey.set(entity.name, index);
    }
    return index.get(key);
  }

  /** Rows of `entity` grouped by a foreign key (navigation properties). */
  children(entity: EntitySpec, foreignKey: string, parentKey: string): Row[] {
    const state = this.state();
    const name = `${entity.name}/${foreignKey}`;
    let groups = state.groups.get(name);
    if (!groups) {
      groups = new Map();
      for (const row of this.current(entity).rows) {
        const k = String(row[foreignKey]);
        const list = groups.get(k);
        if (list) list.push(row);
        else groups.set(k, [row]);
      }
      state.groups.set(name, groups);
    }
    return groups.get(parentKey) ?? [];
  }

  maxTimestamp(entity: EntitySpec): number {
    const rows = this.sync(entity).rows;
    return rows.length === 0 ? 0 : Number(rows[rows.length - 1].Timestamp);
  }

  // ------------------------------------------------------------------------------------------- changes
  /** Applies bookkeeping changes; updated lines leave their previous version behind for the sync API. */
  simulate(change: { insert?: number; update?: number; delete?: number }, now: number): SimulateReport {
    const before = new Map<string, Row>();
    for (const row of this.built(ENTITIES.TransactionLines)) before.set(String(row.ID), row);
    const terms = new Set<string>();
    for (const line of this.ledger.lines()) if (this.isPaymentTerm(line)) terms.add(line.id);

    const result = this.ledger.simulate(change, now);

    const linesById = new Map<string, DemoLine>();
    for (const line of this.ledger.lines()) linesById.set(line.id, line);
    for (const id of result.updated.lines) {
      const old = before.get(id);
      const line = linesById.get(id);
      if (!old || !line) continue;
      const versions = this.ghosts.get(id) ?? [];
      versions.push({ row: old, ledgerTimestamp: line.timestamp });
      this.ghosts.set(id, versions);
    }
    for (const id of result.deleted.lines) {
      this.ghosts.delete(id);
      if (terms.has(id)) this.deletedTerms.add(id);
    }
    return { administration: this.division, ...result, maxTimestamp: this.maxTimestamp(ENTITIES.TransactionLines) };
  }

  /** A move to another database: every Timestamp is renumbered below the previous maximum. */
  move(now: number): MoveReport {
    const maxTimestampBefore = this.maxTimestamp(ENTITIES.TransactionLines);
    const all = new Set<number>();
    const l = this.ledger;
    for (const list of [l.glAccounts, l.customers, l.suppliers, l.items, l.projects, l.deletions]) for (const x of list) all.add(x.timestamp);
    for (const line of l.lines()) all.add(line.timestamp);
    const sorted = [...all].sort((a, b) => a - b);
    this.renumbering = { sorted, maxAtMove: sorted[sorted.length - 1] ?? 0 };
    this.ghosts.clear();
    this.moveDate = now;
    this.generation++;
    return { administration: this.division, divisionMoveDate: now, maxTimestampBefore, maxTimestampAfter: this.maxTimestamp(ENTITIES.TransactionLines) };
  }
}

/** The demo user of the simulated Exact Online licence (the same in every division). */
export function demoUser(seed: string): DemoUser {
  return {
    id: uuidv5(`${seed}/exactonline/user/demo`, GUID_NAMESPACE),
    userName: 'demo',
    fullName: 'Demo Gebruiker',
    email: 'demo@ledgerfeed.example',
    password: 'demo',
  };
}
