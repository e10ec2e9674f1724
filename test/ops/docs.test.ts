// docs/operations.md stays true to the code: its configuration table lists every variable with its default, and
// its command-line reference names every command the CLI has.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../server/src/cli';
import { processIO } from '../../server/src/cli/io';
import { configSchema } from '../../server/src/config';
import { REPO } from './harness';

const doc = fs.readFileSync(path.join(REPO, 'docs/operations.md'), 'utf8');

/** `| \`NAME\` | default | meaning |` rows of the configuration table. */
const table = new Map(
  [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map(([, name, defaultCell, meaning]) => [name, { defaultCell: defaultCell.trim(), meaning: meaning.trim() }]),
);

describe('docs/operations.md', () => {
  const defaults = configSchema.parse({}) as Record<string, unknown>;

  it.each(Object.keys(configSchema.shape))('documents %s with its default and meaning', (name) => {
    const row = table.get(name);
    expect(row).toBeDefined();
    const value = defaults[name];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) expect(row!.defaultCell).toMatch(/^—/);
    else expect(row!.defaultCell).toBe(`\`${String(value)}\``);
    expect(row!.meaning.length).toBeGreaterThan(10);
  });

  it('documents no variable the server does not know', () => {
    expect([...table.keys()].filter((name) => !(name in configSchema.shape))).toEqual([]);
  });

  it('names every command of the command line in its reference', () => {
    const names = (command: Command, prefix = ''): string[] =>
      command.commands.flatMap((c) => (c.commands.length > 0 ? names(c, `${prefix}${c.name()} `) : [`${prefix}${c.name()}`]));
    const reference = doc.slice(doc.indexOf('## Command-line reference'));
    for (const name of names(buildProgram(processIO))) {
      const [group, sub] = name.split(' ');
      const documented = sub ? new RegExp(`\`${group} [^\`]*\\b${sub}\\b`) : new RegExp(`\`${group}[ \`]`);
      expect({ name, documented: documented.test(reference) }).toEqual({ name, documented: true });
    }
  });
});
