// Reads the connector's section document with Microsoft's Power Query parser and language services, and walks its AST.
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { join } from 'node:path';
import * as PQP from '@microsoft/powerquery-parser';
import { NoOpTraceManagerInstance } from '@microsoft/powerquery-parser/lib/powerquery-parser/common/trace';
import { ParseBehavior } from '@microsoft/powerquery-parser/lib/powerquery-parser/parser/parseBehavior';
import * as PQLS from '@microsoft/powerquery-language-services';
import type { Diagnostic } from 'vscode-languageserver-types';
import { CONNECTOR_DIR } from '../../connector/build-mez';

/** Any AST node, seen structurally: the parser's own types are too fine-grained for a walker that looks for patterns. */
export interface PqNode {
  readonly kind: string;
  readonly [property: string]: unknown;
}

export const CONNECTOR_SOURCE = readFileSync(join(CONNECTOR_DIR, 'Ledgerfeed.pq'), 'utf8');
export const CONNECTOR_RESOURCES = readFileSync(join(CONNECTOR_DIR, 'resources.resx'), 'utf8');

/** The strings of resources.resx by name, as Extension.LoadString finds them. */
export function resourceStrings(resx: string = CONNECTOR_RESOURCES): Map<string, string> {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (tag) => tag === 'data' });
  const document = parser.parse(resx) as { root: { data: Array<{ '@_name': string; value: string }> } };
  return new Map(document.root.data.map((entry) => [entry['@_name'], String(entry.value)]));
}

const SECTION_SETTINGS: PQP.Settings = { ...PQP.DefaultSettings, parseBehavior: ParseBehavior.ParseSection };

/** Parses text as a section document; resolves to the Section node, or rejects with the parser's message. */
export async function parseSection(text: string): Promise<PqNode> {
  const task = await PQP.TaskUtils.tryLexParse(SECTION_SETTINGS, text);
  if (PQP.TaskUtils.isError(task)) throw new Error(`Ledgerfeed.pq does not parse: ${task.error.message}`);
  PQP.TaskUtils.assertIsParseStageOk(task);
  return task.ast as unknown as PqNode;
}

/** Diagnostics of the language services (syntax, duplicate identifiers, invocations); the standard library is not loaded. */
export async function languageDiagnostics(text: string): Promise<Diagnostic[]> {
  const inspectionSettings: PQLS.InspectionSettings = {
    ...SECTION_SETTINGS,
    isWorkspaceCacheAllowed: false,
    library: PQLS.Library.NoOpLibrary,
    eachScopeById: undefined,
    typeStrategy: PQLS.TypeStrategy.Primitive,
  };
  const validationSettings: PQLS.ValidationSettings = {
    ...inspectionSettings,
    cancellationToken: undefined,
    checkForDuplicateIdentifiers: true,
    checkInvokeExpressions: true,
    // Off: without the standard library every Table.*, Text.* and OData.Feed would be "unknown".
    checkUnknownIdentifiers: false,
    source: 'ledgerfeed-test',
  };
  const analysisSettings: PQLS.AnalysisSettings = {
    inspectionSettings,
    isWorkspaceCacheAllowed: false,
    initialCorrelationId: undefined,
    traceManager: NoOpTraceManagerInstance,
  };
  const result = await PQLS.validate(PQLS.textDocument('file:///Ledgerfeed.pq', 1, text), analysisSettings, validationSettings);
  if (!PQP.ResultUtils.isOk(result)) throw new Error(`language services failed: ${result.error.message}`);
  return result.value?.diagnostics ?? [];
}

