// DEPRECATED: the legacy user name + password login (session.asmx Logon and a `SessionID` header). Twinfield is
// retiring it and organisations that require OAuth answer `OAuth2AuthenticationRequired`; it is kept only for
// organisations that cannot use OAuth yet. Twinfield allows one session per user — a second Logon ends the first
// (fault 168) — so every call of a user's session runs one at a time in this process, and a 168 or 103 means one
// new Logon and one retry. The password is stored encrypted by the vault (connections.password_enc).
import pLimit, { type LimitFunction } from 'p-limit';
import type { Clock } from '../../clock';
import { LedgerfeedError } from '../../errors';
import type { Connection } from '../../store/connections';
import { UpstreamMalformed, UpstreamRefused } from '../errors';
import { LoginNeedsReauthorization, type TokenManager } from '../tokens';
import type { TwinfieldLogin } from './client';
import { twinfieldExtra, type TwinfieldConnectionStore } from './connection-store';
import type { BudgetKey } from './fair-use';
import { asmxEnvelope, faultToError, NS, TwinfieldFault, type Credentials } from './soap';
import type { SoapTransport } from './transport';
import { child, childText, el } from './xml';

export const OAUTH_REQUIRED_MESSAGE = 'this organisation requires OAuth: connect Twinfield from the workspace page';

/** Password sessions spend no app registration's budget; they get one of their own per organisation. */
const PASSWORD_CLIENT = 'password-session';

/** A Logon Twinfield refused (wrong credentials, OAuth required, blocked user…); the message is safe to show. */
export class TwinfieldLogonRefused extends LedgerfeedError {
  readonly code = 'TwinfieldLogonRefused';
  readonly status = 400;
  constructor(
    readonly logonResult: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PasswordCredentials {
  user: string;
  password: string;
  organisation: string;
}

interface SessionSlot {
  /** Every call of this session, one at a time. */
  queue: LimitFunction;
  sessionId?: string;
  clusterUrl?: string;
  /** The company SelectCompany last chose. */
  company?: string;
}

/** Sessions by login URL + organisation + user, shared by every connection of the process that uses the same user. */
export class PasswordSessions {
  private readonly slots = new Map<string, SessionSlot>();

  slot(loginUrl: string, organisation: string, user: string): SessionSlot {
    const key = `${loginUrl}\u0000${organisation.toUpperCase()}\u0000${user.toLowerCase()}`;
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { queue: pLimit(1) }));
    return slot;
  }
}

/** The words a user reads for a LogonResult other than Ok. */
export function logonRefusal(result: string): string {
  if (result === 'OAuth2AuthenticationRequired') return `Twinfield refused the password logon: ${OAUTH_REQUIRED_MESSAGE}.`;
  if (result === 'Invalid') return 'Twinfield refused the password logon: the user name, password or organisation is wrong.';
  return `Twinfield refused the password logon (${result}).`;
}

