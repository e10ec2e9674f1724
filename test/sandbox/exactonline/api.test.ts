// Contract of the simulated Exact Online REST API: divisions, entity sets, wire format, OData v2 query
// options, paging, mandatory $select/$filter, /$count, and the errors Exact answers with.
import { POSTING } from '../../../server/src/sandbox/demo/ledger';
import { apiGet, dateOf, exactErrorMessage, getCollection, login, pullAll, startSandbox, type JsonRow, type Sandbox } from './harness';

let sb: Sandbox;
let token: string;
beforeAll(async () => {
  // Limits are the subject of limits.test.ts; here they would only slow the pages down.
  sb = await startSandbox({ administrations: 8, rows: 1300, minutelyLimit: 100_000, dailyLimit: 100_000 });
  token = (await login(sb.base)).access_token;
});
afterAll(() => sb.close());

const ledger = () => sb.sim.ledgers[0];
const url = (path: string, query = '') => `${sb.api}/310101/${path}${query ? `?${query}` : ''}`;
const get = (path: string, query = '') => apiGet(url(path, query), token);
const ids = (rows: JsonRow[], key = 'ID') => rows.map((r) => r[key] as string).sort();
const cents = (n: unknown) => Math.round(Number(n) * 100);

describe('divisions', () => {
  it('serves the current user in d.results[0] of current/Me', async () => {
    const body = await getCollection(`${sb.api}/current/Me`, token);
    expect(body.d.results).toHaveLength(1);
    const me = body.d.results[0];
    expect(me).toMatchObject({ CurrentDivision: 310101, UserName: 'demo', FullName: 'Demo Gebruiker', LanguageCode: 'nl-NL' });
    expect(me.UserID).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.Email).toMatch(/@/);
    expect(me.__metadata).toEqual({ uri: `${sb.api}/current/Me(guid'${me.UserID}')`, type: 'Exact.Web.Api.System.Me' });
  });

  it('lists the eight divisions whatever division the URL names', async () => {
    const body = await getCollection(`${sb.api}/999999/system/Divisions`, token);
    expect(body.d.results.map((d) => d.Code)).toEqual([310101, 310102, 310103, 310104, 310105, 310106, 310107, 310108]);
    const first = body.d.results[0];
    expect(first).toMatchObject({ Current: true, IsMainDivision: true, Status: 1, Currency: 'EUR', Country: 'NL', DivisionMoveDate: null, Hid: 1 });
    expect(first.Description).toBe('Bakkerij De Gouden Korrel B.V.');
    expect(body.d.results.filter((d) => d.Current)).toHaveLength(1);
    expect(body.d.results.filter((d) => d.IsMainDivision)).toHaveLength(1);
  });

  it('refuses a division the user has no access to with 403 and Reason NoDivisionAccess', async () => {
    const response = await apiGet(`${sb.api}/123456/financial/Journals`, token);
    expect(response.status).toBe(403);
    expect(response.headers.get('reason')).toBe('NoDivisionAccess');
    expect(await exactErrorMessage(response)).toBe('Forbidden');
  });

  it('answers 404 in Exact error shape for an unknown entity set', async () => {
    const response = await get('financial/NoSuchThing');
    expect(response.status).toBe(404);
    expect(await exactErrorMessage(response)).toMatch(/Resource not found/);
  });

  it('serves read requests only', async () => {
    const response = await fetch(url('crm/Accounts'), { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, body: '{}' });
    expect(response.status).toBe(405);
  });
});

