// Who may call the Twinfield simulator: the sandbox app registration, the demo user and its organisations,
// and everything issued to them — authorization codes, access and refresh tokens, password sessions.
// All times come from the injected clock so expiry is testable without waiting.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { Clock } from '../../clock';
import { HOUR, MINUTE } from '../../clock';
import { SANDBOX_CREDENTIALS } from '../../config';

/** Everything a client needs to log in to the sandbox. */
export const TWINFIELD_SANDBOX = {
  clientId: SANDBOX_CREDENTIALS.twinfield.clientId,
  clientSecret: SANDBOX_CREDENTIALS.twinfield.clientSecret,
  user: 'demo',
  password: 'demo',
  /** The demo organisation: OAuth and (legacy) password logons. */
  organisation: 'SANDBOX',
  /** A second organisation with the same offices, as another firm on the same app would have. */
  secondOrganisation: 'SANDBOX2',
  /** A second organisation of the demo user that refuses password logons (LogonResult OAuth2AuthenticationRequired). */
  oauthOnlyOrganisation: 'OAUTHONLY',
  scope: 'openid twf.user twf.organisation twf.organisationUser offline_access',
} as const;

export const KNOWN_SCOPES = new Set(['openid', 'twf.user', 'twf.organisation', 'twf.organisationUser', 'offline_access']);
/** Without these the SOAP services answer 102 access denied. */
export const API_SCOPES = ['twf.user', 'twf.organisation', 'twf.organisationUser'];

export const ACCESS_TOKEN_LIFETIME_MS = HOUR;
const CODE_LIFETIME_MS = 5 * MINUTE;
/** "Very long-lived" (documented as up to 25 years). */
const REFRESH_TOKEN_LIFETIME_MS = 25 * 365 * 24 * HOUR;

const ID_NAMESPACE = '3b2f1c4e-6d0a-4c61-9b7e-7e1f7eed0002';

export interface Organisation {
  code: string;
  id: string;
  oauthOnly: boolean;
}

/** What a login granted, carried from code to tokens to refreshed tokens. */
export interface Grant {
  clientId: string;
  organisation: Organisation;
  userCode: string;
  userId: string;
  scopes: string[];
  authTime: number;
}

export interface AccessTokenRecord extends Grant {
  token: string;
  issuedAt: number;
  expiresAt: number;
  /** Set by session.asmx SelectCompany; the header's CompanyCode overrides it per call. */
  selectedCompany?: string;
}

interface RefreshTokenRecord {
  grant: Grant;
  expiresAt: number;
  revoked: boolean;
}

/** A PKCE challenge the authorize request carried (RFC 7636). */
export interface CodeChallenge {
  challenge: string;
  method: 'S256' | 'plain';
}

