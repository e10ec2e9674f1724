// The sandbox variables reach the simulators: started from an environment as `npm start` starts them (the sandbox
// server, in this process) and as the standalone command does (a process of its own), LEDGERFEED_SANDBOX_ROWS
// sets the transaction lines of every administration and LEDGERFEED_SANDBOX_LATENCY_MS delays every API call.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { ADMINISTRATIONS, DEMO_YEARS } from '../../server/src/sandbox/demo/ledger';
import { startServer } from '../../server/src/server';
import * as exact from './exactonline/harness';
import * as twinfield from './twinfield/harness';

const ROWS = 24;
const LATENCY_MS = 150;
const SANDBOX_ENV = { LEDGERFEED_SANDBOX_ROWS: String(ROWS), LEDGERFEED_SANDBOX_LATENCY_MS: String(LATENCY_MS) };
const REPO = path.resolve(__dirname, '../..');

interface Simulators {
  exactOnline: string;
  twinfield: string;
  close(): Promise<void>;
}

/** `ledgerfeed sandbox` (what `npm start` runs): the configuration read from the environment, the simulators mounted on the server. */
async function sandboxServer(): Promise<Simulators> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-sandbox-env-'));
  const config = loadConfig('sandbox', { ...SANDBOX_ENV, PORT: '0', LEDGERFEED_DATA_DIR: dataDir });
  const running = await startServer(config, { logger: createLogger('silent') });
  return {
    exactOnline: `${running.url}/sandbox/exactonline`,
    twinfield: `${running.url}/sandbox/twinfield`,
    close: async () => {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** server/src/sandbox/standalone.ts run as a command with nothing but the environment, announcing where it listens. */
async function standaloneSimulators(): Promise<Simulators> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'server/src/sandbox/standalone.ts'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', ...SANDBOX_ENV, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const announced = await new Promise<{ exactOnline: string; twinfield: string }>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the simulators exited with ${code} before announcing: ${stderr}`)));
  });
  return {
    ...announced,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** How long a request takes, with its answer. */
async function timed<T>(request: () => Promise<T>): Promise<{ ms: number; answer: T }> {
  const started = performance.now();
  const answer = await request();
  return { ms: performance.now() - started, answer };
}

describe.each([
  ['the sandbox server (npm start)', sandboxServer],
  ['the standalone simulators', standaloneSimulators],
])('%s, configured from the environment', (_name, start) => {
  let simulators: Simulators;
  beforeAll(async () => {
    simulators = await start();
  }, 60_000);
  afterAll(() => simulators?.close());

  it('serves LEDGERFEED_SANDBOX_ROWS transaction lines per Exact division, each call at least LEDGERFEED_SANDBOX_LATENCY_MS late', async () => {
    const token = (await exact.login(simulators.exactOnline)).access_token;
    const count = (division: number) => exact.apiGet(`${simulators.exactOnline}/api/v1/${division}/financialtransaction/TransactionLines/$count?$filter=FinancialYear gt 0`, token);
    const answers = await Promise.all(ADMINISTRATIONS.map(({ division }) => timed(() => count(division))));
    for (const [i, { ms, answer }] of answers.entries()) {
      expect([ADMINISTRATIONS[i].division, answer.status, Number(await answer.text())]).toEqual([ADMINISTRATIONS[i].division, 200, ROWS]);
      expect(ms).toBeGreaterThanOrEqual(LATENCY_MS);
    }
    const synced = await exact.pullAll(`${simulators.exactOnline}/api/v1/${ADMINISTRATIONS[0].division}/sync/Financial/TransactionLines?$filter=Timestamp gt 1L&$select=ID,Timestamp`, token);
    expect(new Set(synced.rows.map((r) => r.ID)).size).toBe(ROWS);
  });

  it('serves LEDGERFEED_SANDBOX_ROWS 030_3 lines per Twinfield office over both book years, each call at least LEDGERFEED_SANDBOX_LATENCY_MS late', async () => {
    const sim: twinfield.Simulator = { base: simulators.twinfield };
    const token = (await twinfield.login(sim)).access_token;
    const lines = (office: string, year: number) =>
      twinfield.processXmlString(
        sim,
        { accessToken: token, companyCode: office },
        twinfield.columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'between', from: `${year}/00`, to: `${year}/55` }, { field: 'fin.trs.head.number' }]),
      );
    for (const { office } of ADMINISTRATIONS) {
      const years = await Promise.all(DEMO_YEARS.map((year) => timed(() => lines(office, year))));
      for (const { ms, answer } of years) {
        expect(answer.response.status).toBe(200);
        expect(answer.result.browse['@_result']).toBe('1');
        expect(ms).toBeGreaterThanOrEqual(LATENCY_MS);
      }
      const total = years.reduce((sum, { answer }) => sum + Number(answer.result.browse['@_total']), 0);
      const rows = years.reduce((sum, { answer }) => sum + twinfield.browseRows(answer.result.browse).length, 0);
      expect([office, total, rows]).toEqual([office, ROWS, ROWS]);
    }
  });
});
