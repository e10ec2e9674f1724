// `ledgerfeed sync <workspace>`: brings the mirror of a workspace's selected administrations up to date now,
// with progress per administration and a summary — rows added/changed/deleted, pages and upstream calls,
// duration, and every failure with the administration's name and the upstream's reason. Exit 1 when any failed.
// Ctrl-C stops after the batches in flight (committed batches stay); a second Ctrl-C exits at once.
import { setMaxListeners } from 'node:events';
import type { Command } from 'commander';
import { SOURCES, type SourceName } from '../../tables/description';
import type { WorkspaceSyncSummary } from '../../sync';
import { CliFailure, EXIT, type CliIO } from '../io';
import { formatCount, formatDuration, printJson } from '../output';
import { createSyncProgress, type ProgressMode } from '../progress';
import { openRuntime } from '../store';

interface SyncOptions {
  source?: string;
  table?: string[];
  full?: boolean;
  json?: boolean;
  progress: string;
}

const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;

function totals(summary: WorkspaceSyncSummary) {
  const sum = (pick: (r: WorkspaceSyncSummary['results'][number]) => number) => summary.results.reduce((n, r) => n + pick(r), 0);
  return { added: sum((r) => r.added), changed: sum((r) => r.changed), deleted: sum((r) => r.deleted), rows: sum((r) => r.rows), pages: sum((r) => r.pages) };
}

function printSummary(io: CliIO, slug: string, summary: WorkspaceSyncSummary, administrations: number, calls: number): void {
  const t = totals(summary);
  const failures = summary.results.filter((r) => r.outcome !== 'synced');
  const lines = [
    '',
    `Synced ${slug}: ${administrations} administration${administrations === 1 ? '' : 's'}, ${summary.results.length} table syncs in ${formatDuration(summary.elapsedMs)}` +
      (failures.length > 0 ? ` — ${summary.failed} failed` : ''),
    `  rows: ${formatCount(t.added)} added, ${formatCount(t.changed)} changed, ${formatCount(t.deleted)} deleted (${formatCount(t.rows)} fetched in ${formatCount(t.pages)} pages, ${formatCount(calls)} upstream calls)`,
  ];
  if (failures.length > 0) {
    lines.push('Failures:');
    for (const r of failures) lines.push(`  ${r.administration.code} ${r.administration.name} — ${r.table}: ${r.error?.message ?? r.outcome}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
}

function summaryJson(slug: string, summary: WorkspaceSyncSummary, calls: number): Record<string, unknown> {
  return {
    workspace: slug,
    elapsedMs: summary.elapsedMs,
    ...totals(summary),
    upstreamCalls: calls,
    failed: summary.failed,
    results: summary.results.map((r) => ({
      source: r.source,
      administration: r.administration,
      table: r.table,
      outcome: r.outcome,
      mode: r.mode,
      rows: r.rows,
      added: r.added,
      changed: r.changed,
      deleted: r.deleted,
      rowCount: r.rowCount,
      elapsedMs: r.elapsedMs,
      error: r.error ?? null,
    })),
  };
}

/** First SIGINT/SIGTERM cancels the sync between batches; a second one exits at once. */
function cancelOnSignals(io: CliIO, controller: AbortController): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write('\nStopping after the batches in flight (committed batches stay); press Ctrl-C again to quit at once.\n');
    controller.abort(new CliFailure('The sync was interrupted; what was committed stays, the next sync continues from there.', 130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export function registerSync(program: Command, io: CliIO): void {
  program
    .command('sync')
    .description("sync a workspace's selected administrations now, with progress and a summary")
    .argument('<workspace>')
    .option('--source <source>', 'only exactonline or twinfield')
    .option('--table <name...>', 'only these tables (entity-set names, e.g. TransactionLines)')
    .option('--full', 'reload every table in full instead of continuing from where the last sync stopped')
    .option('--progress <mode>', 'auto (bars in a terminal, lines otherwise), bar, lines or none', 'auto')
    .option('--json', 'print the summary as JSON (no progress)')
    .action(async (slug: string, options: SyncOptions) => {
      const progressMode = PROGRESS_MODES.find((m) => m === options.progress);
      if (!progressMode) throw new CliFailure(`--progress is one of ${PROGRESS_MODES.join(', ')}, not ${JSON.stringify(options.progress)}.`, EXIT.usage);
      const source = options.source === undefined ? undefined : SOURCES.find((s) => s === options.source);
      if (options.source !== undefined && !source) throw new CliFailure(`--source is ${SOURCES.join(' or ')}, not ${JSON.stringify(options.source)}.`, EXIT.usage);
      const runtime = await openRuntime(io);
      try {
        const workspace = runtime.workspace(slug);
        const connectors = runtime.ledgerfeed.connectors.filter((c) => source === undefined || c.source === source);
        const tablesOf = (s: SourceName) => (connectors.find((c) => c.source === s)?.tables ?? []).filter((t) => !options.table || options.table.includes(t.name)).length;
        const planned = runtime.connections
          .administrations(workspace.id, { source, selectedOnly: true })
          .filter((a) => tablesOf(a.source) > 0)
          .map((a) => ({ id: a.id, code: a.code, name: a.name, tables: tablesOf(a.source) }));
        if (planned.length === 0 && !options.table) {
          throw new CliFailure(`${slug} has no selected administrations${source ? ` in ${source}` : ''}: connect a login on its web page, or \`ledgerfeed administrations select ${slug} --all\`.`);
        }
        const progress = createSyncProgress(options.json ? 'none' : progressMode, io, planned);
        const controller = new AbortController();
        // Every administration and table sync listens to this one signal.
        setMaxListeners(0, controller.signal);
        const release = cancelOnSignals(io, controller);
        const callsBefore = await runtime.ledgerfeed.ops.metrics.upstreamCallCount();
        let summary: WorkspaceSyncSummary;
        try {
          summary = await runtime.ledgerfeed.sync.syncWorkspace({
            workspaceId: workspace.id,
            source,
            tables: options.table,
            full: options.full,
            signal: controller.signal,
            observer: progress.observe,
          });
        } finally {
          release();
        }
        progress.finish(summary);
        const calls = (await runtime.ledgerfeed.ops.metrics.upstreamCallCount()) - callsBefore;
        if (options.json) printJson(io.stdout, summaryJson(slug, summary, calls));
        else printSummary(io, slug, summary, planned.length, calls);
        if (summary.failed > 0) throw new CliFailure(`${summary.failed} of ${summary.results.length} table syncs failed (see the summary).`);
      } finally {
        await runtime.shutdown();
      }
    });
}
