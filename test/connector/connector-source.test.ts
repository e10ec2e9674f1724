// The connector's section document, read as Power Query reads it: syntax, data source declaration, navigation, URL rules, strings.
import { XMLValidator } from 'fast-xml-parser';
import * as PQP from '@microsoft/powerquery-parser';
import { ICON_SIZES } from '../../connector/icons/draw-icons';
import {
  CONNECTOR_RESOURCES,
  CONNECTOR_SOURCE,
  PqNode,
  descendants,
  invocations,
  languageDiagnostics,
  loadedStringNames,
  numberValue,
  parameters,
  parseSection,
  recordFields,
  recordsWithFields,
  references,
  resourceStrings,
  sectionAttributes,
  sectionMember,
  textLiterals,
  textValue,
} from './powerquery-document';

// Entity sets the two feeds serve (and likely will): none of them may be written into the connector.
const ENTITY_SET_NAMES = [
  'Administrations',
  'GLAccounts',
  'TransactionLines',
  'Transactions',
  'Accounts',
  'SalesInvoices',
  'PurchaseEntries',
  'Receivables',
  'Payments',
  'ReportingBalance',
  'Budgets',
  'Projects',
  'Items',
  'Journals',
  'CostCenters',
  'Customers',
  'Suppliers',
  'GeneralLedger',
  'GeneralLedgerDetails',
  'AnnualReport',
  'Dimensions',
];

let section: PqNode;

beforeAll(async () => {
  section = await parseSection(CONNECTOR_SOURCE);
});

/** The function a member is, looking through `Value.ReplaceType(implementation, type)`. */
function implementationOf(memberName: string): PqNode {
  const value = sectionMember(section, memberName).value;
  if (value.kind === 'FunctionExpression') return value;
  const [replaced] = invocations(value, 'Value.ReplaceType');
  const implementation = replaced?.[0];
  if (implementation?.kind !== 'IdentifierExpression') throw new Error(`${memberName} is neither a function nor Value.ReplaceType(…)`);
  return sectionMember(section, String((implementation.identifier as PqNode).literal)).value;
}

function text(node: PqNode | undefined): string | undefined {
  return node ? textValue(node) : undefined;
}

