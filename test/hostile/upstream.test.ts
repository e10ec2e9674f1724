// Hostile upstreams: the simulators answer a sync's data page with malformed JSON or XML (entity bombs and
// external entities included), a word where a number is due, a row or deletion without its key, a truncated
// body, a body that trickles a byte at a time (and one that never ends), a huge page, no answer at all. Through
// the real feed, each bad page fails the request with a clear OData error naming the administration — after
// the engine's retries, never a hang — and writes NOTHING: the mirror's rows and the sync cursor, row count,
// fingerprint and "last success" are the same before and after. Pages that are odd but sound (dripped, huge)
// are served exactly as a clean sync would. Once the fault is gone, the same changes arrive.
import type { SourceName } from '../../server/src/tables/description';
import { basic, expectClean, inParallel, send, startHostileServer, type HostileServer } from './harness';

/** Seconds one upstream call may take here: an answer that never ends fails after this, per attempt. */
const UPSTREAM_TIMEOUT_S = 4;

let server: HostileServer;
const demo: [string, string][] = [['Authorization', basic('', 'demo')]];

beforeAll(async () => {
  // Every request syncs (staleness 0); short fair-use and rate-limit windows, so retries never wait on budgets.
  server = await startHostileServer({ LEDGERFEED_MAX_STALENESS_S: '0', LEDGERFEED_SANDBOX_MINUTE_MS: '1000', LEDGERFEED_UPSTREAM_TIMEOUT_S: String(UPSTREAM_TIMEOUT_S) });
}, 60_000);
afterAll(() => server.close());

interface Table {
  source: SourceName;
  name: string;
  /** The administration column and how a code is written in a $filter. */
  column: string;
  literal: (code: string) => string;
  /** Text of the calls that fetch this table's rows (the fault's `match`). */
  data: string;
  /** The row key within an administration. */
  key: string[];
}

const EXACT_LINES: Table = { source: 'exactonline', name: 'TransactionLines', column: 'Division', literal: (c) => c, data: 'sync/Financial/TransactionLines', key: ['ID'] };
const EXACT_BALANCE: Table = { source: 'exactonline', name: 'ReportingBalance', column: 'Division', literal: (c) => c, data: 'financial/ReportingBalance', key: ['ID'] };
const TWINFIELD_LINES: Table = { source: 'twinfield', name: 'GeneralLedgerTransactions', column: 'Office', literal: (c) => `'${c}'`, data: '030_3', key: ['JournalCode', 'EntryNumber', 'LineNumber'] };
const TWINFIELD_TOTALS: Table = { source: 'twinfield', name: 'AnnualReportTotals', column: 'Office', literal: (c) => `'${c}'`, data: '040_1', key: ['GLAccount', 'Year', 'Period', 'Status'] };

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>' +
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ProcessXmlStringResponse xmlns="http://www.twinfield.com/"><ProcessXmlStringResult>&lol6;</ProcessXmlStringResult></ProcessXmlStringResponse></soap:Body></soap:Envelope>';
const EXTERNAL_ENTITY =
  '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ProcessXmlStringResponse xmlns="http://www.twinfield.com/"><ProcessXmlStringResult>&e;</ProcessXmlStringResult></ProcessXmlStringResponse></soap:Body></soap:Envelope>';
