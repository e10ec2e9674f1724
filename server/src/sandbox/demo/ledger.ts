// The demo books behind both simulators: one deterministic, balanced ledger per administration. The Exact
// Online and Twinfield simulators each build their own copy from the same seed and render it in their
// own wire format, so both tell the same story until one of them is sent simulated changes.
import seedrandom from 'seedrandom';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import {
  ADMINISTRATIONS,
  COST_CENTERS,
  GL_ACCOUNTS,
  JOURNALS,
  NAME_PARTS,
  POSTING,
  VAT_CODES,
  type DemoAdministrationInfo,
  type GLAccountDef,
  type JournalCode,
} from './catalog';

export * from './catalog';

/** Namespace of every demo GUID (uuid v5 of the seed and the object's path). */
const GUID_NAMESPACE = parseUuid('6c0f3b1e-6a52-4e0a-9a51-1edfeed00001');

export const DEMO_YEARS = [2025, 2026] as const;
/** Entries of the last two periods of the last year stay provisional. */
const PROVISIONAL_FROM_PERIOD = 11;

export interface DemoOptions {
  seed: string;
  /** Transaction lines per administration, exactly. */
  rowsPerAdministration: number;
  /** How many administrations (at most eight). */
  administrations?: number;
}

export type EntryKind = 'sales' | 'purchase' | 'receipt' | 'payment' | 'memorial';
export type MatchStatus = 'available' | 'matched' | 'notmatchable';

export interface DemoLine {
  id: string;
  entryId: string;
  /** 0 is the receivable/payable line of a sales or purchase entry; others count from 1. */
  lineNumber: number;
  glAccount: string;
  /** Cents, debit positive. The lines of an entry sum to zero. */
  amount: number;
  vatCode: string | null;
  /** Cents: the amount VAT was computed over (VAT lines only). */
  vatBaseAmount: number | null;
  relation: string | null;
  costCenter: string | null;
  project: string | null;
  item: string | null;
  quantity: number | null;
  description: string;
  matchStatus: MatchStatus;
  /** Exact Online row version: strictly increasing per administration with every write. */
  timestamp: number;
  modified: number;
}

export interface DemoEntry {
  id: string;
  kind: EntryKind;
  journal: JournalCode;
  /** Entry number, year * 100000 + sequence within journal and year (Exact EntryNumber, Twinfield number). */
  number: number;
  date: string;
  year: number;
  period: number;
  status: 'final' | 'provisional';
  relation: string | null;
  invoiceNumber: string | null;
  dueDate: string | null;
  description: string;
  created: number;
  modified: number;
  lines: DemoLine[];
  /** Sales entries: the Exact SalesInvoice id. */
  invoiceId: string | null;
}

export interface DemoRelation {
  id: string;
  kind: 'customer' | 'supplier';
  code: string;
  name: string;
  city: string;
  postcode: string;
  country: string;
  vatNumber: string;
  chamberOfCommerce: string;
  blocked: boolean;
  paymentDays: number;
  created: number;
  modified: number;
  timestamp: number;
}

export interface DemoGLAccount extends GLAccountDef {
  id: string;
  vatCode: string | null;
  created: number;
  modified: number;
  timestamp: number;
}

export interface DemoItem {
  id: string;
  code: string;
  description: string;
  unitPrice: number;
  glRevenue: string;
  vatCode: string;
  created: number;
  modified: number;
  timestamp: number;
}

export interface DemoProject {
  id: string;
  code: string;
  description: string;
  customer: string;
  startDate: string;
  created: number;
  modified: number;
  timestamp: number;
}

export interface DemoCostCenter {
  id: string;
  code: string;
  description: string;
}

export interface DemoJournal {
  id: string;
  code: JournalCode;
  description: string;
  exactTransactionType: number;
  exactJournalType: number;
}

export interface DemoBudget {
  id: string;
  glAccount: string;
  year: number;
  period: number;
  /** Cents, in the account's natural sign (costs positive, revenue negative), like the lines. */
  amount: number;
  modified: number;
}