describe('Ledgerfeed.pq', () => {
  it('parses as a section document without errors', async () => {
    expect(section.kind).toBe('Section');
    expect(String((section.name as PqNode).literal)).toBe('Ledgerfeed');
  });

  it('has no diagnostics from the Power Query language services', async () => {
    expect(await languageDiagnostics(CONNECTOR_SOURCE)).toEqual([]);
  });

  it('reports a broken copy, so a clean result means something', async () => {
    const broken = CONNECTOR_SOURCE.replace('if secure then', 'if secure thn');
    await expect(parseSection(broken)).rejects.toThrow(/does not parse/);
    const duplicated = `${CONNECTOR_SOURCE}\nSources = {};\n`;
    const messages = (await languageDiagnostics(duplicated)).map((d) => d.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining("Duplicate identifier 'Sources'")]));
  });

  it('carries an x.y.z version', () => {
    expect(text(sectionAttributes(section).get('Version'))).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('publishes Ledgerfeed.Contents as the Ledgerfeed data source, shown in Get Data as a beta', () => {
    const contents = sectionMember(section, 'Ledgerfeed.Contents');
    expect(contents.shared).toBe(true);
    expect(text(contents.attributes.get('DataSource.Kind'))).toBe('Ledgerfeed');
    expect(text(contents.attributes.get('Publish'))).toBe('Ledgerfeed.Publish');

    const publish = recordFields(sectionMember(section, 'Ledgerfeed.Publish').value);
    expect(publish.get('Beta')?.literal).toBe('true');
    const buttonText = publish.get('ButtonText');
    expect(buttonText && invocations(buttonText, 'Extension.LoadString')).toHaveLength(2);
    expect(publish.has('SourceImage') && publish.has('SourceTypeImage')).toBe(true);
  });

  it('takes the workspace address as text and an optional options record', () => {
    expect(parameters(implementationOf('Ledgerfeed.Contents'))).toEqual([
      { name: 'url', optional: false, type: 'text' },
      { name: 'options', optional: true, type: 'record' },
    ]);
  });

  it('documents Ledgerfeed.Contents with a name, a long description and examples that parse', async () => {
    const [, documentedType] = invocations(sectionMember(section, 'Ledgerfeed.Contents').value, 'Value.ReplaceType')[0] ?? [];
    const typeName = String((documentedType?.identifier as PqNode | undefined)?.literal);
    const [documentation] = recordsWithFields(sectionMember(section, typeName).value, [
      'Documentation.Name',
      'Documentation.LongDescription',
      'Documentation.Examples',
    ]);
    expect(documentation).toBeDefined();
    const examples = recordsWithFields(documentation!.get('Documentation.Examples')!, ['Description', 'Code', 'Result']);
    expect(examples.length).toBeGreaterThanOrEqual(1);
    for (const example of examples) {
      const code = text(example.get('Code'));
      expect(code).toMatch(/^Ledgerfeed\.Contents\("https:\/\//);
      const parsed = await PQP.TaskUtils.tryLexParse(PQP.DefaultSettings, code!);
      expect(PQP.TaskUtils.isParseStageOk(parsed)).toBe(true);
    }
  });

  it('lets the gateway test a connection by calling Ledgerfeed.Contents with the data source path', () => {
    const testConnection = recordFields(sectionMember(section, 'Ledgerfeed').value).get('TestConnection');
    expect(testConnection?.kind).toBe('FunctionExpression');
    const [path] = parameters(testConnection!);
    const list = descendants(testConnection!).find((n) => n.kind === 'ListExpression');
    expect(list && textLiterals(list)).toEqual(['Ledgerfeed.Contents']);
    expect(references(list!, path!.name)).toHaveLength(1);
  });

  it('accepts an API key, or a user name with the API key as password', () => {
    const authentication = recordFields(sectionMember(section, 'Ledgerfeed').value).get('Authentication');
    expect([...recordFields(authentication!).keys()].sort()).toEqual(['Key', 'UsernamePassword']);
    // Power Query applies UsernamePassword itself; the Key must become an Authorization header.
    const headers = sectionMember(section, 'CredentialHeaders').value;
    expect(invocations(headers, 'Extension.CurrentCredential')).toHaveLength(1);
    expect(textLiterals(headers)).toEqual(expect.arrayContaining(['Key', 'Bearer ']));
  });

  it('checks the address before any request: HTTPS, or plain HTTP only to this computer', () => {
    const validate = sectionMember(section, 'ValidateUrlScheme').value;
    expect(parameters(validate)).toEqual([{ name: 'url', optional: false, type: 'text' }]);
    expect(invocations(validate, 'Uri.Parts')).toHaveLength(1);
    expect(textLiterals(validate)).toEqual(expect.arrayContaining(['https', 'http']));
    expect(loadedStringNames(validate)).toEqual(['ErrorHttpsRequired']);
    expect(textLiterals(sectionMember(section, 'IsLoopbackHost').value)).toEqual(expect.arrayContaining(['localhost', '127', '::1']));

    // Every use of the address in the data source function goes through ValidateUrlScheme first.
    const implementation = implementationOf('Ledgerfeed.Contents');
    const [url] = parameters(implementation);
    const uses = references(implementation, url!.name);
    const validated = invocations(implementation, 'ValidateUrlScheme').flat();
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(validated).toContain(use);
  });

  it('builds the navigation from each feed\'s service document, with no table names written in', () => {
    const literals = textLiterals(section);
    for (const name of ENTITY_SET_NAMES) expect(literals).not.toContain(name);

    // The folders: one per source, named for people, at the feed paths the server serves.
    const sources = sectionMember(section, 'Sources').value;
    const rows = descendants(sources).filter((n) => n.kind === 'ListExpression' && textLiterals(n).length === 2 && descendants(n).length < 20);
    expect(rows.map(textLiterals)).toEqual([
      ['Exact Online', 'exactonline'],
      ['Twinfield', 'twinfield'],
    ]);

    // The tables: the service document's `value` entries of kind EntitySet, each read from its own `url`.
    const serviceDocument = sectionMember(section, 'ServiceDocument').value;
    expect(invocations(serviceDocument, 'Web.Contents')).toHaveLength(1);
    expect(invocations(serviceDocument, 'Json.Document')).toHaveLength(1);
    const selected = descendants(serviceDocument).filter((n) => n.kind === 'FieldSelector').map((n) => (n.content as PqNode).literal);
    expect(selected).toContain('value');
    const folder = sectionMember(section, 'FeedFolder').value;
    expect(textLiterals(folder)).toContain('EntitySet');
    const [feedCall] = invocations(folder, 'OData.Feed');
    expect(feedCall && invocations(feedCall[0]!, 'Uri.Combine')).toHaveLength(1);
    const urlField = descendants(feedCall![0]!).filter((n) => n.kind === 'FieldSelector').map((n) => (n.content as PqNode).literal);
    expect(urlField).toContain('url');

    // Both levels are navigation tables with the standard columns: folders of sources, tables as leaves.
    const [navigationColumns] = invocations(section, 'Table.ToNavigationTable');
    expect(navigationColumns?.slice(2).map(text)).toEqual(['Name', 'Data', 'ItemKind', 'ItemName', 'IsLeaf']);
    const levels = invocations(section, 'ToNavigation').map((args) => [text(args[1]), args[2]?.literal]);
    expect(levels).toEqual([
      ['Folder', 'false'],
      ['Table', 'true'],
    ]);
  });

  it('reads every table with OData.Feed, Implementation 2.0, OData v4 and a timeout above the 10-minute default', () => {
    const [options] = recordsWithFields(section, ['Implementation', 'ODataVersion', 'Timeout']);
    expect(text(options?.get('Implementation'))).toBe('2.0');
    expect(numberValue(options!.get('ODataVersion')!)).toBe(4);
    const [duration] = descendants(sectionMember(section, 'DefaultTimeout').value)
      .filter((n) => n.kind === 'InvokeExpression')
      .map((n) => descendants(n).map(numberValue).filter((v): v is number => v !== undefined));
    const [days = 0, hours = 0, minutes = 0, seconds = 0] = duration ?? [];
    expect(((days * 24 + hours) * 60 + minutes) * 60 + seconds).toBeGreaterThan(600);
    const feedCalls = invocations(section, 'OData.Feed');
    expect(feedCalls.length).toBeGreaterThan(0);
    for (const args of feedCalls) {
      const fields = descendants(args[2]!).filter((n) => n.kind === 'FieldSelector').map((n) => (n.content as PqNode).literal);
      expect(fields).toContain('ODataOptions');
    }
  });

  it('loads every string it shows from resources.resx, which is valid XML', () => {
    expect(XMLValidator.validate(CONNECTOR_RESOURCES)).toBe(true);
    const strings = resourceStrings();
    const loaded = loadedStringNames(section);
    expect(loaded.length).toBeGreaterThan(10);
    expect(loaded.filter((name) => !strings.has(name))).toEqual([]);
    for (const name of loaded) expect(strings.get(name)?.trim()).not.toBe('');
  });

  it('writes placeholders as #{n}, the form Text.Format fills, and passes each one a value', () => {
    const strings = resourceStrings();
    for (const [name, value] of strings) {
      expect({ name, bare: /(^|[^#])\{\d+\}/.test(value) }).toEqual({ name, bare: false });
    }
    for (const args of invocations(section, 'Text.Format')) {
      const [format, values] = args;
      const [key] = loadedStringNames(format!);
      const placeholders = new Set([...(strings.get(key!) ?? '').matchAll(/#\{(\d+)\}/g)].map((m) => Number(m[1])));
      const given = values?.kind === 'ListExpression' ? ((values.content as PqNode).elements as unknown[]).length : 0;
      expect({ key, placeholders: placeholders.size }).toEqual({ key, placeholders: given });
    }
  });

  it('declares the icon sizes the .mez ships', () => {
    const icons = sectionMember(section, 'Ledgerfeed.Icons').value;
    const declared = invocations(icons, 'IconFiles').flatMap(([sizes]) => descendants(sizes!).map(numberValue).filter((v) => v !== undefined));
    expect([...new Set(declared)].sort((a, b) => a! - b!)).toEqual([...ICON_SIZES]);
    expect(textLiterals(sectionMember(section, 'IconFiles').value)).toEqual(['Ledgerfeed', '.png']);
  });
});
