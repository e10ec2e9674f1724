// Turns a browse answer into rows of a described table: each column from its browse field or the row's `<key>`,
// converted to the column's Edm type. A column Twinfield left out, a row without its key, or a cell that does not
// read as its type makes the answer malformed (retryable) — never a row quietly missing a value.
import type { UpstreamRow } from '../connector';
import { UpstreamMalformed } from '../errors';
import type { ColumnDescription } from '../../tables/description';
import { cellValue, CellValueError, type BrowseResult, type BrowseRow } from './browse';
import type { BrowseColumnSource, TwinfieldTable } from './tables';

/** The browse fields a table's columns need (key parts come with every row). */
export function browseFields(columns: readonly BrowseColumnSource[]): string[] {
  return columns.flatMap((c) => ('field' in c.source ? [c.source.field] : []));
}

/**
 * Rows of `table` from a browse answer for one office. The Office column is the administration's own code; a row
 * that names another office is malformed.
 */
export function browseRows(table: TwinfieldTable, columns: readonly BrowseColumnSource[], result: BrowseResult, office: string, what: string): UpstreamRow[] {
  const malformed = (detail: string, cause?: unknown) =>
    new UpstreamMalformed(`Twinfield's answer while ${what} for office ${office} ${detail}`, { administration: office, cause });
  const position = new Map(result.columns.map((c, i) => [c.field, i]));
  const readers = columns.map(({ column, source }) => {
    const description = table.columns.find((c) => c.name === column) as ColumnDescription;
    if ('field' in source) {
      const at = position.get(source.field);
      if (at === undefined) throw malformed(`has no column ${source.field} (${column})`);
      const type = result.columns[at].type;
      return { description, read: (row: BrowseRow) => cellValue(row.cells[at].text, row.cells[at].type ?? type, description.type) };
    }
    const part = source.key;
    return {
      description,
      read: (row: BrowseRow) => {
        if (!row.key) throw new CellValueError('the row has no <key>');
        return cellValue(row.key[part], undefined, description.type);
      },
    };
  });
  const officeUpper = office.toUpperCase();
  return result.rows.map((row, r) => {
    const out: UpstreamRow = {};
    for (const { description, read } of readers) {
      let value: unknown;
      try {
        value = read(row);
      } catch (err) {
        if (err instanceof CellValueError) throw malformed(`has an unreadable ${description.name} in row ${r + 1}: ${err.message}`, err);
        throw err;
      }
      if (description.name === table.administrationColumn) {
        if (value !== null && String(value).toUpperCase() !== officeUpper) throw malformed(`has a row of office ${String(value)} in row ${r + 1}`);
        value = office;
      }
      out[description.name] = value;
    }
    return out;
  });
}
