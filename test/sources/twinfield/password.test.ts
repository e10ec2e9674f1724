// The deprecated user name + password login: a connection created after a successful Logon with its password
// encrypted, every call of the user's one session in turn, a session another logon ended (168) logged on again
// once, and organisations that require OAuth refused with a message that says what to do.
import { LoginNeedsReauthorization } from '../../../server/src/sources/tokens';
import { OAUTH_REQUIRED_MESSAGE, TwinfieldLogonRefused, twinfieldTable } from '../../../server/src/sources/twinfield';
import { collect, connect, fetchContext, resetStats, startHarness, stats, type Harness } from './harness';

const projects = twinfieldTable('Projects')!;
const TWINFIELD = 'http://www.twinfield.com/';

/** A Logon by another program with the same user: Twinfield keeps one session per user. */
async function logonElsewhere(h: Harness): Promise<string> {
  const envelope = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Logon xmlns="${TWINFIELD}"><user>demo</user><password>demo</password><organisation>SANDBOX</organisation></Logon></soap:Body></soap:Envelope>`;
  const response = await fetch(`${h.base}/webservices/session.asmx`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TWINFIELD}Logon"` }, body: envelope });
  const text = await response.text();
  const id = /<SessionID>([^<]+)<\/SessionID>/.exec(text)?.[1];
  if (!id) throw new Error(`logon elsewhere failed: ${text}`);
  return id;
}

/** Whether a session still works (a KeepAlive answered without fault). */
async function sessionAlive(h: Harness, sessionId: string): Promise<boolean> {
  const envelope = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><Header xmlns="${TWINFIELD}"><SessionID>${sessionId}</SessionID></Header></soap:Header><soap:Body><KeepAlive xmlns="${TWINFIELD}"/></soap:Body></soap:Envelope>`;
  const response = await fetch(`${h.base}/webservices/session.asmx`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TWINFIELD}KeepAlive"` }, body: envelope });
  await response.text();
  return response.status === 200;
}

