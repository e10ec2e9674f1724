// Read-only SQLite connections for feed queries. A page is streamed from an open statement while the
// response drains, and better-sqlite3 allows nothing else on a connection while a statement iterates;
// so each streaming request borrows its own connection (WAL lets it read while the sync engine writes).
import Database from 'better-sqlite3';
import { ConfigurationError } from '../errors';
import type { Db } from '../store/database';
import { SQL_FUNCTIONS } from './sql';

export class ReaderPool {
  private readonly idle: Db[] = [];
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly maxIdle = 4,
  ) {}

  /** Readers for the database `db` is connected to; it must be a file (an in-memory database has no second connection). */
  static for(db: Db, maxIdle?: number): ReaderPool {
    if (db.memory) throw new ConfigurationError('The OData feed needs a file database: it reads through separate connections while responses stream.');
    return new ReaderPool(db.name, maxIdle);
  }

  acquire(): Db {
    if (this.closed) throw new Error('the feed has been closed');
    return this.idle.pop() ?? this.open();
  }

  release(reader: Db): void {
    if (reader.inTransaction) reader.exec('ROLLBACK');
    if (!this.closed && this.idle.length < this.maxIdle) this.idle.push(reader);
    else reader.close();
  }

  close(): void {
    this.closed = true;
    for (const reader of this.idle.splice(0)) reader.close();
  }

  private open(): Db {
    const reader = new Database(this.file, { readonly: true, fileMustExist: true });
    reader.pragma('busy_timeout = 10000');
    for (const [name, fn] of Object.entries(SQL_FUNCTIONS)) reader.function(name, { deterministic: true }, fn);
    return reader;
  }
}
