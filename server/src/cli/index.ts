// The `ledgerfeed` command line.
import { Command } from 'commander';
import { loadConfig, type Mode } from '../config';
import { LedgerfeedError } from '../errors';
import { startServer } from '../server';
import { provisionUserInStore, readFirstLine } from '../auth/provision';

async function run(mode: Mode): Promise<void> {
  const config = loadConfig(mode);
  const running = await startServer(config);
  const lines = [`Ledgerfeed (${mode}) listening on ${running.url}`];
  if (mode === 'sandbox') {
    lines.push(`  Exact Online simulator  ${running.url}/sandbox/exactonline`);
    lines.push(`  Twinfield simulator     ${running.url}/sandbox/twinfield`);
    const sandbox = running.ledgerfeed.sandboxStatus();
    if (sandbox?.error) lines.push(`  Demo workspace not connected: ${sandbox.error}`);
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
  program
    .command('add-user')
    .description('create a user for the web pages; the password is read from the first line of standard input')
    .argument('<username>')
    .option('--workspace <slug>', 'also create this workspace, owned by the new user')
    .option('--workspace-name <name>', 'display name of that workspace (default: the slug)')
    .action(async (username: string, options: { workspace?: string; workspaceName?: string }) => {
      if (process.stdin.isTTY) process.stderr.write('Password (shown as you type; or pipe it in): ');
      const password = await readFirstLine();
      const workspace = options.workspace ? { slug: options.workspace, name: options.workspaceName ?? options.workspace } : undefined;
      const created = await provisionUserInStore(loadConfig('serve'), { username, password, workspace });
      process.stdout.write(`Created user ${created.user.username}${created.workspace ? ` owning workspace ${created.workspace.slug}` : ''}.\n`);
    });
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
