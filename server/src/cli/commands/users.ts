// `ledgerfeed users add|list|remove`: the people of a server (there is no public sign-up).
import type { Command } from 'commander';
import { WORKSPACE_SLUG, type User } from '../../store/accounts';
import { CliFailure, type CliIO } from '../io';
import { formatDate, isoOrNull, printJson, printTable } from '../output';
import { promptHidden, readFirstLine } from '../prompt';
import { withStore, type AdminStore } from '../store';

interface AddOptions {
  displayName?: string;
  workspace?: string;
  workspaceName?: string;
  passwordStdin?: boolean;
  /** false with --no-password */
  password: boolean;
}

async function readPassword(io: CliIO, options: AddOptions): Promise<string | undefined> {
  if (!options.password) return undefined;
  if (options.passwordStdin) return readFirstLine(io.stdin);
  if (io.stdin.isTTY) {
    const first = await promptHidden(io, 'Password: ');
    const again = await promptHidden(io, 'Password again: ');
    if (first !== again) throw new CliFailure('The passwords differ; nothing was created.');
    return first;
  }
  throw new CliFailure('No password given: pipe one with --password-stdin, or pass --no-password for a user who only uses API keys.');
}

export function userByName(store: AdminStore, username: string): User {
  const user = store.accounts.userByUsername(username);
  if (!user) throw new CliFailure(`There is no user ${username}. \`ledgerfeed users list\` shows them.`);
  return user;
}

export function registerUsers(program: Command, io: CliIO): void {
  const users = program.command('users').description('people: web sign-in, workspaces and API keys');

  users
    .command('add')
    .description('create a user (password typed, or piped with --password-stdin), optionally owning a new workspace')
    .argument('<username>')
    .option('--display-name <name>', 'name shown on the web pages')
    .option('--workspace <slug>', 'also create this workspace, owned by the new user')
    .option('--workspace-name <name>', 'display name of that workspace (default: the slug)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--no-password', 'no web sign-in: the user only uses API keys')
    .action(async (username: string, options: AddOptions) => {
      const password = await readPassword(io, options);
      await withStore(io, async (store) => {
        // Checked first, so a workspace that cannot be created does not leave a user behind.
        if (options.workspace && (!WORKSPACE_SLUG.test(options.workspace) || store.accounts.workspaceBySlug(options.workspace))) {
          throw new CliFailure(`The workspace address ${options.workspace} is taken or invalid: 1–40 lower-case letters, digits or hyphens.`);
        }
        const user = await store.accounts.createUser({ username, password, displayName: options.displayName });
        const workspace = options.workspace
          ? store.accounts.createWorkspace({ slug: options.workspace, name: options.workspaceName ?? options.workspace, ownerId: user.id })
          : null;
        const signIn = password === undefined ? ' (no password: API keys only)' : '';
        io.stdout.write(`Created user ${user.username}${signIn}${workspace ? ` owning workspace ${workspace.slug}` : ''}.\n`);
      });
    });

  users
    .command('list')
    .description('every user with their workspaces and active API keys')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withStore(io, (store) => {
        const rows = store.accounts.users().map((user) => ({
          user,
          workspaces: store.accounts.workspacesFor(user.id),
          activeKeys: store.accounts.apiKeys(user.id).filter((k) => k.revokedAt === null).length,
        }));
        if (options.json) {
          return printJson(io.stdout, {
            users: rows.map((r) => ({
              username: r.user.username,
              displayName: r.user.displayName,
              createdAt: isoOrNull(r.user.createdAt),
              activeKeys: r.activeKeys,
              workspaces: r.workspaces.map((w) => ({ slug: w.slug, role: w.role, accessUntil: isoOrNull(w.expiresAt) })),
            })),
          });
        }
        printTable(
          io.stdout,
          [
            { header: 'USER', value: (r) => r.user.username },
            { header: 'NAME', value: (r) => r.user.displayName ?? '', flexible: true },
            { header: 'KEYS', value: (r) => String(r.activeKeys), align: 'right' },
            { header: 'CREATED', value: (r) => formatDate(r.user.createdAt) },
            {
              header: 'WORKSPACES',
              value: (r) => r.workspaces.map((w) => `${w.slug} (${w.role}${w.expiresAt === null ? '' : ` until ${formatDate(w.expiresAt)}`})`).join(', '),
              flexible: true,
            },
          ],
          rows,
          'No users yet: `ledgerfeed users add <name> --workspace <slug>` creates the first.',
        );
      }),
    );

  users
    .command('remove')
    .description('remove a user with their keys and memberships (connections they made stay with the workspace)')
    .argument('<username>')
    .action((username: string) =>
      withStore(io, (store) => {
        const user = userByName(store, username);
        store.accounts.removeUser(user.id);
        io.stdout.write(`Removed user ${user.username}.\n`);
      }),
    );
}
