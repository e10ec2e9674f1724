// Benchmark (prints figures, asserts nothing): how long the simulator takes to serve a full pull of every
// division through the sync and bulk endpoints, and what it holds in memory afterwards.
// Run: npx tsx test/sandbox/exactonline/pull-benchmark.ts [linesPerDivision=25000] [divisions=8]
import { login, pullAll, startSandbox } from './harness';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 25_000);
  const administrations = Number(process.argv[3] ?? 8);
  let t = performance.now();
  const sb = await startSandbox({ rows, administrations, minutelyLimit: 1e9, dailyLimit: 1e9 });
  console.log(`demo books: ${administrations} × ${rows} lines built in ${(performance.now() - t).toFixed(0)} ms`);
  try {
    const token = (await login(sb.base)).access_token;
    for (const [label, path, query] of [
      ['sync', 'sync/Financial/TransactionLines', '$filter=Timestamp gt 1L&$select=ID,EntryID,GLAccountCode,AmountDC,Date,Timestamp'],
      ['bulk', 'bulk/Financial/TransactionLines', '$filter=FinancialYear ge 2025&$select=ID,EntryID,GLAccountCode,AmountDC,Date'],
      ['sync again (indexes warm)', 'sync/Financial/TransactionLines', '$filter=Timestamp gt 1L&$select=ID,EntryID,GLAccountCode,AmountDC,Date,Timestamp'],
    ]) {
      t = performance.now();
      let total = 0;
      let pages = 0;
      for (const division of sb.sim.ledgers.map((l) => l.info.division)) {
        const result = await pullAll(`${sb.api}/${division}/${path}?${query}`, token);
        total += result.rows.length;
        pages += result.pages.length;
      }
      const ms = performance.now() - t;
      console.log(`${label}: ${total} rows in ${pages} pages, ${ms.toFixed(0)} ms (${(ms / pages).toFixed(1)} ms a page, client parsing included)`);
    }
    const memory = process.memoryUsage();
    console.log(`heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await sb.close();
  }
}

void main();
