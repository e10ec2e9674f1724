// Contract of the faults that spoil a served answer (for the hostile-upstream suites): aimed at one kind of call
// with `match`, a given malformed body, truncated and dripped answers, a word where a number is due, a row
// without its key, a page of repeated rows, and forgetting queued faults.
import http from 'node:http';
import { apiGet, control, login, startSandbox, type Collection, type Sandbox } from './harness';

let sb: Sandbox;
let token: string;
beforeAll(async () => {
  sb = await startSandbox({ administrations: 3, rows: 200 });
  token = (await login(sb.base)).access_token;
});
afterAll(() => sb.close());

const JOURNALS = 'financial/Journals?$select=ID,Code,Description,Type';
const LINES = "financialtransaction/TransactionLines?$select=ID,AmountDC&$filter=FinancialYear ge 2000";
const SYNC_LINES = 'sync/Financial/TransactionLines?$select=ID,AmountDC,Description,Timestamp';

async function body(division: number, path: string): Promise<{ status: number; text: string }> {
  const response = await apiGet(`${sb.api}/${division}/${path}`, token);
  return { status: response.status, text: await response.text() };
}

/** A GET over a raw socket: what arrived, in how many pieces, and whether the connection broke before the end. */
function rawGet(division: number, path: string): Promise<{ headers: http.IncomingHttpHeaders; bytes: Buffer; pieces: number; broken: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${sb.api}/${division}/${path}`, { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } }, (response) => {
      const chunks: Buffer[] = [];
      let broken = false;
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('aborted', () => (broken = true));
      response.on('error', () => (broken = true));
      response.on('close', () => resolve({ headers: response.headers, bytes: Buffer.concat(chunks), pieces: chunks.length, broken: broken || !response.complete }));
    });
    request.on('error', reject);
  });
}

const fault = (spec: Record<string, unknown>) => control(sb.base, '_faults', spec);
const clear = (administration?: number) => fetch(`${sb.base}/_faults${administration === undefined ? '' : `?administration=${administration}`}`, { method: 'DELETE' });

describe('aiming and forgetting faults', () => {
  afterEach(() => clear());

  it('passes calls by that do not match, and fails the first one that does', async () => {
    await fault({ administration: 310101, kind: 'status', status: 503, match: 'financial/journals' });
    expect((await body(310101, 'financial/ReportingBalance?$select=ID')).status).toBe(200);
    expect((await body(310101, JOURNALS)).status).toBe(503);
    expect((await body(310101, JOURNALS)).status).toBe(200);
  });

  it('lists pending faults and forgets one division’s without touching another’s', async () => {
    await fault({ administration: 310101, count: 3 });
    await fault({ administration: 310102, count: 2 });
    expect(await (await fetch(`${sb.base}/_faults`)).json()).toEqual({ pending: { '310101': 3, '310102': 2 } });
    expect(await (await clear(310101)).json()).toEqual({ cleared: 3, pending: { '310102': 2 } });
    expect((await body(310101, JOURNALS)).status).toBe(200);
    expect((await body(310102, JOURNALS)).status).toBe(500);
    expect(await (await clear()).json()).toEqual({ cleared: 1, pending: {} });
  });

  it('refuses a spoiling fault with options out of range', async () => {
    expect((await fault({ administration: 310101, kind: 'drip', intervalMs: -1 })).status).toBe(400);
    expect((await fault({ administration: 310101, kind: 'huge', copies: 1 })).status).toBe(400);
    expect((await fault({ administration: 310101, match: '' })).status).toBe(400);
  });
});

describe('spoiled answers', () => {
  afterEach(() => clear());

  it('answers a malformed fault with exactly the given body, as JSON', async () => {
    await fault({ administration: 310101, kind: 'malformed', body: '{"d":{"results":{}}}' });
    const response = await apiGet(`${sb.api}/310101/${JOURNALS}`, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.text()).toBe('{"d":{"results":{}}}');
  });

  it('cuts a truncated answer short of the length it announces and drops the connection', async () => {
    const whole = await body(310102, JOURNALS);
    await fault({ administration: 310102, kind: 'truncated', bytes: 100 });
    const cut = await rawGet(310102, JOURNALS);
    expect(Number(cut.headers['content-length'])).toBe(Buffer.byteLength(whole.text));
    expect(cut.bytes.toString()).toBe(whole.text.slice(0, 100));
    expect(cut.broken).toBe(true);
    await fault({ administration: 310102, kind: 'truncated' });
    await expect(apiGet(`${sb.api}/310102/${JOURNALS}`, token).then((r) => r.text())).rejects.toThrow();
  });

  it('drips the real answer a byte at a time', async () => {
    const whole = await body(310103, JOURNALS);
    await fault({ administration: 310103, kind: 'drip', intervalMs: 0 });
    const dripped = await rawGet(310103, JOURNALS);
    expect(dripped.broken).toBe(false);
    expect(dripped.bytes.toString()).toBe(whole.text);
    expect(dripped.pieces).toBeGreaterThan(20);
  });

  it('drops a drip after the given number of bytes', async () => {
    const whole = await body(310103, JOURNALS);
    await fault({ administration: 310103, kind: 'drip', intervalMs: 0, bytes: 50 });
    const dripped = await rawGet(310103, JOURNALS);
    expect(dripped.broken).toBe(true);
    expect(dripped.bytes.toString()).toBe(whole.text.slice(0, 50));
  });

  it('puts a word where the first row has its first number, or a given value in a given field', async () => {
    const whole = JSON.parse((await body(310101, JOURNALS)).text) as Collection;
    await fault({ administration: 310101, kind: 'wrongType', match: 'financial/Journals' });
    const spoiled = JSON.parse((await body(310101, JOURNALS)).text) as Collection;
    expect(spoiled.d.results[0].Type).toBe('twelve');
    expect({ ...spoiled.d.results[0], Type: whole.d.results[0].Type }).toEqual(whole.d.results[0]);
    expect(spoiled.d.results.slice(1)).toEqual(whole.d.results.slice(1));

    await fault({ administration: 310101, kind: 'wrongType', field: 'Description', value: { nested: true } });
    const objectValue = JSON.parse((await body(310101, JOURNALS)).text) as Collection;
    expect(objectValue.d.results[0].Description).toEqual({ nested: true });
  });

  it('takes the entity’s own key from the first row, also on a sync endpoint', async () => {
    await fault({ administration: 310102, kind: 'missingKey' });
    const journals = JSON.parse((await body(310102, JOURNALS)).text) as Collection;
    expect(journals.d.results[0]).not.toHaveProperty('ID');
    expect(journals.d.results[0]).toHaveProperty('Code');
    expect(journals.d.results[1]).toHaveProperty('ID');

    await fault({ administration: 310102, kind: 'missingKey' });
    const lines = JSON.parse((await body(310102, SYNC_LINES)).text) as Collection;
    expect(lines.d.results[0]).not.toHaveProperty('ID');
    expect(lines.d.results[0]).toHaveProperty('Timestamp');
  });

  it('repeats the rows of a huge page and keeps its next link', async () => {
    const whole = JSON.parse((await body(310103, LINES)).text) as Collection;
    expect(whole.d.__next).toBeDefined();
    await fault({ administration: 310103, kind: 'huge', copies: 50 });
    const huge = JSON.parse((await body(310103, LINES)).text) as Collection;
    expect(huge.d.results).toHaveLength(whole.d.results.length * 50);
    expect(huge.d.results.slice(-whole.d.results.length)).toEqual(whole.d.results);
    expect(huge.d.__next).toBe(whole.d.__next);
  });

  it('sends an answer without rows as it was', async () => {
    await fault({ administration: 310101, kind: 'wrongType' });
    const response = await apiGet(`${sb.api}/310101/financialtransaction/TransactionLines?$filter=FinancialYear ge 2000`, token); // no $select: Exact's 400
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: '', message: { lang: '', value: expect.stringContaining('$select') } } });
  });
});
