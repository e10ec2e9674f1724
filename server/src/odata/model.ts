// The feed's entity model, derived from the table descriptions of one source: one entity set per described
// table (rows from its mirror) plus `Administrations` (rows from the injected sync status). Everything
// else — CSDL, SQL, encoders — reads this model, never the descriptions directly.
import { ConfigurationError } from '../errors';
import { quoteIdentifier } from '../store/mirror';
import { ADMINISTRATION_COLUMN, decimalScale, validateTable, type EdmType, type SourceName, type TableDescription } from '../tables/description';

export interface PropertyModel {
  name: string;
  type: EdmType;
  nullable: boolean;
  /** Digits after the point (Edm.Decimal; 0 for other types). */
  scale: number;
  description: string;
  /** SQL reading the stored value from the set's row source. */
  sql: string;
}

export interface EntitySetModel {
  name: string;
  description: string;
  properties: readonly PropertyModel[];
  key: readonly PropertyModel[];
  /** `Division` (Exact Online) or `Office` (Twinfield). */
  administration: PropertyModel;
  /** The described table behind a mirror set; null for `Administrations`. */
  table: TableDescription | null;
  property(name: string): PropertyModel | undefined;
}

export interface FeedModel {
  source: SourceName;
  /** CSDL schema namespace, e.g. `Ledgerfeed.ExactOnline`. */
  namespace: string;
  sets: readonly EntitySetModel[];
  administrations: EntitySetModel;
  set(name: string): EntitySetModel | undefined;
}

export const ADMINISTRATIONS_SET = 'Administrations';

export const NAMESPACES: Record<SourceName, string> = { exactonline: 'Ledgerfeed.ExactOnline', twinfield: 'Ledgerfeed.Twinfield' };

function entitySet(name: string, description: string, properties: PropertyModel[], keyNames: readonly string[], administration: string, table: TableDescription | null): EntitySetModel {
  const byName = new Map(properties.map((p) => [p.name, p]));
  const pick = (n: string): PropertyModel => {
    const p = byName.get(n);
    if (!p) throw new ConfigurationError(`${name}: ${n} is not a property`);
    return p;
  };
  return { name, description, properties, key: keyNames.map(pick), administration: pick(administration), table, property: (n) => byName.get(n) };
}

export function mirrorSet(table: TableDescription): EntitySetModel {
  const problems = validateTable(table);
  if (problems.length > 0) throw new ConfigurationError(`Invalid table description: ${problems.join('; ')}`);
  const keys = new Set(table.key);
  const properties = table.columns.map<PropertyModel>((c) => ({
    name: c.name,
    type: c.type,
    nullable: !keys.has(c.name) && c.nullable !== false,
    scale: c.type === 'Edm.Decimal' ? decimalScale(c) : 0,
    description: c.description,
    sql: quoteIdentifier(c.name),
  }));
  return entitySet(table.name, table.description, properties, table.key, table.administrationColumn, table);
}

/** Name of the row-count property of `table` in `Administrations`. */
export function rowCountProperty(table: string): string {
  return `${table}Rows`;
}

export function administrationsSet(source: SourceName, tables: readonly TableDescription[]): EntitySetModel {
  const administration = ADMINISTRATION_COLUMN[source];
  const property = (name: string, type: EdmType, nullable: boolean, description: string): PropertyModel => ({ name, type, nullable, scale: 0, description, sql: quoteIdentifier(name) });
  const properties: PropertyModel[] = [
    source === 'exactonline'
      ? property(administration, 'Edm.Int32', false, 'Exact Online division number; the Division column of every table.')
      : property(administration, 'Edm.String', false, 'Twinfield office code; the Office column of every table.'),
    property('Name', 'Edm.String', false, 'Name of the administration.'),
    property('Selected', 'Edm.Boolean', false, 'Whether the feed includes this administration; the tables hold rows of selected administrations only.'),
    property('Status', 'Edm.String', false, 'ok, error (the latest sync of a table failed: its data is older than it should be), not synced (a table was never synced) or not selected.'),
    property('LastSuccessfulSync', 'Edm.DateTimeOffset', true, "The oldest of this administration's last successful table syncs: every table holds data at least as recent as this ('data as of'). Empty until every table has synced once."),
    property('LastError', 'Edm.String', true, "The most recent sync error of any of this administration's tables, prefixed with the table; empty when there never was one."),
    property('LastErrorAt', 'Edm.DateTimeOffset', true, 'When LastError happened.'),
    ...tables.map((t) => property(rowCountProperty(t.name), 'Edm.Int64', false, `Rows of ${t.name} mirrored for this administration.`)),
  ];
  return entitySet(ADMINISTRATIONS_SET, 'The administrations of this feed with their sync status, so a report can show how recent its data is.', properties, [administration], administration, null);
}

export function buildFeedModel(source: SourceName, tables: readonly TableDescription[]): FeedModel {
  const sets = tables.map((t) => {
    if (t.source !== source) throw new ConfigurationError(`${t.source}/${t.name} is described for another source than ${source}`);
    if (t.name === ADMINISTRATIONS_SET) throw new ConfigurationError(`${source}: a table may not be called ${ADMINISTRATIONS_SET}; the feed uses that name for sync status`);
    return mirrorSet(t);
  });
  const names = new Set<string>();
  for (const s of sets) {
    if (names.has(s.name)) throw new ConfigurationError(`${source}: the table ${s.name} is described twice`);
    names.add(s.name);
  }
  const administrations = administrationsSet(source, tables);
  const all = [...sets, administrations];
  const byName = new Map(all.map((s) => [s.name, s]));
  return { source, namespace: NAMESPACES[source], sets: all, administrations, set: (name) => byName.get(name) };
}
