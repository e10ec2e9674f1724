// Serves one SOAP endpoint of the simulated cluster. Every call goes through the same steps, in the order a
// real gateway and service apply them: count it, read the envelope, pick the operation by SOAPAction,
// fair-use admission (429), added latency, injected faults, authentication, then the operation itself.
import express, { type Request, type Response } from 'express';
import { sleep } from '../../clock';
import type { FaultInjector, SimulatorStats } from '../common/controls';
import { isAnswerFault, playFault, spoilAnswer } from '../common/controls';
import type { FairUse } from './fairUse';
import { API_SCOPES, type AccessTokenRecord, type IdentityStore, type Organisation, type SessionRecord } from './identity';
import { faults, TwinfieldFault } from './messages';
import { spoilTwinfieldAnswer } from './spoil';
import type { OfficeBooks } from './officeBooks';
import { protocolFaultEnvelope, readEnvelope, soapAction, type SoapHeader, type SoapRequest, type SoapStyle, twinfieldFaultEnvelope, writeEnvelope } from './soap';
import { InvalidXml, type XmlNode } from './xmlRequest';
import { XmlWriter } from './xmlWriter';

/** What the cluster knows; shared by every service. */
export interface ClusterContext {
  offices: Map<string, OfficeBooks>;
  officesById: Map<string, OfficeBooks>;
  identity: IdentityStore;
  fairUse: FairUse;
  stats: SimulatorStats;
  faults: FaultInjector;
  latencyMs: number;
}

/** The authenticated caller of an operation. */
export interface Principal {
  organisation: Organisation;
  clientId?: string;
  accessToken?: AccessTokenRecord;
  session?: SessionRecord;
}

export interface SoapCall {
  request: SoapRequest;
  header: SoapHeader;
  body: XmlNode;
  /** The service's own URL, for cluster links and faultactor. */
  clusterUrl: string;
  context: ClusterContext;
}

export interface OperationReply {
  /** Writes the element(s) inside the SOAP Body. */
  body: (writer: XmlWriter) => void;
  /** Writes SOAP header blocks (Logon's SessionID). */
  header?: (writer: XmlWriter) => void;
}

export interface SoapOperation {
  /** Local name of the request's body element. */
  element: string;
  soapAction: string;
  /** Credits of the call: 1 for a read, 3 for anything else. */
  credits: (call: SoapCall) => number;
  /** Logon is the only operation without a caller. */
  anonymous?: boolean;
  /** The office the call concerns, read before authentication (for statistics and injected faults). */
  administration?: (call: SoapCall) => string | undefined;
  handle: (call: SoapCall, principal: Principal | undefined) => OperationReply;
}

export interface SoapService {
  path: string;
  style: SoapStyle;
  operations: SoapOperation[];
}

/**
 * The company a call runs in: the header's CompanyCode, else its CompanyId, else the company chosen with
 * SelectCompany (the password session's current company). `undefined` means none was given (fault 101 where one is needed); an unknown code is
 * returned as is, for the operation to answer "no access" in its own way.
 */
export function companyOf(call: SoapCall, principal: Principal | undefined): string | undefined {
  const code = call.header.companyCode?.toUpperCase();
  if (code) return code;
  const id = call.header.companyId?.toLowerCase();
  if (id) return call.context.officesById.get(id)?.code ?? `{${id}}`;
  return principal?.session?.company ?? principal?.accessToken?.selectedCompany;
}

export function requireCompany(call: SoapCall, principal: Principal | undefined): string {
  const company = companyOf(call, principal);
  if (!company) throw faults.companyMissing();
  return company;
}

function authenticate(call: SoapCall): Principal {
  const { identity } = call.context;
  const { accessToken, sessionId } = call.header;
  if (accessToken) {
    const record = identity.accessToken(accessToken);
    if (!record || !identity.isValid(record)) throw faults.tokenInvalid();
    if (!API_SCOPES.every((scope) => record.scopes.includes(scope))) throw faults.accessDenied('Toegang geweigerd: het access token heeft de Twinfield-scopes niet.');
    return { organisation: record.organisation, clientId: record.clientId, accessToken: record };
  }
  if (sessionId) {
    const session = identity.session(sessionId);
    if (!session || session.status === 'ended') throw faults.credentialsNotValid();
    if (session.status === 'takenOver') throw faults.sessionTakenOver();
    return { organisation: session.organisation, session };
  }
  throw faults.tokenMissing();
}

const XML_TYPE = 'text/xml; charset=utf-8';

