// The `ledgerfeed` command line: the servers (`serve`, `sandbox`) and the administration commands, which work
// straight on the data directory (see store.ts). Errors are one line on standard error (`ledgerfeed: …`) with
// exit code 1, a wrong command line exits 2, `--json` gives scripts machine-readable output.
import { Command, CommanderError } from 'commander';
import { loadConfig, type Mode } from '../config';
import { createLogger } from '../logger';
import { exitOnSignals } from '../ops';
import { SIMULATOR_PATHS, runStandaloneSimulators } from '../sandbox/standalone';
import { startServer } from '../server';
import { registerAudit } from './commands/audit';
import { registerBackup } from './commands/backup';
import { registerConnections } from './commands/connections';
import { registerDoctor } from './commands/doctor';
import { registerKeepAlive } from './commands/keepalive';
import { registerKeys } from './commands/keys';
import { registerSync } from './commands/sync';
import { registerUsers } from './commands/users';
import { registerWorkspaces } from './commands/workspaces';
import { CliFailure, EXIT, processIO, type CliIO } from './io';

/** Starts the server; it runs until SIGTERM/SIGINT (see ops/shutdown.ts). Logs go to stdout as JSON, the banner to stderr. */
async function runServer(mode: Mode, io: CliIO): Promise<void> {
  const config = loadConfig(mode, io.env);
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, { logger });
  exitOnSignals(running, { logger });
  logger.info({ url: running.url, mode }, 'listening');
  const lines = [`Ledgerfeed (${mode}) listening on ${running.url}`];
  if (mode === 'sandbox') {
    lines.push(`  Exact Online simulator  ${running.url}/sandbox/exactonline`);
    lines.push(`  Twinfield simulator     ${running.url}/sandbox/twinfield`);
    lines.push(`  Demo feed               ${running.url}/odata/demo/exactonline/  (user demo, API key demo)`);
    const sandbox = running.ledgerfeed.sandboxStatus();
    if (sandbox?.error) lines.push(`  Demo workspace not connected: ${sandbox.error}`);
  }
  io.stderr.write(lines.join('\n') + '\n');
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('ledgerfeed')
    .description('OData v4 feed of Twinfield and Exact Online bookkeeping for Power BI and Excel')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(`ledgerfeed --help` lists the commands)')
    .addHelpText(
      'after',
      '\nCommands other than serve and sandbox work on LEDGERFEED_DATA_DIR (default ./data) with the same environment as the server.\nExit codes: 0 done, 1 failed, 2 wrong command line.',
    );
  program
    .command('serve')
    .description('run in production (needs LEDGERFEED_SECRET_KEY; put it behind TLS)')
    .action(() => runServer('serve', io));
  program
    .command('sandbox')
    .description('run with simulated Exact Online and Twinfield on 127.0.0.1 (what `npm start` runs)')
    .action(() => runServer('sandbox', io));
  program
    .command('simulators')
    .description('run only the Exact Online and Twinfield simulators, on a server of their own (for other tools and benchmarks)')
    .action(async () => {
      const running = await runStandaloneSimulators(io.env);
      io.stdout.write(`${JSON.stringify({ url: running.url, exactOnline: running.url + SIMULATOR_PATHS.exactonline, twinfield: running.url + SIMULATOR_PATHS.twinfield })}\n`);
      io.stderr.write(`Simulators listening on ${running.url} (point a sandbox at them with LEDGERFEED_SANDBOX_UPSTREAM_URL=${running.url})\n`);
    });
  registerUsers(program, io);
  registerKeys(program, io);
  registerWorkspaces(program, io);
  registerConnections(program, io);
  registerSync(program, io);
  registerKeepAlive(program, io);
  registerDoctor(program, io);
  registerAudit(program, io);
  registerBackup(program, io);
  return program;
}

/** Runs one command line (the arguments after `ledgerfeed`); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    // Commander has already written its message (or the help it was asked for).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`ledgerfeed: ${message}\n`);
    if (!(err instanceof CliFailure) && /^(debug|trace)$/.test(io.env.LEDGERFEED_LOG_LEVEL ?? '') && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return err instanceof CliFailure ? err.exitCode : EXIT.failed;
  }
}

/** The `bin/ledgerfeed.js` entry point. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv);
}
