// $metadata (CSDL XML, which Power BI requires) and the service document (JSON), from the feed model.
// Column descriptions become Core.Description annotations, with the Core vocabulary referenced so the
// term resolves. Hand-written rather than odata-v4-server's ServiceMetadata: that generator writes
// attribute values unescaped (a quote or & in a description breaks the document) and cannot emit the
// edmx:Reference an annotation needs — both make Power BI reject the metadata.
import type { EntitySetModel, FeedModel, PropertyModel } from './model';

const CORE_VOCABULARY = 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\n\r\t]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' })[c] as string);
}

function description(text: string, indent: string): string {
  return text ? `${indent}<Annotation Term="Core.Description" String="${escapeXml(text)}"/>\n` : '';
}

function facets(p: PropertyModel): string {
  if (p.type === 'Edm.Decimal') return ` Precision="19" Scale="${p.scale}"`; // a scaled 64-bit integer holds 19 digits
  if (p.type === 'Edm.DateTimeOffset') return ' Precision="3"'; // stored in milliseconds
  return '';
}

function entityType(set: EntitySetModel): string {
  const key = set.key.map((k) => `          <PropertyRef Name="${k.name}"/>\n`).join('');
  const properties = set.properties
    .map((p) => {
      const open = `        <Property Name="${p.name}" Type="${p.type}"${p.nullable ? '' : ' Nullable="false"'}${facets(p)}`;
      const annotation = description(p.description, '          ');
      return annotation ? `${open}>\n${annotation}        </Property>\n` : `${open}/>\n`;
    })
    .join('');
  return `      <EntityType Name="${set.name}">\n        <Key>\n${key}        </Key>\n${properties}${description(set.description, '        ')}      </EntityType>\n`;
}

/** The CSDL XML document of a feed. */
export function metadataDocument(model: FeedModel): string {
  const sets = model.sets.map((s) => `        <EntitySet Name="${s.name}" EntityType="${model.namespace}.${s.name}"/>\n`).join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">\n' +
    `  <edmx:Reference Uri="${CORE_VOCABULARY}">\n` +
    '    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>\n' +
    '  </edmx:Reference>\n' +
    '  <edmx:DataServices>\n' +
    `    <Schema Namespace="${model.namespace}" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n` +
    model.sets.map(entityType).join('') +
    '      <EntityContainer Name="Ledgerfeed">\n' +
    sets +
    '      </EntityContainer>\n' +
    '    </Schema>\n' +
    '  </edmx:DataServices>\n' +
    '</edmx:Edmx>\n'
  );
}

/** The JSON service document: one entry per entity set, in the model's order. */
export function serviceDocument(model: FeedModel, serviceRoot: string): string {
  return JSON.stringify({
    '@odata.context': `${serviceRoot}$metadata`,
    value: model.sets.map((s) => ({ name: s.name, kind: 'EntitySet', url: s.name })),
  });
}
