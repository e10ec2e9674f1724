// What `ledgerfeed sync` shows while it runs, fed by the sync engine's events: in a terminal a progress bar per
// administration (tables done, rows fetched, the table in progress or how many failed); elsewhere (a pipe, a
// log) one plain line per table of an administration as it ends. Too many administrations for the terminal's
// height share one bar.
import { MultiBar, type SingleBar } from 'cli-progress';
import type { SyncEvent, SyncObserver, TableSyncResult, WorkspaceSyncSummary } from '../sync';
import type { CliIO, CliOutput } from './io';
import { formatCount, formatDuration } from './output';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface PlannedAdministration {
  id: number;
  code: string;
  name: string;
  /** How many tables will be synced for it. */
  tables: number;
}

export interface SyncProgress {
  observe: SyncObserver;
  /** Completes the display with the final results (some — administrations no longer listed — have no events). */
  finish(summary: WorkspaceSyncSummary): void;
}

const LABEL_WIDTH = 34;

function label(code: string, name: string): string {
  const text = `${code} ${name}`;
  return text.length > LABEL_WIDTH ? `${text.slice(0, LABEL_WIDTH - 1)}…` : text.padEnd(LABEL_WIDTH);
}

const isEnd = (event: SyncEvent): boolean => event.type === 'finished' || event.type === 'failed' || event.type === 'cancelled';

/** One line about a table of an administration that ended. */
export function resultLine(result: Pick<TableSyncResult, 'administration' | 'table' | 'outcome' | 'mode' | 'rows' | 'added' | 'changed' | 'deleted' | 'elapsedMs' | 'error'>): string {
  const who = `${result.administration.code} ${result.administration.name} · ${result.table}`;
  if (result.outcome === 'failed') return `${who}: FAILED — ${result.error?.message ?? 'unknown reason'}`;
  if (result.outcome === 'cancelled') return `${who}: cancelled`;
  const changes = `+${formatCount(result.added)} ~${formatCount(result.changed)} -${formatCount(result.deleted)}`;
  return `${who}: ${result.mode}, ${formatCount(result.rows)} rows fetched (${changes}) in ${formatDuration(result.elapsedMs)}`;
}

function linesProgress(out: CliOutput): SyncProgress {
  const printed = new Set<string>();
  const key = (administrationId: number, table: string) => `${administrationId}/${table}`;
  return {
    observe(event) {
      if (event.type !== 'finished' && event.type !== 'failed' && event.type !== 'cancelled') return;
      printed.add(key(event.administration.id, event.table));
      const outcome = event.type === 'finished' ? 'synced' : event.type === 'failed' ? 'failed' : 'cancelled';
      out.write(
        resultLine({
          ...event,
          outcome,
          mode: event.type === 'finished' ? event.mode : null,
          error: event.type === 'failed' ? event.error : undefined,
        }) + '\n',
      );
    },
    finish(summary) {
      for (const result of summary.results) {
        if (!printed.has(key(result.administration.id, result.table))) out.write(resultLine(result) + '\n');
      }
    },
  };
}

interface BarState {
  bar: SingleBar;
  done: Set<string>;
  failed: number;
  rows: Map<string, number>;
  current: string;
}

/** A terminal for cli-progress: the real one, or (forced bars in a pipe) the output treated as one. */
function terminalStream(out: CliOutput): NodeJS.WritableStream {
  if (out.isTTY) return out as NodeJS.WritableStream;
  return { isTTY: true, columns: 120, write: (text: string) => out.write(text) } as unknown as NodeJS.WritableStream;
}

function barProgress(out: CliOutput, administrations: readonly PlannedAdministration[]): SyncProgress {
  const multibar = new MultiBar({
    stream: terminalStream(out),
    format: '{label} {bar} {value}/{total} tables  {rows} rows  {status}',
    barsize: 20,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    fps: 8,
  });
  const height = out.rows ?? 24;
  const shared = administrations.length > Math.max(3, height - 4);
  const states = new Map<number, BarState>();
  const total = (list: readonly PlannedAdministration[]) => list.reduce((n, a) => n + a.tables, 0);
  const newState = (bar: SingleBar): BarState => ({ bar, done: new Set(), failed: 0, rows: new Map(), current: '' });
  const one = shared ? newState(multibar.create(total(administrations), 0, { label: label('', `${administrations.length} administrations`), rows: '0', status: '' })) : null;
  if (!one) for (const a of administrations) states.set(a.id, newState(multibar.create(a.tables, 0, { label: label(a.code, a.name), rows: '0', status: '' })));

  const render = (state: BarState) => {
    const rows = [...state.rows.values()].reduce((n, r) => n + r, 0);
    const status = state.failed > 0 ? `${state.failed} failed` : state.current;
    state.bar.update(state.done.size, { rows: formatCount(rows), status });
  };
  const record = (state: BarState, key: string, rows: number, table: string, ended: boolean, failed: boolean) => {
    state.rows.set(key, rows);
    if (!ended) state.current = table;
    else if (state.current === table) state.current = '';
    if (ended && !state.done.has(key)) {
      state.done.add(key);
      if (failed) state.failed++;
    }
    render(state);
  };

  return {
    observe(event) {
      const state = one ?? states.get(event.administration.id);
      if (!state || event.type === 'started') return;
      record(state, `${event.administration.id}/${event.table}`, event.rows, event.table, isEnd(event), event.type === 'failed');
    },
    finish(summary) {
      for (const r of summary.results) {
        const state = one ?? states.get(r.administration.id);
        if (state) record(state, `${r.administration.id}/${r.table}`, r.rows, r.table, true, r.outcome === 'failed');
      }
      for (const state of one ? [one] : states.values()) {
        state.current = '';
        render(state);
      }
      multibar.stop();
    },
  };
}

/** `auto`: bars in a terminal, lines elsewhere. */
export function createSyncProgress(mode: ProgressMode | 'auto', io: CliIO, administrations: readonly PlannedAdministration[]): SyncProgress {
  const chosen = mode === 'auto' ? (io.stdout.isTTY ? 'bar' : 'lines') : mode;
  if (chosen === 'bar') return barProgress(io.stdout, administrations);
  if (chosen === 'lines') return linesProgress(io.stdout);
  return { observe: () => undefined, finish: () => undefined };
}