describe('Twinfield password login (deprecated)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ simulator: { latencyMs: 5 } });
  });
  afterEach(async () => {
    await h.close();
  });

  const create = (organisation = 'SANDBOX', password = 'demo') =>
    h.source.passwordConnections.create({ workspaceId: h.workspaceId, user: 'demo', password, organisation, connectedBy: h.userId });

  it('creates a password connection after a successful logon, with its offices and the password encrypted', async () => {
    const connection = await create();
    expect(connection).toMatchObject({ authKind: 'password', externalKey: 'SANDBOX', status: 'ok' });
    expect(connection.extra).toMatchObject({ userName: 'demo', clusterUrl: h.base });
    expect(h.connections.administrations(h.workspaceId, { connectionId: connection.id })).toHaveLength(8);
    const row = h.db.prepare('SELECT password_enc, access_token_enc, refresh_token_enc FROM connections WHERE id = ?').get(connection.id) as Record<string, string | null>;
    expect(row.password_enc).toMatch(/^v1:/);
    expect(h.vault.decrypt(row.password_enc!, `connection:${connection.id}:password`)).toBe('demo');
    expect(row.access_token_enc).toBeNull();
    expect(h.logs.join('\n')).not.toMatch(/<password>|"password"/);
  });

  it('runs the calls of one session one at a time, however many offices ask at once', async () => {
    const connection = await create();
    const admins = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await resetStats(h);
    const pages = await Promise.all(admins.map((admin) => collect(h.source.connector.snapshot(projects, fetchContext(admin)))));
    expect(pages.every((p) => p.flat().length > 0)).toBe(true);
    const after = await stats(h);
    expect(after.maxInFlight).toBe(1);
    // Per office two Finder calls, each preceded by SelectCompany when the session was last in another office.
    expect(after.requests).toBeGreaterThanOrEqual(admins.length * 3);
    expect(after.requests).toBeLessThanOrEqual(admins.length * 4);
  });

  it('logs on again once when another logon of the same user ended the session (168), and the call succeeds', async () => {
    const connection = await create();
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await collect(h.source.connector.snapshot(projects, fetchContext(admin)));
    const elsewhere = await logonElsewhere(h);
    const rows = (await collect(h.source.connector.snapshot(projects, fetchContext(admin)))).flat();
    expect(rows.length).toBeGreaterThan(0);
    // Our new logon in turn ended the other program's session.
    expect(await sessionAlive(h, elsewhere)).toBe(false);
  });

  it('logs on again once when the session expired (103), and the call succeeds', async () => {
    const connection = await create();
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    await collect(h.source.connector.snapshot(projects, fetchContext(admin)));
    const ours = h.source.clients.sessions.slot(h.base, 'SANDBOX', 'demo').sessionId!;
    // The session ends at Twinfield (as after its idle timeout): every later call with it answers fault 103.
    const envelope = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><Header xmlns="${TWINFIELD}"><SessionID>${ours}</SessionID></Header></soap:Header><soap:Body><Abandon xmlns="${TWINFIELD}"/></soap:Body></soap:Envelope>`;
    const abandoned = await fetch(`${h.base}/webservices/session.asmx`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TWINFIELD}Abandon"` }, body: envelope });
    expect(abandoned.status).toBe(200);
    expect(await sessionAlive(h, ours)).toBe(false);
    await resetStats(h);
    const rows = (await collect(h.source.connector.snapshot(projects, fetchContext(admin)))).flat();
    expect(rows.length).toBeGreaterThan(0);
    const renewed = h.source.clients.sessions.slot(h.base, 'SANDBOX', 'demo').sessionId!;
    expect(renewed).not.toBe(ours);
    expect(await sessionAlive(h, renewed)).toBe(true);
    expect(h.connections.byId(connection.id)).toMatchObject({ status: 'ok' });
  });

  it('does not try a password Twinfield refused again: the login needs re-authorization', async () => {
    const connection = await create();
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: connection.id });
    // The password changed at Twinfield; the session we had is gone.
    h.source.clients.sessions.slot(h.base, 'SANDBOX', 'demo').sessionId = undefined;
    h.db.prepare('UPDATE connections SET password_enc = ? WHERE id = ?').run(h.vault.encrypt('changed-elsewhere', `connection:${connection.id}:password`), connection.id);
    await expect(collect(h.source.connector.snapshot(projects, fetchContext(admin)))).rejects.toBeInstanceOf(LoginNeedsReauthorization);
    expect(h.connections.byId(connection.id)).toMatchObject({ status: 'needs_reauth', statusReason: expect.stringContaining('user name, password or organisation is wrong') });
    await resetStats(h);
    await expect(collect(h.source.connector.snapshot(projects, fetchContext(admin)))).rejects.toBeInstanceOf(LoginNeedsReauthorization);
    expect((await stats(h)).requests).toBe(0);
  });

  it('refuses an organisation that requires OAuth, saying to connect from the workspace page', async () => {
    const error = await create('OAUTHONLY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwinfieldLogonRefused);
    expect((error as Error).message).toContain(OAUTH_REQUIRED_MESSAGE);
    expect((error as Error).message).toContain('this organisation requires OAuth: connect Twinfield from the workspace page');
    expect(h.connections.inWorkspace(h.workspaceId, 'twinfield')).toHaveLength(0);
  });

  it('refuses a wrong password without storing anything', async () => {
    const error = await create('SANDBOX', 'wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwinfieldLogonRefused);
    expect((error as TwinfieldLogonRefused).logonResult).toBe('Invalid');
    expect(h.connections.inWorkspace(h.workspaceId, 'twinfield')).toHaveLength(0);
  });

  it('turns into an OAuth connection, forgetting the password, when the organisation is connected with OAuth', async () => {
    const password = await create();
    const oauth = await connect(h);
    expect(oauth.id).toBe(password.id);
    expect(oauth.authKind).toBe('oauth');
    const row = h.db.prepare('SELECT password_enc FROM connections WHERE id = ?').get(oauth.id) as { password_enc: string | null };
    expect(row.password_enc).toBeNull();
    const [admin] = h.connections.administrations(h.workspaceId, { connectionId: oauth.id });
    await expect(collect(h.source.connector.snapshot(projects, fetchContext(admin)))).resolves.toHaveLength(1);
  });
});
