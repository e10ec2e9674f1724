// Repository of people and their access: users (scrypt passwords), workspaces, memberships and dated
// grants, API keys (stored hashed) and the audit log. Every access question is answered against the
// injected clock, so an expired grant stops counting the moment it expires — no cron needed.
import type { Clock } from '../clock';
import { DAY } from '../clock';
import type { Mode } from '../config';
import { LedgerfeedError } from '../errors';
import { generateApiKey, hashApiKey, MIN_KEY_LENGTH, visiblePrefix } from '../auth/keys';
import { hashPassword, verifyAgainstDecoy, verifyPassword, type ScryptParameters } from '../auth/passwords';
import type { Db } from './database';

export type Role = 'owner' | 'member';

export interface User {
  id: number;
  username: string;
  displayName: string | null;
  createdAt: number;
}

export interface Workspace {
  id: number;
  slug: string;
  name: string;
  createdAt: number;
}

/** A workspace as one user may reach it right now. */
export interface WorkspaceAccess extends Workspace {
  role: Role;
  /** When this user's access ends (ms), or null for a membership without end. */
  expiresAt: number | null;
}

export interface Member {
  userId: number;
  username: string;
  displayName: string | null;
  role: Role;
  grantedBy: number | null;
  grantedByUsername: string | null;
  grantedAt: number;
  expiresAt: number | null;
}

export interface ApiKeyInfo {
  id: number;
  userId: number;
  name: string;
  /** The first characters of the key, for telling keys apart; never enough to use it. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A freshly created key: `plaintext` exists only here, to be shown once. */
export interface CreatedApiKey {
  key: ApiKeyInfo;
  plaintext: string;
}

export type AuditAction =
  | 'user.create'
  | 'user.remove'
  | 'user.signin'
  | 'user.signin_failed'
  | 'user.signout'
  | 'workspace.create'
  | 'grant.create'
  | 'grant.revoke'
  | 'connection.connect'
  | 'connection.connect_failed'
  | 'administration.select'
  | 'apikey.create'
  | 'apikey.revoke'
  | 'apikey.use';

export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  id: number;
  at: number;
  workspaceId: number | null;
  userId: number | null;
  username: string | null;
  action: AuditAction;
  detail: AuditDetail;
}

export interface AccountsPolicy {
  /** Outside `sandbox`, short keys and passwords are refused. */
  mode: Mode;
  grants: { defaultDays: number; maxDays: number };
  /** Tests may lower the cost; production keeps the default. */
  scrypt?: ScryptParameters;
}

/** A request to change accounts that breaks a rule (bad slug, unknown user, grant too long…); the message says which. */
export class InvalidAccountInput extends LedgerfeedError {
  readonly code = 'InvalidAccountInput';
  readonly status = 400;
}

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;
const MIN_PASSWORD_LENGTH = 10;
/** Keys used at most once a minute update last_used_at; an hour of silence makes the next use an audit entry. */
const LAST_USED_RESOLUTION_MS = 60_000;
const USE_AUDIT_GAP_MS = 3_600_000;
/** Audit details never carry these, whatever a caller passes. */
const SECRET_DETAIL = /pass|secret|token|plaintext|verifier|cookie|session|^key$|authorization|^code$/i;

interface UserRow {
  id: number;
  username: string;
  display_name: string | null;
  password_hash: string | null;
  created_at: number;
}
interface WorkspaceRow {
  id: number;
  slug: string;
  name: string;
  created_at: number;
}
interface AccessRow extends WorkspaceRow {
  role: Role;
  expires_at: number | null;
}
interface KeyRow {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, displayName: r.display_name, createdAt: r.created_at });
const toWorkspace = (r: WorkspaceRow): Workspace => ({ id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at });
const toAccess = (r: AccessRow): WorkspaceAccess => ({ ...toWorkspace(r), role: r.role, expiresAt: r.expires_at });
const toKey = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** The SQL condition every access check shares: a membership counts only until it expires. */
const ACTIVE = '(m.expires_at IS NULL OR m.expires_at > @now)';