const envelope = (result: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ProcessXmlStringResponse xmlns="http://www.twinfield.com/"><ProcessXmlStringResult>${result}</ProcessXmlStringResult></ProcessXmlStringResponse></soap:Body></soap:Envelope>`;

interface Case {
  name: string;
  table: Table;
  /** The fault, as posted to the simulator's `_faults` (administration and count are added). */
  fault: Record<string, unknown>;
  /** `refused`: the request fails and nothing is written; `served`: answered as a clean sync would. */
  outcome: 'refused' | 'served';
  /**
   * The spoiled page is the deletions, read after the rows: the rows' own batch (and cursor) may commit before it,
   * but not one deletion may be applied, and the deletion cursor and the last success stay.
   */
  after?: 'rows';
}

const CASES: Case[] = [
  // Exact Online: JSON that does not parse or has the wrong shape.
  { name: 'Exact: a cut-off JSON body', table: EXACT_LINES, fault: { kind: 'malformed' }, outcome: 'refused' },
  { name: 'Exact: results that are not a list', table: EXACT_LINES, fault: { kind: 'malformed', body: '{"d":{"results":{}}}' }, outcome: 'refused' },
  { name: 'Exact: d is null', table: EXACT_LINES, fault: { kind: 'malformed', body: '{"d":null}' }, outcome: 'refused' },
  { name: 'Exact: an empty body', table: EXACT_LINES, fault: { kind: 'malformed', body: '' }, outcome: 'refused' },
  { name: 'Exact: HTML served as JSON', table: EXACT_LINES, fault: { kind: 'malformed', body: '<html><body>Service Unavailable</body></html>' }, outcome: 'refused' },
  { name: 'Exact: JSON nested 30,000 deep', table: EXACT_LINES, fault: { kind: 'malformed', body: `${'['.repeat(30_000)}${']'.repeat(30_000)}` }, outcome: 'refused' },
  { name: 'Exact: a next link of the wrong type', table: EXACT_LINES, fault: { kind: 'malformed', body: '{"d":{"results":[],"__next":42}}' }, outcome: 'refused' },
  { name: 'Exact: a next link to another host', table: EXACT_LINES, fault: { kind: 'malformed', body: '{"d":{"results":[],"__next":"http://evil.example/api/v1/310101/x"}}' }, outcome: 'refused' },
  // Exact Online: rows of the wrong shape.
  { name: 'Exact: a word where a number is due', table: EXACT_LINES, fault: { kind: 'wrongType' }, outcome: 'refused' },
  { name: 'Exact: an object where a text is due', table: EXACT_LINES, fault: { kind: 'wrongType', field: 'Description', value: { nested: true } }, outcome: 'refused' },
  { name: 'Exact: a word where a row version is due', table: EXACT_LINES, fault: { kind: 'wrongType', field: 'Timestamp', value: 'later' }, outcome: 'refused' },
  { name: 'Exact: a number where a date is due', table: EXACT_LINES, fault: { kind: 'wrongType', field: 'Date', value: '12' }, outcome: 'refused' },
  { name: 'Exact: a row without its ID', table: EXACT_LINES, fault: { kind: 'missingKey' }, outcome: 'refused' },
  { name: 'Exact: a deletion without its key', table: EXACT_LINES, fault: { kind: 'missingKey', match: 'sync/Deleted' }, outcome: 'refused', after: 'rows' },
  { name: 'Exact: a deletion of an unreadable entity type', table: EXACT_LINES, fault: { kind: 'wrongType', field: 'EntityType', value: 'lines', match: 'sync/Deleted' }, outcome: 'refused', after: 'rows' },
  // Exact Online: transport.
  { name: 'Exact: a truncated body', table: EXACT_LINES, fault: { kind: 'truncated' }, outcome: 'refused' },
  { name: 'Exact: headers, then nothing', table: EXACT_LINES, fault: { kind: 'truncated', bytes: 0 }, outcome: 'refused' },
  { name: 'Exact: a drip that breaks off', table: EXACT_LINES, fault: { kind: 'drip', intervalMs: 0, bytes: 700 }, outcome: 'refused' },
  { name: 'Exact: a drip that never ends', table: EXACT_LINES, fault: { kind: 'drip', intervalMs: 200 }, outcome: 'refused' },
  { name: 'Exact: no answer at all', table: EXACT_LINES, fault: { kind: 'timeout' }, outcome: 'refused' },
  { name: 'Exact: a 500 page', table: EXACT_LINES, fault: { kind: 'status', status: 500 }, outcome: 'refused' },
  { name: 'Exact: a 404 page', table: EXACT_LINES, fault: { kind: 'status', status: 404 }, outcome: 'refused' },
  { name: 'Exact: a bad page in the middle of a reload', table: EXACT_BALANCE, fault: { kind: 'missingKey' }, outcome: 'refused' },
  { name: 'Exact: a body dripped a byte at a time', table: EXACT_LINES, fault: { kind: 'drip', intervalMs: 0 }, outcome: 'served' },
  { name: 'Exact: deletions dripped slowly', table: EXACT_LINES, fault: { kind: 'drip', intervalMs: 2, match: 'sync/Deleted' }, outcome: 'served' },
  { name: 'Exact: a huge page of repeated rows', table: EXACT_LINES, fault: { kind: 'huge', copies: 800 }, outcome: 'served' },
  // Twinfield: XML that does not parse, or is dangerous to parse.
  { name: 'Twinfield: a cut-off envelope', table: TWINFIELD_LINES, fault: { kind: 'malformed' }, outcome: 'refused' },
  { name: 'Twinfield: an entity expansion bomb', table: TWINFIELD_LINES, fault: { kind: 'malformed', body: BILLION_LAUGHS }, outcome: 'refused' },
  { name: 'Twinfield: an external entity', table: TWINFIELD_LINES, fault: { kind: 'malformed', body: EXTERNAL_ENTITY }, outcome: 'refused' },
  { name: 'Twinfield: a result that is not XML', table: TWINFIELD_LINES, fault: { kind: 'malformed', body: envelope('this is not xml &lt;') }, outcome: 'refused' },
  { name: 'Twinfield: a browse result of nothing', table: TWINFIELD_LINES, fault: { kind: 'malformed', body: envelope('') }, outcome: 'refused' },
  { name: 'Twinfield: JSON where SOAP is due', table: TWINFIELD_LINES, fault: { kind: 'malformed', body: '{"d":{"results":[]}}' }, outcome: 'refused' },
  // Twinfield: rows of the wrong shape.
  { name: 'Twinfield: a word where a number is due', table: TWINFIELD_LINES, fault: { kind: 'wrongType' }, outcome: 'refused' },
  { name: 'Twinfield: a word where an amount is due', table: TWINFIELD_LINES, fault: { kind: 'wrongType', field: 'fin.trs.line.valuesigned' }, outcome: 'refused' },
  { name: 'Twinfield: a row without its key', table: TWINFIELD_LINES, fault: { kind: 'missingKey' }, outcome: 'refused' },
  { name: 'Twinfield: a deletion without its number', table: TWINFIELD_LINES, fault: { kind: 'missingKey', match: 'DeletedTransactions' }, outcome: 'refused' },
  { name: 'Twinfield: a deletion with a word for its number', table: TWINFIELD_LINES, fault: { kind: 'wrongType', match: 'DeletedTransactions' }, outcome: 'refused' },
  // Twinfield: transport.
  { name: 'Twinfield: a truncated body', table: TWINFIELD_LINES, fault: { kind: 'truncated' }, outcome: 'refused' },
  { name: 'Twinfield: a drip that breaks off', table: TWINFIELD_LINES, fault: { kind: 'drip', intervalMs: 0, bytes: 900 }, outcome: 'refused' },
  { name: 'Twinfield: a drip that never ends', table: TWINFIELD_LINES, fault: { kind: 'drip', intervalMs: 200 }, outcome: 'refused' },
  { name: 'Twinfield: no answer at all', table: TWINFIELD_LINES, fault: { kind: 'timeout' }, outcome: 'refused' },
  { name: 'Twinfield: a 503 page', table: TWINFIELD_LINES, fault: { kind: 'status', status: 503 }, outcome: 'refused' },
  { name: 'Twinfield: a bad page in the middle of a reload', table: TWINFIELD_TOTALS, fault: { kind: 'wrongType', field: 'fin.trs.line.basevaluesigned' }, outcome: 'refused' },
  { name: 'Twinfield: a body dripped a byte at a time', table: TWINFIELD_LINES, fault: { kind: 'drip', intervalMs: 0 }, outcome: 'served' },
  { name: 'Twinfield: a huge page of repeated rows', table: TWINFIELD_LINES, fault: { kind: 'huge', copies: 800 }, outcome: 'served' },
];

const CODES: Record<SourceName, string[]> = {
  exactonline: Array.from({ length: 8 }, (_, i) => String(310101 + i)),
  twinfield: Array.from({ length: 8 }, (_, i) => `NLA${310101 + i}`),
};

function administrationId(source: SourceName, code: string): number {
  const row = server.db.prepare("SELECT a.id FROM administrations a JOIN workspaces w ON w.id = a.workspace_id WHERE w.slug = 'demo' AND a.source = ? AND a.code = ?").get(source, code) as { id: number };
  return row.id;
}

/** What the mirror holds for one administration's table, and its sync state (what a failed sync may not touch). */
interface MirrorState {
  rows: string;
  count: number;
  keys: string[];
  state: { cursor: string | null; fingerprint: string | null; row_count: number; last_success_at: number | null } | null;
}

function mirrorOf(table: Table, code: string): MirrorState {
  const id = administrationId(table.source, code);
  const name = `mirror_${table.source}_${table.name}`;
  const exists = server.db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(name);
  const rows = exists ? (server.db.prepare(`SELECT * FROM "${name}" WHERE _administration_id = ? ORDER BY _hash`).all(id) as Record<string, unknown>[]) : [];
  const state = (server.db.prepare('SELECT cursor, fingerprint, row_count, last_success_at FROM sync_state WHERE administration_id = ? AND table_name = ?').get(id, table.name) ?? null) as MirrorState['state'];
  return {
    rows: JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
    count: rows.length,
    keys: rows.map((r) => table.key.map((k) => String(r[k])).join('/')),
    state,
  };
}

/** Why `after` is not what the bad page may leave behind, or null. */
function writtenByBadPage(c: Case, before: MirrorState, after: MirrorState): string | null {
  if (c.after !== 'rows') {
    if (JSON.stringify(after) === JSON.stringify(before)) return null;
    return `${before.count} → ${after.count} rows, state ${JSON.stringify(before.state)} → ${JSON.stringify(after.state)}`;
  }
  const gone = before.keys.filter((k) => !after.keys.includes(k));
  if (gone.length > 0) return `the bad deletions page deleted ${gone.join(', ')}`;
  const del = (state: MirrorState['state']) => (state?.cursor ? (JSON.parse(state.cursor) as { del?: unknown }).del : undefined);
  if (del(after.state) !== del(before.state)) return `the deletion cursor moved: ${String(del(before.state))} → ${String(del(after.state))}`;
  if (after.state?.last_success_at !== before.state?.last_success_at) return 'the failed sync was recorded as a success';
  return null;
}

function feedPath(table: Table, code: string): string {
  return `/odata/demo/${table.source}/${table.name}?$filter=${encodeURIComponent(`${table.column} eq ${table.literal(code)}`)}&$count=true`;
}

const control = (table: Table, path: string, init: RequestInit = {}) => fetch(`${server.simulators[table.source]}${path}`, init);
const post = (table: Table, path: string, body: unknown) => control(table, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function sync(table: Table, code: string): Promise<{ status: number; body: string }> {
  const request = { path: feedPath(table, code), headers: demo };
  const answer = await send(server.url, request, 120_000);
  if (answer.status !== 200) throw new Error(`a clean sync of ${table.source} ${table.name} for ${code} answered ${answer.status}: ${answer.body.slice(0, 300)}\n  request: ${request.path}`);
  return answer;
}

/** One case on one administration: baseline, upstream changes, the fault, the checks, then recovery. */
async function play(c: Case, code: string): Promise<void> {
  const { table } = c;
  await sync(table, code);
  const simulated = await post(table, '/_simulate', { administration: table.source === 'exactonline' ? Number(code) : code, insert: 2, update: 1, delete: 1 });
  if (simulated.status !== 200) throw new Error(`simulating changes for ${code} answered ${simulated.status}`);
  const before = mirrorOf(table, code);
  const queued = await post(table, '/_faults', { administration: code, count: 60, match: table.data, ...c.fault });
  if (queued.status !== 200) throw new Error(`the simulator refused the fault of "${c.name}": ${await queued.text()}`);
  const request = { path: feedPath(table, code), headers: demo };
  const replay = `case "${c.name}" on ${code}: GET ${request.path} after POST ${server.simulators[table.source]}/_faults ${JSON.stringify({ administration: code, match: table.data, ...c.fault }).slice(0, 300)}`;
  try {
    const answer = await send(server.url, request, 120_000);
    if (c.outcome === 'refused') {
      expectClean(server.url, request, answer, { status: [502, 503, 504], surface: 'odata', absent: ['sandbox-secret', 'root:x:0:0'] });
      const error = (JSON.parse(answer.body) as { error: { message: string; target: string | null } }).error;
      if (error.target !== code || !error.message.includes(code)) throw new Error(`the error does not name ${code}: ${JSON.stringify(error)}`);
      const written = writtenByBadPage(c, before, mirrorOf(table, code));
      if (written !== null) throw new Error(`the bad page changed the mirror: ${written}`);
    } else {
      expectClean(server.url, request, answer, { status: 200, surface: 'odata' });
      const served = JSON.parse(answer.body) as { '@odata.count': number; value: Record<string, unknown>[] };
      const servedMirror = mirrorOf(table, code);
      expect(served['@odata.count']).toBe(servedMirror.count);
      expect(served.value).toHaveLength(servedMirror.count);
      await control(table, `/_faults?administration=${code}`, { method: 'DELETE' });
      await sync(table, code);
      // A clean sync right after finds nothing to change: the odd page was read exactly.
      expect(mirrorOf(table, code).rows).toBe(servedMirror.rows);
      return;
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${replay}`);
  } finally {
    await control(table, `/_faults?administration=${code}`, { method: 'DELETE' });
  }
  // With the fault gone, the same upstream changes arrive: the bad page would have written something.
  await sync(table, code);
  const recovered = mirrorOf(table, code);
  if (recovered.rows === before.rows) throw new Error(`after recovery the mirror is unchanged, so the case proved nothing\n  ${replay}`);
}

describe('a bad upstream page', () => {
  it(`fails the request with a clear error and writes nothing, in ${CASES.length} ways, served or recovered afterwards`, async () => {
    // One lane per administration: its cases run one after another, the lanes side by side.
    const lanes: Case[][] = [...CODES.exactonline, ...CODES.twinfield].map(() => []);
    const next: Record<SourceName, number> = { exactonline: 0, twinfield: 0 };
    for (const c of CASES) lanes[(c.table.source === 'exactonline' ? 0 : 8) + (next[c.table.source]++ % 8)].push(c);
    await inParallel(lanes, 16, async (lane, index) => {
      const code = index < 8 ? CODES.exactonline[index] : CODES.twinfield[index - 8];
      for (const c of lane) await play(c, code);
    });
  }, 110_000);

  it('leaves the server answering, and the whole feed readable', async () => {
    for (const table of [EXACT_LINES, TWINFIELD_LINES]) {
      const request = { path: `/odata/demo/${table.source}/${table.name}?$count=true&$top=1`, headers: demo };
      expectClean(server.url, request, await send(server.url, request, 60_000), { status: 200, surface: 'odata' });
    }
    expect((await send(server.url, { path: '/healthz' })).status).toBe(200);
  });
});
