// Sign-in sessions for the web pages, kept server-side in SQLite rather than in a signed cookie: signing
// out (or revoking) really ends a session, the cookie carries nothing but a random id, and only the id's
// SHA-256 is stored, so a copy of the database does not let anyone in. Each session carries its CSRF token
// (synchronizer-token pattern).
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import type { Clock } from '../clock';
import { HOUR } from '../clock';
import type { Db } from '../store/database';

export interface WebSession {
  idHash: string;
  /** null before sign-in: the sign-in form itself needs a session to bind its CSRF token to. */
  userId: number | null;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionLifetimes {
  anonymousMs: number;
  signedInMs: number;
}

const DEFAULT_LIFETIMES: SessionLifetimes = { anonymousMs: 1 * HOUR, signedInMs: 12 * HOUR };

const randomToken = (): string => crypto.randomBytes(32).toString('base64url');
const sha256 = (text: string): string => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export class WebSessions {
  private readonly lifetimes: SessionLifetimes;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    lifetimes: Partial<SessionLifetimes> = {},
  ) {
    this.lifetimes = { ...DEFAULT_LIFETIMES, ...lifetimes };
  }

  /** A new session; `cookieValue` is the only copy of its id. */
  start(userId: number | null): { cookieValue: string; session: WebSession } {
    const now = this.clock.now();
    this.db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?').run(now);
    const cookieValue = randomToken();
    const session: WebSession = {
      idHash: sha256(cookieValue),
      userId,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt: now + (userId === null ? this.lifetimes.anonymousMs : this.lifetimes.signedInMs),
    };
    this.db
      .prepare('INSERT INTO web_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(session.idHash, session.userId, session.csrfToken, session.createdAt, session.expiresAt);
    return { cookieValue, session };
  }

  find(cookieValue: string): WebSession | null {
    const row = this.db.prepare('SELECT * FROM web_sessions WHERE id_hash = ? AND expires_at > ?').get(sha256(cookieValue), this.clock.now()) as
      | { id_hash: string; user_id: number | null; csrf_token: string; created_at: number; expires_at: number }
      | undefined;
    return row ? { idHash: row.id_hash, userId: row.user_id, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt: row.expires_at } : null;
  }

  end(session: WebSession): void {
    this.db.prepare('DELETE FROM web_sessions WHERE id_hash = ?').run(session.idHash);
  }
}

/** Constant-time comparison of a submitted form token with the session's. */
export function csrfTokenMatches(session: WebSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(submitted, 'utf8');
  const b = Buffer.from(session.csrfToken, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/**
 * The session cookie: HttpOnly, SameSite=Lax, and — when the public URL is https — Secure with the
 * `__Host-` prefix (no Domain, Path=/), which browsers then refuse to let any other origin set.
 */
export class SessionCookie {
  constructor(private readonly publicUrl: () => string) {}

  private get secure(): boolean {
    return this.publicUrl().startsWith('https:');
  }

  get name(): string {
    return this.secure ? '__Host-ledgerfeed_session' : 'ledgerfeed_session';
  }

  read(req: Request): string | null {
    const header = req.get('cookie');
    if (!header) return null;
    return parseCookies(header)[this.name] ?? null;
  }

  write(res: Response, cookieValue: string, session: WebSession): void {
    res.cookie(this.name, cookieValue, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      path: '/',
      maxAge: Math.max(0, session.expiresAt - session.createdAt),
    });
  }

  clear(res: Response): void {
    res.clearCookie(this.name, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/' });
  }
}
