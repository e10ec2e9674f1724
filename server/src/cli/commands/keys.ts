// `ledgerfeed keys create|list|revoke`: API keys, the passwords of the feed. A new key is shown once — alone on
// standard output, so `KEY=$(ledgerfeed keys create alice)` works — and stored only as a hash.
import type { Command } from 'commander';
import type { ApiKeyInfo } from '../../store/accounts';
import { CliFailure, type CliIO } from '../io';
import { formatTime, isoOrNull, printJson, printTable } from '../output';
import { withStore } from '../store';
import { userByName } from './users';

export function registerKeys(program: Command, io: CliIO): void {
  const keys = program.command('keys').description('API keys for the feed (Power BI, Excel, curl)');

  keys
    .command('create')
    .description("create an API key for a user; the key is printed once, alone on standard output")
    .argument('<username>')
    .option('--name <label>', 'what the key is for, e.g. "Power BI gateway"', 'Command line')
    .option('--json', 'machine-readable output (includes the key)')
    .action((username: string, options: { name: string; json?: boolean }) =>
      withStore(io, (store) => {
        const user = userByName(store, username);
        const { key, plaintext } = store.accounts.createApiKey(user.id, options.name);
        if (options.json) return printJson(io.stdout, { id: key.id, username: user.username, name: key.name, prefix: key.prefix, key: plaintext });
        io.stdout.write(`${plaintext}\n`);
        io.stderr.write(`Created API key ${key.id} "${key.name}" for ${user.username}. It is shown only this once: store it now.\n`);
      }),
    );

  keys
    .command('list')
    .description("API keys (all users', or one user's) with when they were last used")
    .argument('[username]')
    .option('--json', 'machine-readable output')
    .action((username: string | undefined, options: { json?: boolean }) =>
      withStore(io, (store) => {
        const owners = username ? [userByName(store, username)] : store.accounts.users();
        const rows = owners.flatMap((user) => store.accounts.apiKeys(user.id).map((key) => ({ user: user.username, key })));
        if (options.json) {
          return printJson(io.stdout, {
            keys: rows.map(({ user, key }) => ({
              id: key.id,
              username: user,
              name: key.name,
              prefix: key.prefix,
              createdAt: isoOrNull(key.createdAt),
              lastUsedAt: isoOrNull(key.lastUsedAt),
              revokedAt: isoOrNull(key.revokedAt),
            })),
          });
        }
        const status = (key: ApiKeyInfo) => (key.revokedAt === null ? 'active' : `revoked ${formatTime(key.revokedAt)}`);
        printTable(
          io.stdout,
          [
            { header: 'ID', value: (r) => String(r.key.id), align: 'right' },
            { header: 'USER', value: (r) => r.user },
            { header: 'PREFIX', value: (r) => `${r.key.prefix}…` },
            { header: 'NAME', value: (r) => r.key.name, flexible: true },
            { header: 'CREATED', value: (r) => formatTime(r.key.createdAt) },
            { header: 'LAST USED', value: (r) => formatTime(r.key.lastUsedAt) },
            { header: 'STATUS', value: (r) => status(r.key) },
          ],
          rows,
          'No API keys.',
        );
      }),
    );

  keys
    .command('revoke')
    .description('revoke one of a user\'s keys (by its ID from `keys list`); it stops working at once')
    .argument('<username>')
    .argument('<id>')
    .action((username: string, id: string) =>
      withStore(io, (store) => {
        const user = userByName(store, username);
        if (!/^\d+$/.test(id)) throw new CliFailure(`A key is named by its ID (a number from \`ledgerfeed keys list\`), not ${JSON.stringify(id)}.`);
        if (!store.accounts.revokeApiKey(user.id, Number(id))) throw new CliFailure(`${user.username} has no active key ${id}.`);
        io.stdout.write(`Revoked key ${id} of ${user.username}.\n`);
      }),
    );
}