export function soapServiceRouter(service: SoapService, context: ClusterContext, clusterUrlOf: (req: Request) => string): express.Router {
  const router = express.Router();
  router.post(service.path, express.text({ type: () => true, limit: '20mb' }), (req, res) => {
    handleCall(service, context, clusterUrlOf(req), req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.status(500).type(XML_TYPE).send(protocolFaultEnvelope(service.style, `Server was unable to process request. ---> ${error instanceof Error ? error.message : String(error)}`, 'Server'));
      }
    });
  });
  return router;
}

async function handleCall(service: SoapService, context: ClusterContext, clusterUrl: string, req: Request, res: Response): Promise<void> {
  const { stats } = context;
  stats.requests++;
  const contentType = req.get('content-type') ?? '';
  if (!/^text\/xml\b/i.test(contentType)) {
    res.status(415).type('text/plain').send(`Cannot process the message because the content type '${contentType}' was not the expected type 'text/xml; charset=utf-8'.`);
    return;
  }

  let request: SoapRequest | undefined;
  let readError: string | undefined;
  try {
    request = readEnvelope(typeof req.body === 'string' ? req.body : '');
  } catch (error) {
    if (!(error instanceof InvalidXml)) throw error;
    readError = error.message;
  }
  const action = soapAction(req.get('soapaction'));
  const operation = service.operations.find((op) => op.soapAction === action);
  const call: SoapCall | undefined = request && { request, header: request.header, body: request.body, clusterUrl, context };

  const token = call?.header.accessToken ? context.identity.accessToken(call.header.accessToken) : undefined;
  const administration = call && operation?.administration ? knownOffice(context, operation.administration(call)) : undefined;
  if (administration) context.stats.administration(administration).requests++;

  const credits = call && operation ? operation.credits(call) : 3;
  const admission = context.fairUse.admit({ ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', clientId: token?.clientId, organisation: token?.organisation.code }, credits);
  if (!admission.admitted) {
    stats.rateLimited++;
    if (administration) stats.administration(administration).rateLimited++;
    res.status(429).set({ 'Retry-After': String(admission.retryAfterSeconds), 'X-RateLimit-Limit': String(admission.limit), 'X-RateLimit-Remaining': String(admission.remaining) });
    res.json({ statusCode: 429, message: admission.message });
    return;
  }
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stats.inFlight--;
    admission.release();
  };
  res.once('finish', end);
  res.once('close', end);
  res.set({ 'X-RateLimit-Limit': String(admission.limit), 'X-RateLimit-Remaining': String(admission.remaining) });

  if (context.latencyMs > 0) await sleep(context.latencyMs);

  // Faults may be aimed at one kind of call: they match against the service path, the SOAPAction and the envelope.
  const description = `${service.path} ${action} ${typeof req.body === 'string' ? req.body : ''}`;
  const fault = (administration ? context.faults.take(administration, description) : undefined) ?? context.faults.take('*', description);
  if (fault) {
    stats.faults++;
    if (administration) stats.administration(administration).faults++;
    if (!isAnswerFault(fault)) {
      playFault(fault, res, 'xml');
      return;
    }
    spoilAnswer(res, fault, spoilTwinfieldAnswer);
  }

  const actor = `${req.protocol}://${req.get('host')}${req.originalUrl}`;
  if (!call) {
    res.status(500).type(XML_TYPE).send(protocolFaultEnvelope(service.style, `Server was unable to read request. ---> ${readError}`));
    return;
  }
  if (!operation) {
    res.status(500).type(XML_TYPE).send(protocolFaultEnvelope(service.style, `Server did not recognize the value of HTTP Header SOAPAction: ${action}.`));
    return;
  }
  if (operation.element !== call.request.operation) {
    res.status(500).type(XML_TYPE).send(protocolFaultEnvelope(service.style, `Server did not recognize the request element <${call.request.operation}> for SOAPAction ${action}.`));
    return;
  }
  let reply: OperationReply;
  try {
    const principal = operation.anonymous ? undefined : authenticate(call);
    reply = operation.handle(call, principal);
  } catch (error) {
    if (!(error instanceof TwinfieldFault)) throw error;
    res.status(error.httpStatus).type(XML_TYPE).send(twinfieldFaultEnvelope(service.style, error, actor, operation.element));
    return;
  }
  // Operations decide everything in handle(); writing cannot fail on business grounds, so the answer streams.
  res.status(200).type(XML_TYPE);
  const writer = new XmlWriter((chunk) => res.write(chunk));
  try {
    writeEnvelope(writer, service.style, reply.body, reply.header);
    writer.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  res.end();
}

/** Only the eight offices get statistics and faults (an unknown code must not grow the tables). */
function knownOffice(context: ClusterContext, code: string | undefined): string | undefined {
  const upper = code?.toUpperCase();
  return upper && context.offices.has(upper) ? upper : undefined;
}
