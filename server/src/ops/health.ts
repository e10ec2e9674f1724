// Health for orchestrators and monitoring: /healthz (the process answers), /readyz (the store takes writes,
// the secret key works, the server is not shutting down — 503 with the reasons otherwise) and /metrics
// (Prometheus text), which by default only answers direct connections from this machine.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import express, { type Request } from 'express';
import type { Config } from '../config';
import { databasePath, type Db } from '../store/database';
import type { Vault } from '../store/vault';
import { METRICS_CONTENT_TYPE, type LedgerfeedMetrics } from './metrics';

export interface ReadinessReport {
  ready: boolean;
  /** Why not, one sentence each; empty when ready. */
  reasons: string[];
}

/** Answers "can this instance serve requests now?" with real checks, on a connection of its own. */
export class Readiness {
  private db: Db | null = null;
  private draining = false;

  constructor(private readonly deps: { dataDir: string; vault: Vault }) {}

  /** From now on the instance reports not ready, so load balancers stop sending it requests. */
  markDraining(): void {
    this.draining = true;
  }

  check(): ReadinessReport {
    const reasons: string[] = [];
    if (this.draining) reasons.push('the server is shutting down');
    const store = this.storeProblem();
    if (store) reasons.push(store);
    if (!this.keyWorks()) reasons.push('the secret key cannot encrypt and decrypt');
    return { ready: reasons.length === 0, reasons };
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }

  /** A write in an immediate transaction, rolled back; a lock held by another writer means the store is writable and busy. */
  private storeProblem(): string | null {
    try {
      fs.accessSync(this.deps.dataDir, fs.constants.W_OK);
      // Not openDatabase: its migrations would wait for the write lock this check must not wait for.
      const db = (this.db ??= new Database(databasePath(this.deps.dataDir), { fileMustExist: true, timeout: 0 }));
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
        throw err;
      }
      try {
        db.prepare('UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)').run();
      } finally {
        db.exec('ROLLBACK');
      }
      return null;
    } catch (err) {
      this.close();
      const code = (err as { code?: string }).code;
      return `the store does not take writes${code ? ` (${code})` : ''}`;
    }
  }

  private keyWorks(): boolean {
    try {
      return this.deps.vault.decrypt(this.deps.vault.encrypt('ready', 'readiness'), 'readiness') === 'ready';
    } catch {
      return false;
    }
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** A connection straight from this machine — not one a reverse proxy on this machine forwarded. */
export function isDirectLocal(req: Request): boolean {
  return LOOPBACK.test(req.socket.remoteAddress ?? '') && req.get('x-forwarded-for') === undefined && req.get('forwarded') === undefined;
}

export function createHealthRouter(deps: { readiness: Readiness; metrics: LedgerfeedMetrics; config: Pick<Config, 'metrics'> }): express.Router {
  const router = express.Router();
  const noStore: express.RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.get('/healthz', noStore, (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', noStore, (_req, res) => {
    const report = deps.readiness.check();
    res.status(report.ready ? 200 : 503).json(report.ready ? { status: 'ready' } : { status: 'not ready', reasons: report.reasons });
  });

  router.get('/metrics', noStore, (req, res, next) => {
    if (deps.config.metrics === 'off') return next();
    if (deps.config.metrics === 'loopback' && !isDirectLocal(req)) {
      res.status(403).type('text/plain').send('Metrics are served only to direct connections from this machine (LEDGERFEED_METRICS=loopback).\n');
      return;
    }
    deps.metrics.render().then((text) => {
      res.setHeader('Content-Type', METRICS_CONTENT_TYPE);
      res.end(text);
    }, next);
  });

  return router;
}
