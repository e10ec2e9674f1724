// The `ledgerfeed` command line.
import { Command } from 'commander';
import { loadConfig, type Mode } from '../config';
import { LedgerfeedError } from '../errors';
import { startServer } from '../server';

async function run(mode: Mode): Promise<void> {
  const config = loadConfig(mode);
  const running = await startServer(config);
  const lines = [`Ledgerfeed (${mode}) listening on ${running.url}`];
  if (mode === 'sandbox') {
    lines.push(`  Exact Online simulator  ${running.url}/sandbox/exactonline`);
    lines.push(`  Twinfield simulator     ${running.url}/sandbox/twinfield`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function buildProgram(): Command {
  const program = new Command('ledgerfeed').description('OData v4 feed of Twinfield and Exact Online bookkeeping for Power BI and Excel');
  program
    .command('sandbox')
    .description('run with simulated Exact Online and Twinfield on 127.0.0.1 (what `npm start` runs)')
    .action(() => run('sandbox'));
  program
    .command('serve')
    .description('run in production (needs LEDGERFEED_SECRET_KEY)')
    .action(() => run('serve'));
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message = err instanceof LedgerfeedError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`ledgerfeed: ${message}\n`);
    process.exitCode = 1;
  }
}
