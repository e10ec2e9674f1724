// A feed over a real SQLite mirror in a temp directory, served by createFeedRouter over real HTTP, with
// stand-in dependencies: a fixed API key, two workspaces, administrations from the store with a sync
// status the test controls, and an ensureFresh that records its calls (or fails, when told to).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { silentLogger } from '../../server/src/logger';
import { openDatabase, type Db } from '../../server/src/store/database';
import { ensureMirrorTable, mirrorTableName, quoteIdentifier } from '../../server/src/store/mirror';
import { toStored } from '../../server/src/tables/values';
import type { SourceName, TableDescription } from '../../server/src/tables/description';
import { createFeedRouter, type FeedRouter } from '../../server/src/odata/router';
import type { AdministrationStatus, FreshnessRequest, TableSyncStatus } from '../../server/src/odata/dependencies';
import { ADMINISTRATIONS, FIXTURE_TABLES, fixtureRows, type FixtureRow } from './fixtures';

export const API_KEY = 'lf_test_key_7d1c';

/** The headers OData.Feed (Implementation 2.0) sends, from reference/powerbi.md. */
export const POWER_BI_HEADERS = {
  'User-Agent': 'Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)',
  'OData-MaxVersion': '4.0',
  MaxDataServiceVersion: '3.0',
  Accept:
    'application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7',
  Authorization: `Basic ${Buffer.from(`:${API_KEY}`).toString('base64')}`,
};

export interface Feed {
  url: string;
  db: Db;
  rows: Record<string, FixtureRow[]>;
  freshness: FreshnessRequest[];
  /** Make ensureFresh fail (or wait) for the next requests; null restores success. */
  failFreshness: ((request: FreshnessRequest) => Promise<void>) | null;
  /** Make administrations() throw, to see how unexpected errors are answered. */
  failAdministrations: Error | null;
  syncStatus: Map<number, TableSyncStatus[]>;
  administrationIds: Map<string, number>;
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

function insertRows(db: Db, table: TableDescription, administrationId: number, rows: FixtureRow[]): void {
  ensureMirrorTable(db, table);
  const columns = table.columns.map((c) => quoteIdentifier(c.name));
  const insert = db.prepare(
    `INSERT INTO ${quoteIdentifier(mirrorTableName(table))} (_administration_id, _hash, ${columns.join(', ')}) VALUES (?, ?, ${columns.map(() => '?').join(', ')})`,
  );
  db.transaction(() => {
    for (const row of rows) insert.run(administrationId, 'h', ...table.columns.map((c) => toStored(c, row[c.name])));
  })();
}

export async function startFeed(options: { pageSize?: number } = {}): Promise<Feed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-odata-'));
  const db = openDatabase(dir);
  const now = Date.UTC(2024, 5, 1);
  const workspace = (slug: string) => Number(db.prepare('INSERT INTO workspaces (slug, name, created_at) VALUES (?, ?, ?)').run(slug, slug, now).lastInsertRowid);
  const acme = workspace('acme');
  workspace('other'); // exists, but the test key may not read it
  const administrationIds = new Map<string, number>();
  for (const [source, list] of Object.entries(ADMINISTRATIONS) as [SourceName, (typeof ADMINISTRATIONS)[SourceName]][]) {
    const connection = Number(
      db.prepare('INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(acme, source, 'k', 'login', 'http://x', now).lastInsertRowid,
    );
    for (const a of list) {
      const id = Number(
        db
          .prepare('INSERT INTO administrations (workspace_id, connection_id, source, code, name, selected, discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(acme, connection, source, a.code, a.name, a.selected ? 1 : 0, now).lastInsertRowid,
      );
      administrationIds.set(`${source}:${a.code}`, id);
    }
  }
  const rows: Record<string, FixtureRow[]> = {};
  for (const table of FIXTURE_TABLES) {
    rows[table.name] = [];
    for (const a of ADMINISTRATIONS[table.source]) {
      const generated = fixtureRows(table, a.code);
      insertRows(db, table, administrationIds.get(`${table.source}:${a.code}`) as number, generated);
      if (a.selected) rows[table.name].push(...generated);
    }
  }
  const syncStatus = new Map<number, TableSyncStatus[]>();
  const feed: Feed = {
    url: '',
    db,
    rows,
    freshness: [],
    failFreshness: null,
    failAdministrations: null,
    syncStatus,
    administrationIds,
    get: (p, headers = POWER_BI_HEADERS) => fetch(feed.url + p, { headers }),
    close: async () => undefined,
  };
  const router: FeedRouter = createFeedRouter<{ name: string }>({
    db,
    config: { pageSize: options.pageSize ?? 10_000 },
    logger: silentLogger,
    tables: (source) => FIXTURE_TABLES.filter((t) => t.source === source),
    authenticate: async (req) => {
      const header = req.headers.authorization ?? '';
      if (header === `Bearer ${API_KEY}`) return { name: 'bearer' };
      if (header.startsWith('Basic ')) {
        const [user, password] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
        if (password === API_KEY) return { name: user };
      }
      return null;
    },
    workspaceFor: async (_user, slug) => (slug === 'acme' ? { id: acme, slug } : null),
    administrations: (workspaceId, source): AdministrationStatus[] => {
      if (feed.failAdministrations) throw feed.failAdministrations;
      const list = db
        .prepare('SELECT id, code, name, selected FROM administrations WHERE workspace_id = ? AND source = ? ORDER BY code')
        .all(workspaceId, source) as { id: number; code: string; name: string; selected: number }[];
      return list.map((a) => ({ id: a.id, code: a.code, name: a.name, selected: a.selected === 1, tables: syncStatus.get(a.id) ?? [] }));
    },
    ensureFresh: async (request) => {
      feed.freshness.push(request);
      if (feed.failFreshness) await feed.failFreshness(request);
    },
  });
  const app = express();
  app.use('/odata', router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  feed.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/odata`;
  feed.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        router.close();
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    });
  return feed;
}

export interface ODataCollection {
  '@odata.context'?: string;
  '@odata.count'?: number | string;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

/** Follows next links from `first` to the end, as Power BI does; returns every page. */
export async function pullAll(feed: Feed, first: string, headers: Record<string, string> = POWER_BI_HEADERS): Promise<ODataCollection[]> {
  const pages: ODataCollection[] = [];
  let url: string | undefined = feed.url + first;
  while (url) {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as ODataCollection;
    pages.push(page);
    url = page['@odata.nextLink'];
    if (pages.length > 10_000) throw new Error('next links never end');
  }
  return pages;
}
