// Streams a JSON collection from an open statement to the response: rows are encoded as they are read,
// gathered into ~64 KB chunks, and written only as fast as the client takes them (waiting for 'drain'),
// so memory stays flat however many rows a page has. A client that goes away stops the read.
import type { ServerResponse } from 'node:http';
import type { RowEncoder } from './encoder';

const CHUNK = 64 * 1024;

export interface CollectionStream {
  /** Everything before the first row, e.g. `{"@odata.context":"…","value":[`. */
  opening: string;
  rows: Iterator<unknown[]>;
  encode: RowEncoder;
  /** At most this many rows are written; one more row read tells whether there are more. */
  limit: number;
  /** Everything after the last row, given the last row written and whether more rows follow. */
  closing(last: unknown[] | null, more: boolean): string;
}

/** Resolves once the response can take more, or the connection closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket?.destroyed === true;
}

/** Writes the collection; resolves with the number of rows written (or when the client disconnected). */
export async function writeCollection(res: ServerResponse, stream: CollectionStream): Promise<number> {
  const { rows, encode, limit } = stream;
  let chunk = stream.opening;
  let written = 0;
  let last: unknown[] | null = null;
  let more = false;
  try {
    for (;;) {
      const next = rows.next();
      if (next.done) break;
      if (written === limit) {
        more = true;
        break;
      }
      last = next.value;
      chunk += written === 0 ? encode(last) : ',' + encode(last);
      written++;
      if (chunk.length >= CHUNK) {
        if (gone(res)) return written;
        const accepted = res.write(chunk);
        chunk = '';
        if (!accepted) {
          await drained(res);
          if (gone(res)) return written;
        }
      }
    }
  } finally {
    rows.return?.(); // finalises the statement when the loop stops early
  }
  if (!gone(res)) res.end(chunk + stream.closing(last, more));
  return written;
}