function isNode(value: unknown): value is PqNode {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function child(node: PqNode, property: string): PqNode {
  const value = node[property];
  if (!isNode(value)) throw new Error(`${node.kind} has no ${property}`);
  return value;
}

/** The node and every node below it, depth first. */
export function descendants(node: PqNode): PqNode[] {
  const found: PqNode[] = [node];
  for (const value of Object.values(node)) {
    const children = Array.isArray(value) ? value : [value];
    for (const item of children) if (isNode(item)) found.push(...descendants(item));
  }
  return found;
}

/** Elements of a wrapped, comma-separated list (arguments, record fields, parameters). */
function csvItems(wrapped: PqNode): PqNode[] {
  const elements = child(wrapped, 'content').elements;
  if (!Array.isArray(elements)) throw new Error(`${wrapped.kind} has no elements`);
  return elements.filter(isNode).map((csv) => child(csv, 'node'));
}

/** The value of an M text literal: quotes removed, doubled quotes undone. */
export function textValue(node: PqNode): string | undefined {
  if (node.kind !== 'LiteralExpression' || node.literalKind !== 'Text' || typeof node.literal !== 'string') return undefined;
  return node.literal.slice(1, -1).replace(/""/g, '"');
}

export function numberValue(node: PqNode): number | undefined {
  return node.kind === 'LiteralExpression' && node.literalKind === 'Numeric' ? Number(node.literal) : undefined;
}

export function textLiterals(node: PqNode): string[] {
  return descendants(node).flatMap((n) => textValue(n) ?? []);
}

export interface SectionMember {
  name: string;
  shared: boolean;
  /** Fields of the `[...]` attribute record before the member, e.g. DataSource.Kind. */
  attributes: Map<string, PqNode>;
  value: PqNode;
}

export function sectionMembers(section: PqNode): SectionMember[] {
  const members = child(section, 'sectionMembers').elements;
  if (!Array.isArray(members)) throw new Error('section has no members');
  return members.filter(isNode).map((member) => {
    const paired = child(member, 'namePairedExpression');
    const attributes = isNode(member.literalAttributes) ? recordFields(member.literalAttributes) : new Map<string, PqNode>();
    return {
      name: String(child(paired, 'key').literal),
      shared: member.sharedConstant !== undefined,
      attributes,
      value: child(paired, 'value'),
    };
  });
}

export function sectionMember(section: PqNode, name: string): SectionMember {
  const member = sectionMembers(section).find((m) => m.name === name);
  if (!member) throw new Error(`Ledgerfeed.pq has no member ${name}`);
  return member;
}

/** Attributes of the section itself: `[Version = "…"] section …;`. */
export function sectionAttributes(section: PqNode): Map<string, PqNode> {
  return isNode(section.literalAttributes) ? recordFields(section.literalAttributes) : new Map();
}

/** Fields of a record expression or record literal, by name. */
export function recordFields(record: PqNode): Map<string, PqNode> {
  if (record.kind !== 'RecordExpression' && record.kind !== 'RecordLiteral') throw new Error(`${record.kind} is not a record`);
  return new Map(csvItems(record).map((pair) => [String(child(pair, 'key').literal), child(pair, 'value')]));
}

/** Every record below `node` that has all the given field names. */
export function recordsWithFields(node: PqNode, names: string[]): Array<Map<string, PqNode>> {
  return descendants(node)
    .filter((n) => n.kind === 'RecordExpression' || n.kind === 'RecordLiteral')
    .map(recordFields)
    .filter((fields) => names.every((name) => fields.has(name)));
}

/** Argument lists of every call `functionName(…)` below `node`. */
export function invocations(node: PqNode, functionName: string): PqNode[][] {
  return descendants(node)
    .filter((n) => n.kind === 'RecursivePrimaryExpression')
    .filter((n) => {
      const head = child(n, 'head');
      return head.kind === 'IdentifierExpression' && child(head, 'identifier').literal === functionName;
    })
    .map((n) => {
      const first = (child(n, 'recursiveExpressions').elements as unknown[])[0];
      return isNode(first) && first.kind === 'InvokeExpression' ? csvItems(first) : undefined;
    })
    .filter((args): args is PqNode[] => args !== undefined);
}

/** Every `name` used as a value (not a declaration) below `node`. */
export function references(node: PqNode, name: string): PqNode[] {
  return descendants(node).filter((n) => n.kind === 'IdentifierExpression' && child(n, 'identifier').literal === name);
}

/** A function expression's parameters: name, whether optional, and the primitive type after `as` (nullable or not). */
export function parameters(fn: PqNode): Array<{ name: string; optional: boolean; type: string | undefined }> {
  if (fn.kind !== 'FunctionExpression') throw new Error(`${fn.kind} is not a function`);
  return csvItems(child(fn, 'parameters')).map((parameter) => {
    const declared = parameter.parameterType;
    const primitive = isNode(declared) ? descendants(declared).find((n) => n.kind === 'PrimitiveType') : undefined;
    return {
      name: String(child(parameter, 'name').literal),
      optional: parameter.optionalConstant !== undefined,
      type: primitive ? String(primitive.primitiveTypeKind) : undefined,
    };
  });
}

/** Keys of Extension.LoadString calls, in order of appearance. */
export function loadedStringNames(node: PqNode): string[] {
  return invocations(node, 'Extension.LoadString').map(([name]) => {
    const value = name && textValue(name);
    if (value === undefined) throw new Error('Extension.LoadString is called with something other than a text literal');
    return value;
  });
}
