// Contract of /webservices/session.asmx, the legacy password logon: one session per user (a second logon ends
// the first, fault 168), OAuth-only organisations, SelectCompany, Abandon.
import { asmxEnvelope, columnsRequest, type Harness, login, parseXml, postSoap, processXmlString, soapFault, startSimulator, TWINFIELD } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(() => h.close());

const SESSION = '/webservices/session.asmx';

async function logon(user: string, password: string, organisation: string) {
  const body = `<Logon xmlns="${TWINFIELD}"><user>${user}</user><password>${password}</password><organisation>${organisation}</organisation></Logon>`;
  const response = await postSoap(h, SESSION, `${TWINFIELD}Logon`, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${body}</soap:Body></soap:Envelope>`);
  expect(response.status).toBe(200);
  const envelope = parseXml(response.text).Envelope;
  return { result: envelope.Body.LogonResponse, sessionId: envelope.Header?.Header?.SessionID as string | undefined };
}

const soapBodyOf = (response: { text: string }) => parseXml(response.text).Envelope.Body;
const listOffices = (sessionId: string) => processXmlString(h, { sessionId }, '<list><type>offices</type></list>');

describe('Logon', () => {
  it('answers Ok with a SessionID header and the cluster to call', async () => {
    const { result, sessionId } = await logon('demo', 'demo', 'SANDBOX');
    expect(result).toMatchObject({ LogonResult: 'Ok', nextAction: 'None', cluster: h.base });
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const offices = await listOffices(sessionId!);
    expect(offices.result.offices.office).toHaveLength(8);
  });

  it('answers Invalid, without a session, for a wrong password', async () => {
    const { result, sessionId } = await logon('demo', 'wrong', 'SANDBOX');
    expect(result.LogonResult).toBe('Invalid');
    expect(sessionId).toBeUndefined();
  });

  it('answers OAuth2AuthenticationRequired for an organisation that requires OAuth', async () => {
    const { result, sessionId } = await logon('demo', 'demo', 'OAUTHONLY');
    expect(result.LogonResult).toBe('OAuth2AuthenticationRequired');
    expect(result.cluster).toBeUndefined();
    expect(sessionId).toBeUndefined();
  });

  it('keeps one session per user: a second logon ends the first, whose next call faults 168', async () => {
    const first = (await logon('demo', 'demo', 'SANDBOX')).sessionId!;
    expect((await listOffices(first)).response.status).toBe(200);
    const second = (await logon('demo', 'demo', 'SANDBOX')).sessionId!;
    const takenOver = await listOffices(first);
    expect(takenOver.response.status).toBe(500);
    expect(soapFault(takenOver.response)).toMatchObject({ code: '168', source: 'ProcessXmlString' });
    expect((await listOffices(second)).response.status).toBe(200);
  });

  it('does not let an OAuth login end a password session', async () => {
    const session = (await logon('demo', 'demo', 'SANDBOX')).sessionId!;
    await login(h);
    expect((await listOffices(session)).response.status).toBe(200);
  });
});

describe('a session at work', () => {
  it('browses the session company, and another after SelectCompany', async () => {
    const sessionId = (await logon('demo', 'demo', 'SANDBOX')).sessionId!;
    const request = columnsRequest('030_3', [{ field: 'fin.trs.head.yearperiod', operator: 'equal', from: '2025/01' }, { field: 'fin.trs.head.office' }]);
    const before = await processXmlString(h, { sessionId }, request);
    expect(before.result.browse.tr[0].key.office).toBe('NLA310101');

    const select = await postSoap(h, SESSION, `${TWINFIELD}SelectCompany`, asmxEnvelope({ sessionId }, `<SelectCompany xmlns="${TWINFIELD}"><company>NLA310106</company></SelectCompany>`));
    expect(soapBodyOf(select).SelectCompanyResponse.SelectCompanyResult).toBe('Ok');
    const after = await processXmlString(h, { sessionId }, request);
    expect(after.result.browse.tr[0].key.office).toBe('NLA310106');

    const unknown = await postSoap(h, SESSION, `${TWINFIELD}SelectCompany`, asmxEnvelope({ sessionId }, `<SelectCompany xmlns="${TWINFIELD}"><company>NOPE</company></SelectCompany>`));
    expect(soapBodyOf(unknown).SelectCompanyResponse.SelectCompanyResult).toBe('Invalid');
  });

  it('ends the session on Abandon; its next call faults 103 with HTTP 401', async () => {
    const sessionId = (await logon('demo', 'demo', 'SANDBOX')).sessionId!;
    const abandon = await postSoap(h, SESSION, `${TWINFIELD}Abandon`, asmxEnvelope({ sessionId }, `<Abandon xmlns="${TWINFIELD}"/>`));
    expect(abandon.status).toBe(200);
    const after = await listOffices(sessionId);
    expect(after.response.status).toBe(401);
    expect(soapFault(after.response).code).toBe('103');
  });

  it('faults 103 for a session id it never issued', async () => {
    const after = await listOffices('00000000-0000-0000-0000-000000000000');
    expect(after.response.status).toBe(401);
    expect(soapFault(after.response).code).toBe('103');
  });
});