/** One Logon: the session id and the cluster that serves it, or TwinfieldLogonRefused. */
export async function logon(
  transport: SoapTransport,
  loginUrl: string,
  credentials: PasswordCredentials,
  signal?: AbortSignal,
): Promise<{ sessionId: string; clusterUrl: string }> {
  const what = 'logging on with a password';
  const body = el(
    'Logon',
    { xmlns: NS.twinfield },
    el('user', {}, credentials.user),
    el('password', {}, credentials.password),
    el('organisation', {}, credentials.organisation),
  );
  let answer;
  try {
    answer = await transport.call({
      url: `${loginUrl}/webservices/session.asmx`,
      action: `${NS.twinfield}Logon`,
      envelope: asmxEnvelope(undefined, undefined, body),
      credits: 3,
      budget: { clientId: PASSWORD_CLIENT, organisation: credentials.organisation },
      what,
      signal,
    });
  } catch (err) {
    if (err instanceof TwinfieldFault) throw faultToError(err, { what });
    throw err;
  }
  const response = child(answer.body, 'LogonResponse');
  const result = childText(response, 'LogonResult');
  if (result !== 'Ok') throw new TwinfieldLogonRefused(result || 'unknown', logonRefusal(result || 'no LogonResult'));
  const sessionId = childText(child(answer.header, 'Header'), 'SessionID');
  const clusterUrl = childText(response, 'cluster').replace(/\/+$/, '');
  if (!sessionId || !/^https?:\/\//.test(clusterUrl)) throw new UpstreamMalformed('Twinfield accepted the password logon but sent no session id or cluster.');
  return { sessionId, clusterUrl };
}

export interface PasswordLoginDeps {
  transport: SoapTransport;
  store: TwinfieldConnectionStore;
  tokens: TokenManager;
  sessions: PasswordSessions;
  loginUrl: () => string;
  clock: Clock;
}

/** @deprecated A password connection's login; use OAuth (OAuthLogin) wherever the organisation allows it. */
export class PasswordLogin implements TwinfieldLogin {
  private readonly organisation: string;
  private readonly user: string;

  constructor(
    private readonly connection: Connection,
    private readonly deps: PasswordLoginDeps,
  ) {
    const extra = twinfieldExtra(connection);
    this.organisation = extra.organisationCode ?? connection.externalKey;
    this.user = extra.userName ?? '';
  }

  get budget(): BudgetKey {
    return { clientId: PASSWORD_CLIENT, organisation: this.organisation };
  }

  run<T>(office: string | undefined, call: (credentials: Credentials, clusterUrl: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = this.deps.sessions.slot(this.deps.loginUrl(), this.organisation, this.user);
    return slot.queue(async () => {
      let loggedOnAgain = false;
      for (;;) {
        try {
          const { sessionId, clusterUrl } = await this.session(slot, signal);
          const credentials: Credentials = { kind: 'session', sessionId };
          if (office && slot.company !== office.toUpperCase()) await this.selectCompany(slot, credentials, clusterUrl, office, signal);
          return await call(credentials, clusterUrl);
        } catch (err) {
          // 168: another logon of the same user ended this session; 103: the session expired. One new logon, one retry.
          if (err instanceof TwinfieldFault && (err.code === 168 || err.code === 103) && !loggedOnAgain) {
            loggedOnAgain = true;
            slot.sessionId = undefined;
            slot.company = undefined;
            continue;
          }
          throw err;
        }
      }
    });
  }

  private async session(slot: SessionSlot, signal?: AbortSignal): Promise<{ sessionId: string; clusterUrl: string }> {
    if (slot.sessionId && slot.clusterUrl) return { sessionId: slot.sessionId, clusterUrl: slot.clusterUrl };
    // A refused password is not tried again and again: Twinfield may lock the user after repeated failures.
    const current = this.deps.store.read(this.connection.id);
    if (current.status === 'needs_reauth') {
      throw new LoginNeedsReauthorization(current.id, current.label, current.statusReason ?? 'Twinfield refused the password logon', current.statusAt ?? this.deps.clock.now());
    }
    const password = this.deps.store.readPassword(this.connection.id);
    if (!password) throw this.needsReauthorization('no password is stored for this login');
    try {
      const session = await logon(this.deps.transport, this.deps.loginUrl(), { user: this.user, password, organisation: this.organisation }, signal);
      slot.sessionId = session.sessionId;
      slot.clusterUrl = session.clusterUrl;
      slot.company = undefined;
      this.deps.store.mergeExtra(this.connection.id, { clusterUrl: session.clusterUrl });
      return session;
    } catch (err) {
      if (err instanceof TwinfieldLogonRefused) throw this.needsReauthorization(err.message);
      throw err;
    }
  }

  /** Real password sessions browse and search in the session's current company: choose it before the call. */
  private async selectCompany(slot: SessionSlot, credentials: Credentials, clusterUrl: string, office: string, signal?: AbortSignal): Promise<void> {
    const answer = await this.deps.transport.call({
      url: `${clusterUrl}/webservices/session.asmx`,
      action: `${NS.twinfield}SelectCompany`,
      envelope: asmxEnvelope(credentials, undefined, el('SelectCompany', { xmlns: NS.twinfield }, el('company', {}, office))),
      credits: 3,
      budget: this.budget,
      administration: office,
      what: 'selecting the office',
      signal,
    });
    const result = childText(child(answer.body, 'SelectCompanyResponse'), 'SelectCompanyResult');
    if (result !== 'Ok') throw new UpstreamRefused(`Twinfield refused access to office ${office} while selecting it (${result || 'no result'}).`, { administration: office });
    slot.company = office.toUpperCase();
  }

  private needsReauthorization(reason: string): LoginNeedsReauthorization {
    this.deps.tokens.markNeedsReauthorization(this.connection.id, reason);
    return new LoginNeedsReauthorization(this.connection.id, this.connection.label, reason, this.deps.clock.now());
  }
}
