// Mirror tables: one SQLite table per described upstream table, rows of every administration of every
// workspace side by side, scoped by `_administration_id`. Derived from the description; when a
// description changes, its mirror is rebuilt and the cursors of that table are reset (full reload).
import crypto from 'node:crypto';
import type { Db } from './database';
import type { TableDescription } from '../tables/description';
import { SQL_TYPE } from '../tables/values';

/** Internal columns every mirror table carries, before the described columns. */
export const MIRROR_ADMINISTRATION = '_administration_id';
/** Hash of the row's upstream values: a full reload rewrites only rows whose hash changed. */
export const MIRROR_HASH = '_hash';

export function mirrorTableName(table: Pick<TableDescription, 'source' | 'name'>): string {
  return `mirror_${table.source}_${table.name}`;
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
}

export function mirrorDdl(table: TableDescription): string[] {
  const name = quoteIdentifier(mirrorTableName(table));
  const keySet = new Set(table.key);
  const columns = table.columns.map((c) => {
    const notNull = keySet.has(c.name) || c.nullable === false ? ' NOT NULL' : '';
    return `${quoteIdentifier(c.name)} ${SQL_TYPE[c.type]}${notNull}`;
  });
  const ownKey = table.key.filter((k) => k !== table.administrationColumn);
  const primary = [MIRROR_ADMINISTRATION, ...(ownKey.length ? ownKey : [table.administrationColumn])].map(quoteIdentifier);
  return [
    `CREATE TABLE ${name} (
  ${MIRROR_ADMINISTRATION} INTEGER NOT NULL REFERENCES administrations(id) ON DELETE CASCADE,
  ${MIRROR_HASH} TEXT NOT NULL,
  ${columns.join(',\n  ')},
  PRIMARY KEY (${primary.join(', ')})
)`,
    // The feed pages by the OData key (administration column first), so that order must be indexed.
    `CREATE INDEX ${quoteIdentifier(mirrorTableName(table) + '_key')} ON ${name} (${table.key.map(quoteIdentifier).join(', ')})`,
  ];
}

export function mirrorSchemaHash(table: TableDescription): string {
  return crypto.createHash('sha256').update(mirrorDdl(table).join(';\n')).digest('hex').slice(0, 16);
}

/**
 * Creates the mirror table of `table`, or rebuilds it when its description changed since it was created.
 * Returns true when the table was (re)created.
 */
export function ensureMirrorTable(db: Db, table: TableDescription, now = Date.now()): boolean {
  const name = mirrorTableName(table);
  const hash = mirrorSchemaHash(table);
  return db
    .transaction(() => {
      const row = db.prepare('SELECT schema_hash FROM mirror_tables WHERE name = ?').get(name) as { schema_hash: string } | undefined;
      if (row?.schema_hash === hash) return false;
      db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
      for (const statement of mirrorDdl(table)) db.exec(statement);
      db.prepare(
        `DELETE FROM sync_state WHERE table_name = ? AND administration_id IN (SELECT id FROM administrations WHERE source = ?)`,
      ).run(table.name, table.source);
      db.prepare(
        'INSERT INTO mirror_tables (name, source, table_name, schema_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET schema_hash = excluded.schema_hash, created_at = excluded.created_at',
      ).run(name, table.source, table.name, hash, now);
      return true;
    })
    .immediate();
}
