// How the command line shows things: aligned tables that fit the terminal (scripts get full lines, or --json),
// dates, durations and counts in one style.
import type { CliOutput } from './io';

export interface Column<Row> {
  header: string;
  value(row: Row): string;
  /** This column gives up width first when the table is wider than the terminal. */
  flexible?: boolean;
  align?: 'left' | 'right';
}

const GAP = '  ';
const MIN_FLEXIBLE = 12;

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The table as lines; in a terminal, flexible columns are shortened (with …) so no line wraps. */
export function tableLines<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[], maxWidth = Number.POSITIVE_INFINITY): string[] {
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  let excess = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1) - maxWidth;
  for (let i = columns.length - 1; i >= 0 && excess > 0; i--) {
    if (!columns[i].flexible) continue;
    const give = Math.min(excess, widths[i] - Math.max(MIN_FLEXIBLE, columns[i].header.length));
    if (give > 0) {
      widths[i] -= give;
      excess -= give;
    }
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const text = fit(v, widths[i]);
        if (i === values.length - 1 && columns[i].align !== 'right') return text;
        return columns[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]);
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** Writes the table, or `empty` when there are no rows. */
export function printTable<Row>(out: CliOutput, columns: ReadonlyArray<Column<Row>>, rows: readonly Row[], empty: string): void {
  if (rows.length === 0) {
    out.write(`${empty}\n`);
    return;
  }
  const width = out.isTTY ? (out.columns ?? 100) : Number.POSITIVE_INFINITY;
  out.write(tableLines(columns, rows, width).join('\n') + '\n');
}

export function printJson(out: CliOutput, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}

/** `2025-03-01 14:05` in UTC, or `—`. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `2025-03-01`, or `—`. */
export function formatDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().slice(0, 10);
}

export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** `850 ms`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
