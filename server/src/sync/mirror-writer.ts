// Writes one described table's mirror. A batch of changes and the administration's cursor commit in ONE
// SQLite transaction; a reload streams into a temporary staging table (on disk, gone with the connection)
// and is swapped in with one transaction that rewrites only rows whose hash changed. Everything here is
// synchronous: better-sqlite3 transactions must never span an await.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database';
import { MIRROR_ADMINISTRATION, MIRROR_HASH, mirrorTableName, quoteIdentifier } from '../store/mirror';
import type { TableDescription } from '../tables/description';
import { SQL_TYPE, type StoredValue } from '../tables/values';
import { layoutOf, type MirrorLayout, type StoredMatch, type StoredRow } from './stored-rows';
import type { SyncStateStore } from './sync-state';

/** What a write did to the mirror of one administration. */
export interface WriteCounts {
  added: number;
  changed: number;
  deleted: number;
}

export class MirrorWriter {
  readonly layout: MirrorLayout;
  private readonly mirror: string;
  private readonly insertNew: Statement<StoredValue[]>;
  private readonly updateChanged: Statement<StoredValue[]>;
  private readonly deleteStatements = new Map<string, Statement<StoredValue[]>>();

  constructor(
    private readonly db: Db,
    readonly table: TableDescription,
    readonly state: SyncStateStore,
  ) {
    this.layout = layoutOf(table);
    this.mirror = quoteIdentifier(mirrorTableName(table));
    const columns = table.columns.map((c) => quoteIdentifier(c.name));
    const keyMatch = this.layout.ownKey.map((k) => `${quoteIdentifier(k)} = ?`).join(' AND ');
    // A new row costs one statement (most of a first load); a known one a second, which rewrites it only when its hash changed.
    this.insertNew = db.prepare<StoredValue[]>(
      `INSERT INTO ${this.mirror} (${MIRROR_ADMINISTRATION}, ${MIRROR_HASH}, ${columns.join(', ')})
       VALUES (${['?', '?', ...columns.map(() => '?')].join(', ')}) ON CONFLICT DO NOTHING`,
    );
    this.updateChanged = db.prepare<StoredValue[]>(
      `UPDATE ${this.mirror} SET ${[MIRROR_HASH, ...columns].map((c) => `${c} = ?`).join(', ')}
       WHERE ${MIRROR_ADMINISTRATION} = ? AND ${keyMatch} AND ${MIRROR_HASH} <> ?`,
    );
  }

  /**
   * Applies one batch of changes for an administration and stores its cursor, atomically: the batch's deletes
   * first, then its upserts in order (rows whose hash is unchanged are not rewritten). Keeps the row count exact.
   */
  applyBatch(administrationId: number, deletes: readonly StoredMatch[], upserts: readonly StoredRow[], cursor: string): WriteCounts {
    return this.db
      .transaction((): WriteCounts => {
        const counts = { added: 0, changed: 0, deleted: 0 };
        for (const match of deletes) counts.deleted += this.deleteStatement(this.mirror, match.columns, true).run(administrationId, ...match.values).changes;
        const keyIndexes = this.layout.ownKeyIndexes;
        for (const row of upserts) {
          if (this.insertNew.run(administrationId, row.hash, ...row.values).changes > 0) {
            counts.added++;
            continue;
          }
          const key = keyIndexes.map((i) => row.values[i]);
          counts.changed += this.updateChanged.run(row.hash, ...row.values, administrationId, ...key, row.hash).changes;
        }
        this.state.advanceCursor(administrationId, this.table.name, cursor, counts.added - counts.deleted);
        return counts;
      })
      .immediate();
  }

  /** Starts a reload of one administration: rows go to a staging table until `commit` swaps them in. */
  beginReload(administrationId: number): StagedReload {
    return new StagedReload(this.db, this, administrationId);
  }

  /** @internal SQL pieces shared with StagedReload. */
  conflictTarget(): string {
    return [MIRROR_ADMINISTRATION, ...this.layout.ownKey].map(quoteIdentifier).join(', ');
  }

