// How the Exact Online simulator spoils one of its own JSON answers for an injected fault (`wrongType`,
// `missingKey`, `huge`): the rows are `d.results` (or `d` itself: a bare array or a single entity).
import type { AnswerFault } from '../common/controls';

type JsonRow = Record<string, unknown>;

/** A word where a number is due: no reader of Int32, Int64, Decimal or Double may take it. */
const NOT_A_NUMBER = 'twelve';

function rowsOf(body: { d?: unknown }): JsonRow[] | null {
  const d = body.d;
  if (Array.isArray(d)) return d as JsonRow[];
  if (d && typeof d === 'object') {
    const results = (d as { results?: unknown }).results;
    if (Array.isArray(results)) return results as JsonRow[];
    return [d as JsonRow];
  }
  return null;
}

/**
 * The answer with the fault applied to its rows. `key` is the key property of the rows' entity. An answer
 * without rows (an error, an empty page, a count) is sent as it was.
 */
export function spoilExactAnswer(text: string, fault: AnswerFault, key: string | undefined): string {
  let body: { d?: unknown };
  try {
    body = JSON.parse(text) as { d?: unknown };
  } catch {
    return text;
  }
  const rows = body && typeof body === 'object' ? rowsOf(body) : null;
  if (!rows || rows.length === 0) return text;
  const first = rows[0];
  switch (fault.kind) {
    case 'wrongType': {
      const field = fault.field ?? Object.keys(first).find((name) => typeof first[name] === 'number');
      if (field === undefined) return text;
      first[field] = fault.field !== undefined && fault.value !== undefined ? fault.value : NOT_A_NUMBER;
      break;
    }
    case 'missingKey':
      if (key === undefined) return text;
      delete first[key];
      break;
    case 'huge': {
      const copies = rows.slice();
      for (let i = 1; i < fault.copies; i++) rows.push(...copies);
      break;
    }
    default:
      return text;
  }
  return JSON.stringify(body);
}
