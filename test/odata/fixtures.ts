// Fixture tables and rows for the feed tests: an Exact-like TransactionLines (Division Int32 + Guid key,
// Decimals of two scales, Date, DateTimeOffset, Int64 beyond 2^53, Boolean, nullable strings with quotes,
// accents, emoji and padding) and a Twinfield-like Transactions (Office String key). Rows are deterministic.
import seedrandom from 'seedrandom';
import type { SourceName, TableDescription } from '../../server/src/tables/description';

export type FixtureRow = Record<string, string | number | boolean | null>;

export const TRANSACTION_LINES: TableDescription<'exactonline'> = {
  source: 'exactonline',
  name: 'TransactionLines',
  description: 'General ledger transaction lines of every selected division.',
  columns: [
    { name: 'Division', type: 'Edm.Int32', description: 'Division (administration) number.' },
    { name: 'ID', type: 'Edm.Guid', description: 'Unique line id.' },
    { name: 'EntryNumber', type: 'Edm.Int32', nullable: false, description: 'Entry number; lines of one entry share it.' },
    { name: 'LineNumber', type: 'Edm.Int16', description: 'Line number within the entry.' },
    { name: 'Date', type: 'Edm.Date', nullable: false, description: 'Booking date.' },
    { name: 'Modified', type: 'Edm.DateTimeOffset', description: 'Last change, UTC.' },
    { name: 'AmountDC', type: 'Edm.Decimal', scale: 2, nullable: false, description: 'Amount in the default currency ("DC") & <exact>.' },
    { name: 'AmountFC', type: 'Edm.Decimal', scale: 4, description: 'Amount in the foreign currency, 4 digits.' },
    { name: 'Timestamp', type: 'Edm.Int64', nullable: false, description: 'Row version.' },
    { name: 'IsReversal', type: 'Edm.Boolean', description: 'Whether the line reverses another.' },
    { name: 'Description', type: 'Edm.String', description: "Line description as typed by the bookkeeper, 'free text'." },
    { name: 'GLAccountCode', type: 'Edm.String', nullable: false, description: 'General ledger account code.' },
    { name: 'Quantity', type: 'Edm.Double', description: 'Quantity.' },
  ],
  key: ['Division', 'ID'],
  administrationColumn: 'Division',
  sync: 'exact-sync',
  upstream: { endpoint: 'sync/Financial/TransactionLines' },
};

export const TRANSACTIONS: TableDescription<'twinfield'> = {
  source: 'twinfield',
  name: 'Transactions',
  description: 'Twinfield transactions (browse 030_3).',
  columns: [
    { name: 'Office', type: 'Edm.String', description: 'Office code.' },
    { name: 'Id', type: 'Edm.String', description: 'Journal, number and line.' },
    { name: 'Date', type: 'Edm.Date', nullable: false, description: 'Transaction date.' },
    { name: 'Value', type: 'Edm.Decimal', scale: 2, nullable: false, description: 'Value in the office currency.' },
    { name: 'Description', type: 'Edm.String', description: 'Line description.' },
    { name: 'Period', type: 'Edm.String', nullable: false, description: 'Period, YYYY/PP.' },
  ],
  key: ['Office', 'Id'],
  administrationColumn: 'Office',
  sync: 'twinfield-modified',
  upstream: { browse: '030_3' },
};

export const FIXTURE_TABLES: TableDescription[] = [TRANSACTION_LINES, TRANSACTIONS];

export const ADMINISTRATIONS: Record<SourceName, { code: string; name: string; selected: boolean }[]> = {
  exactonline: [
    { code: '310101', name: 'Bakkerij De Gouden Korrel B.V.', selected: true },
    { code: '310102', name: 'Installatiebedrijf Van Dijk', selected: true },
    { code: '310103', name: 'Hoveniersbedrijf Groen & Co', selected: true },
    { code: '310104', name: 'Advocatenkantoor Jansen', selected: false },
  ],
  twinfield: [
    { code: 'NLA310101', name: 'Bakkerij De Gouden Korrel B.V.', selected: true },
    { code: 'NLA310102', name: 'Installatiebedrijf Van Dijk', selected: true },
    { code: 'NLA310103', name: 'Hoveniersbedrijf Groen & Co', selected: false },
  ],
};

const DESCRIPTIONS = [
  null,
  'Invoice 2024-001',
  "O'Brien's lunch",
  'Café crème',
  '  padded text  ',
  'UPPER lower Mixed',
  'Emoji 💶 euro',
  'tab\tinside',
  'Straße',
  'ÉCOLE élève',
  '',
  'percent 100% plus+sign',
  'comma, semi; colon:',
  'invoice 2024-002',
  'Invoice 2024-001',
];

const AMOUNTS = ['0.00', '-0.01', '12.50', '1.01', '1.00', '-121.50', '87654321098765432.19', '1234567890123.45', '-87654321098765432.19', '2.55'];

function guid(rng: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

const DAY = 86_400_000;

function transactionLines(code: string, index: number, count: number): FixtureRow[] {
  const rng = seedrandom(`lines-${code}`);
  return Array.from({ length: count }, (_, i) => {
    const modified = Date.UTC(2023, 9, 1) + (i * 37 + index * 13) * 3_600_000 + (i % 4) * 250;
    return {
      Division: Number(code),
      ID: guid(rng),
      EntryNumber: 1000 + Math.floor(i / 3),
      LineNumber: i % 7 === 0 ? null : i % 5,
      Date: new Date(Date.UTC(2023, 9, 1) + ((i * 3 + index * 5) % 365) * DAY).toISOString().slice(0, 10),
      Modified: i % 11 === 0 ? null : new Date(modified).toISOString(),
      AmountDC: i < AMOUNTS.length ? AMOUNTS[(i + index) % AMOUNTS.length] : (Math.floor(rng() * 2_000_000 - 1_000_000) / 100).toFixed(2),
      AmountFC: i % 6 === 0 ? null : (Math.floor(rng() * 20_000_000 - 10_000_000) / 10_000).toFixed(4),
      Timestamp: i % 10 === 3 ? String(9007199254740990n + BigInt(i * 1000 + index)) : String(100_000 + i * 17 + index),
      IsReversal: i % 9 === 0 ? null : i % 4 === 0,
      Description: DESCRIPTIONS[(i + index) % DESCRIPTIONS.length],
      GLAccountCode: ['1300', '1600', '4000', '8000', '8100'][i % 5],
      Quantity: i % 8 === 0 ? null : (i % 13) * 0.25 - 1,
    };
  });
}

function transactions(code: string, index: number, count: number): FixtureRow[] {
  return Array.from({ length: count }, (_, i) => ({
    Office: code,
    Id: `MEMO-${String(2024).padStart(4, '0')}-${String(i + 1).padStart(4, '0')}/${(i % 3) + 1}`,
    Date: new Date(Date.UTC(2024, 0, 1) + ((i * 5 + index) % 360) * DAY).toISOString().slice(0, 10),
    Value: ((i * 7919 + index * 104729) % 200_000 - 100_000) / 100 + '',
    Description: DESCRIPTIONS[(i * 2 + index) % DESCRIPTIONS.length],
    Period: `2024/${String((Math.floor(((i * 5 + index) % 360) / 30) % 12) + 1).padStart(2, '0')}`,
  }));
}

/** The rows of `table` for the administration `code`, as upstream clients hand them to the mirror. */
export function fixtureRows(table: TableDescription, code: string): FixtureRow[] {
  const index = ADMINISTRATIONS[table.source].findIndex((a) => a.code === code);
  return table.name === 'TransactionLines' ? transactionLines(code, index, 60) : transactions(code, index, 40);
}
