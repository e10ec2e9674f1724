// Benchmark of the OData feed: 200,000 TransactionLines-like rows (8 administrations × 25,000, 22 columns)
// in a SQLite mirror, served by createFeedRouter in a child process over HTTP, pulled in full by following
// @odata.nextLink with the default page size, as Power BI does. Prints rows a second (median of several
// pulls), the server's peak RSS, and the floor: the same rows read with better-sqlite3 and JSON.stringify'd.
// Targets: at least 40% of the floor's rate, server RSS under 300 MB. The baseline, in the same run: the same rows
// served by an odata-v4-server controller through its default entity path (what the feed deliberately does not use
// at run time), in a child process of its own, measured on the first 25,000 rows (it is too slow for 200,000).
// Run: npm run bench:odata
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import express from 'express';
import { Edm, ODataController, ODataServer, odata } from 'odata-v4-server';
import { loadConfig } from '../../server/src/config';
import { silentLogger } from '../../server/src/logger';
import { createFeedRouter } from '../../server/src/odata';
import { openDatabase, type Db } from '../../server/src/store/database';
import { ensureMirrorTable, mirrorTableName, quoteIdentifier } from '../../server/src/store/mirror';
import type { TableDescription } from '../../server/src/tables/description';
import { storedToJson, toStored, type StoredValue } from '../../server/src/tables/values';

const ADMINISTRATIONS = 8;
const ROWS_PER_ADMINISTRATION = 25_000;
const PULLS = 5;
/** odata-v4-server serializes a few thousand rows a second: it is measured on this many (one administration's). */
const BASELINE_ROWS = 25_000;
const BASELINE_PULLS = 3;
const API_KEY = 'bench-key';
const ACCEPT = 'application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7';

const TABLE: TableDescription<'exactonline'> = {
  source: 'exactonline',
  name: 'TransactionLines',
  description: 'Transaction lines, shaped like Exact Online’s.',
  columns: [
    { name: 'Division', type: 'Edm.Int32', description: 'Division.' },
    { name: 'ID', type: 'Edm.Guid', description: 'Line id.' },
    { name: 'AccountCode', type: 'Edm.String', description: 'Customer or supplier code.' },
    { name: 'AmountDC', type: 'Edm.Decimal', scale: 2, nullable: false, description: 'Amount, default currency.' },
    { name: 'AmountFC', type: 'Edm.Decimal', scale: 2, nullable: false, description: 'Amount, foreign currency.' },
    { name: 'AmountVATFC', type: 'Edm.Decimal', scale: 2, description: 'VAT amount.' },
    { name: 'CostCenter', type: 'Edm.String', description: 'Cost center.' },
    { name: 'Currency', type: 'Edm.String', nullable: false, description: 'Currency code.' },
    { name: 'Date', type: 'Edm.Date', nullable: false, description: 'Booking date.' },
    { name: 'Description', type: 'Edm.String', description: 'Description.' },
    { name: 'EntryNumber', type: 'Edm.Int32', nullable: false, description: 'Entry number.' },
    { name: 'FinancialPeriod', type: 'Edm.Int16', nullable: false, description: 'Period.' },
    { name: 'FinancialYear', type: 'Edm.Int16', nullable: false, description: 'Year.' },
    { name: 'GLAccountCode', type: 'Edm.String', nullable: false, description: 'GL account.' },
    { name: 'InvoiceNumber', type: 'Edm.Int32', description: 'Invoice number.' },
    { name: 'JournalCode', type: 'Edm.String', nullable: false, description: 'Journal.' },
    { name: 'LineNumber', type: 'Edm.Int32', nullable: false, description: 'Line number.' },
    { name: 'Modified', type: 'Edm.DateTimeOffset', nullable: false, description: 'Last change.' },
    { name: 'Quantity', type: 'Edm.Double', description: 'Quantity.' },
    { name: 'Status', type: 'Edm.Int16', nullable: false, description: 'Status.' },
    { name: 'Timestamp', type: 'Edm.Int64', nullable: false, description: 'Row version.' },
    { name: 'VATCode', type: 'Edm.String', description: 'VAT code.' },
  ],
  key: ['Division', 'ID'],
  administrationColumn: 'Division',
  sync: 'exact-sync',
  upstream: null,
};

