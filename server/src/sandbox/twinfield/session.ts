// /webservices/session.asmx, the legacy password logon: Logon (one session per user — a second logon ends the
// first, whose next call fails with fault 168; an OAuth-only organisation answers OAuth2AuthenticationRequired),
// SelectCompany, KeepAlive and Abandon.
import { NS } from './soap';
import type { OperationReply, SoapOperation, SoapService } from './soapService';
import { childText } from './xmlRequest';

function operation(element: string, spec: Omit<SoapOperation, 'element' | 'soapAction' | 'credits'>): SoapOperation {
  // Nothing on session.asmx is a read: 3 credits each.
  return { element, soapAction: `${NS.twinfield}${element}`, credits: () => 3, ...spec };
}

const logon = operation('Logon', {
  anonymous: true,
  handle: (call): OperationReply => {
    const user = childText(call.body, 'user') ?? '';
    const password = childText(call.body, 'password') ?? '';
    const organisation = childText(call.body, 'organisation') ?? '';
    const { result, session } = call.context.identity.logon(user, password, organisation);
    return {
      header: session ? (w) => w.open('Header', { xmlns: NS.twinfield }).element('SessionID', session.id).close('Header') : undefined,
      body: (w) => {
        w.open('LogonResponse', { xmlns: NS.twinfield }).element('LogonResult', result).element('nextAction', 'None');
        if (session) w.element('cluster', call.clusterUrl);
        w.close('LogonResponse');
      },
    };
  },
});

const selectCompany = operation('SelectCompany', {
  administration: (call) => childText(call.body, 'company')?.trim(),
  handle: (call, principal): OperationReply => {
    const company = (childText(call.body, 'company') ?? '').trim().toUpperCase();
    const known = call.context.offices.has(company);
    if (known && principal?.session) principal.session.company = company;
    if (known && principal?.accessToken) principal.accessToken.selectedCompany = company;
    return { body: (w) => w.open('SelectCompanyResponse', { xmlns: NS.twinfield }).element('SelectCompanyResult', known ? 'Ok' : 'Invalid').close('SelectCompanyResponse') };
  },
});

const keepAlive = operation('KeepAlive', {
  handle: (): OperationReply => ({ body: (w) => w.element('KeepAliveResponse', null, { xmlns: NS.twinfield }) }),
});

const abandon = operation('Abandon', {
  handle: (call, principal): OperationReply => {
    if (principal?.session) call.context.identity.abandon(principal.session.id);
    return { body: (w) => w.element('AbandonResponse', null, { xmlns: NS.twinfield }) };
  },
});

export const sessionService: SoapService = {
  path: '/webservices/session.asmx',
  style: 'asmx',
  operations: [logon, selectCompany, keepAlive, abandon],
};
