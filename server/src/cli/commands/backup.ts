// `ledgerfeed backup <file>`: a consistent copy of the store while the server runs (SQLite's online backup), to
// keep with — but apart from — the secret key: the copy's logins are useless without it, and it without them.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliFailure, type CliIO } from '../io';
import { formatCount } from '../output';
import { withStore } from '../store';

export function registerBackup(program: Command, io: CliIO): void {
  program
    .command('backup')
    .description('copy the store to a file while the server runs (keep the secret key apart from it)')
    .argument('<file>', 'where to write the copy; it must not exist yet')
    .action((file: string) =>
      withStore(io, async (store) => {
        const target = path.resolve(file);
        if (fs.existsSync(target)) throw new CliFailure(`${target} exists already; choose a new file name.`);
        await store.db.backup(target);
        fs.chmodSync(target, 0o600);
        io.stdout.write(`Backed up the store to ${target} (${formatCount(Math.round(fs.statSync(target).size / 1024))} KB).\n`);
      }),
    );
}