interface CodeRecord {
  grant: Grant;
  redirectUri: string;
  nonce: string;
  pkce?: CodeChallenge;
  expiresAt: number;
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) — or the verifier itself for `plain` — equals the challenge. */
function verifierMatches(pkce: CodeChallenge, verifier: string | undefined): boolean {
  if (verifier === undefined || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const derived = pkce.method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  const a = Buffer.from(derived);
  const b = Buffer.from(pkce.challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type SessionStatus = 'active' | 'takenOver' | 'ended';

export interface SessionRecord {
  id: string;
  userCode: string;
  organisation: Organisation;
  /** The session's current company (SelectCompany); the header's CompanyCode overrides it per call. */
  company: string;
  status: SessionStatus;
}

export type LogonResult = 'Ok' | 'Invalid' | 'OAuth2AuthenticationRequired';

function randomToken(prefix: string): string {
  return prefix + randomBytes(24).toString('base64url');
}

export class IdentityStore {
  private readonly organisations: Organisation[];
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly activeSessionByUser = new Map<string, string>();
  readonly userId: string;

  constructor(
    private readonly clock: Clock,
    seed: string,
    private readonly defaultCompany: string,
  ) {
    const organisation = (code: string, oauthOnly: boolean): Organisation => ({ code, id: uuidv5(`${seed}/organisation/${code}`, ID_NAMESPACE), oauthOnly });
    this.organisations = [
      organisation(TWINFIELD_SANDBOX.organisation, false),
      organisation(TWINFIELD_SANDBOX.secondOrganisation, false),
      organisation(TWINFIELD_SANDBOX.oauthOnlyOrganisation, true),
    ];
    this.userId = uuidv5(`${seed}/user/demo`, ID_NAMESPACE);
  }

  /** The organisation the demo user logs in to with these credentials (organisation codes are case-insensitive). */
  checkUser(user: string, password: string, organisation: string): Organisation | undefined {
    if (user.toLowerCase() !== TWINFIELD_SANDBOX.user || password !== TWINFIELD_SANDBOX.password) return undefined;
    return this.organisations.find((o) => o.code === organisation.trim().toUpperCase());
  }

  checkClient(clientId: string, clientSecret?: string): boolean {
    if (clientId !== TWINFIELD_SANDBOX.clientId) return false;
    return clientSecret === undefined || clientSecret === TWINFIELD_SANDBOX.clientSecret;
  }

  grant(clientId: string, organisation: Organisation, scopes: string[]): Grant {
    return { clientId, organisation, userCode: 'DEMO', userId: this.userId, scopes, authTime: this.clock.now() };
  }

  issueCode(grant: Grant, redirectUri: string, nonce: string, pkce?: CodeChallenge): string {
    const code = randomToken('twf_code_');
    this.codes.set(code, { grant, redirectUri, nonce, pkce, expiresAt: this.clock.now() + CODE_LIFETIME_MS });
    return code;
  }

  /**
   * Redeems a code once; undefined when unknown, used, expired, issued to another client or redirect URI, or —
   * when the authorize request carried a PKCE challenge — without the verifier that matches it (RFC 7636 §4.6).
   */
  redeemCode(code: string, clientId: string, redirectUri: string | undefined, codeVerifier?: string): { grant: Grant; nonce: string } | undefined {
    const record = this.codes.get(code);
    if (!record) return undefined;
    this.codes.delete(code);
    if (record.expiresAt <= this.clock.now() || record.grant.clientId !== clientId) return undefined;
    if (redirectUri !== undefined && redirectUri !== record.redirectUri) return undefined;
    if (record.pkce && !verifierMatches(record.pkce, codeVerifier)) return undefined;
    return { grant: record.grant, nonce: record.nonce };
  }

  issueTokens(grant: Grant): { accessToken: AccessTokenRecord; refreshToken?: string } {
    const now = this.clock.now();
    const accessToken: AccessTokenRecord = { ...grant, token: randomToken('twf_at_'), issuedAt: now, expiresAt: now + ACCESS_TOKEN_LIFETIME_MS };
    this.accessTokens.set(accessToken.token, accessToken);
    if (!grant.scopes.includes('offline_access')) return { accessToken };
    const refreshToken = randomToken('twf_rt_');
    this.refreshTokens.set(refreshToken, { grant, expiresAt: now + REFRESH_TOKEN_LIFETIME_MS, revoked: false });
    return { accessToken, refreshToken };
  }

  /** A refresh returns a new refresh token; the one presented stays valid (rotation is not enforced). */
  refresh(refreshToken: string, clientId: string): { accessToken: AccessTokenRecord; refreshToken?: string } | undefined {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.revoked || record.expiresAt <= this.clock.now() || record.grant.clientId !== clientId) return undefined;
    return this.issueTokens(record.grant);
  }

  /** The access token record, expired or not (the caller decides what expiry means for it). */
  accessToken(token: string): AccessTokenRecord | undefined {
    return this.accessTokens.get(token);
  }

  isValid(record: AccessTokenRecord): boolean {
    return record.expiresAt > this.clock.now();
  }

  /** Ends every access token now (and, when asked, every refresh token): a forced re-login. */
  expireTokens(refreshTokensToo: boolean): { accessTokens: number; refreshTokens: number } {
    const now = this.clock.now();
    let accessTokens = 0;
    let refreshTokens = 0;
    for (const record of this.accessTokens.values()) {
      if (record.expiresAt > now) {
        record.expiresAt = now;
        accessTokens++;
      }
    }
    if (refreshTokensToo) {
      for (const record of this.refreshTokens.values()) {
        if (!record.revoked) {
          record.revoked = true;
          refreshTokens++;
        }
      }
    }
    return { accessTokens, refreshTokens };
  }

  /** Legacy password logon: one session per user, so a new logon ends the previous session (fault 168 there). */
  logon(user: string, password: string, organisationCode: string): { result: LogonResult; session?: SessionRecord } {
    const organisation = this.checkUser(user, password, organisationCode);
    if (!organisation) return { result: 'Invalid' };
    if (organisation.oauthOnly) return { result: 'OAuth2AuthenticationRequired' };
    const userKey = `${organisation.code}/${user.toLowerCase()}`;
    const previous = this.activeSessionByUser.get(userKey);
    const previousSession = previous ? this.sessions.get(previous) : undefined;
    if (previousSession && previousSession.status === 'active') previousSession.status = 'takenOver';
    const session: SessionRecord = { id: uuidv5(randomToken(''), ID_NAMESPACE), userCode: 'DEMO', organisation, company: this.defaultCompany, status: 'active' };
    this.sessions.set(session.id, session);
    this.activeSessionByUser.set(userKey, session.id);
    return { result: 'Ok', session };
  }

  session(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  abandon(id: string): void {
    const session = this.sessions.get(id);
    if (session && session.status === 'active') session.status = 'ended';
  }

  organisation(code: string): Organisation | undefined {
    return this.organisations.find((o) => o.code === code);
  }
}
