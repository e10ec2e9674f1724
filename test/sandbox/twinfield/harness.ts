// Test harness for the Twinfield simulator contract tests: a real HTTP server on 127.0.0.1:0 with the simulator
// mounted where Ledgerfeed mounts it, the OAuth login done as a browser would, and hand-written SOAP envelopes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { XMLParser } from 'fast-xml-parser';
import { AdjustableClock } from '../../../server/src/clock';
import { createTwinfieldSimulator, TWINFIELD_SANDBOX, type TwinfieldSimulator, type TwinfieldSimulatorOptions } from '../../../server/src/sandbox/twinfield';

export const TWINFIELD = 'http://www.twinfield.com/';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface Harness {
  /** The simulator's base: …/sandbox/twinfield (the cluster URL). */
  base: string;
  sim: TwinfieldSimulator;
  clock: AdjustableClock;
  close(): Promise<void>;
}

/** Where a simulator answers: the request helpers need no more, so they also drive one started elsewhere. */
export type Simulator = Pick<Harness, 'base'>;

/** The tests' "now": after every demo booking, so "modified since now" finds only simulated changes. */
export const TEST_START = Date.UTC(2027, 0, 15, 12, 0, 0);

/**
 * Starts the simulator on a clock that stands still at {@link TEST_START} and moves only when told (POST
 * /_clock), so token expiry and fair-use windows never depend on how fast the machine is.
 */
export async function startSimulator(options: Partial<TwinfieldSimulatorOptions> = {}): Promise<Harness> {
  const clock = options.clock instanceof AdjustableClock ? options.clock : new AdjustableClock({ now: () => TEST_START });
  const sim = createTwinfieldSimulator({ seed: 'contract', rows: 400, latencyMs: 0, minuteMs: 60_000, ...options, clock: options.clock ?? clock });
  const app = express();
  app.use('/sandbox/twinfield', sim.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/sandbox/twinfield`,
    sim,
    clock,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// ----------------------------------------------------------------------------------------------- OAuth

export interface AuthorizeQuery {
  client_id?: string;
  redirect_uri?: string;
  response_type?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

export function authorizeUrl(h: Simulator, query: AuthorizeQuery = {}): string {
  const params = new URLSearchParams({
    client_id: TWINFIELD_SANDBOX.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: TWINFIELD_SANDBOX.scope,
    state: 'state-123',
    nonce: 'nonce-456',
  });
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) params.delete(k);
    else params.set(k, v);
  }
  return `${h.base}/auth/authentication/connect/authorize?${params}`;
}

/** The hidden and visible inputs of the login form, as a browser would post them. */
export function formFields(html: string): URLSearchParams {
  const fields = new URLSearchParams();
  for (const [input] of html.matchAll(/<input\b[^>]*>/g)) {
    const attributes = Object.fromEntries([...input.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!attributes.name) continue;
    const value = (attributes.value ?? '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    fields.set(attributes.name, value);
  }
  return fields;
}

/** Opens the login form and submits it; resolves to the redirect (Location) the browser would follow. */
export async function submitLogin(
  h: Simulator,
  query: AuthorizeQuery = {},
  form: { username?: string; password?: string; organisation?: string; action?: 'login' | 'cancel' } = {},
): Promise<Response> {
  const page = await fetch(authorizeUrl(h, query));
  const fields = formFields(await page.text());
  fields.set('username', form.username ?? 'demo');
  fields.set('password', form.password ?? 'demo');
  if (form.organisation !== undefined) fields.set('organisation', form.organisation);
  fields.set('action', form.action ?? 'login');
  return fetch(authorizeUrl(h, query), { method: 'POST', body: fields, redirect: 'manual' });
}

export const basicAuth = (id: string = TWINFIELD_SANDBOX.clientId, secret: string = TWINFIELD_SANDBOX.clientSecret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A response body as JSON, untyped (the tests assert its shape). */
export const json = (response: Response): Promise<any> => response.json();

export async function tokenRequest(h: Simulator, form: Record<string, string>, authorization = basicAuth()): Promise<Response> {
  return fetch(`${h.base}/auth/authentication/connect/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  token_type: string;
}

/** The whole code grant: login form, code, token. */
export async function login(h: Simulator, query: AuthorizeQuery = {}, organisation?: string): Promise<Tokens> {
  const redirect = await submitLogin(h, query, { organisation });
  const location = new URL(redirect.headers.get('location') ?? '');
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`login failed: ${location}`);
  const response = await tokenRequest(h, { grant_type: 'authorization_code', code, redirect_uri: query.redirect_uri ?? REDIRECT_URI });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

// ----------------------------------------------------------------------------------------------- SOAP

export interface HeaderFields {
  accessToken?: string;
  sessionId?: string;
  /** `''` writes an empty `<CompanyCode/>`; undefined leaves it out. */
  companyCode?: string;
  companyId?: string;
}

export function soapHeader(fields: HeaderFields): string {
  const parts = [
    fields.sessionId !== undefined ? `<SessionID>${escapeXml(fields.sessionId)}</SessionID>` : '',
    fields.accessToken !== undefined ? `<AccessToken>${escapeXml(fields.accessToken)}</AccessToken>` : '',
    fields.companyCode !== undefined ? (fields.companyCode === '' ? '<CompanyCode/>' : `<CompanyCode>${escapeXml(fields.companyCode)}</CompanyCode>`) : '',
    fields.companyId !== undefined ? `<CompanyId>${escapeXml(fields.companyId)}</CompanyId>` : '',
  ];
  return `<soap:Header><Header xmlns="${TWINFIELD}">${parts.join('')}</Header></soap:Header>`;
}

export function asmxEnvelope(header: HeaderFields, body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${soapHeader(header)}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export interface SoapResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function postSoap(h: Simulator, path: string, action: string, envelope: string, contentType = 'text/xml; charset=utf-8'): Promise<SoapResponse> {
  const response = await fetch(`${h.base}${path}`, { method: 'POST', headers: { 'content-type': contentType, soapaction: `"${action}"` }, body: envelope });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Elements that repeat, by their parent: always parsed as lists. */
const LISTS = ['browse.tr', 'tr.td', 'th.td', 'offices.office', 'dimensions.dimension', 'Items.ArrayOfString', 'ArrayOfString.string', 'Columns.string', 'Parameters.string', 'DeletedTransactions.DeletedTransaction', 'columns.column'];
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (_name, jPath) => LISTS.some((path) => String(jPath).endsWith(path)),
});

/** Parses XML strictly (throws when it is not well-formed). */
export function parseXml(xml: string): Record<string, any> {
  return parser.parse(xml, true) as Record<string, any>;
}

export function soapBody(response: SoapResponse): Record<string, any> {
  return parseXml(response.text).Envelope.Body;
}

export interface SoapFaultInfo {
  faultcode: string;
  faultstring: string;
  message: string;
  code: string;
  source: string;
}

export function soapFault(response: SoapResponse): SoapFaultInfo {
  const fault = soapBody(response).Fault;
  return { faultcode: fault.faultcode, faultstring: fault.faultstring, message: fault.detail?.message, code: fault.detail?.code, source: fault.detail?.source };
}

/** ProcessXmlString with the request entity-escaped (or in CDATA); the result document parsed. */
export async function processXmlString(h: Simulator, header: HeaderFields, xmlRequest: string, cdata = false): Promise<{ response: SoapResponse; result: Record<string, any> }> {
  const payload = cdata ? `<![CDATA[${xmlRequest}]]>` : escapeXml(xmlRequest);
  const response = await postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}ProcessXmlString`, asmxEnvelope(header, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${payload}</xmlRequest></ProcessXmlString>`));
  if (response.status !== 200) return { response, result: {} };
  const text: string = soapBody(response).ProcessXmlStringResponse.ProcessXmlStringResult;
  return { response, result: parseXml(text) };
}

