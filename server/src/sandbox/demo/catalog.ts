// Fixed vocabulary of the demo books: administrations, chart of accounts, journals, names.
export interface DemoAdministrationInfo {
  index: number;
  /** Exact Online division code. */
  division: number;
  /** Twinfield office code. */
  office: string;
  name: string;
  shortName: string;
  city: string;
}

export const ADMINISTRATIONS: readonly Omit<DemoAdministrationInfo, 'index'>[] = [
  { division: 310101, office: 'NLA310101', name: 'Bakkerij De Gouden Korrel B.V.', shortName: 'Gouden Korrel', city: 'Utrecht' },
  { division: 310102, office: 'NLA310102', name: 'Installatiebedrijf Van Dijk', shortName: 'Van Dijk', city: 'Amersfoort' },
  { division: 310103, office: 'NLA310103', name: 'Hoveniersbedrijf Groen & Co', shortName: 'Groen & Co', city: 'Zwolle' },
  { division: 310104, office: 'NLA310104', name: 'Advocatenkantoor Jansen', shortName: 'Jansen', city: 'Den Haag' },
  { division: 310105, office: 'NLA310105', name: 'Fietsenwinkel De Spaak', shortName: 'De Spaak', city: 'Groningen' },
  { division: 310106, office: 'NLA310106', name: 'IT Consultancy Noord B.V.', shortName: 'IT Noord', city: 'Leeuwarden' },
  { division: 310107, office: 'NLA310107', name: 'Transportbedrijf Smit', shortName: 'Smit', city: 'Rotterdam' },
  { division: 310108, office: 'NLA310108', name: 'Architectenbureau Vos', shortName: 'Vos', city: 'Eindhoven' },
];

export type BalanceType = 'B' | 'W';

export interface GLAccountDef {
  code: string;
  description: string;
  /** B balance sheet, W profit and loss (Exact's letters; Twinfield BAS / PNL). */
  balanceType: BalanceType;
  balanceSide: 'D' | 'C';
  /** Exact Online GL account type. */
  exactType: number;
  exactTypeDescription: string;
}

export const GL_ACCOUNTS: readonly GLAccountDef[] = [
  { code: '0100', description: 'Inventaris', balanceType: 'B', balanceSide: 'D', exactType: 30, exactTypeDescription: 'Vaste activa' },
  { code: '0110', description: 'Afschrijving inventaris', balanceType: 'B', balanceSide: 'C', exactType: 31, exactTypeDescription: 'Afschrijvingen' },
  { code: '0500', description: 'Eigen vermogen', balanceType: 'B', balanceSide: 'C', exactType: 90, exactTypeDescription: 'Eigen vermogen' },
  { code: '1000', description: 'Kas', balanceType: 'B', balanceSide: 'D', exactType: 10, exactTypeDescription: 'Kas' },
  { code: '1100', description: 'Bank', balanceType: 'B', balanceSide: 'D', exactType: 12, exactTypeDescription: 'Bank' },
  { code: '1300', description: 'Debiteuren', balanceType: 'B', balanceSide: 'D', exactType: 20, exactTypeDescription: 'Debiteuren' },
  { code: '1500', description: 'Te betalen btw hoog', balanceType: 'B', balanceSide: 'C', exactType: 24, exactTypeDescription: 'Btw' },
  { code: '1510', description: 'Te betalen btw laag', balanceType: 'B', balanceSide: 'C', exactType: 24, exactTypeDescription: 'Btw' },
  { code: '1520', description: 'Te vorderen btw', balanceType: 'B', balanceSide: 'D', exactType: 24, exactTypeDescription: 'Btw' },
  { code: '1600', description: 'Crediteuren', balanceType: 'B', balanceSide: 'C', exactType: 22, exactTypeDescription: 'Crediteuren' },
  { code: '1700', description: 'Nog te betalen kosten', balanceType: 'B', balanceSide: 'C', exactType: 32, exactTypeDescription: 'Overlopende passiva' },
  { code: '4000', description: 'Lonen en salarissen', balanceType: 'W', balanceSide: 'D', exactType: 120, exactTypeDescription: 'Personeelskosten' },
  { code: '4100', description: 'Sociale lasten', balanceType: 'W', balanceSide: 'D', exactType: 120, exactTypeDescription: 'Personeelskosten' },
  { code: '4300', description: 'Huur bedrijfspand', balanceType: 'W', balanceSide: 'D', exactType: 121, exactTypeDescription: 'Huisvestingskosten' },
  { code: '4310', description: 'Gas, water en licht', balanceType: 'W', balanceSide: 'D', exactType: 121, exactTypeDescription: 'Huisvestingskosten' },
  { code: '4500', description: 'Autokosten', balanceType: 'W', balanceSide: 'D', exactType: 122, exactTypeDescription: 'Vervoerskosten' },
  { code: '4600', description: 'Reclame en advertenties', balanceType: 'W', balanceSide: 'D', exactType: 123, exactTypeDescription: 'Verkoopkosten' },
  { code: '4700', description: 'Kantoorbenodigdheden', balanceType: 'W', balanceSide: 'D', exactType: 124, exactTypeDescription: 'Algemene kosten' },
  { code: '4750', description: 'Telefoon en internet', balanceType: 'W', balanceSide: 'D', exactType: 124, exactTypeDescription: 'Algemene kosten' },
  { code: '4800', description: 'Afschrijvingskosten', balanceType: 'W', balanceSide: 'D', exactType: 125, exactTypeDescription: 'Afschrijvingen' },
  { code: '4900', description: 'Bankkosten', balanceType: 'W', balanceSide: 'D', exactType: 124, exactTypeDescription: 'Algemene kosten' },
  { code: '7000', description: 'Inkoopwaarde van de omzet', balanceType: 'W', balanceSide: 'D', exactType: 111, exactTypeDescription: 'Kostprijs' },
  { code: '8000', description: 'Omzet hoog tarief', balanceType: 'W', balanceSide: 'C', exactType: 110, exactTypeDescription: 'Omzet' },
  { code: '8100', description: 'Omzet laag tarief', balanceType: 'W', balanceSide: 'C', exactType: 110, exactTypeDescription: 'Omzet' },
  { code: '8900', description: 'Overige opbrengsten', balanceType: 'W', balanceSide: 'C', exactType: 110, exactTypeDescription: 'Omzet' },
];