  /** @internal */
  updateSet(): string {
    return [MIRROR_HASH, ...this.table.columns.map((c) => c.name)].map((n) => `${quoteIdentifier(n)} = excluded.${quoteIdentifier(n)}`).join(', ');
  }

  /** @internal */
  mirrorName(): string {
    return this.mirror;
  }

  /** @internal A cached DELETE for one set of match columns (in the mirror: scoped to an administration). */
  deleteStatement(target: string, columns: readonly string[], scoped: boolean): Statement<StoredValue[]> {
    const cacheKey = `${target}|${columns.join(',')}`;
    let statement = this.deleteStatements.get(cacheKey);
    if (!statement) {
      // IS, not =, so a delete that names a NULL value matches rows holding NULL.
      const conditions = [...(scoped ? [`${MIRROR_ADMINISTRATION} = ?`] : []), ...columns.map((c) => `${quoteIdentifier(c)} IS ?`)];
      if (target === this.mirror) this.indexDeleteColumns(columns);
      statement = this.db.prepare<StoredValue[]>(`DELETE FROM ${target} WHERE ${conditions.join(' AND ')}`);
      if (target === this.mirror) this.deleteStatements.set(cacheKey, statement);
    }
    return statement;
  }

  /**
   * Deletes by columns other than the key (a journal and entry number) would scan every row of the
   * administration once per delete; an index on them, made the first time they are used, avoids that.
   */
  private indexDeleteColumns(columns: readonly string[]): void {
    const byKey = columns.length === this.layout.ownKey.length && columns.every((c) => this.layout.ownKey.includes(c));
    if (byKey) return;
    const name = quoteIdentifier(`${mirrorTableName(this.table)}_del_${columns.join('_')}`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${this.mirror} (${[MIRROR_ADMINISTRATION, ...columns].map(quoteIdentifier).join(', ')})`);
  }
}

/**
 * A reload in progress. The staging table is a TEMP table: it lives in SQLite's temporary file of this
 * connection, so it costs no memory and a crash leaves nothing behind; the mirror stays untouched until `commit`.
 */
export class StagedReload {
  private readonly staging: string;
  private readonly insert: Statement<StoredValue[]>;
  private finished = false;
  private stagedRows = 0;

  constructor(
    private readonly db: Db,
    private readonly writer: MirrorWriter,
    private readonly administrationId: number,
  ) {
    const table = writer.table;
    const bare = `lf_staging_${administrationId}_${mirrorTableName(table)}`;
    this.staging = `temp.${quoteIdentifier(bare)}`;
    const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${SQL_TYPE[c.type]}`);
    db.exec(`DROP TABLE IF EXISTS ${this.staging}`);
    db.exec(
      `CREATE TEMP TABLE ${quoteIdentifier(bare)} (${MIRROR_HASH} TEXT NOT NULL, ${columns.join(', ')}, PRIMARY KEY (${writer.layout.ownKey.map(quoteIdentifier).join(', ')}))`,
    );
    this.insert = db.prepare<StoredValue[]>(
      `INSERT OR REPLACE INTO ${this.staging} (${MIRROR_HASH}, ${table.columns.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES (${['?', ...table.columns.map(() => '?')].join(', ')})`,
    );
  }

  /** Stages a page (later rows with the same key replace earlier ones). Touches only the temp database. */
  add(rows: readonly StoredRow[]): void {
    this.assertOpen();
    this.db.transaction(() => {
      for (const row of rows) this.insert.run(row.hash, ...row.values);
    })();
    this.stagedRows += rows.length;
  }

  /** Removes staged rows (a first-load change stream may delete what it delivered earlier). */
  remove(matches: readonly StoredMatch[]): void {
    this.assertOpen();
    this.db.transaction(() => {
      for (const match of matches) this.writer.deleteStatement(this.staging, match.columns, false).run(...match.values);
    })();
  }