/** ProcessXmlDocument with the request as XML; the result element parsed. */
export async function processXmlDocument(h: Simulator, header: HeaderFields, xmlRequest: string): Promise<{ response: SoapResponse; result: Record<string, any> }> {
  const response = await postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}ProcessXmlDocument`, asmxEnvelope(header, `<ProcessXmlDocument xmlns="${TWINFIELD}"><xmlRequest>${xmlRequest}</xmlRequest></ProcessXmlDocument>`));
  if (response.status !== 200) return { response, result: {} };
  return { response, result: soapBody(response).ProcessXmlDocumentResponse.ProcessXmlDocumentResult };
}

export interface ColumnSpec {
  field: string;
  visible?: boolean;
  operator?: 'none' | 'equal' | 'between' | 'like';
  from?: string;
  to?: string;
}

export function columnsRequest(code: string, columns: ColumnSpec[], options: { optimize?: boolean; sort?: { field: string; order?: string }[] } = {}): string {
  const sort = options.sort ? `<sort>${options.sort.map((s) => `<field order="${s.order ?? 'ascending'}">${s.field}</field>`).join('')}</sort>` : '';
  const cols = columns
    .map((c) => {
      const criteria = c.operator ? `<ask>true</ask><operator>${c.operator}</operator><from>${escapeXml(c.from ?? '')}</from><to>${escapeXml(c.to ?? '')}</to>` : '';
      return `<column><field>${c.field}</field><visible>${c.visible ?? true}</visible>${criteria}</column>`;
    })
    .join('');
  return `<columns code="${code}"${options.optimize ? ' optimize="true"' : ''}>${sort}${cols}</columns>`;
}

export interface BrowseRow {
  cells: Record<string, string>;
  key?: { office: string; code: string; number: string; line: string };
}

/** Rows of a `<browse>` result as field → text (from the cells' field attributes, or `<th>` order when optimized). */
export function browseRows(browse: Record<string, any>): BrowseRow[] {
  const header: string[] = (browse.th?.td ?? []).map((td: any) => td['#text']);
  return (browse.tr ?? []).map((tr: any) => {
    const cells: Record<string, string> = {};
    (tr.td ?? []).forEach((td: any, i: number) => {
      const field = typeof td === 'object' ? (td['@_field'] ?? header[i]) : header[i];
      cells[field] = typeof td === 'object' ? (td['#text'] ?? '') : td;
    });
    return { cells, key: tr.key };
  });
}

/** Cents from a Twinfield value text (`-121.00`). */
export function cents(value: string): number {
  const negative = value.startsWith('-');
  const [whole, fraction = ''] = value.replace('-', '').split('.');
  const abs = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return negative ? -abs : abs;
}

// ----------------------------------------------------------------------------------------------- controls

/** Calls a sandbox control (`/_stats`, `/_simulate`, …); a body makes it a JSON POST. */
export async function control(h: Simulator, path: string, body?: unknown, method?: 'GET' | 'POST'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${h.base}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

export async function advanceClock(h: Simulator, advanceMs: number): Promise<void> {
  const { status } = await control(h, '/_clock', { advanceMs });
  if (status !== 200) throw new Error(`the clock did not move (${status})`);
}
