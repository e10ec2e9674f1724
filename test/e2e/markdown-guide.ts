// Reads what docs/power-bi.md tells users to paste and type — addresses, credentials, the Excel formula, the
// folded filter — straight from the markdown, so the guide and the tests that follow it cannot drift apart.
import fs from 'node:fs';
import { INSTALLED_CLIENT_FILES } from '../../server/src/web/downloads';

export const GUIDE = fs.readFileSync(INSTALLED_CLIENT_FILES.guide, 'utf8');

/** Every markdown table as its header cells and body rows (cells trimmed). */
export function markdownTables(markdown: string = GUIDE): { header: string[]; rows: string[][] }[] {
  const tables: { header: string[]; rows: string[][] }[] = [];
  let current: string[][] | null = null;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line.slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined).split('|').map((c) => c.trim());
    if (current === null) {
      current = [cells];
      tables.push({ header: cells, rows: [] });
    } else if (!cells.every((c) => /^:?-+:?$/.test(c))) {
      tables[tables.length - 1].rows.push(cells);
    }
  }
  return tables;
}

/** The table whose header is exactly `header`. */
export function tableWithHeader(...header: string[]): string[][] {
  const found = markdownTables().find((t) => t.header.join('|') === header.join('|'));
  if (!found) throw new Error(`docs/power-bi.md has no table | ${header.join(' | ')} |`);
  return found.rows;
}

/** The text inside the first backticks of a cell. */
export function code(cell: string): string {
  const match = /`([^`]+)`/.exec(cell);
  if (!match) throw new Error(`no \`code\` in ${JSON.stringify(cell)}`);
  return match[1];
}

/** The first capture of `pattern` in the guide; fails loudly when the guide no longer says it. */
export function said(pattern: RegExp): string[] {
  const match = pattern.exec(GUIDE);
  if (!match) throw new Error(`docs/power-bi.md no longer says ${pattern}`);
  return match.slice(1);
}
