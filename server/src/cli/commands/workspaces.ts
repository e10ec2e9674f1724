// `ledgerfeed workspaces add|list|members` and delegation: `grant` gives a user access to a workspace until a
// date (it ends on its own), `revoke` ends it now. A workspace's connections belong to the workspace, so they
// keep working when the person who connected them loses access.
import type { Command } from 'commander';
import { DAY } from '../../clock';
import type { Member, User, Workspace } from '../../store/accounts';
import { CliFailure, type CliIO } from '../io';
import { formatDate, formatTime, isoOrNull, printJson, printTable } from '../output';
import { withStore, type AdminStore } from '../store';
import { userByName } from './users';

/** The owner acting for the workspace: the one named with --by, or its only owner. */
function actingOwner(store: AdminStore, workspace: Workspace, by: string | undefined): User {
  const owners = store.accounts.members(workspace.id).filter((m) => m.role === 'owner');
  if (by) {
    const user = userByName(store, by);
    if (!owners.some((o) => o.userId === user.id)) throw new CliFailure(`${user.username} is not an owner of ${workspace.slug}; owners manage its members.`);
    return user;
  }
  if (owners.length === 1) return userByName(store, owners[0].username);
  if (owners.length === 0) throw new CliFailure(`${workspace.slug} has no owner.`);
  throw new CliFailure(`${workspace.slug} has several owners (${owners.map((o) => o.username).join(', ')}): say which one acts with --by.`);
}

/** --until (a date, access lasts through it) or --days, else the default length. */
function grantEnd(store: AdminStore, options: { until?: string; days?: string }): number | undefined {
  if (options.until !== undefined && options.days !== undefined) throw new CliFailure('Give --until or --days, not both.', 2);
  if (options.days !== undefined) {
    if (!/^\d+$/.test(options.days) || Number(options.days) < 1) throw new CliFailure(`--days is a whole number of days (1 or more), not ${JSON.stringify(options.days)}.`, 2);
    return store.clock.now() + Number(options.days) * DAY;
  }
  return options.until === undefined ? undefined : store.accounts.grantEnd(options.until);
}

function memberJson(m: Member): Record<string, unknown> {
  return { username: m.username, role: m.role, grantedBy: m.grantedByUsername, grantedAt: isoOrNull(m.grantedAt), accessUntil: isoOrNull(m.expiresAt) };
}