export interface DemoDeletion {
  entryId: string;
  journal: JournalCode;
  number: number;
  year: number;
  lineIds: string[];
  /** Sales invoice removed with the entry, if any. */
  invoiceId: string | null;
  deletedAt: number;
  /** Exact row version of the deletion. */
  timestamp: number;
}

export interface BalanceRow {
  glAccount: string;
  year: number;
  period: number;
  /** Cents. */
  amount: number;
  debit: number;
  credit: number;
  count: number;
  status: 'final' | 'provisional';
}

export interface SimulatedChange {
  inserted: { entries: string[]; lines: string[] };
  updated: { entries: string[]; lines: string[] };
  deleted: { entries: string[]; lines: string[] };
}

const BASE_TIME = Date.UTC(DEMO_YEARS[0], 0, 1);

/** One administration's books. */
export class DemoLedger {
  readonly info: DemoAdministrationInfo;
  readonly glAccounts: DemoGLAccount[];
  readonly journals: DemoJournal[];
  readonly costCenters: DemoCostCenter[];
  readonly customers: DemoRelation[];
  readonly suppliers: DemoRelation[];
  readonly items: DemoItem[];
  readonly projects: DemoProject[];
  readonly budgets: DemoBudget[];
  /** Entries in booking order (a Map keeps insertion order; inserts append). */
  readonly entries = new Map<string, DemoEntry>();
  readonly deletions: DemoDeletion[] = [];
  /** Bumped on every change; simulators use it to invalidate derived views. */
  version = 0;

  private lastTimestamp = 1000;
  private readonly seed: string;
  private mutationCount = 0;
  private readonly sequences = new Map<string, number>();

  constructor(info: DemoAdministrationInfo, seed: string, rows: number) {
    this.info = info;
    this.seed = `${seed}/${info.index}`;
    const rng = seedrandom(`${this.seed}/master`);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];

    this.glAccounts = GL_ACCOUNTS.map((def) => ({
      ...def,
      id: this.guid(`gl/${def.code}`),
      vatCode: def.code === POSTING.revenueHigh ? VAT_CODES.high.code : def.code === POSTING.revenueLow ? VAT_CODES.low.code : null,
      created: BASE_TIME,
      modified: BASE_TIME,
      timestamp: this.nextTimestamp(),
    }));
    this.journals = JOURNALS.map((j) => ({ ...j, id: this.guid(`journal/${j.code}`) }));
    this.costCenters = COST_CENTERS.map((c) => ({ ...c, id: this.guid(`costcenter/${c.code}`) }));

