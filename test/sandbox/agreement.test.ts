// Exact Online and Twinfield tell the same story for the same administration: from the same seed, a division's
// transaction lines and ReportingBalance total per GL account and book year to what the paired office's 040_1
// reports, read over HTTP from both simulators.
import { ADMINISTRATIONS, DEMO_YEARS } from '../../server/src/sandbox/demo/ledger';
import * as exact from './exactonline/harness';
import * as twinfield from './twinfield/harness';

const BOOKS = { seed: 'one-story', rows: 700, administrations: 3 };
const PAIRED = ADMINISTRATIONS.slice(0, BOOKS.administrations);

let exactOnline: exact.Sandbox;
let exactToken: string;
let twinfieldSim: twinfield.Harness;
let twinfieldToken: string;
beforeAll(async () => {
  exactOnline = await exact.startSandbox(BOOKS);
  twinfieldSim = await twinfield.startSimulator(BOOKS);
  exactToken = (await exact.login(exactOnline.base)).access_token;
  twinfieldToken = (await twinfield.login(twinfieldSim)).access_token;
});
afterAll(async () => {
  await exactOnline?.close();
  await twinfieldSim?.close();
});

type Totals = Record<string, number>;

/** Adds cents to the total of a GL account in a book year. */
function add(totals: Totals, account: unknown, year: unknown, cents: number): void {
  const key = `${String(account)}|${String(year)}`;
  totals[key] = (totals[key] ?? 0) + cents;
}

const exactCents = (amount: unknown) => Math.round(Number(amount) * 100);

async function exactRows(division: number, path: string, query: string): Promise<exact.JsonRow[]> {
  return (await exact.pullAll(`${exactOnline.api}/${division}/${path}?${query}`, exactToken)).rows;
}

async function exactLineTotals(division: number): Promise<Totals> {
  const totals: Totals = {};
  for (const line of await exactRows(division, 'bulk/Financial/TransactionLines', '$filter=FinancialYear gt 0&$select=GLAccountCode,FinancialYear,AmountDC')) {
    add(totals, line.GLAccountCode, line.FinancialYear, exactCents(line.AmountDC));
  }
  return totals;
}

async function exactReportingBalanceTotals(division: number): Promise<Totals> {
  const totals: Totals = {};
  for (const balance of await exactRows(division, 'financial/ReportingBalance', '$select=GLAccountCode,ReportingYear,Amount')) {
    add(totals, balance.GLAccountCode, balance.ReportingYear, exactCents(balance.Amount));
  }
  return totals;
}

/** 040_1 per book year (the advised unit), provisional and final entries alike. */
async function twinfieldAnnualTotals(office: string): Promise<Totals> {
  const totals: Totals = {};
  for (const year of DEMO_YEARS) {
    const request = twinfield.columnsRequest('040_1', [
      { field: 'fin.trs.head.yearperiod', operator: 'between', from: `${year}/00`, to: `${year}/55` },
      { field: 'fin.trs.head.status', operator: 'equal', from: 'normal' },
      { field: 'fin.trs.line.dim1' },
      { field: 'fin.trs.line.basevaluesigned' },
    ]);
    const { response, result } = await twinfield.processXmlString(twinfieldSim, { accessToken: twinfieldToken, companyCode: office }, request);
    expect(response.status).toBe(200);
    expect(result.browse['@_result']).toBe('1');
    for (const row of twinfield.browseRows(result.browse)) {
      add(totals, row.cells['fin.trs.line.dim1'], row.cells['fin.trs.head.yearperiod'].slice(0, 4), twinfield.cents(row.cells['fin.trs.line.basevaluesigned']));
    }
  }
  return totals;
}

it('pairs each Exact division with the Twinfield office of the same name', async () => {
  const divisions = (await exact.getCollection(`${exactOnline.api}/${PAIRED[0].division}/system/Divisions`, exactToken)).d.results;
  const { result } = await twinfield.processXmlString(twinfieldSim, { accessToken: twinfieldToken }, '<list><type>offices</type></list>');
  const offices = new Map<string, string>(result.offices.office.map((o: Record<string, string>) => [o['#text'], o['@_name']]));
  for (const { division, office } of PAIRED) {
    const description = divisions.find((d) => d.Code === division)?.Description;
    expect([division, description]).toEqual([division, offices.get(office)]);
  }
});

describe.each(PAIRED)('division $division and office $office', ({ division, office }) => {
  let annual: Totals;
  beforeAll(async () => {
    annual = await twinfieldAnnualTotals(office);
  });

  it('040_1 reports totals per GL account in both book years, not all of them zero', () => {
    expect(Object.keys(annual).length).toBeGreaterThan(20);
    expect(new Set(Object.keys(annual).map((k) => k.split('|')[1]))).toEqual(new Set(DEMO_YEARS.map(String)));
    expect(Object.values(annual).some((cents) => cents !== 0)).toBe(true);
  });

  it("Exact's transaction lines total per GL account and year to the office's 040_1", async () => {
    expect(await exactLineTotals(division)).toEqual(annual);
  });

  it("Exact's ReportingBalance totals per GL account and year to the office's 040_1", async () => {
    expect(await exactReportingBalanceTotals(division)).toEqual(annual);
  });
});
