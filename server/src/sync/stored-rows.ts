// Turns what a source hands over into the mirror's form — every value through `toStored` — and fingerprints
// each row. A whole page is converted before any of it is written, so a value `toStored` rejects keeps the
// entire page out of the mirror. Pure functions.
import crypto from 'node:crypto';
import type { RowMatch, UpstreamRow } from '../sources/connector';
import { UpstreamMalformed } from '../sources/errors';
import type { ColumnDescription, TableDescription } from '../tables/description';
import { toStored, ValueError, type StoredValue } from '../tables/values';

/** Where each described column sits in a stored row, and which columns identify a row within one administration. */
export interface MirrorLayout {
  table: TableDescription;
  columns: readonly ColumnDescription[];
  /** Key columns without the administration column (the mirror's primary key is `_administration_id` + these). */
  ownKey: readonly string[];
  ownKeyIndexes: readonly number[];
  administrationIndex: number;
}

export interface StoredRow {
  /** One value per described column, in description order. */
  values: StoredValue[];
  /** Fingerprint of `values`: an upsert whose hash equals the stored one is skipped. */
  hash: string;
}

/** A delete instruction in stored form: rows matching every column. */
export interface StoredMatch {
  columns: string[];
  values: StoredValue[];
}

export function layoutOf(table: TableDescription): MirrorLayout {
  const columns = table.columns;
  const index = (name: string) => columns.findIndex((c) => c.name === name);
  const withoutAdministration = table.key.filter((k) => k !== table.administrationColumn);
  // Mirrors the primary key chosen by store/mirror.ts: a table keyed only by its administration holds one row each.
  const ownKey = withoutAdministration.length > 0 ? withoutAdministration : [table.administrationColumn];
  return { table, columns, ownKey, ownKeyIndexes: ownKey.map(index), administrationIndex: index(table.administrationColumn) };
}

/** The administration column's stored value for an administration code (Division 310101 → 310101, Office → 'NLA…'). */
export function administrationValue(layout: MirrorLayout, code: string): StoredValue {
  return toStored(layout.columns[layout.administrationIndex], code);
}

/**
 * Converts one page of upstream rows. Rows without the administration column get the administration's;
 * a row of another administration, a missing key or a value `toStored` rejects makes the page malformed.
 */
export function storeRows(layout: MirrorLayout, rows: readonly UpstreamRow[], administrationCode: string): StoredRow[] {
  const ownAdministration = administrationValue(layout, administrationCode);
  const out: StoredRow[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const values: StoredValue[] = new Array(layout.columns.length);
    for (let c = 0; c < layout.columns.length; c++) {
      const column = layout.columns[c];
      try {
        values[c] = toStored(column, row[column.name]);
      } catch (err) {
        if (err instanceof ValueError) throw malformed(layout, administrationCode, `row ${r + 1}, ${withColumn(column.name, err.message)}`, err);
        throw err;
      }
    }
    const admin = values[layout.administrationIndex];
    if (admin === null) values[layout.administrationIndex] = ownAdministration;
    else if (admin !== ownAdministration) {
      throw malformed(layout, administrationCode, `row ${r + 1} belongs to ${layout.table.administrationColumn} ${String(admin)}`);
    }
    for (const k of layout.ownKeyIndexes) {
      if (values[k] === null) throw malformed(layout, administrationCode, `row ${r + 1} has no ${layout.columns[k].name}`);
    }
    out[r] = { values, hash: rowHash(values) };
  }
  return out;
}

/**
 * Converts delete instructions. The administration column is implied (deletes are scoped to one administration);
 * a match naming an unknown column, or naming no column at all, is malformed rather than "delete everything".
 * Returns null for a match that names another administration: it cannot match a row of this one.
 */
export function storeMatch(layout: MirrorLayout, match: RowMatch, administrationCode: string): StoredMatch | null {
  const columns: string[] = [];
  const values: StoredValue[] = [];
  for (const name of Object.keys(match).sort()) {
    const column = layout.columns.find((c) => c.name === name);
    if (!column) throw malformed(layout, administrationCode, `a delete names unknown column ${JSON.stringify(name)}`);
    let value: StoredValue;
    try {
      value = toStored(column, match[name]);
    } catch (err) {
      if (err instanceof ValueError) throw malformed(layout, administrationCode, `a delete, ${withColumn(name, err.message)}`, err);
      throw err;
    }
    if (name === layout.table.administrationColumn) {
      if (value !== administrationValue(layout, administrationCode)) return null;
      continue;
    }
    columns.push(name);
    values.push(value);
  }
  if (columns.length === 0) throw malformed(layout, administrationCode, 'a delete names no column');
  return { columns, values };
}

/** SHA-1 over a typed, length-prefixed rendering of the values (cheap, and distinct for 1 vs '1' vs null). */
export function rowHash(values: readonly StoredValue[]): string {
  let text = '';
  for (const v of values) {
    if (v === null) text += 'N;';
    else if (typeof v === 'string') text += `s${v.length}:${v};`;
    else if (typeof v === 'bigint') text += `b${v};`;
    else text += `n${v};`;
  }
  return crypto.createHash('sha1').update(text).digest('base64url');
}

/** `toStored` names the column in most messages but not all (decimals); name it exactly once. */
function withColumn(column: string, message: string): string {
  return message.startsWith(`${column}:`) ? message : `${column}: ${message}`;
}

function malformed(layout: MirrorLayout, administrationCode: string, reason: string, cause?: unknown): UpstreamMalformed {
  return new UpstreamMalformed(`${layout.table.source} ${layout.table.name}: a page for administration ${administrationCode} was rejected: ${reason}`, {
    administration: administrationCode,
    cause,
  });
}