    const relation = (kind: DemoRelation['kind'], n: number): DemoRelation => {
      const code = String((kind === 'customer' ? 1000 : 2000) + n);
      const name = `${pick(NAME_PARTS.first)} ${pick(NAME_PARTS.kind)} ${pick(NAME_PARTS.form)}`.replace(/\s+/g, ' ').trim();
      const country = rng() < 0.9 ? 'NL' : rng() < 0.5 ? 'BE' : 'DE';
      const created = BASE_TIME - Math.floor(rng() * 400) * 86_400_000;
      return {
        id: this.guid(`${kind}/${code}`),
        kind,
        code,
        name,
        city: pick(NAME_PARTS.cities),
        postcode: `${1000 + Math.floor(rng() * 8999)} ${String.fromCharCode(65 + Math.floor(rng() * 26))}${String.fromCharCode(65 + Math.floor(rng() * 26))}`,
        country,
        vatNumber: `${country}${String(Math.floor(rng() * 1e9)).padStart(9, '0')}B01`,
        chamberOfCommerce: String(10_000_000 + Math.floor(rng() * 89_999_999)),
        blocked: rng() < 0.03,
        paymentDays: pick([14, 30, 30, 30, 60]),
        created,
        modified: created,
        timestamp: this.nextTimestamp(),
      };
    };
    this.customers = Array.from({ length: 40 }, (_, n) => relation('customer', n));
    this.suppliers = Array.from({ length: 25 }, (_, n) => relation('supplier', n));
    this.items = NAME_PARTS.items.map((description, n) => ({
      id: this.guid(`item/${n}`),
      code: `ART${String(n + 1).padStart(3, '0')}`,
      description,
      unitPrice: 2500 + Math.floor(rng() * 40) * 500,
      glRevenue: n % 4 === 3 ? POSTING.revenueLow : POSTING.revenueHigh,
      vatCode: n % 4 === 3 ? VAT_CODES.low.code : VAT_CODES.high.code,
      created: BASE_TIME,
      modified: BASE_TIME,
      timestamp: this.nextTimestamp(),
    }));
    this.projects = Array.from({ length: 6 }, (_, n) => ({
      id: this.guid(`project/${n}`),
      code: `P${String(n + 1).padStart(3, '0')}`,
      description: `Project ${NAME_PARTS.items[(n * 5) % NAME_PARTS.items.length]} ${DEMO_YEARS[n % 2]}`,
      customer: this.customers[(n * 7) % this.customers.length].code,
      startDate: `${DEMO_YEARS[n % 2]}-${String(1 + ((n * 2) % 12)).padStart(2, '0')}-01`,
      created: BASE_TIME,
      modified: BASE_TIME,
      timestamp: this.nextTimestamp(),
    }));
    this.budgets = [];
    for (const account of this.glAccounts.filter((a) => a.balanceType === 'W')) {
      const monthly = 50_000 + Math.floor(rng() * 2_000_000);
      for (const year of DEMO_YEARS) {
        for (let period = 1; period <= 12; period++) {
          const amount = Math.round(monthly * (0.8 + rng() * 0.4)) * (account.balanceSide === 'C' ? -1 : 1);
          this.budgets.push({ id: this.guid(`budget/${account.code}/${year}/${period}`), glAccount: account.code, year, period, amount, modified: BASE_TIME });
        }
      }
    }
    this.generateEntries(rows, seedrandom(`${this.seed}/entries`));
  }

  /** Every current line, entry by entry. */
  *lines(): IterableIterator<DemoLine> {
    for (const entry of this.entries.values()) yield* entry.lines;
  }

  lineCount(): number {
    let n = 0;
    for (const entry of this.entries.values()) n += entry.lines.length;
    return n;
  }

  relation(code: string): DemoRelation | undefined {
    return this.customers.find((c) => c.code === code) ?? this.suppliers.find((s) => s.code === code);
  }

  glAccount(code: string): DemoGLAccount {
    const account = this.glAccounts.find((a) => a.code === code);
    if (!account) throw new Error(`unknown GL account ${code}`);
    return account;
  }

  /** Balance per GL account, year and period (and status): what Exact's ReportingBalance and Twinfield's 040_1 report. */
  balances(): BalanceRow[] {
    const rows = new Map<string, BalanceRow>();
    for (const entry of this.entries.values()) {
      for (const line of entry.lines) {
        const key = `${line.glAccount}|${entry.year}|${entry.period}|${entry.status}`;
        let row = rows.get(key);
        if (!row) {
          row = { glAccount: line.glAccount, year: entry.year, period: entry.period, amount: 0, debit: 0, credit: 0, count: 0, status: entry.status };
          rows.set(key, row);
        }
        row.amount += line.amount;
        if (line.amount >= 0) row.debit += line.amount;
        else row.credit -= line.amount;
        row.count += 1;
      }
    }
    return [...rows.values()].sort((a, b) => a.glAccount.localeCompare(b.glAccount) || a.year - b.year || a.period - b.period || a.status.localeCompare(b.status));
  }

  /**
   * Applies bookkeeping changes as a user in the service would: `insert` new balanced entries in the
   * latest period, `update` existing entries (amounts shifted and descriptions changed, still balanced),
   * `delete` entries (their lines go to the deletion log). Deterministic for a given history.
   */
  simulate(change: { insert?: number; update?: number; delete?: number }, now: number): SimulatedChange {
    const rng = seedrandom(`${this.seed}/mutation/${this.mutationCount++}`);
    const result: SimulatedChange = {
      inserted: { entries: [], lines: [] },
      updated: { entries: [], lines: [] },
      deleted: { entries: [], lines: [] },
    };
    const year = DEMO_YEARS[DEMO_YEARS.length - 1];
    for (let i = 0; i < (change.insert ?? 0); i++) {
      const kind: EntryKind = rng() < 0.5 ? 'sales' : rng() < 0.5 ? 'purchase' : 'memorial';
      const entry = this.buildEntry(kind, rng, year, 12, 1 + Math.floor(rng() * 28), now, kind === 'memorial' ? 2 : 3);
      this.entries.set(entry.id, entry);
      result.inserted.entries.push(entry.id);
      result.inserted.lines.push(...entry.lines.map((l) => l.id));
    }
    const candidates = () => [...this.entries.values()].filter((e) => !result.inserted.entries.includes(e.id) && !result.updated.entries.includes(e.id));
    for (let i = 0; i < (change.update ?? 0); i++) {
      const pool = candidates();
      if (pool.length === 0) break;
      const entry = pool[Math.floor(rng() * pool.length)];
      // Shift an amount between the first two lines: every line changes, the entry stays balanced.
      const delta = (1 + Math.floor(rng() * 500)) * (rng() < 0.5 ? -1 : 1);
      entry.lines[0].amount += delta;
      entry.lines[1].amount -= delta;
      entry.description = `${entry.description.replace(/ \(gewijzigd.*\)$/, '')} (gewijzigd ${new Date(now).toISOString().slice(0, 10)})`;
      entry.modified = now;
      for (const line of entry.lines) {
        line.description = entry.description;
        line.modified = now;
        line.timestamp = this.nextTimestamp();
      }
      result.updated.entries.push(entry.id);
      result.updated.lines.push(...entry.lines.map((l) => l.id));
    }
    for (let i = 0; i < (change.delete ?? 0); i++) {
      const pool = candidates().filter((e) => !result.deleted.entries.includes(e.id));
      if (pool.length === 0) break;
      const entry = pool[Math.floor(rng() * pool.length)];
      this.entries.delete(entry.id);
      this.deletions.push({
        entryId: entry.id,
        journal: entry.journal,
        number: entry.number,
        year: entry.year,
        lineIds: entry.lines.map((l) => l.id),
        invoiceId: entry.invoiceId,
        deletedAt: now,
        timestamp: this.nextTimestamp(),
      });
      result.deleted.entries.push(entry.id);
      result.deleted.lines.push(...entry.lines.map((l) => l.id));
    }
    this.version++;
    return result;
  }

  /** The next row version; also used by simulators for rows they derive. */
  nextTimestamp(): number {
    this.lastTimestamp += 1 + (this.lastTimestamp % 3);
    return this.lastTimestamp;
  }

  guid(path: string): string {
    return uuidv5(`${this.seed}/${path}`, GUID_NAMESPACE);
  }

  private readonly itemsByVat = new Map<string, DemoItem[]>();
  private itemsByVatCode(code: string): DemoItem[] {
    let list = this.itemsByVat.get(code);
    if (!list) this.itemsByVat.set(code, (list = this.items.filter((it) => it.vatCode === code)));
    return list;
  }

  private generateEntries(rows: number, rng: () => number): void {
    if (rows < 2) throw new RangeError('an administration needs at least 2 transaction lines');
    // Decide each entry's kind and line count so the total is exactly `rows`.
    const plan: { kind: EntryKind; lines: number }[] = [];
    let remaining = rows;
    while (remaining > 0) {
      const r = rng();
      let kind: EntryKind = r < 0.35 ? 'sales' : r < 0.6 ? 'purchase' : r < 0.8 ? 'receipt' : r < 0.95 ? 'payment' : 'memorial';
      let lines = kind === 'sales' ? (rng() < 0.3 ? 4 : 3) : kind === 'purchase' ? 3 : 2;
      if (lines > remaining || remaining - lines === 1) {
        // Never leave a single line over: 3 and 5 end on a three-line entry, the rest on two-line ones.
        lines = remaining === 3 || remaining === 5 ? 3 : 2;
        kind = lines === 3 ? 'purchase' : 'memorial';
      }
      plan.push({ kind, lines });
      remaining -= lines;
    }
    // Spread over the book years, then book in date order so numbers follow dates.
    const dated = plan.map((p, i) => {
      const slot = Math.floor((i / plan.length) * DEMO_YEARS.length * 12);
      const year = DEMO_YEARS[Math.floor(slot / 12)];
      const period = (slot % 12) + 1;
      return { ...p, year, period, day: 1 + Math.floor(rng() * 28) };
    });
    dated.sort((a, b) => a.year - b.year || a.period - b.period || a.day - b.day);

    const openInvoices: DemoEntry[] = [];
    const openBills: DemoEntry[] = [];
    for (const p of dated) {
      const created = Date.UTC(p.year, p.period - 1, p.day, 9 + Math.floor(rng() * 8), Math.floor(rng() * 60));
      const settle = p.kind === 'receipt' ? openInvoices : p.kind === 'payment' ? openBills : null;
      const entry = this.buildEntry(p.kind, rng, p.year, p.period, p.day, created, p.lines, settle ?? undefined);
      this.entries.set(entry.id, entry);
      if (p.kind === 'sales' && entry.lines[0].amount > 0) openInvoices.push(entry);
      if (p.kind === 'purchase' && entry.lines[0].amount < 0) openBills.push(entry);
    }
  }

  private buildEntry(
    kind: EntryKind,
    rng: () => number,
    year: number,
    period: number,
    day: number,
    created: number,
    lineCount: number,
    settle?: DemoEntry[],
  ): DemoEntry {
    const journal: JournalCode =
      kind === 'sales' ? 'VRK' : kind === 'purchase' ? 'INK' : kind === 'memorial' ? 'MEM' : rng() < 0.9 ? 'BNK' : 'KAS';
    const seqKey = `${journal}/${year}`;
    const seq = (this.sequences.get(seqKey) ?? 0) + 1;
    this.sequences.set(seqKey, seq);
    const number = year * 100_000 + seq;
    const id = this.guid(`entry/${journal}/${number}`);
    const date = `${year}-${String(period).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const status: DemoEntry['status'] = year === DEMO_YEARS[DEMO_YEARS.length - 1] && period >= PROVISIONAL_FROM_PERIOD ? 'provisional' : 'final';
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)];
    const money = (min: number, max: number) => Math.round(min + rng() * (max - min)) * 100 + Math.floor(rng() * 100);
    const lines: Omit<DemoLine, 'id' | 'entryId' | 'lineNumber' | 'timestamp' | 'modified'>[] = [];
    const blank = { vatCode: null, vatBaseAmount: null, relation: null, costCenter: null, project: null, item: null, quantity: null, matchStatus: 'notmatchable' as MatchStatus };
    let relation: string | null = null;
    let invoiceNumber: string | null = null;
    let dueDate: string | null = null;
    let description: string;
    let invoiceId: string | null = null;

    if (kind === 'sales') {
      const customer = pick(this.customers);
      relation = customer.code;
      invoiceNumber = String(number);
      invoiceId = this.guid(`invoice/${number}`);
      dueDate = addDays(date, customer.paymentDays);
      const credit = rng() < 0.05 ? -1 : 1;
      description = `${credit < 0 ? 'Creditnota' : 'Factuur'} ${invoiceNumber} ${customer.name}`;
      const revenueLines = lineCount - 2;
      const project = rng() < 0.25 ? pick(this.projects).code : null;
      // One VAT rate per invoice: its items all carry that rate, and one VAT line holds it.
      const rate = rng() < 0.8 ? VAT_CODES.high : VAT_CODES.low;
      const items = this.itemsByVatCode(rate.code);
      let net = 0;
      const revenue: typeof lines = [];
      for (let i = 0; i < revenueLines; i++) {
        const item = pick(items);
        const quantity = 1 + Math.floor(rng() * 20);
        const amount = credit * item.unitPrice * quantity;
        net += amount;
        revenue.push({ ...blank, glAccount: item.glRevenue, amount: -amount, vatCode: rate.code, item: item.code, quantity, project, costCenter: 'KPL100', description });
      }
      const vatTotal = Math.round((net * rate.percentage) / 100);
      const vatAccount = rate.account;
      const vatCode = rate.code;
      lines.push({ ...blank, glAccount: POSTING.receivables, amount: net + vatTotal, relation, matchStatus: 'available', description });
      lines.push(...revenue);
      lines.push({ ...blank, glAccount: vatAccount, amount: -vatTotal, vatCode, vatBaseAmount: -net, description });
    } else if (kind === 'purchase') {
      const supplier = pick(this.suppliers);
      relation = supplier.code;
      invoiceNumber = `INV-${supplier.code}-${String(Math.floor(rng() * 90000) + 10000)}`;
      dueDate = addDays(date, supplier.paymentDays);
      description = `Inkoopfactuur ${invoiceNumber} ${supplier.name}`;
      const net = money(20, 3000);
      const vat = Math.round((net * VAT_CODES.input.percentage) / 100);
      lines.push({ ...blank, glAccount: POSTING.payables, amount: -(net + vat), relation, matchStatus: 'available', description });
      lines.push({ ...blank, glAccount: pick(POSTING.costs), amount: net, vatCode: VAT_CODES.input.code, costCenter: pick(this.costCenters).code, description });
      lines.push({ ...blank, glAccount: VAT_CODES.input.account, amount: vat, vatCode: VAT_CODES.input.code, vatBaseAmount: net, description });
    } else if (kind === 'receipt' || kind === 'payment') {
      const cash = journal === 'KAS' ? POSTING.cash : POSTING.bank;
      const open = settle && settle.length > 0 && rng() < 0.85 ? settle.shift() : undefined;
      if (open) {
        open.lines[0].matchStatus = 'matched';
        relation = open.relation;
        const amount = open.lines[0].amount;
        description = `${kind === 'receipt' ? 'Ontvangst' : 'Betaling'} ${open.invoiceNumber}`;
        lines.push({ ...blank, glAccount: cash, amount, description });
        lines.push({ ...blank, glAccount: kind === 'receipt' ? POSTING.receivables : POSTING.payables, amount: -amount, relation, matchStatus: 'matched', description });
      } else if (kind === 'receipt') {
        const customer = pick(this.customers);
        relation = customer.code;
        const amount = money(10, 2000);
        description = `Ontvangst op rekening ${customer.name}`;
        lines.push({ ...blank, glAccount: cash, amount, description });
        lines.push({ ...blank, glAccount: POSTING.receivables, amount: -amount, relation, matchStatus: 'available', description });
      } else {
        const amount = money(5, 400);
        const salaries = rng() < 0.5;
        description = salaries ? `Salarissen ${date.slice(0, 7)}` : `Bankkosten ${date.slice(0, 7)}`;
        lines.push({ ...blank, glAccount: cash, amount: -amount * (salaries ? 10 : 1), description });
        lines.push({ ...blank, glAccount: salaries ? POSTING.salaries : POSTING.bankCharges, amount: amount * (salaries ? 10 : 1), costCenter: salaries ? 'KPL400' : null, description });
      }
    } else {
      const amount = money(50, 1500);
      description = rng() < 0.5 ? `Afschrijving inventaris ${date.slice(0, 7)}` : `Overlopende kosten ${date.slice(0, 7)}`;
      const depreciation = description.startsWith('Afschrijving');
      lines.push({ ...blank, glAccount: depreciation ? POSTING.depreciation : pick(POSTING.costs), amount, costCenter: 'KPL300', description });
      lines.push({ ...blank, glAccount: depreciation ? POSTING.depreciationReserve : POSTING.accrued, amount: -amount, description });
    }

    const numbered = kind === 'sales' || kind === 'purchase';
    const entry: DemoEntry = {
      id,
      kind,
      journal,
      number,
      date,
      year,
      period,
      status,
      relation,
      invoiceNumber,
      dueDate,
      description,
      created,
      modified: created,
      invoiceId,
      lines: lines.map((line, i) => ({
        ...line,
        id: this.guid(`line/${journal}/${number}/${i}`),
        entryId: id,
        lineNumber: numbered ? i : i + 1,
        timestamp: this.nextTimestamp(),
        modified: created,
      })),
    };
    return entry;
  }
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The demo books of every administration, in administration order. */
export function createDemoBooks(options: DemoOptions): DemoLedger[] {
  const count = Math.min(options.administrations ?? ADMINISTRATIONS.length, ADMINISTRATIONS.length);
  return ADMINISTRATIONS.slice(0, count).map((a, index) => new DemoLedger({ ...a, index }, options.seed, options.rowsPerAdministration));
}