/** GL accounts the entry generator posts to, by role. */
export const POSTING = {
  cash: '1000',
  bank: '1100',
  receivables: '1300',
  vatHigh: '1500',
  vatLow: '1510',
  vatInput: '1520',
  payables: '1600',
  accrued: '1700',
  equipment: '0100',
  depreciationReserve: '0110',
  depreciation: '4800',
  salaries: '4000',
  bankCharges: '4900',
  revenueHigh: '8000',
  revenueLow: '8100',
  costs: ['4300', '4310', '4500', '4600', '4700', '4750', '7000', '4100'],
} as const;

export type JournalCode = 'VRK' | 'INK' | 'BNK' | 'MEM' | 'KAS';

export interface JournalDef {
  code: JournalCode;
  description: string;
  /** Exact Online transaction type of its entries (20 sales, 30 purchase, 40 cash flow, 90 other). */
  exactTransactionType: number;
  /** Exact Online journal type (10 cash, 12 bank, 20 sales, 30 purchase, 90 general). */
  exactJournalType: number;
}

export const JOURNALS: readonly JournalDef[] = [
  { code: 'VRK', description: 'Verkoopboek', exactTransactionType: 20, exactJournalType: 20 },
  { code: 'INK', description: 'Inkoopboek', exactTransactionType: 30, exactJournalType: 30 },
  { code: 'BNK', description: 'Bank', exactTransactionType: 40, exactJournalType: 12 },
  { code: 'KAS', description: 'Kas', exactTransactionType: 40, exactJournalType: 10 },
  { code: 'MEM', description: 'Memoriaal', exactTransactionType: 90, exactJournalType: 90 },
];

export const VAT_CODES = {
  high: { code: 'VH', percentage: 21, account: '1500' },
  low: { code: 'VL', percentage: 9, account: '1510' },
  input: { code: 'IH', percentage: 21, account: '1520' },
} as const;

export const COST_CENTERS = [
  { code: 'KPL100', description: 'Verkoop' },
  { code: 'KPL200', description: 'Productie' },
  { code: 'KPL300', description: 'Administratie' },
  { code: 'KPL400', description: 'Directie' },
] as const;

export const NAME_PARTS = {
  first: ['Aalders', 'Bakker', 'Claassen', 'De Boer', 'Dekker', 'Evers', 'Franken', 'Gerritsen', 'Hendriks', 'Jacobs', 'Kok', 'Lammers', 'Mulder', 'Nijhuis', 'Oosterhout', 'Peters', 'Quint', 'Rijnders', 'Schouten', 'Timmer', 'Van Leeuwen', 'Verbeek', 'Willems', 'Zijlstra'],
  kind: ['Bouw', 'Techniek', 'Handel', 'Adviesgroep', 'Logistiek', 'Media', 'Zorg', 'Horeca', 'Metaal', 'Design', 'Retail', 'Software'],
  form: ['B.V.', 'V.O.F.', '', 'Holding B.V.', '& Zonen', 'N.V.'],
  cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven', 'Groningen', 'Tilburg', 'Almere', 'Breda', 'Nijmegen', 'Arnhem', 'Haarlem', 'Enschede', 'Apeldoorn', 'Maastricht', 'Leiden', 'Antwerpen', 'Gent', 'Düsseldorf'],
  items: ['Advies per uur', 'Installatie', 'Onderhoudscontract', 'Materiaal', 'Licentie', 'Transport', 'Ontwerp', 'Training', 'Reparatie', 'Abonnement', 'Verhuur', 'Projectbegeleiding'],
};
