// `ledgerfeed connections list` (upstream logins and their health) and `ledgerfeed administrations
// list|select|deselect` (which divisions and offices a workspace's feeds include).
import type { Command } from 'commander';
import { SOURCES, type SourceName } from '../../tables/description';
import type { Administration, Connection, HealthState } from '../../store/connections';
import { readAdministrationStatus, type AdministrationStatus } from '../../sync';
import { CliFailure, EXIT, type CliIO } from '../io';
import { formatCount, formatTime, isoOrNull, printJson, printTable } from '../output';
import { withStore, type AdminStore } from '../store';

const HEALTH_LABEL: Readonly<Record<HealthState, string>> = { ok: 'ok', expiring: 'expiring', needs_reauth: 'needs re-authorization' };

function sourceOption(value: string | undefined): SourceName | undefined {
  if (value === undefined) return undefined;
  const source = SOURCES.find((s) => s === value);
  if (!source) throw new CliFailure(`--source is ${SOURCES.join(' or ')}, not ${JSON.stringify(value)}.`, EXIT.usage);
  return source;
}

/** The oldest last success over the administration's tables ("data as of"); null when a table never synced. */
function dataAsOf(status: AdministrationStatus): number | null {
  const times = status.tables.map((t) => t.lastSuccessAt);
  return times.length === 0 || times.includes(null) ? null : Math.min(...(times as number[]));
}

function syncState(status: AdministrationStatus): string {
  if (status.missingSince !== null) return `no longer listed by its connection since ${formatTime(status.missingSince)}`;
  if (status.lastError) return `failing (${status.lastError.table}): ${status.lastError.message}`;
  return status.tables.some((t) => t.lastSuccessAt !== null) ? 'ok' : 'not synced yet';
}

function setSelection(io: CliIO, selected: boolean) {
  return (slug: string, codes: string[], options: { source?: string; all?: boolean }) =>
    withStore(io, (store) => {
      const workspace = store.workspace(slug);
      const source = sourceOption(options.source);
      if (options.all === (codes.length > 0)) throw new CliFailure('Name the administrations by code, or pass --all.', EXIT.usage);
      const available = store.connections.administrations(workspace.id, { source });
      const chosen: Administration[] = options.all
        ? available
        : codes.map((code) => {
            const matches = available.filter((a) => a.code === code);
            if (matches.length === 0) throw new CliFailure(`${slug} has no administration ${code}${source ? ` in ${source}` : ''}. \`ledgerfeed administrations list ${slug}\` shows them.`);
            if (matches.length > 1) throw new CliFailure(`${code} is an administration of both sources: say which with --source.`, EXIT.usage);
            return matches[0];
          });
      const changed = chosen.filter((a) => a.selected !== selected);
      store.db.transaction(() => {
        for (const a of changed) {
          store.connections.setSelected(workspace.id, a.id, selected);
          store.accounts.audit({ action: 'administration.select', workspaceId: workspace.id, detail: { source: a.source, administration: a.code, selected } });
        }
      })();
      const verb = selected ? 'Selected' : 'Deselected';
      io.stdout.write(`${verb} ${changed.length} administration${changed.length === 1 ? '' : 's'} of ${slug}${changed.length < chosen.length ? ` (${chosen.length - changed.length} already were)` : ''}.\n`);
    });
}

function connectionRows(store: AdminStore, slug: string | undefined) {
  const workspaces = slug ? [store.workspace(slug)] : store.accounts.workspaces();
  return workspaces.flatMap((workspace) =>
    store.connections.inWorkspace(workspace.id).map((connection: Connection) => ({
      workspace: workspace.slug,
      connection,
      health: store.connections.health(connection),
      connectedBy: connection.connectedBy === null ? null : (store.accounts.userById(connection.connectedBy)?.username ?? null),
    })),
  );
}