export function registerWorkspaces(program: Command, io: CliIO): void {
  const workspaces = program.command('workspaces').description('workspaces: a set of connections and administrations with one feed');

  workspaces
    .command('add')
    .description('create a workspace owned by an existing user')
    .argument('<slug>', 'its address in feed URLs: 1–40 lower-case letters, digits or hyphens')
    .requiredOption('--owner <username>', 'the user who owns it')
    .option('--name <name>', 'display name (default: the slug)')
    .action((slug: string, options: { owner: string; name?: string }) =>
      withStore(io, (store) => {
        const owner = userByName(store, options.owner);
        const workspace = store.accounts.createWorkspace({ slug, name: options.name ?? slug, ownerId: owner.id });
        io.stdout.write(`Created workspace ${workspace.slug} owned by ${owner.username}. Its feeds: /odata/${workspace.slug}/exactonline/ and /odata/${workspace.slug}/twinfield/\n`);
      }),
    );

  workspaces
    .command('list')
    .description('every workspace with its owners, members, connections and administrations')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) =>
      withStore(io, (store) => {
        const rows = store.accounts.workspaces().map((workspace) => {
          const members = store.accounts.members(workspace.id);
          const administrations = store.connections.administrations(workspace.id);
          return {
            workspace,
            owners: members.filter((m) => m.role === 'owner').map((m) => m.username),
            members: members.filter((m) => m.role === 'member').length,
            connections: store.connections.inWorkspace(workspace.id).length,
            selected: administrations.filter((a) => a.selected).length,
            administrations: administrations.length,
          };
        });
        if (options.json) {
          return printJson(io.stdout, {
            workspaces: rows.map((r) => ({
              slug: r.workspace.slug,
              name: r.workspace.name,
              owners: r.owners,
              members: r.members,
              connections: r.connections,
              administrations: r.administrations,
              selectedAdministrations: r.selected,
            })),
          });
        }
        printTable(
          io.stdout,
          [
            { header: 'WORKSPACE', value: (r) => r.workspace.slug },
            { header: 'NAME', value: (r) => r.workspace.name, flexible: true },
            { header: 'OWNERS', value: (r) => r.owners.join(', '), flexible: true },
            { header: 'MEMBERS', value: (r) => String(r.members), align: 'right' },
            { header: 'CONNECTIONS', value: (r) => String(r.connections), align: 'right' },
            { header: 'ADMINISTRATIONS', value: (r) => `${r.selected} of ${r.administrations} selected` },
          ],
          rows,
          'No workspaces yet: `ledgerfeed workspaces add <slug> --owner <username>` creates one.',
        );
      }),
    );

  workspaces
    .command('members')
    .description('who may use a workspace, who granted it and until when')
    .argument('<workspace>')
    .option('--json', 'machine-readable output')
    .action((slug: string, options: { json?: boolean }) =>
      withStore(io, (store) => {
        const members = store.accounts.members(store.workspace(slug).id);
        if (options.json) return printJson(io.stdout, { workspace: slug, members: members.map(memberJson) });
        printTable(
          io.stdout,
          [
            { header: 'USER', value: (m) => m.username },
            { header: 'ROLE', value: (m) => m.role },
            { header: 'GRANTED BY', value: (m) => m.grantedByUsername ?? '—' },
            { header: 'SINCE', value: (m) => formatDate(m.grantedAt) },
            { header: 'UNTIL (UTC)', value: (m) => formatTime(m.expiresAt) },
          ],
          members,
          `${slug} has no members.`,
        );
      }),
    );

  program
    .command('grant')
    .description('give a user access to a workspace until a date; it ends on its own')
    .addHelpText('after', '\nWithout --until or --days access lasts LEDGERFEED_GRANT_DEFAULT_DAYS (90); at most LEDGERFEED_GRANT_MAX_DAYS (365).')
    .argument('<workspace>')
    .argument('<username>')
    .option('--until <date>', 'last day of access, e.g. 2025-12-31 (UTC)')
    .option('--days <n>', 'access for this many days from now')
    .option('--by <owner>', 'the owner granting it (needed when the workspace has several)')
    .action((slug: string, username: string, options: { until?: string; days?: string; by?: string }) =>
      withStore(io, (store) => {
        const workspace = store.workspace(slug);
        const owner = actingOwner(store, workspace, options.by);
        const member = store.accounts.grant({ workspaceId: workspace.id, username, grantedBy: owner.id, expiresAt: grantEnd(store, options) });
        io.stdout.write(`${member.username} may use ${workspace.slug} until ${formatTime(member.expiresAt)} UTC (granted by ${owner.username}).\n`);
      }),
    );

  program
    .command('revoke')
    .description("end a user's access to a workspace now (connections they made stay)")
    .argument('<workspace>')
    .argument('<username>')
    .option('--by <owner>', 'the owner revoking it (needed when the workspace has several)')
    .action((slug: string, username: string, options: { by?: string }) =>
      withStore(io, (store) => {
        const workspace = store.workspace(slug);
        const owner = actingOwner(store, workspace, options.by);
        const user = userByName(store, username);
        if (!store.accounts.revoke({ workspaceId: workspace.id, userId: user.id, revokedBy: owner.id })) {
          throw new CliFailure(`${user.username} has no access to ${workspace.slug} to revoke.`);
        }
        io.stdout.write(`${user.username} no longer has access to ${workspace.slug}.\n`);
      }),
    );
}