describe('wire format', () => {
  it('gives every row __metadata with an absolute uri that resolves to the row itself', async () => {
    const body = await getCollection(url('financial/GLAccounts', "$filter=Code eq '1300'"), token);
    expect(body.d.results).toHaveLength(1);
    const row = body.d.results[0];
    const meta = row.__metadata as { uri: string; type: string };
    expect(meta.type).toBe('Exact.Web.Api.Models.GLAccount');
    expect(meta.uri).toBe(`${url('financial/GLAccounts')}(guid'${row.ID}')`);
    const single = (await (await apiGet(meta.uri, token)).json()) as { d: JsonRow };
    expect(single.d).toEqual(row);
    expect(row).toMatchObject({ Code: '1300', BalanceSide: 'D', BalanceType: 'B', Division: 310101, Matching: true });
    expect(row.Timestamp).toBeUndefined();
  });

  it('serialises dates as /Date(ms)/ in UTC', async () => {
    const entry = [...ledger().entries.values()][7];
    const body = await getCollection(url('financialtransaction/TransactionLines', `$filter=EntryID eq guid'${entry.id}'&$select=Date,EntryNumber,Modified`), token);
    expect(body.d.results).toHaveLength(entry.lines.length);
    for (const row of body.d.results) {
      expect(row.Date).toMatch(/^\/Date\(\d+\)\/$/);
      expect(new Date(dateOf(row.Date)).toISOString().slice(0, 10)).toBe(entry.date);
    }
  });

  it('left-pads crm/Accounts.Code to 18 characters, so a plain eq on the code finds nothing', async () => {
    const all = await pullAll(url('crm/Accounts', '$filter=Blocked eq false or Blocked eq true&$select=Code,Name,IsSales,IsSupplier'), token);
    expect(all.rows).toHaveLength(ledger().customers.length + ledger().suppliers.length);
    for (const row of all.rows) expect(row.Code).toMatch(/^ +\d+$/);
    expect(all.rows.every((r) => (r.Code as string).length === 18)).toBe(true);
    expect((await getCollection(url('crm/Accounts', "$filter=Code eq '1000'"), token)).d.results).toHaveLength(0);
    const padded = await getCollection(url('crm/Accounts', `$filter=Code eq '${'1000'.padStart(18, ' ')}'`), token);
    expect(padded.d.results).toHaveLength(1);
  });

  it('links navigation properties as __deferred uris that list the related rows, or inlines them on $expand', async () => {
    const sales = [...ledger().entries.values()].find((e) => e.kind === 'sales' && e.lines.length === 4)!;
    const body = await getCollection(url('salesinvoice/SalesInvoices', `$filter=InvoiceID eq guid'${sales.invoiceId}'`), token);
    const invoice = body.d.results[0];
    const deferred = (invoice.SalesInvoiceLines as { __deferred: { uri: string } }).__deferred.uri;
    expect(deferred).toBe(`${url('salesinvoice/SalesInvoices')}(guid'${sales.invoiceId}')/SalesInvoiceLines`);
    const lines = await getCollection(deferred, token);
    expect(lines.d.results).toHaveLength(2);
    expect(lines.d.results.every((l) => l.InvoiceID === sales.invoiceId)).toBe(true);

    const expanded = await getCollection(url('salesinvoice/SalesInvoices', `$filter=InvoiceID eq guid'${sales.invoiceId}'&$expand=SalesInvoiceLines`), token);
    const inline = (expanded.d.results[0].SalesInvoiceLines as { results: JsonRow[] }).results;
    expect(ids(inline)).toEqual(ids(lines.d.results));
  });

  it('answers an Atom feed unless JSON is asked for, as Exact does by default', async () => {
    const response = await apiGet(url('financial/Journals'), token, { Accept: '*/*' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/atom\+xml/);
    expect(await response.text()).toMatch(/^<\?xml[^>]*\?><feed [^>]*xmlns="http:\/\/www.w3.org\/2005\/Atom"/);
    const json = await apiGet(url('financial/Journals', '$format=json'), token, { Accept: '*/*' });
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('answers d as a bare array on read/financial/RevenueListByYear', async () => {
    const response = await get('read/financial/RevenueListByYear', 'year=2025');
    const body = (await response.json()) as { d: JsonRow[] };
    expect(Array.isArray(body.d)).toBe(true);
    expect(body.d.map((r) => r.Period)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const revenue = ledger().balances().filter((b) => b.year === 2025 && ['8000', '8100', '8900'].includes(b.glAccount)).reduce((s, b) => s - b.amount, 0);
    expect(body.d.reduce((s, r) => s + cents(r.Amount), 0)).toBe(revenue);
    expect((await get('read/financial/RevenueListByYear')).status).toBe(400);
  });

  it('treats entity paths case-insensitively', async () => {
    const response = await get('FINANCIAL/journals');
    expect(response.status).toBe(200);
  });
});

describe('paging', () => {
  const allLines = '$filter=FinancialYear ge 2025&$select=ID,AmountDC,EntryID,LineNumber';

  it('pages a standard endpoint 60 rows at a time until __next is absent, and the rows are the ledger', async () => {
    const { rows, pages } = await pullAll(url('financialtransaction/TransactionLines', allLines), token);
    expect(pages.slice(0, -1).every((n) => n === 60)).toBe(true);
    expect(pages.length).toBe(Math.ceil(1300 / 60));
    expect(ids(rows)).toEqual([...ledger().lines()].map((l) => l.id).sort());
    expect(rows.reduce((s, r) => s + cents(r.AmountDC), 0)).toBe(0);
  });

  it('makes __next an absolute URL on the request host that keeps the query and adds an opaque $skiptoken', async () => {
    const body = await getCollection(url('financialtransaction/TransactionLines', allLines), token);
    const next = new URL(body.d.__next!);
    expect(`${next.origin}${next.pathname}`).toBe(url('financialtransaction/TransactionLines'));
    expect(next.searchParams.get('$select')).toBe('ID,AmountDC,EntryID,LineNumber');
    expect(next.searchParams.get('$filter')).toBe('FinancialYear ge 2025');
    expect(next.searchParams.get('$skiptoken')).toBeTruthy();
  });

  it('pages bulk endpoints 1000 rows at a time', async () => {
    const { rows, pages } = await pullAll(url('bulk/Financial/TransactionLines', allLines), token);
    expect(pages).toEqual([1000, 300]);
    expect(ids(rows)).toEqual([...ledger().lines()].map((l) => l.id).sort());
  });

  it('refuses a $skiptoken it did not issue', async () => {
    const response = await get('financial/Journals', '$skiptoken=guid%27x%27');
    expect(response.status).toBe(400);
    expect(await exactErrorMessage(response)).toMatch(/Invalid \$skiptoken/);
  });
});

describe('query options', () => {
  const lines = 'financialtransaction/TransactionLines';

  it('$select returns only the selected properties (plus __metadata)', async () => {
    const body = await getCollection(url(lines, '$filter=FinancialYear eq 2025&$select=ID,GLAccountCode&$top=3'), token);
    for (const row of body.d.results) expect(Object.keys(row).sort()).toEqual(['GLAccountCode', 'ID', '__metadata']);
    const unknown = await get(lines, '$filter=FinancialYear eq 2025&$select=ID,Nope');
    expect(unknown.status).toBe(400);
    expect(await exactErrorMessage(unknown)).toMatch(/No property 'Nope' exists/);
  });

  it('$filter selects exactly the matching rows', async () => {
    const { rows } = await pullAll(url(lines, "$filter=GLAccountCode eq '1300' and FinancialYear eq 2025 and AmountDC gt 0&$select=ID"), token);
    const expected = [...ledger().entries.values()].filter((e) => e.year === 2025).flatMap((e) => e.lines).filter((l) => l.glAccount === '1300' && l.amount > 0);
    expect(ids(rows)).toEqual(expected.map((l) => l.id).sort());
    const dated = await pullAll(url(lines, "$filter=Date ge datetime'2026-03-01' and Date lt datetime'2026-04-01'&$select=ID,Date"), token);
    expect(dated.rows.length).toBe([...ledger().entries.values()].filter((e) => e.date.startsWith('2026-03')).reduce((n, e) => n + e.lines.length, 0));
  });

  it('$filter understands guid literals and refuses a Guid compared with a plain string', async () => {
    const entry = [...ledger().entries.values()][5];
    const body = await getCollection(url(lines, `$filter=EntryID eq guid'${entry.id}'&$select=ID`), token);
    expect(ids(body.d.results)).toEqual(entry.lines.map((l) => l.id).sort());
    const wrong = await get(lines, `$filter=EntryID eq '${entry.id}'&$select=ID`);
    expect(wrong.status).toBe(400);
    expect(await exactErrorMessage(wrong)).toMatch(/incompatible with operand types 'Edm.Guid' and 'Edm.String'/);
  });

  it('$filter supports substringof and startswith, case-insensitively', async () => {
    const { rows } = await pullAll(url('crm/Accounts', "$filter=substringof('zorg', Name) or startswith(Name, 'bakker')&$select=Name"), token);
    const relations = [...ledger().customers, ...ledger().suppliers];
    const expected = relations.filter((r) => r.name.toLowerCase().includes('zorg') || r.name.toLowerCase().startsWith('bakker'));
    expect(rows.map((r) => r.Name).sort()).toEqual(expected.map((r) => r.name).sort());
  });

  it('$orderby orders across pages, with the key breaking ties', async () => {
    const { rows } = await pullAll(url(lines, '$filter=FinancialYear eq 2025&$select=ID,AmountDC&$orderby=AmountDC desc'), token);
    const amounts = rows.map((r) => Number(r.AmountDC));
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    expect(new Set(ids(rows)).size).toBe(rows.length);
    const expected = [...ledger().entries.values()].filter((e) => e.year === 2025).reduce((n, e) => n + e.lines.length, 0);
    expect(rows).toHaveLength(expected);
  });

  it('$top and $skip cut the ordered result, and $top above the page size still pages', async () => {
    const all = (await pullAll(url('budget/Budgets', '$orderby=ReportingYear,ReportingPeriod'), token)).rows;
    const slice = await getCollection(url('budget/Budgets', '$orderby=ReportingYear,ReportingPeriod&$skip=10&$top=5'), token);
    expect(ids(slice.d.results)).toEqual(ids(all.slice(10, 15)));
    expect(slice.d.__next).toBeUndefined();
    const { pages } = await pullAll(url('budget/Budgets', '$top=100'), token);
    expect(pages).toEqual([60, 40]);
    expect((await get('budget/Budgets', '$top=-1')).status).toBe(400);
  });

  it('/$count answers a plain number that honours $filter', async () => {
    const response = await get('financial/ReportingBalance/$count', '$filter=ReportingYear eq 2025');
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const expected = ledger().balances().filter((b) => b.year === 2025).length;
    expect(await response.text()).toBe(String(expected));
    const lineCount = await get(`${lines}/$count`, '$filter=FinancialYear ge 2025');
    expect(Number(await lineCount.text())).toBe(1300);
  });

  it('refuses $count as a query option', async () => {
    const response = await get('financial/ReportingBalance', '$count=true');
    expect(response.status).toBe(400);
    expect(await exactErrorMessage(response)).toMatch(/\$count/);
  });
});

describe('mandatory $select and $filter', () => {
  it('asks for $select on TransactionLines, and accepts $top=1 instead', async () => {
    const response = await get('financialtransaction/TransactionLines', '$filter=FinancialYear eq 2025');
    expect(response.status).toBe(400);
    expect(await exactErrorMessage(response)).toBe('Please add a $select or a $top=1 statement to the query string.');
    const top1 = await getCollection(url('financialtransaction/TransactionLines', '$filter=FinancialYear eq 2025&$top=1'), token);
    expect(top1.d.results).toHaveLength(1);
  });

  it('asks for $select on every bulk endpoint', async () => {
    for (const path of ['bulk/Financial/TransactionLines', 'bulk/CRM/Accounts', 'bulk/Cashflow/Receivables', 'bulk/Logistics/Items']) {
      const response = await get(path, '$filter=Division eq 310101');
      expect(response.status).toBe(400);
      expect(await exactErrorMessage(response)).toBe('Please add a $select or a $top=1 statement to the query string.');
    }
  });

  it('demands a $filter on standard and bulk endpoints that have a sync twin', async () => {
    for (const path of ['financial/GLAccounts', 'crm/Accounts', 'salesinvoice/SalesInvoices', 'logistics/Items', 'project/Projects', 'bulk/CRM/Accounts']) {
      const response = await get(path, '$select=Division');
      expect(response.status).toBe(400);
      expect(await exactErrorMessage(response)).toMatch(/^This endpoint has mandatory filtering applied\. .*sync\//);
    }
    expect((await get('financial/Journals')).status).toBe(200);
  });
});

describe('field sets', () => {
  const REFERENCE: [string, string, string[]][] = [
    ['financialtransaction/TransactionLines', '$filter=FinancialYear eq 2025&$top=1', ['ID', 'EntryID', 'EntryNumber', 'LineNumber', 'Date', 'FinancialYear', 'FinancialPeriod', 'GLAccount', 'GLAccountCode', 'GLAccountDescription', 'Account', 'AccountCode', 'AccountName', 'AmountDC', 'AmountFC', 'Currency', 'VATCode', 'AmountVATFC', 'CostCenter', 'CostUnit', 'Project', 'JournalCode', 'Description', 'InvoiceNumber', 'Type', 'Status', 'Modified', 'Division']],
    ['financial/GLAccounts', "$filter=Code ne ''&$top=1", ['ID', 'Code', 'Description', 'BalanceSide', 'BalanceType', 'Type', 'TypeDescription', 'IsBlocked', 'SearchCode', 'Costcenter', 'Costunit', 'VATCode', 'Created', 'Modified', 'Division']],
    ['crm/Accounts', "$filter=Code ne ''&$top=1", ['ID', 'Code', 'Name', 'Status', 'IsSupplier', 'IsSales', 'IsPurchase', 'Blocked', 'Country', 'City', 'Postcode', 'VATNumber', 'ChamberOfCommerce', 'Classification1', 'Parent', 'Type', 'Created', 'Modified']],
    ['salesinvoice/SalesInvoices', '$filter=Status eq 50&$top=1', ['InvoiceID', 'InvoiceNumber', 'InvoiceDate', 'DueDate', 'OrderDate', 'InvoiceTo', 'InvoiceToName', 'OrderedBy', 'AmountDC', 'AmountFC', 'AmountFCExclVat', 'VATAmountDC', 'Currency', 'Journal', 'PaymentCondition', 'Status', 'Type', 'YourRef', 'Salesperson', 'Modified']],
    ['financial/ReportingBalance', '$top=1', ['ID', 'ReportingYear', 'ReportingPeriod', 'GLAccount', 'GLAccountCode', 'Amount', 'AmountDebit', 'AmountCredit', 'BalanceType', 'CostCenterCode', 'CostUnitCode', 'Count', 'Status', 'Type']],
  ];

  it.each(REFERENCE)('%s carries the reference fields', async (path, query, fields) => {
    const body = await getCollection(url(path, query), token);
    expect(body.d.results).toHaveLength(1);
    expect(Object.keys(body.d.results[0])).toEqual(expect.arrayContaining(fields));
  });

  it('adds Timestamp on the sync twin only', async () => {
    const sync = await getCollection(url('sync/Financial/TransactionLines', '$top=1'), token);
    expect(sync.d.results[0].Timestamp).toBeDefined();
    const standard = await get('financialtransaction/TransactionLines', '$filter=FinancialYear eq 2025&$select=ID,Timestamp');
    expect(standard.status).toBe(400);
  });
});

describe('entity sets agree with the books', () => {
  const all = async (path: string, query: string) => (await pullAll(url(path, query), token)).rows;

  it('ReportingBalance comes from the same books as the transaction lines', async () => {
    const balances = await all('financial/ReportingBalance', '');
    const lines = await all('bulk/Financial/TransactionLines', '$filter=FinancialYear ge 2025&$select=GLAccountCode,FinancialYear,FinancialPeriod,Status,AmountDC');
    const sums = new Map<string, { amount: number; debit: number; credit: number; count: number }>();
    for (const l of lines) {
      const key = `${l.GLAccountCode}|${l.FinancialYear}|${l.FinancialPeriod}|${l.Status}`;
      const s = sums.get(key) ?? { amount: 0, debit: 0, credit: 0, count: 0 };
      const c = cents(l.AmountDC);
      s.amount += c;
      if (c >= 0) s.debit += c;
      else s.credit -= c;
      s.count++;
      sums.set(key, s);
    }
    expect(balances).toHaveLength(sums.size);
    for (const b of balances) {
      const s = sums.get(`${b.GLAccountCode}|${b.ReportingYear}|${b.ReportingPeriod}|${b.Status}`)!;
      expect({ amount: cents(b.Amount), debit: cents(b.AmountDebit), credit: cents(b.AmountCredit), count: b.Count }).toEqual(s);
    }
    expect(new Set(balances.map((b) => b.ID)).size).toBe(balances.length);
  });

  it('Receivables are the open receivable lines, Payments the open payable ones', async () => {
    const lines = [...ledger().lines()];
    const receivables = await all('cashflow/Receivables', '$select=ID,AmountDC,AccountCode,IsFullyPaid');
    expect(ids(receivables)).toEqual(lines.filter((l) => l.glAccount === POSTING.receivables && l.matchStatus === 'available').map((l) => l.id).sort());
    expect(receivables.every((r) => r.IsFullyPaid === false && (r.AccountCode as string).length === 18)).toBe(true);
    const payments = await all('cashflow/Payments', '$select=ID');
    expect(ids(payments)).toEqual(lines.filter((l) => l.glAccount === POSTING.payables && l.matchStatus === 'available').map((l) => l.id).sort());
  });

  it('SalesInvoices are the sales entries, their lines the revenue lines', async () => {
    const sales = [...ledger().entries.values()].filter((e) => e.kind === 'sales');
    const invoices = await all('salesinvoice/SalesInvoices', '$filter=Type eq 8020 or Type eq 8021&$select=InvoiceID,AmountDC,AmountFCExclVat,VATAmountDC,Type');
    expect(ids(invoices, 'InvoiceID')).toEqual(sales.map((e) => e.invoiceId!).sort());
    const byId = new Map(sales.map((e) => [e.invoiceId, e]));
    for (const inv of invoices) {
      const entry = byId.get(inv.InvoiceID as string)!;
      expect(cents(inv.AmountDC)).toBe(entry.lines[0].amount);
      expect(cents(inv.AmountFCExclVat) + cents(inv.VATAmountDC)).toBe(entry.lines[0].amount);
      expect(inv.Type).toBe(entry.lines[0].amount < 0 ? 8021 : 8020);
    }
    const invoiceLines = await all('salesinvoice/SalesInvoiceLines', '$select=ID,AmountDC');
    expect(invoiceLines).toHaveLength(sales.reduce((n, e) => n + e.lines.filter((l) => l.item).length, 0));
  });

  it('serves journals, budgets, items, projects, transactions and GL accounts of the books', async () => {
    const l = ledger();
    expect(ids(await all('financial/Journals', ''))).toEqual(l.journals.map((j) => j.id).sort());
    expect(ids(await all('budget/Budgets', ''))).toEqual(l.budgets.map((b) => b.id).sort());
    expect(ids(await all('logistics/Items', "$filter=Code ne ''"))).toEqual(l.items.map((i) => i.id).sort());
    expect(ids(await all('project/Projects', "$filter=Code ne ''"))).toEqual(l.projects.map((p) => p.id).sort());
    expect(ids(await all('financial/GLAccounts', "$filter=Code ne ''"))).toEqual(l.glAccounts.map((a) => a.id).sort());
    const transactions = await all('financialtransaction/Transactions', '');
    expect(ids(transactions, 'EntryID')).toEqual([...l.entries.keys()].sort());
  });
});

describe('determinism', () => {
  it('renders the same rows from the same seed, and other rows from another seed', async () => {
    const twin = await startSandbox({ administrations: 8, rows: 1300 });
    const other = await startSandbox({ administrations: 8, rows: 1300, seed: 'another' });
    try {
      const query = '$filter=FinancialYear eq 2026&$select=ID,EntryNumber,GLAccountCode,AmountDC,Date,Description';
      const strip = (rows: JsonRow[]) => rows.map(({ __metadata: _, ...rest }) => rest);
      const mine = strip((await getCollection(url('bulk/Financial/TransactionLines', query), token)).d.results);
      const twinToken = (await login(twin.base)).access_token;
      const theirs = strip((await getCollection(`${twin.api}/310101/bulk/Financial/TransactionLines?${query}`, twinToken)).d.results);
      expect(theirs).toEqual(mine);
      const otherToken = (await login(other.base)).access_token;
      const different = strip((await getCollection(`${other.api}/310101/bulk/Financial/TransactionLines?${query}`, otherToken)).d.results);
      expect(different).not.toEqual(mine);
    } finally {
      await twin.close();
      await other.close();
    }
  });
});
