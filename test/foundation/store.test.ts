import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../server/src/store/database';
import { migrations, schemaVersion } from '../../server/src/store/migrations';
import { ensureMirrorTable, mirrorTableName } from '../../server/src/store/mirror';
import type { TableDescription } from '../../server/src/tables/description';
import { validateTable } from '../../server/src/tables/description';

const table: TableDescription = {
  source: 'exactonline',
  name: 'Widgets',
  description: 'test table',
  columns: [
    { name: 'Division', type: 'Edm.Int32', description: 'Division' },
    { name: 'ID', type: 'Edm.Guid', description: 'Key' },
    { name: 'Amount', type: 'Edm.Decimal', description: 'Amount' },
  ],
  key: ['Division', 'ID'],
  administrationColumn: 'Division',
  sync: 'full',
  upstream: {},
};

describe('store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens in WAL mode with every migration applied once, also when opened twice', () => {
    const a = openDatabase(dir);
    const b = openDatabase(dir);
    expect(a.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(b)).toBe(Math.max(...migrations.map((m) => m.version)));
    expect((a.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(migrations.length);
    a.close();
    b.close();
  });

  it('creates a mirror table from a description and rebuilds it, resetting cursors, when the description changes', () => {
    expect(validateTable(table)).toEqual([]);
    const db = openDatabase(dir);
    expect(ensureMirrorTable(db, table)).toBe(true);
    expect(ensureMirrorTable(db, table)).toBe(false);
    const now = Date.now();
    db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('w', 'W', ?)").run(now);
    db.prepare("INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (1, 'exactonline', 'u', 'U', 'http://x', ?)").run(now);
    db.prepare("INSERT INTO administrations (workspace_id, connection_id, source, code, name, discovered_at) VALUES (1, 1, 'exactonline', '1', 'A', ?)").run(now);
    db.prepare("INSERT INTO sync_state (administration_id, table_name, cursor) VALUES (1, 'Widgets', '123')").run();
    db.prepare(`INSERT INTO ${mirrorTableName(table)} (_administration_id, _hash, Division, ID, Amount) VALUES (1, 'h', 1, 'a', 5)`).run();
    const changed: TableDescription = { ...table, columns: [...table.columns, { name: 'Note', type: 'Edm.String', description: 'Note' }] };
    expect(ensureMirrorTable(db, changed)).toBe(true);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM ${mirrorTableName(table)}`).get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM sync_state').get()).toEqual({ n: 0 });
    db.close();
  });

  it('reports what is wrong with an inconsistent description', () => {
    const broken: TableDescription = { ...table, key: ['ID'], columns: table.columns.map((c) => (c.name === 'Division' ? { ...c, type: 'Edm.String' as const } : c)) };
    expect(validateTable(broken)).toEqual(['exactonline/Widgets: key must include Division', 'exactonline/Widgets: Division must be Edm.Int32']);
  });
});