const WORDS = ['Omzet', 'Inkoop', 'Huur', 'Kantoorartikelen', 'Bankkosten', 'Loonkosten', 'Afschrijving', "Lunch 'klant'", 'Café', 'Energie'];

/** A deterministic pseudo-random sequence (fast enough for 200,000 rows). */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function fillMirror(db: Db): number[] {
  const now = Date.UTC(2024, 5, 1);
  const workspace = Number(db.prepare("INSERT INTO workspaces (slug, name, created_at) VALUES ('bench', 'Bench', ?)").run(now).lastInsertRowid);
  const connection = Number(
    db.prepare("INSERT INTO connections (workspace_id, source, external_key, label, base_url, created_at) VALUES (?, 'exactonline', 'k', 'bench', 'http://x', ?)").run(workspace, now).lastInsertRowid,
  );
  ensureMirrorTable(db, TABLE);
  const columns = TABLE.columns.map((c) => quoteIdentifier(c.name));
  const insert = db.prepare(`INSERT INTO ${quoteIdentifier(mirrorTableName(TABLE))} (_administration_id, _hash, ${columns.join(', ')}) VALUES (?, 'h', ${columns.map(() => '?').join(', ')})`);
  const ids: number[] = [];
  db.transaction(() => {
    for (let a = 0; a < ADMINISTRATIONS; a++) {
      const division = 310101 + a;
      const id = Number(
        db
          .prepare("INSERT INTO administrations (workspace_id, connection_id, source, code, name, selected, discovered_at) VALUES (?, ?, 'exactonline', ?, ?, 1, ?)")
          .run(workspace, connection, String(division), `Administration ${a + 1}`, now).lastInsertRowid,
      );
      ids.push(id);
      const random = sequence(division);
      for (let i = 0; i < ROWS_PER_ADMINISTRATION; i++) {
        const hex = Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')).join('');
        const row: Record<string, unknown> = {
          Division: division,
          ID: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
          AccountCode: i % 3 === 0 ? null : `C${1000 + (i % 500)}`,
          AmountDC: ((random() * 2_000_000 - 1_000_000) / 100).toFixed(2),
          AmountFC: ((random() * 2_000_000 - 1_000_000) / 100).toFixed(2),
          AmountVATFC: i % 4 === 0 ? null : ((random() * 40_000) / 100).toFixed(2),
          CostCenter: i % 5 === 0 ? null : `CC${i % 40}`,
          Currency: 'EUR',
          Date: new Date(Date.UTC(2022, 0, 1) + (i % 900) * 86_400_000).toISOString().slice(0, 10),
          Description: `${WORDS[i % WORDS.length]} ${i}`,
          EntryNumber: 20_000 + Math.floor(i / 4),
          FinancialPeriod: (i % 12) + 1,
          FinancialYear: 2022 + (i % 3),
          GLAccountCode: String(1000 + (i % 90) * 100),
          InvoiceNumber: i % 2 === 0 ? 50_000 + i : null,
          JournalCode: ['70', '80', '90'][i % 3],
          LineNumber: (i % 4) + 1,
          Modified: Date.UTC(2022, 0, 1) + i * 60_000 + a,
          Quantity: i % 7 === 0 ? null : (i % 50) / 4,
          Status: 20,
          Timestamp: String(7_000_000_000 + i * 8 + a),
          VATCode: i % 6 === 0 ? null : '2',
        };
        insert.run(id, ...TABLE.columns.map((c) => toStored(c, row[c.name])));
      }
    }
  })();
  return ids;
}

/**
 * The floor: the same rows, in the same order, read with better-sqlite3 and JSON.stringify'd row by row (the
 * fastest plain way; `.all()` and one JSON.stringify of the whole array measured about half as fast here).
 */
function floorRate(file: string, ids: number[]): number {
  const db = new Database(file, { readonly: true });
  const columns = TABLE.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const statement = db.prepare(`SELECT ${columns} FROM ${quoteIdentifier(mirrorTableName(TABLE))} WHERE +_administration_id IN (${ids.join(',')}) ORDER BY "Division", "ID"`);
  const started = process.hrtime.bigint();
  let rows = 0;
  let bytes = 0;
  for (const row of statement.iterate()) {
    bytes += JSON.stringify(row).length;
    rows++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  if (rows !== ADMINISTRATIONS * ROWS_PER_ADMINISTRATION || bytes === 0) throw new Error('floor read the wrong rows');
  return rows / seconds;
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { Accept: ACCEPT, 'OData-MaxVersion': '4.0', Authorization: `Basic ${Buffer.from(`:${API_KEY}`).toString('base64')}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: ${res.statusCode}`))));
    });
    request.on('error', reject);
  });
}