export function registerConnections(program: Command, io: CliIO): void {
  program
    .command('connections')
    .description('upstream logins (Exact Online, Twinfield) and their health')
    .command('list')
    .description('connections of one workspace, or of all, with health: ok, expiring, needs re-authorization')
    .argument('[workspace]')
    .option('--json', 'machine-readable output')
    .action((slug: string | undefined, options: { json?: boolean }) =>
      withStore(io, (store) => {
        const rows = connectionRows(store, slug);
        if (options.json) {
          return printJson(io.stdout, {
            connections: rows.map((r) => ({
              workspace: r.workspace,
              id: r.connection.id,
              source: r.connection.source,
              label: r.connection.label,
              connectedBy: r.connectedBy,
              connectedAt: isoOrNull(r.connection.createdAt),
              health: {
                state: r.health.state,
                reason: r.health.reason,
                since: isoOrNull(r.health.since),
                refreshRenewedAt: isoOrNull(r.health.refreshRenewedAt),
                refreshExpiresAt: isoOrNull(r.health.refreshExpiresAt),
              },
            })),
          });
        }
        printTable(
          io.stdout,
          [
            { header: 'WORKSPACE', value: (r) => r.workspace },
            { header: 'ID', value: (r) => String(r.connection.id), align: 'right' },
            { header: 'SOURCE', value: (r) => r.connection.source },
            { header: 'LOGIN', value: (r) => r.connection.label, flexible: true },
            { header: 'CONNECTED BY', value: (r) => r.connectedBy ?? '—' },
            { header: 'RENEWED', value: (r) => formatTime(r.health.refreshRenewedAt) },
            { header: 'HEALTH', value: (r) => HEALTH_LABEL[r.health.state] },
            { header: 'REASON', value: (r) => r.health.reason ?? '', flexible: true },
          ],
          rows,
          slug ? `${slug} has no connections: connect Exact Online or Twinfield on its web page.` : 'No connections yet.',
        );
      }),
    );

  const administrations = program.command('administrations').description('the divisions (Exact Online) and offices (Twinfield) a workspace reaches');

  administrations
    .command('list')
    .description('administrations of a workspace: selected or not, rows mirrored, last successful sync, sync problems')
    .argument('<workspace>')
    .option('--source <source>', 'only exactonline or twinfield')
    .option('--json', 'machine-readable output')
    .action((slug: string, options: { source?: string; json?: boolean }) =>
      withStore(io, (store) => {
        const workspace = store.workspace(slug);
        const statuses = readAdministrationStatus(store.db, { workspaceId: workspace.id, source: sourceOption(options.source) });
        const rows = statuses.map((s) => ({ status: s, asOf: dataAsOf(s), rows: s.tables.reduce((n, t) => n + t.rowCount, 0) }));
        if (options.json) {
          return printJson(io.stdout, {
            workspace: slug,
            administrations: rows.map(({ status: s, asOf, rows: n }) => ({
              id: s.id,
              source: s.source,
              code: s.code,
              name: s.name,
              selected: s.selected,
              rows: n,
              dataAsOf: isoOrNull(asOf),
              missingSince: isoOrNull(s.missingSince),
              lastError: s.lastError ? { table: s.lastError.table, code: s.lastError.code, message: s.lastError.message, at: isoOrNull(s.lastError.at) } : null,
            })),
          });
        }
        printTable(
          io.stdout,
          [
            { header: 'SOURCE', value: (r) => r.status.source },
            { header: 'CODE', value: (r) => r.status.code },
            { header: 'NAME', value: (r) => r.status.name, flexible: true },
            { header: 'SELECTED', value: (r) => (r.status.selected ? 'yes' : 'no') },
            { header: 'ROWS', value: (r) => formatCount(r.rows), align: 'right' },
            { header: 'DATA AS OF', value: (r) => formatTime(r.asOf) },
            { header: 'STATUS', value: (r) => syncState(r.status), flexible: true },
          ],
          rows,
          `${slug} has no administrations yet: connect Exact Online or Twinfield on its web page.`,
        );
      }),
    );

  administrations
    .command('select')
    .description('include administrations in the feeds (by code, e.g. 310101 or NLA310101)')
    .argument('<workspace>')
    .argument('[codes...]')
    .option('--source <source>', 'exactonline or twinfield, when a code exists in both')
    .option('--all', 'every administration of the workspace (of --source)')
    .action(setSelection(io, true));

  administrations
    .command('deselect')
    .description('leave administrations out of the feeds and syncs (their mirror is kept)')
    .argument('<workspace>')
    .argument('[codes...]')
    .option('--source <source>', 'exactonline or twinfield, when a code exists in both')
    .option('--all', 'every administration of the workspace (of --source)')
    .action(setSelection(io, false));
}