export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly policy: AccountsPolicy,
  ) {}

  get grantDefaults(): { defaultDays: number; maxDays: number } {
    return this.policy.grants;
  }

  // ── users ────────────────────────────────────────────────────────────────

  async createUser(input: { username: string; password?: string; displayName?: string }): Promise<User> {
    if (!USERNAME.test(input.username)) {
      throw new InvalidAccountInput('A user name is 1–64 letters, digits or . _ @ + - and starts with a letter or digit.', { target: 'username' });
    }
    const passwordHash = input.password === undefined ? null : await this.hashChecked(input.password);
    if (this.userByUsername(input.username)) throw new InvalidAccountInput(`The user name ${input.username} is taken.`, { target: 'username' });
    const row = this.db
      .prepare('INSERT INTO users (username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING *')
      .get(input.username, input.displayName ?? null, passwordHash, this.clock.now()) as UserRow;
    this.audit({ action: 'user.create', userId: row.id, detail: { username: row.username } });
    return toUser(row);
  }

  async setPassword(userId: number, password: string): Promise<void> {
    const hash = await this.hashChecked(password);
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, userId);
  }

  /** The user when the password is theirs; null otherwise, in the same time whether or not the user exists. */
  async verifyPassword(username: string, password: string): Promise<User | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    if (!row?.password_hash) return verifyAgainstDecoy(password).then(() => null);
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : null;
  }

  userById(id: number): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  userByUsername(username: string): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** Every user, by name (the administrator's list). */
  users(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username COLLATE NOCASE').all() as UserRow[]).map(toUser);
  }

  /**
   * Removes a user with their memberships, keys and sessions. Connections they made stay with their workspaces.
   * Refused while they are the only owner of a workspace, which would be left without anyone to manage it.
   */
  removeUser(userId: number): void {
    this.db.transaction(() => {
      const user = this.userById(userId);
      if (!user) throw new InvalidAccountInput(`There is no user ${userId}.`, { target: 'username' });
      const orphaned = this.db
        .prepare(`SELECT w.slug FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = @userId AND m.role = 'owner'
                  WHERE NOT EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = w.id AND o.role = 'owner' AND o.user_id <> @userId)
                  ORDER BY w.slug`)
        .pluck()
        .all({ userId }) as string[];
      if (orphaned.length > 0) {
        throw new InvalidAccountInput(`${user.username} is the only owner of ${orphaned.join(', ')}; make someone else an owner first.`, { target: 'username' });
      }
      this.db.prepare('DELETE FROM users WHERE id = ?').run(userId);
      this.audit({ action: 'user.remove', detail: { username: user.username, removedUserId: userId } });
    })();
  }

  // ── workspaces and access ────────────────────────────────────────────────

  /** Creates the workspace with `ownerId` as its owner (a membership without end). */
  createWorkspace(input: { slug: string; name: string; ownerId: number }): Workspace {
    if (!WORKSPACE_SLUG.test(input.slug)) {
      throw new InvalidAccountInput('A workspace address is 1–40 lower-case letters, digits or hyphens, starting with a letter or digit.', { target: 'slug' });
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new InvalidAccountInput('A workspace name is 1–200 characters.', { target: 'name' });
    return this.db.transaction(() => {
      if (this.workspaceBySlug(input.slug)) throw new InvalidAccountInput(`The workspace address ${input.slug} is taken.`, { target: 'slug' });
      const now = this.clock.now();
      const row = this.db
        .prepare('INSERT INTO workspaces (slug, name, created_at) VALUES (?, ?, ?) RETURNING *')
        .get(input.slug, name, now) as WorkspaceRow;
      this.db
        .prepare("INSERT INTO workspace_members (workspace_id, user_id, role, granted_by, granted_at, expires_at) VALUES (?, ?, 'owner', NULL, ?, NULL)")
        .run(row.id, input.ownerId, now);
      this.audit({ action: 'workspace.create', workspaceId: row.id, userId: input.ownerId, detail: { slug: row.slug } });
      return toWorkspace(row);
    })();
  }

  /** The workspace regardless of who asks — for internal use only; user-facing code asks `accessTo`. */
  workspaceBySlug(slug: string): Workspace | null {
    const row = this.db.prepare('SELECT * FROM workspaces WHERE slug = ?').get(slug) as WorkspaceRow | undefined;
    return row ? toWorkspace(row) : null;
  }

  /** Every workspace, by address (the administrator's list). */
  workspaces(): Workspace[] {
    return (this.db.prepare('SELECT * FROM workspaces ORDER BY slug').all() as WorkspaceRow[]).map(toWorkspace);
  }

  /** Workspaces the user may reach right now, by name. */
  workspacesFor(userId: number): WorkspaceAccess[] {
    const rows = this.db
      .prepare(`SELECT w.*, m.role, m.expires_at FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
                WHERE m.user_id = @userId AND ${ACTIVE} ORDER BY w.name COLLATE NOCASE, w.slug`)
      .all({ userId, now: this.clock.now() }) as AccessRow[];
    return rows.map(toAccess);
  }

  /** The workspace when the user may reach it right now; null both when it does not exist and when they may not. */
  accessTo(userId: number, slug: string): WorkspaceAccess | null {
    const row = this.db
      .prepare(`SELECT w.*, m.role, m.expires_at FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id
                WHERE w.slug = @slug AND m.user_id = @userId AND ${ACTIVE}`)
      .get({ slug, userId, now: this.clock.now() }) as AccessRow | undefined;
    return row ? toAccess(row) : null;
  }

  /** Members whose access counts right now; expired grants are left out. */
  members(workspaceId: number): Member[] {
    const rows = this.db
      .prepare(`SELECT m.user_id, u.username, u.display_name, m.role, m.granted_by, g.username AS granted_by_username, m.granted_at, m.expires_at
                FROM workspace_members m JOIN users u ON u.id = m.user_id LEFT JOIN users g ON g.id = m.granted_by
                WHERE m.workspace_id = @workspaceId AND ${ACTIVE}
                ORDER BY m.role = 'owner' DESC, u.username COLLATE NOCASE`)
      .all({ workspaceId, now: this.clock.now() }) as Array<{
      user_id: number;
      username: string;
      display_name: string | null;
      role: Role;
      granted_by: number | null;
      granted_by_username: string | null;
      granted_at: number;
      expires_at: number | null;
    }>;
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      grantedBy: r.granted_by,
      grantedByUsername: r.granted_by_username,
      grantedAt: r.granted_at,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * Gives `username` member access until `expiresAt` (default: grants.defaultDays from now; at most
   * grants.maxDays). Granting again replaces the end date. `grantedBy` must be an owner right now.
   */
  grant(input: { workspaceId: number; username: string; grantedBy: number; expiresAt?: number }): Member {
    const now = this.clock.now();
    const expiresAt = input.expiresAt ?? now + this.policy.grants.defaultDays * DAY;
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) throw new InvalidAccountInput('Access must end in the future.', { target: 'expiresAt' });
    if (expiresAt > now + this.policy.grants.maxDays * DAY) {
      throw new InvalidAccountInput(`Access can be granted for at most ${this.policy.grants.maxDays} days.`, { target: 'expiresAt' });
    }
    return this.db.transaction(() => {
      this.assertOwner(input.workspaceId, input.grantedBy);
      const user = this.userByUsername(input.username);
      if (!user) throw new InvalidAccountInput(`There is no user named ${input.username}.`, { target: 'username' });
      const existing = this.membershipRow(input.workspaceId, user.id);
      if (existing && existing.role === 'owner') throw new InvalidAccountInput(`${user.username} is an owner of this workspace already.`, { target: 'username' });
      this.db
        .prepare(`INSERT INTO workspace_members (workspace_id, user_id, role, granted_by, granted_at, expires_at) VALUES (?, ?, 'member', ?, ?, ?)
                  ON CONFLICT (workspace_id, user_id) DO UPDATE SET granted_by = excluded.granted_by, granted_at = excluded.granted_at, expires_at = excluded.expires_at`)
        .run(input.workspaceId, user.id, input.grantedBy, now, expiresAt);
      this.audit({
        action: 'grant.create',
        workspaceId: input.workspaceId,
        userId: input.grantedBy,
        detail: { member: user.username, memberId: user.id, expiresAt: new Date(expiresAt).toISOString() },
      });
      const member = this.members(input.workspaceId).find((m) => m.userId === user.id);
      if (!member) throw new Error('a grant just written is not visible');
      return member;
    })();
  }

  /**
   * When access granted "until 2025-03-31" ends: after that day (UTC); '' means the default length (undefined). A date
   * at the very limit is cut to exactly grants.maxDays from now; anything later is left for `grant` to refuse.
   */
  grantEnd(until: string): number | undefined {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until);
    if (!match) {
      if (until === '') return undefined;
      throw new InvalidAccountInput('The end date must be a date like 2025-12-31.', { target: 'until' });
    }
    const endOfDay = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) + DAY;
    const limit = this.clock.now() + this.policy.grants.maxDays * DAY;
    return endOfDay > limit && endOfDay - limit <= DAY ? limit : endOfDay;
  }

  /** Ends a member's access now. Owners cannot be revoked this way. True when there was access to end. */
  revoke(input: { workspaceId: number; userId: number; revokedBy: number }): boolean {
    return this.db.transaction(() => {
      this.assertOwner(input.workspaceId, input.revokedBy);
      const row = this.membershipRow(input.workspaceId, input.userId);
      if (!row) return false;
      if (row.role === 'owner') throw new InvalidAccountInput('An owner cannot be revoked.', { target: 'userId' });
      this.db.prepare('DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?').run(input.workspaceId, input.userId);
      const user = this.userById(input.userId);
      this.audit({
        action: 'grant.revoke',
        workspaceId: input.workspaceId,
        userId: input.revokedBy,
        detail: { member: user?.username ?? null, memberId: input.userId },
      });
      return true;
    })();
  }

  private membershipRow(workspaceId: number, userId: number): { role: Role; expires_at: number | null } | undefined {
    return this.db.prepare('SELECT role, expires_at FROM workspace_members WHERE workspace_id = ? AND user_id = ?').get(workspaceId, userId) as
      | { role: Role; expires_at: number | null }
      | undefined;
  }

  private assertOwner(workspaceId: number, userId: number): void {
    const row = this.membershipRow(workspaceId, userId);
    if (row?.role !== 'owner' || (row.expires_at !== null && row.expires_at <= this.clock.now())) {
      throw new InvalidAccountInput('Only an owner of the workspace manages its members.');
    }
  }

  // ── API keys ─────────────────────────────────────────────────────────────

  /**
   * Creates a key for the user. `fixedKey` sets the key's text (the sandbox's `demo`); outside the
   * sandbox a fixed key shorter than MIN_KEY_LENGTH is refused.
   */
  createApiKey(userId: number, name: string, options: { fixedKey?: string } = {}): CreatedApiKey {
    const label = name.trim();
    if (label.length === 0 || label.length > 100) throw new InvalidAccountInput('A key name is 1–100 characters.', { target: 'name' });
    const plaintext = options.fixedKey ?? generateApiKey();
    if (plaintext.length === 0 || (this.policy.mode !== 'sandbox' && plaintext.length < MIN_KEY_LENGTH)) {
      throw new InvalidAccountInput(`An API key must be at least ${MIN_KEY_LENGTH} characters outside the sandbox.`, { target: 'key' });
    }
    const row = this.db
      .prepare('INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *')
      .get(userId, label, visiblePrefix(plaintext), hashApiKey(plaintext), this.clock.now()) as KeyRow;
    this.audit({ action: 'apikey.create', userId, detail: { keyId: row.id, name: row.name, prefix: row.prefix } });
    return { key: toKey(row), plaintext };
  }

  /**
   * Makes sure a key with this fixed text works for the user (sandbox bootstrap): creates it, or
   * reactivates it when it was revoked. The same length rule as `createApiKey` applies.
   */
  ensureFixedApiKey(userId: number, name: string, fixedKey: string): ApiKeyInfo {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE hash = ?').get(hashApiKey(fixedKey)) as KeyRow | undefined;
    if (!row) return this.createApiKey(userId, name, { fixedKey }).key;
    if (row.user_id !== userId) throw new InvalidAccountInput('That key belongs to another user.', { target: 'key' });
    if (row.revoked_at === null) return toKey(row);
    this.db.prepare('UPDATE api_keys SET revoked_at = NULL WHERE id = ?').run(row.id);
    return toKey({ ...row, revoked_at: null });
  }

  apiKeys(userId: number): ApiKeyInfo[] {
    const rows = this.db.prepare('SELECT * FROM api_keys WHERE user_id = ? ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC').all(userId) as KeyRow[];
    return rows.map(toKey);
  }

  /** Revokes one of the user's own keys; true when it was active. */
  revokeApiKey(userId: number, keyId: number): boolean {
    const row = this.db
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING *')
      .get(this.clock.now(), keyId, userId) as KeyRow | undefined;
    if (row) this.audit({ action: 'apikey.revoke', userId, detail: { keyId: row.id, name: row.name, prefix: row.prefix } });
    return row !== undefined;
  }

  /**
   * The active key with this text and its user, or null. Outside the sandbox a key shorter than
   * MIN_KEY_LENGTH never matches (a sandbox data directory reused in production keeps `demo` out).
   */
  findActiveApiKey(plaintext: string): { key: ApiKeyInfo; user: User } | null {
    if (plaintext.length === 0 || (this.policy.mode !== 'sandbox' && plaintext.length < MIN_KEY_LENGTH)) return null;
    const row = this.db.prepare('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL').get(hashApiKey(plaintext)) as KeyRow | undefined;
    if (!row) return null;
    const user = this.userById(row.user_id);
    return user ? { key: toKey(row), user } : null;
  }

  /** Records a use: last_used_at at most once a minute, an audit entry after an hour of silence. */
  recordApiKeyUse(key: ApiKeyInfo, detail: AuditDetail = {}): void {
    const now = this.clock.now();
    if (key.lastUsedAt !== null && now - key.lastUsedAt < LAST_USED_RESOLUTION_MS) return;
    this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, key.id);
    if (key.lastUsedAt === null || now - key.lastUsedAt >= USE_AUDIT_GAP_MS) {
      this.audit({ action: 'apikey.use', userId: key.userId, detail: { ...detail, keyId: key.id, prefix: key.prefix } });
    }
  }

  // ── audit ────────────────────────────────────────────────────────────────

  /** Appends an audit entry; detail fields that could hold a secret are dropped, not stored. */
  audit(entry: { action: AuditAction; workspaceId?: number | null; userId?: number | null; detail?: AuditDetail }): void {
    const detail = Object.fromEntries(Object.entries(entry.detail ?? {}).filter(([k]) => !SECRET_DETAIL.test(k)));
    this.db
      .prepare('INSERT INTO audit_log (at, workspace_id, user_id, action, detail_json) VALUES (?, ?, ?, ?, ?)')
      .run(this.clock.now(), entry.workspaceId ?? null, entry.userId ?? null, entry.action, JSON.stringify(detail));
  }

  /** Newest first. */
  auditLog(filter: { workspaceId?: number; userId?: number; limit?: number } = {}): AuditEntry[] {
    const where: string[] = [];
    const params: Record<string, number> = { limit: filter.limit ?? 100 };
    if (filter.workspaceId !== undefined) {
      where.push('a.workspace_id = @workspaceId');
      params.workspaceId = filter.workspaceId;
    }
    if (filter.userId !== undefined) {
      where.push('a.user_id = @userId');
      params.userId = filter.userId;
    }
    const rows = this.db
      .prepare(`SELECT a.*, u.username FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
                ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY a.at DESC, a.id DESC LIMIT @limit`)
      .all(params) as Array<{
      id: number;
      at: number;
      workspace_id: number | null;
      user_id: number | null;
      username: string | null;
      action: AuditAction;
      detail_json: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      workspaceId: r.workspace_id,
      userId: r.user_id,
      username: r.username,
      action: r.action,
      detail: JSON.parse(r.detail_json) as AuditDetail,
    }));
  }

  private async hashChecked(password: string): Promise<string> {
    const min = this.policy.mode === 'sandbox' ? 1 : MIN_PASSWORD_LENGTH;
    if (password.length < min) throw new InvalidAccountInput(`A password is at least ${min} characters.`, { target: 'password' });
    if (password.length > 1024) throw new InvalidAccountInput('A password is at most 1024 characters.', { target: 'password' });
    return hashPassword(password, this.policy.scrypt);
  }
}
