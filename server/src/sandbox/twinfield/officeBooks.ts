// The Twinfield view of one demo ledger: an office with its dimensions (BAS/PNL accounts, DEB customers,
// CRD suppliers, KPL cost centers, PRJ projects) and lookups the browse codes and the finder share.
import type { BalanceRow, DemoEntry, DemoLedger, DemoLine } from '../demo/ledger';

export type DimensionType = 'BAS' | 'PNL' | 'DEB' | 'CRD' | 'KPL' | 'PRJ' | 'AST';
export const DIMENSION_TYPES: readonly DimensionType[] = ['BAS', 'PNL', 'DEB', 'CRD', 'KPL', 'PRJ', 'AST'];

export const DIMENSION_TYPE_NAMES: Record<DimensionType, string> = {
  BAS: 'Balans',
  PNL: 'Winst & verlies',
  DEB: 'Debiteuren',
  CRD: 'Crediteuren',
  KPL: 'Kostenplaatsen',
  PRJ: 'Projecten',
  AST: 'Activa',
};

export interface Dimension {
  type: DimensionType;
  code: string;
  name: string;
  shortname: string;
  /** `hide` is Twinfield's hidden status; the demo's blocked relations are hidden dimensions. */
  status: 'active' | 'hide';
  uid: string;
  modified: number;
  /** Relations only. */
  relation?: { city: string; postcode: string; country: string; vatNumber: string; chamberOfCommerce: string; paymentDays: number };
}

/** One transaction line as the browse codes see it. */
export interface LineRow {
  entry: DemoEntry;
  line: DemoLine;
}

export class OfficeBooks {
  readonly code: string;
  readonly name: string;
  readonly shortname: string;
  readonly id: string;
  private readonly dimensionsByType = new Map<DimensionType, Dimension[]>();
  private readonly dimensionIndex = new Map<string, Dimension>();
  /** Booking dates of entries, kept so deleted transactions can still report theirs. */
  private readonly entryDates = new Map<string, string>();
  private balanceCache?: { version: number; rows: BalanceRow[] };

  constructor(readonly ledger: DemoLedger) {
    this.code = ledger.info.office;
    this.name = ledger.info.name;
    this.shortname = ledger.info.shortName;
    this.id = ledger.guid('office');
    for (const type of DIMENSION_TYPES) this.dimensionsByType.set(type, []);
    for (const account of ledger.glAccounts) {
      this.addDimension({
        type: account.balanceType === 'B' ? 'BAS' : 'PNL',
        code: account.code,
        name: account.description,
        shortname: account.description.slice(0, 20),
        status: 'active',
        uid: account.id,
        modified: account.modified,
      });
    }
    for (const relation of [...ledger.customers, ...ledger.suppliers]) {
      this.addDimension({
        type: relation.kind === 'customer' ? 'DEB' : 'CRD',
        code: relation.code,
        name: relation.name,
        shortname: relation.name.slice(0, 20),
        status: relation.blocked ? 'hide' : 'active',
        uid: relation.id,
        modified: relation.modified,
        relation: {
          city: relation.city,
          postcode: relation.postcode,
          country: relation.country,
          vatNumber: relation.vatNumber,
          chamberOfCommerce: relation.chamberOfCommerce,
          paymentDays: relation.paymentDays,
        },
      });
    }
    for (const center of ledger.costCenters) {
      this.addDimension({ type: 'KPL', code: center.code, name: center.description, shortname: center.description, status: 'active', uid: center.id, modified: ledger.glAccounts[0].created });
    }
    for (const project of ledger.projects) {
      this.addDimension({ type: 'PRJ', code: project.code, name: project.description, shortname: project.code, status: 'active', uid: project.id, modified: project.modified });
    }
    this.rememberEntryDates();
  }

  dimensions(type: DimensionType): readonly Dimension[] {
    return this.dimensionsByType.get(type) ?? [];
  }

  dimension(type: DimensionType, code: string): Dimension | undefined {
    return this.dimensionIndex.get(`${type}/${code.toUpperCase()}`);
  }

  /** A dimension by code whatever its type (transaction lines name accounts, relations, cost centers, projects). */
  dimensionByCode(types: readonly DimensionType[], code: string | null): Dimension | undefined {
    if (!code) return undefined;
    for (const type of types) {
      const found = this.dimension(type, code);
      if (found) return found;
    }
    return undefined;
  }

  /** Every current transaction line, in booking order. */
  lineRows(): LineRow[] {
    const rows: LineRow[] = [];
    for (const entry of this.ledger.entries.values()) {
      for (const line of entry.lines) rows.push({ entry, line });
    }
    return rows;
  }

  /** Balances per account, year, period and status (the source of 040_1), recomputed only after a change. */
  balances(): BalanceRow[] {
    if (!this.balanceCache || this.balanceCache.version !== this.ledger.version) {
      this.balanceCache = { version: this.ledger.version, rows: this.ledger.balances() };
    }
    return this.balanceCache.rows;
  }

  /** The booking date of an entry, current or deleted (YYYY-MM-DD), if it was ever seen. */
  entryDate(entryId: string): string | undefined {
    return this.ledger.entries.get(entryId)?.date ?? this.entryDates.get(entryId);
  }

  /** Records the dates of entries present now (call after every change that may add entries). */
  rememberEntryDates(): void {
    for (const entry of this.ledger.entries.values()) this.entryDates.set(entry.id, entry.date);
  }

  private addDimension(dimension: Dimension): void {
    this.dimensionsByType.get(dimension.type)!.push(dimension);
    this.dimensionIndex.set(`${dimension.type}/${dimension.code.toUpperCase()}`, dimension);
  }
}

/** Offices by code (upper case), in administration order. */
export function officeIndex(ledgers: readonly DemoLedger[]): Map<string, OfficeBooks> {
  return new Map(ledgers.map((ledger) => [ledger.info.office.toUpperCase(), new OfficeBooks(ledger)]));
}

/** Twinfield date-time text, YYYYMMDDHHMMSS (UTC). */
export function twinfieldDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Twinfield date text, YYYYMMDD, from an ISO date. */
export function twinfieldDate(isoDate: string | null): string {
  return isoDate ? isoDate.replace(/-/g, '') : '';
}

/** Cents as a Twinfield value: `-121.00`. */
export function twinfieldValue(cents: number | null): string {
  if (cents === null) return '';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
