// The extension point for connecting an upstream login. A ConnectProvider knows one upstream's OAuth
// (authorize URL, code exchange, discovering administrations); everything around it — state bound to
// the browser session, the PKCE verifier and nonce kept server-side, single use, expiry, and readable
// error pages — is done here once, for every provider.
import crypto from 'node:crypto';
import type { Clock } from '../clock';
import { MINUTE } from '../clock';
import { LedgerfeedError } from '../errors';
import type { Connection, SourceName } from '../store/connections';
import type { Db } from '../store/database';
import type { Vault } from '../store/vault';

export interface ConnectWorkspace {
  id: number;
  slug: string;
  name: string;
}

export interface ConnectUser {
  id: number;
  username: string;
}

/** What a provider needs to build the upstream's authorize URL. */
export interface ConnectStart {
  workspace: ConnectWorkspace;
  user: ConnectUser;
  /** Opaque, single-use, bound to the browser session: put it in the authorize URL unchanged. */
  state: string;
  /** For upstreams that want one (Twinfield's OpenID Connect requires it). */
  nonce: string;
  /** PKCE (RFC 7636), for upstreams that support it; the verifier stays on the server. */
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  /** This server's callback for the provider's source: `{publicUrl}/connect/{source}/callback`. */
  redirectUri: string;
  /** What the person chose on the connect form, as the provider's `connectChoices` offered it. */
  choices?: ConnectChoices;
}

/** Choices made on the connect form (field name → value), kept with the attempt until the callback. */
export type ConnectChoices = Readonly<Record<string, string>>;

/** What a provider gets back once the state checked out and the upstream sent a code. */
export interface ConnectCallback {
  workspace: ConnectWorkspace;
  user: ConnectUser;
  code: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  /** The same choices the attempt was started with. */
  choices?: ConnectChoices;
  /** The full callback query, for upstream-specific extras. */
  query: URLSearchParams;
}

/** One choice a provider offers on its connect form (e.g. the Exact Online country host). */
export interface ConnectChoice {
  /** Form field name. */
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
}

export interface ConnectProvider {
  readonly source: SourceName;
  /** Shown on buttons and pages, e.g. "Exact Online". */
  readonly displayName: string;
  /** Choices shown on the connect form; none when absent. */
  connectChoices?(): readonly ConnectChoice[];
  /** The choices that authorize a stored connection again at the same place. */
  reconnectChoices?(connection: Connection): ConnectChoices;
  /** The upstream authorize URL (absolute http/https) the browser is sent to. */
  authorizationUrl(start: ConnectStart): string | Promise<string>;
  /**
   * Exchanges the code, stores the tokens and the connection (Connections.upsert with
   * `connectedBy: user.id`) and its administrations, and returns the connection. Throw ConnectFailed
   * for outcomes the user should read about (expired code, refused login).
   */
  complete(callback: ConnectCallback): Promise<Connection>;
}

export type ConnectFailure = 'denied' | 'invalid_state' | 'expired_code' | 'upstream' | 'not_configured';

/** A connect attempt that failed in a way the user can act on; the message is shown on the error page, so it never holds a secret. */
export class ConnectFailed extends LedgerfeedError {
  readonly code = 'ConnectFailed';
  readonly status: number;
  constructor(
    readonly failure: ConnectFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.status = failure === 'not_configured' ? 503 : failure === 'upstream' ? 502 : 400;
  }
}

/** The providers this server offers, by source; the composition root registers them. */
export class ConnectProviders {
  private readonly bySource = new Map<SourceName, ConnectProvider>();

  register(provider: ConnectProvider): void {
    if (this.bySource.has(provider.source)) throw new Error(`a connect provider for ${provider.source} is registered already`);
    this.bySource.set(provider.source, provider);
  }

  get(source: string): ConnectProvider | undefined {
    return this.bySource.get(source as SourceName);
  }
}

export interface ConnectAttempt {
  workspaceId: number;
  userId: number;
  source: SourceName;
  codeVerifier: string;
  nonce: string;
  choices: ConnectChoices;
}

/**
 * The provider's choices as the connect form sent them: a missing field takes the first option; a value that is
 * not offered is refused with the field's label (null choices, `problem` set).
 */
export function readChoices(provider: ConnectProvider, form: Readonly<Record<string, unknown>>): { choices: ConnectChoices; problem?: string } {
  const choices: Record<string, string> = {};
  for (const choice of provider.connectChoices?.() ?? []) {
    const sent = form[choice.name];
    if (sent === undefined || sent === '') {
      if (choice.options.length > 0) choices[choice.name] = choice.options[0].value;
      continue;
    }
    const option = typeof sent === 'string' ? choice.options.find((o) => o.value === sent) : undefined;
    if (!option) return { choices: {}, problem: `${choice.label} must be one of: ${choice.options.map((o) => o.label).join(', ')}.` };
    choices[choice.name] = option.value;
  }
  return { choices };
}

/** How long a person may take at the upstream's consent screen. */
export const CONNECT_ATTEMPT_LIFETIME_MS = 15 * MINUTE;

const randomToken = (): string => crypto.randomBytes(32).toString('base64url');
const sha256hex = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export function pkceChallenge(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Server-side records of connect attempts in flight: state (stored hashed) → session, workspace, PKCE verifier (encrypted). */
export class ConnectAttempts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly vault: Vault,
  ) {}

  begin(input: { sessionHash: string; workspaceId: number; userId: number; source: SourceName; choices?: ConnectChoices }): {
    state: string;
    nonce: string;
    codeChallenge: string;
  } {
    const now = this.clock.now();
    this.db.prepare('DELETE FROM connect_attempts WHERE expires_at <= ?').run(now);
    const state = randomToken();
    const nonce = randomToken();
    const verifier = randomToken();
    const stateHash = sha256hex(state);
    this.db
      .prepare(
        `INSERT INTO connect_attempts (state_hash, session_hash, workspace_id, user_id, source, verifier_enc, nonce, choices_json, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        stateHash,
        input.sessionHash,
        input.workspaceId,
        input.userId,
        input.source,
        this.vault.encrypt(verifier, `connect_attempt:${stateHash}`),
        nonce,
        JSON.stringify(input.choices ?? {}),
        now,
        now + CONNECT_ATTEMPT_LIFETIME_MS,
      );
    return { state, nonce, codeChallenge: pkceChallenge(verifier) };
  }

  /**
   * Takes the attempt for this state out of the store (single use, whatever follows). Null when the state
   * is unknown, expired, for another source, or was started in another browser session.
   */
  consume(input: { state: string; sessionHash: string | null; source: string }): ConnectAttempt | null {
    const stateHash = sha256hex(input.state);
    const row = this.db.prepare('DELETE FROM connect_attempts WHERE state_hash = ? RETURNING *').get(stateHash) as
      | { session_hash: string; workspace_id: number; user_id: number; source: SourceName; verifier_enc: string; nonce: string; choices_json: string; expires_at: number }
      | undefined;
    if (!row || row.expires_at <= this.clock.now() || row.source !== input.source || row.session_hash !== input.sessionHash) return null;
    return {
      workspaceId: row.workspace_id,
      userId: row.user_id,
      source: row.source,
      codeVerifier: this.vault.decrypt(row.verifier_enc, `connect_attempt:${stateHash}`),
      nonce: row.nonce,
      choices: JSON.parse(row.choices_json) as ConnectChoices,
    };
  }
}
