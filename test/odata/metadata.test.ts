// $metadata is checked by two implementations that share nothing with the feed: OASIS's own CSDL
// converter (strict: unknown elements, missing attributes and name clashes are errors) whose JSON output is
// then validated against the OASIS CSDL JSON schema, and SAP's EDMX parser and converter, an OData client
// library, which must find the entity sets, keys and property types.
import Ajv from 'ajv';
import { parse } from '@sap-ux/edmx-parser';
import { convert } from '@sap-ux/annotation-converter';
import { TRANSACTION_LINES, TRANSACTIONS } from './fixtures';
import { POWER_BI_HEADERS, startFeed, type Feed } from './harness';

// odata-csdl ships no type declarations, hence require.
const { xml2json } = require('odata-csdl') as { xml2json(xml: string, options: { strict: boolean }): Record<string, unknown> };
const csdlSchema = require('odata-csdl/schemas/csdl.schema.json') as object;

let feed: Feed;
beforeAll(async () => {
  feed = await startFeed();
});
afterAll(() => feed.close());

async function metadata(source: string): Promise<string> {
  const response = await feed.get(`/acme/${source}/$metadata`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/xml/);
  return response.text();
}

describe('$metadata', () => {
  it.each(['exactonline', 'twinfield'])('of the %s feed is valid CSDL for the OASIS converter and the CSDL JSON schema', async (source) => {
    const csdl = xml2json(await metadata(source), { strict: true });
    const validate = new Ajv({ strict: false, allErrors: true }).compile(csdlSchema);
    const valid = validate(csdl);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('carries every column with its Edm type, nullability, decimal scale and description', async () => {
    const csdl = xml2json(await metadata('exactonline'), { strict: true }) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    expect(Object.keys(csdl.$Reference)).toHaveLength(1); // the Core vocabulary, so Core.Description resolves
    const type = csdl['Ledgerfeed.ExactOnline'].TransactionLines;
    expect(type.$Key).toEqual(['Division', 'ID']);
    expect(type['@Core.Description']).toBe(TRANSACTION_LINES.description);
    for (const column of TRANSACTION_LINES.columns) {
      const property = type[column.name] as Record<string, unknown>;
      expect(property.$Type ?? 'Edm.String').toBe(column.type);
      expect(property['@Core.Description']).toBe(column.description); // quotes, & and < survive
      const nullable = column.nullable !== false && !TRANSACTION_LINES.key.includes(column.name);
      expect(property.$Nullable ?? false).toBe(nullable);
      if (column.type === 'Edm.Decimal') expect(property.$Scale).toBe(column.scale ?? 2);
    }
  });

  it('is understood by an OData client library: entity sets, keys and property types', async () => {
    for (const [source, table, key] of [
      ['exactonline', TRANSACTION_LINES, ['Division', 'ID']],
      ['twinfield', TRANSACTIONS, ['Office', 'Id']],
    ] as const) {
      const model = convert(parse(await metadata(source)));
      expect(model.diagnostics).toEqual([]);
      expect(model.entitySets.map((s) => s.name)).toEqual([table.name, 'Administrations']);
      const type = model.entitySets.find((s) => s.name === table.name)?.entityType;
      expect(type?.keys.map((k) => k.name)).toEqual(key);
      expect(type?.entityProperties.map((p) => [p.name, p.type])).toEqual(table.columns.map((c) => [c.name, c.type]));
      const administrations = model.entitySets.find((s) => s.name === 'Administrations')?.entityType;
      expect(administrations?.keys.map((k) => k.name)).toEqual([table.administrationColumn]);
    }
  });

  it('describes Administrations: the administration column, status, last sync, last error and rows per table', async () => {
    const csdl = xml2json(await metadata('exactonline'), { strict: true }) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const type = csdl['Ledgerfeed.ExactOnline'].Administrations;
    expect(Object.keys(type).filter((k) => !k.startsWith('$') && !k.startsWith('@'))).toEqual([
      'Division',
      'Name',
      'Selected',
      'Status',
      'LastSuccessfulSync',
      'LastError',
      'LastErrorAt',
      'TransactionLinesRows',
    ]);
    expect(type.Division.$Type).toBe('Edm.Int32');
    expect(type.LastSuccessfulSync.$Type).toBe('Edm.DateTimeOffset');
    expect(type.TransactionLinesRows.$Type).toBe('Edm.Int64');
  });

  it('is refused as JSON: Power BI needs CSDL XML', async () => {
    const response = await feed.get('/acme/exactonline/$metadata?$format=json');
    expect(response.status).toBe(406);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NotAcceptable');
  });

  it('is served to the Accept header Power BI sends', async () => {
    const response = await feed.get('/acme/twinfield/$metadata', POWER_BI_HEADERS);
    expect(response.status).toBe(200);
  });
});
