// Versioned schema migrations. A migration is appended, never edited once released; each runs in its
// own immediate transaction so two processes starting together cannot both apply it.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up: string | ((db: Database.Database) => void);
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'workspaces, users, keys, connections, administrations, sync state, audit',
    up: `
      CREATE TABLE workspaces (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
        name TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT,
        password_hash TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE workspace_members (
        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
        granted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        granted_at INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (workspace_id, user_id)
      );
      CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE TABLE connections (
        id INTEGER PRIMARY KEY,
        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('exactonline', 'twinfield')),
        external_key TEXT NOT NULL,
        label TEXT NOT NULL,
        base_url TEXT NOT NULL,
        auth_kind TEXT NOT NULL DEFAULT 'oauth' CHECK (auth_kind IN ('oauth', 'password')),
        status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs_reauth')),
        status_reason TEXT,
        status_at INTEGER,
        access_token_enc TEXT,
        access_expires_at INTEGER,
        access_issued_at INTEGER,
        refresh_token_enc TEXT,
        refresh_renewed_at INTEGER,
        last_used_at INTEGER,
        extra_json TEXT NOT NULL DEFAULT '{}',
        connected_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (workspace_id, source, external_key)
      );
      CREATE TABLE administrations (
        id INTEGER PRIMARY KEY,
        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('exactonline', 'twinfield')),
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        selected INTEGER NOT NULL DEFAULT 1 CHECK (selected IN (0, 1)),
        extra_json TEXT NOT NULL DEFAULT '{}',
        discovered_at INTEGER NOT NULL,
        UNIQUE (workspace_id, source, code)
      );
      CREATE TABLE sync_state (
        administration_id INTEGER NOT NULL REFERENCES administrations(id) ON DELETE CASCADE,
        table_name TEXT NOT NULL,
        cursor TEXT,
        last_success_at INTEGER,
        last_attempt_at INTEGER,
        last_error TEXT,
        last_error_at INTEGER,
        row_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (administration_id, table_name)
      );
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        workspace_id INTEGER REFERENCES workspaces(id) ON DELETE SET NULL,
        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        action TEXT NOT NULL,
        detail_json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_log_workspace ON audit_log (workspace_id, at);
      CREATE TABLE mirror_tables (
        name TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        table_name TEXT NOT NULL,
        schema_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'refresh lease: one token refresh in flight per connection across processes',
    up: `
      ALTER TABLE connections ADD COLUMN refresh_lease_owner TEXT;
      ALTER TABLE connections ADD COLUMN refresh_lease_until INTEGER;
    `,
  },
  {
    version: 10,
    name: 'web sign-in sessions, OAuth connect attempts, membership and key lookups by user',
    up: `
      CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
      CREATE TABLE connect_attempts (
        state_hash TEXT PRIMARY KEY,
        session_hash TEXT NOT NULL REFERENCES web_sessions(id_hash) ON DELETE CASCADE,
        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        verifier_enc TEXT NOT NULL,
        nonce TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX connect_attempts_expiry ON connect_attempts (expires_at);
      CREATE INDEX workspace_members_user ON workspace_members (user_id);
      CREATE INDEX api_keys_user ON api_keys (user_id);
    `,
  },
  {
    version: 25,
    name: 'Twinfield password logins (deprecated): the password, encrypted by the vault',
    up: `
      ALTER TABLE connections ADD COLUMN password_enc TEXT;
    `,
  },
  {
    version: 30,
    name: 'sync engine: probe fingerprints, error codes, vanished administrations, one sync per administration and table across processes',
    up: `
      ALTER TABLE sync_state ADD COLUMN fingerprint TEXT;
      ALTER TABLE sync_state ADD COLUMN last_error_code TEXT;
      ALTER TABLE administrations ADD COLUMN missing_since INTEGER;
      CREATE TABLE sync_leases (
        administration_id INTEGER NOT NULL REFERENCES administrations(id) ON DELETE CASCADE,
        table_name TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (administration_id, table_name)
      );
    `,
  },
  {
    version: 35,
    name: 'connect attempts: what the person chose on the connect form (e.g. the Exact Online country host)',
    up: `
      ALTER TABLE connect_attempts ADD COLUMN choices_json TEXT NOT NULL DEFAULT '{}';
    `,
  },
];

export function migrate(db: Database.Database, list: Migration[] = migrations): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  let applied = 0;
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    const run = db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (done) return false;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      return true;
    });
    if (run.immediate()) applied++;
  }
  return applied;
}

export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
