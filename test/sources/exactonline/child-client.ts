// A second Ledgerfeed process for the cross-process refresh race: it opens the same data directory with the same
// secret key, says "ready", waits for "go" on stdin, then makes LF_CALLS concurrent Exact Online calls for
// LF_DIVISION through the real client and prints one JSON line: how many succeeded and why the others failed.
import readline from 'node:readline';
import { AdjustableClock } from '../../../server/src/clock';
import { loadConfig } from '../../../server/src/config';
import { silentLogger } from '../../../server/src/logger';
import { createExactOnline } from '../../../server/src/sources/exactonline';
import { TokenManager } from '../../../server/src/sources/tokens';
import { openDatabase } from '../../../server/src/store/database';
import { Vault } from '../../../server/src/store/vault';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const dir = env('LF_DATA_DIR');
  const clock = new AdjustableClock();
  // Same instant as the parent, whose clock was moved forward with the simulator's.
  clock.advance(Number(env('LF_CLOCK_OFFSET_MS')));
  const db = openDatabase(dir);
  const tokens = new TokenManager(db, new Vault(Buffer.from(env('LF_SECRET_HEX'), 'hex')), clock);
  const publicUrl = env('LF_PUBLIC_URL');
  const exact = createExactOnline({ config: loadConfig('sandbox', { LEDGERFEED_DATA_DIR: dir }), clock, logger: silentLogger, db, tokens, publicUrl: () => publicUrl });
  const client = exact.logins.forConnection(Number(env('LF_CONNECTION_ID')));
  const division = Number(env('LF_DIVISION'));
  const calls = Number(env('LF_CALLS'));

  process.stdout.write('ready\n');
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();

  const url = client.url(division, 'financial/Journals', { $select: 'ID,Code' });
  const results = await Promise.allSettled(Array.from({ length: calls }, () => client.page(division, url)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String((r.reason as Error).message));
  process.stdout.write(`${JSON.stringify({ ok: results.length - failures.length, failures })}\n`);
  db.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
