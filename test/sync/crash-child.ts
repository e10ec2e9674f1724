// A Ledgerfeed process for the crash test: syncs a workspace against the fake upstream, printing one line per
// event on stdout, so the test can SIGKILL it mid-sync and start it again on the same data dir.
// Usage: node --import tsx test/sync/crash-child.ts <dataDir> <generation> <delayMs> <table,table…>
import { openDatabase } from '../../server/src/store/database';
import { SyncEngine } from '../../server/src/sync';
import { crashScenario } from './crash-scenario';

async function main(): Promise<void> {
  const [dataDir, generation, delayMs, tables] = process.argv.slice(2);
  const db = openDatabase(dataDir);
  const workspace = db.prepare("SELECT id FROM workspaces WHERE slug = 'acme'").get() as { id: number } | undefined;
  const workspaceId = workspace?.id ?? Number(db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('acme', 'Acme', 0)").run().lastInsertRowid);
  const connection = db.prepare('SELECT id FROM connections WHERE workspace_id = ?').get(workspaceId) as { id: number } | undefined;
  const connectionId =
    connection?.id ??
    Number(
      db
        .prepare("INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (?, 'exactonline', 'u', 'Exact', 'http://127.0.0.1', 0)")
        .run(workspaceId).lastInsertRowid,
    );
  const fake = crashScenario(Number(generation), Number(delayMs));
  // A long lease: a restart must take over from the killed process because its pid is gone, not by waiting.
  const engine = new SyncEngine({
    db,
    config: { maxParallel: 8, maxStalenessSeconds: 60, serveStaleOnError: false },
    connectors: [fake],
    lease: { ttlMs: 120_000, pollMs: 20 },
    retry: { attempts: 1 },
    observer: (event) => process.stdout.write(`${event.type} ${event.table} ${event.administration.code}\n`),
  });
  await engine.refreshAdministrations(connectionId);
  const summary = await engine.syncWorkspace({ workspaceId, tables: tables.split(',') });
  process.stdout.write(`done ${summary.failed}\n`);
  db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
