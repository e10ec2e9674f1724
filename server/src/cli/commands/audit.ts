// `ledgerfeed audit list`: who did what — sign-ins, grants, connects, key creation and use — newest first. The
// audit log never holds secrets (the store drops any detail that could).
import type { Command } from 'commander';
import type { AuditDetail } from '../../store/accounts';
import { CliFailure, EXIT, type CliIO } from '../io';
import { formatTime, isoOrNull, printJson, printTable } from '../output';
import { withStore } from '../store';
import { userByName } from './users';

const detailText = (detail: AuditDetail): string =>
  Object.entries(detail)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export function registerAudit(program: Command, io: CliIO): void {
  program
    .command('audit')
    .description('the audit log')
    .command('list')
    .description('audit entries, newest first: grants, connects, API key creation and use, sign-ins')
    .option('--workspace <slug>', "only this workspace's entries")
    .option('--user <username>', "only this user's actions")
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'machine-readable output')
    .action((options: { workspace?: string; user?: string; limit: string; json?: boolean }) =>
      withStore(io, (store) => {
        if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1) throw new CliFailure(`--limit is a whole number, not ${JSON.stringify(options.limit)}.`, EXIT.usage);
        const workspaceId = options.workspace === undefined ? undefined : store.workspace(options.workspace).id;
        const userId = options.user === undefined ? undefined : userByName(store, options.user).id;
        const entries = store.accounts.auditLog({ workspaceId, userId, limit: Number(options.limit) });
        const slugs = new Map(store.accounts.workspaces().map((w) => [w.id, w.slug]));
        const rows = entries.map((e) => ({ entry: e, workspace: e.workspaceId === null ? null : (slugs.get(e.workspaceId) ?? null) }));
        if (options.json) {
          return printJson(io.stdout, {
            entries: rows.map(({ entry: e, workspace }) => ({ at: isoOrNull(e.at), action: e.action, workspace, user: e.username, detail: e.detail })),
          });
        }
        printTable(
          io.stdout,
          [
            { header: 'AT (UTC)', value: (r) => formatTime(r.entry.at) },
            { header: 'ACTION', value: (r) => r.entry.action },
            { header: 'WORKSPACE', value: (r) => r.workspace ?? '—' },
            { header: 'USER', value: (r) => r.entry.username ?? '—' },
            { header: 'DETAIL', value: (r) => detailText(r.entry.detail), flexible: true },
          ],
          rows,
          'No audit entries.',
        );
      }),
    );
}