/** The next link at the end of a page, found without parsing it (the client parses while the next page streams). */
function nextLinkOf(text: string): string | undefined {
  const at = text.lastIndexOf('"@odata.nextLink":');
  return at < 0 ? undefined : (JSON.parse(text.slice(at + '"@odata.nextLink":'.length, -1)) as string);
}

/** A full pull following next links, parsing and counting every page like a client; returns rows a second. */
async function pull(url: string, expectedRows = ADMINISTRATIONS * ROWS_PER_ADMINISTRATION): Promise<{ rate: number; pages: number }> {
  const started = process.hrtime.bigint();
  let rows = 0;
  let pages = 0;
  let pending: Promise<string> | null = get(url);
  while (pending) {
    const text: string = await pending;
    const next = nextLinkOf(text);
    pending = next ? get(next) : null;
    const page = JSON.parse(text) as { value: unknown[]; '@odata.nextLink'?: string };
    if (page['@odata.nextLink'] !== next) throw new Error('next link misread');
    rows += page.value.length;
    pages++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (rows !== expectedRows) throw new Error(`pulled ${rows} rows, expected ${expectedRows}`);
  return { rate: rows / seconds, pages };
}

/** The server side, run in a child process so its memory is measured alone. */
async function serve(dataDir: string): Promise<void> {
  const db = openDatabase(dataDir);
  const router = createFeedRouter<string>({
    db,
    config: { pageSize: loadConfig('sandbox', {}).pageSize },
    logger: silentLogger,
    tables: (source) => (source === 'exactonline' ? [TABLE] : []),
    authenticate: async (req) => (req.headers.authorization === `Basic ${Buffer.from(`:${API_KEY}`).toString('base64')}` ? 'bench' : null),
    workspaceFor: async (_user, slug) => (slug === 'bench' ? { id: 1, slug } : null),
    administrations: (workspaceId, source) =>
      (db.prepare('SELECT id, code, name, selected FROM administrations WHERE workspace_id = ? AND source = ?').all(workspaceId, source) as { id: number; code: string; name: string; selected: number }[]).map((a) => ({
        id: a.id,
        code: a.code,
        name: a.name,
        selected: a.selected === 1,
        tables: [],
      })),
    ensureFresh: async () => undefined,
  });
  const app = express();
  app.use('/odata', router);
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', (message) => {
    if (message === 'report') process.send?.({ maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  });
}

type Decorator = (target: object, key: string) => void;
const EDM_DECORATORS: Record<string, Decorator> = {
  'Edm.Int16': Edm.Int16,
  'Edm.Int32': Edm.Int32,
  'Edm.Int64': Edm.Int64,
  'Edm.Decimal': Edm.Decimal,
  'Edm.Double': Edm.Double,
  'Edm.String': Edm.String,
  'Edm.Guid': Edm.Guid,
  'Edm.Date': Edm.Date,
  'Edm.DateTimeOffset': Edm.DateTimeOffset,
};

/**
 * The baseline server, in a child process: the same rows (the first BASELINE_ROWS in key order, JSON values as the
 * feed writes them) returned by an odata-v4-server controller's `find`, served through its default entity path.
 * Its decorators are applied as functions (the project compiles without experimental decorators).
 */
async function serveBaseline(dataDir: string): Promise<void> {
  const db = openDatabase(dataDir, { readonly: true });
  const columns = TABLE.columns;
  const select = db.prepare<[], Record<string, StoredValue>>(
    `SELECT ${columns.map((c) => quoteIdentifier(c.name)).join(', ')} FROM ${quoteIdentifier(mirrorTableName(TABLE))} ORDER BY "Division", "ID" LIMIT ${BASELINE_ROWS}`,
  );
  class TransactionLine {}
  for (const column of columns) {
    if (TABLE.key.includes(column.name)) (Edm.Key as Decorator)(TransactionLine.prototype, column.name);
    EDM_DECORATORS[column.type](TransactionLine.prototype, column.name);
  }
  class TransactionLinesController extends ODataController {
    find(): Record<string, unknown>[] {
      return select.all().map((row) => Object.fromEntries(columns.map((c) => [c.name, storedToJson(c, row[c.name])])));
    }
  }
  (odata.GET as (target: object, key: string, descriptor?: PropertyDescriptor) => void)(TransactionLinesController.prototype, 'find', Object.getOwnPropertyDescriptor(TransactionLinesController.prototype, 'find'));
  class BaselineServer extends ODataServer {}
  (odata.controller as (controller: typeof ODataController, name: string, type: Function) => (server: typeof ODataServer) => void)(TransactionLinesController, 'TransactionLines', TransactionLine)(BaselineServer);
  const app = express();
  app.use('/odata', BaselineServer.create());
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerfeed-bench-'));
  let child: ChildProcess | null = null;
  try {
    const db = openDatabase(dataDir);
    process.stdout.write(`Filling a mirror with ${ADMINISTRATIONS} × ${ROWS_PER_ADMINISTRATION} rows of ${TABLE.columns.length} columns… `);
    const ids = fillMirror(db);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    console.log('done');

    const floors = Array.from({ length: PULLS }, () => floorRate(path.join(dataDir, 'ledgerfeed.sqlite'), ids));

    child = fork(__filename, ['--serve', dataDir], { execArgv: process.execArgv, stdio: 'inherit' });
    const { port } = await next<{ port: number }>(child);
    const feedUrl = `http://127.0.0.1:${port}/odata/bench/exactonline/TransactionLines`;
    await pull(feedUrl); // warm-up: compiles the encoder, fills SQLite's page cache
    const pulls: { rate: number; pages: number }[] = [];
    for (let i = 0; i < PULLS; i++) pulls.push(await pull(feedUrl));
    child.send('report');
    const { maxRssBytes } = await next<{ maxRssBytes: number }>(child);
    child.kill();

    child = fork(__filename, ['--serve-baseline', dataDir], { execArgv: process.execArgv, stdio: 'inherit' });
    const baselineUrl = `http://127.0.0.1:${(await next<{ port: number }>(child)).port}/odata/TransactionLines`;
    await pull(baselineUrl, BASELINE_ROWS);
    const baselines: { rate: number; pages: number }[] = [];
    for (let i = 0; i < BASELINE_PULLS; i++) baselines.push(await pull(baselineUrl, BASELINE_ROWS));

    const floor = median(floors);
    const feed = median(pulls.map((p) => p.rate));
    const ratio = feed / floor;
    const rssMb = maxRssBytes / 2 ** 20;
    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`feed:  ${f(feed)} rows/s over HTTP, ${pulls[0].pages} pages of the default size (median of ${PULLS} full pulls: ${pulls.map((p) => f(p.rate)).join(', ')})`);
    console.log(`floor: ${f(floor)} rows/s, better-sqlite3 .iterate() + JSON.stringify per row, in-process (median of ${PULLS}: ${floors.map(f).join(', ')})`);
    const baseline = median(baselines.map((p) => p.rate));
    console.log(
      `baseline: ${f(baseline)} rows/s over HTTP, odata-v4-server's default entity path, on the first ${f(BASELINE_ROWS)} rows (median of ${BASELINE_PULLS} pulls: ${baselines.map((p) => f(p.rate)).join(', ')}); the feed is ${(feed / baseline).toFixed(1)}× faster`,
    );
    console.log(`ratio: ${(ratio * 100).toFixed(1)}% of the floor (target ≥ 40%) ${ratio >= 0.4 ? 'OK' : 'BELOW TARGET'}`);
    console.log(`server peak RSS: ${rssMb.toFixed(1)} MB (target < 300 MB) ${rssMb < 300 ? 'OK' : 'ABOVE TARGET'}`);
    if (ratio < 0.4 || rssMb >= 300) process.exitCode = 1;
  } finally {
    child?.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') void serve(process.argv[3]);
else if (process.argv[2] === '--serve-baseline') void serveBaseline(process.argv[3]);
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
