// `ledgerfeed keepalive`: one keep-alive pass now (the server runs one every hour): renews every Exact Online
// login whose refresh token was not renewed for LEDGERFEED_KEEPALIVE_DAYS, so it does not die after 30 days
// unused. Exit 1 when a login needs re-authorization or could not be renewed.
import type { Command } from 'commander';
import { CliFailure, type CliIO } from '../io';
import { printJson, printTable } from '../output';
import { openRuntime } from '../store';

export function registerKeepAlive(program: Command, io: CliIO): void {
  program
    .command('keepalive')
    .description('renew idle upstream logins now (one pass of the hourly keep-alive)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const runtime = await openRuntime(io);
      try {
        const report = await runtime.ledgerfeed.keepAlive.runOnce();
        const problems = report.outcomes.filter((o) => o.outcome !== 'renewed');
        if (options.json) printJson(io.stdout, { at: new Date(report.at).toISOString(), outcomes: report.outcomes });
        else {
          printTable(
            io.stdout,
            [
              { header: 'CONNECTION', value: (o) => String(o.connectionId), align: 'right' },
              { header: 'SOURCE', value: (o) => o.source },
              { header: 'LOGIN', value: (o) => o.label, flexible: true },
              { header: 'OUTCOME', value: (o) => (o.outcome === 'needs_reauth' ? 'needs re-authorization' : o.outcome) },
              { header: 'REASON', value: (o) => o.reason ?? '', flexible: true },
            ],
            report.outcomes,
            `No login was due: every refresh token was renewed within the last ${runtime.config.keepAlive.days} days.`,
          );
        }
        if (problems.length > 0) throw new CliFailure(`${problems.length} login${problems.length === 1 ? '' : 's'} could not be renewed (see above).`);
      } finally {
        await runtime.shutdown();
      }
    });
}