  get rowsStaged(): number {
    return this.stagedRows;
  }

  /**
   * Swaps the staged rows in, in one transaction: inserts new rows, rewrites rows whose hash changed, deletes
   * rows no longer present, and stores the new cursor, fingerprint, row count and success time.
   */
  commit(state: { cursor: string | null; fingerprint: string | null; syncedAsOf: number }): WriteCounts & { rowCount: number } {
    this.assertOpen();
    const mirror = this.writer.mirrorName();
    const admin = MIRROR_ADMINISTRATION;
    const key = this.writer.layout.ownKey.map(quoteIdentifier);
    const sameKey = (left: string, right: string) => key.map((k) => `${left}.${k} = ${right}.${k}`).join(' AND ');
    const db = this.db;
    const result = db
      .transaction(() => {
        const { added, changed } = this.upsertStaged();
        const deleted = db
          .prepare(`DELETE FROM ${mirror} WHERE ${admin} = ? AND NOT EXISTS (SELECT 1 FROM ${this.staging} AS s WHERE ${sameKey('s', mirror)})`)
          .run(this.administrationId).changes;
        const rowCount = db.prepare<[], number>(`SELECT COUNT(*) FROM ${this.staging}`).pluck().get()!;
        this.writer.state.replaceAfterReload(this.administrationId, this.writer.table.name, { ...state, rowCount });
        return { added, changed, deleted, rowCount };
      })
      .immediate();
    this.discard();
    return result;
  }

  /**
   * Adds the staged rows to the mirror without removing any (the rows of a streamed unit, such as a book year), then
   * applies `last` — the batch that completes the unit — all in one transaction with its cursor.
   */
  merge(last: { deletes: readonly StoredMatch[]; upserts: readonly StoredRow[]; cursor: string }): WriteCounts {
    this.assertOpen();
    const result = this.db
      .transaction((): WriteCounts => {
        const { added, changed } = this.upsertStaged();
        this.writer.state.advanceCursor(this.administrationId, this.writer.table.name, last.cursor, added);
        const rest = this.writer.applyBatch(this.administrationId, last.deletes, last.upserts, last.cursor);
        return { added: added + rest.added, changed: changed + rest.changed, deleted: rest.deleted };
      })
      .immediate();
    this.discard();
    return result;
  }

  /** Inserts staged rows the mirror lacks and rewrites those whose hash differs; inside the caller's transaction. */
  private upsertStaged(): { added: number; changed: number } {
    const mirror = this.writer.mirrorName();
    const admin = MIRROR_ADMINISTRATION;
    const key = this.writer.layout.ownKey.map(quoteIdentifier);
    const sameKey = key.map((k) => `m.${k} = s.${k}`).join(' AND ');
    const columns = this.writer.table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const added = this.db
      .prepare<[number], number>(`SELECT COUNT(*) FROM ${this.staging} AS s WHERE NOT EXISTS (SELECT 1 FROM ${mirror} AS m WHERE m.${admin} = ? AND ${sameKey})`)
      .pluck()
      .get(this.administrationId)!;
    // `WHERE true` resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
    const written = this.db
      .prepare(
        `INSERT INTO ${mirror} (${admin}, ${MIRROR_HASH}, ${columns}) SELECT ?, ${MIRROR_HASH}, ${columns} FROM ${this.staging} WHERE true
         ON CONFLICT (${this.writer.conflictTarget()}) DO UPDATE SET ${this.writer.updateSet()} WHERE ${mirror}.${MIRROR_HASH} <> excluded.${MIRROR_HASH}`,
      )
      .run(this.administrationId).changes;
    return { added, changed: written - added };
  }

  /** Drops the staging table; the mirror keeps what it had. Safe to call more than once. */
  discard(): void {
    if (this.finished) return;
    this.finished = true;
    this.db.exec(`DROP TABLE IF EXISTS ${this.staging}`);
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('this reload is already committed or discarded');
  }
}
