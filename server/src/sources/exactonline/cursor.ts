// The cursor of an `exact-sync` table and the fingerprints of `full` tables' probes, as JSON text stored by the
// sync engine. Pure functions.
//
// Cursor (one per division and table):
//   {"v":1,"ts":"10000001234","del":"10000005678","move":null,"checked":1732000000000}
//   ts       highest Timestamp of the table's sync/… stream taken in (Int64 as decimal text; "1" before the first)
//   del      highest sync/Deleted Timestamp read (any EntityType)
//   move     the division's DivisionMoveDate (epoch ms) when the stream was started; another value means Exact
//            moved the division and renumbered its Timestamps, so the cursor is void
//   checked  when sync/Deleted was last read to its end (epoch ms); Exact keeps two months of deletions, so an
//            older cursor could miss some and is void
import { CursorInvalid } from '../connector';

export interface SyncCursor {
  ts: bigint;
  del: bigint;
  move: number | null;
  checked: number;
}

/** Exact's sync API starts with `Timestamp gt 1`. */
export const FIRST_TIMESTAMP = 1n;

export function encodeCursor(cursor: SyncCursor): string {
  return JSON.stringify({ v: 1, ts: cursor.ts.toString(), del: cursor.del.toString(), move: cursor.move, checked: cursor.checked });
}

/** The stored cursor, or CursorInvalid when it is not one of ours (the engine then reloads the table). */
export function decodeCursor(text: string): SyncCursor {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CursorInvalid('the stored Exact Online cursor is not readable');
  }
  const c = raw as Record<string, unknown>;
  const digits = (v: unknown) => typeof v === 'string' && /^\d+$/.test(v);
  if (
    typeof raw !== 'object' ||
    raw === null ||
    c.v !== 1 ||
    !digits(c.ts) ||
    !digits(c.del) ||
    !(c.move === null || typeof c.move === 'number') ||
    typeof c.checked !== 'number'
  ) {
    throw new CursorInvalid('the stored Exact Online cursor has an unknown format');
  }
  return { ts: BigInt(c.ts as string), del: BigInt(c.del as string), move: c.move as number | null, checked: c.checked as number };
}

/** The instant `months` calendar months before `ms` (UTC), as Exact counts its deletion log's retention. */
export function monthsBefore(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/** Fingerprint of a sync-watermark probe: the division's move date and the two high-water Timestamps. */
export interface Watermark {
  move: number | null;
  ts: bigint;
  del: bigint;
}

export function encodeWatermark(w: Watermark): string {
  return `exact-watermark:${w.move ?? '-'}:${w.ts}:${w.del}`;
}

/** The previous watermark, or undefined when `text` is none (first probe, or another fingerprint kind). */
export function decodeWatermark(text: string | null | undefined): Watermark | undefined {
  const m = /^exact-watermark:(-|\d+):(\d+):(\d+)$/.exec(text ?? '');
  if (!m) return undefined;
  return { move: m[1] === '-' ? null : Number(m[1]), ts: BigInt(m[2]), del: BigInt(m[3]) };
}
