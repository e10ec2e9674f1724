// Streaming: a large page is written only as fast as the client reads it, and a client that leaves in the
// middle stops the read at once (its SQLite snapshot is released), so slow or vanished clients cost nothing.
import http from 'node:http';
import { mirrorTableName, quoteIdentifier } from '../../server/src/store/mirror';
import { TRANSACTION_LINES } from './fixtures';
import { POWER_BI_HEADERS, startFeed, type Feed } from './harness';

const EXTRA_ROWS = 30_000;
let feed: Feed;
beforeAll(async () => {
  feed = await startFeed({ pageSize: 100_000 });
  const table = quoteIdentifier(mirrorTableName(TRANSACTION_LINES));
  feed.db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO ${table} (_administration_id, _hash, "Division", "ID", "EntryNumber", "Date", "AmountDC", "Timestamp", "GLAccountCode", "Description")
       SELECT ?, 'h', 310101, lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
              i, '2024-01-01', i * 100, i, '8000', 'a long enough description to make the page several megabytes'
       FROM n`,
    )
    .run(EXTRA_ROWS, feed.administrationIds.get('exactonline:310101'));
});
afterAll(() => feed.close());

/** Starts a request, reads `chunks` chunks, then lets `whileOpen` act before the connection is destroyed. */
function readPartly(path: string, chunks: number, whileOpen: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(feed.url + path, { headers: POWER_BI_HEADERS }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (--chunks === 0) {
          res.pause(); // a slow client: the server must wait instead of buffering the rest
          setTimeout(() => {
            whileOpen();
            request.destroy();
            resolve(received);
          }, 100);
        }
      });
    });
    request.on('error', (e: Error & { code?: string }) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
  });
}

describe('streaming a large page', () => {
  it('holds back while the client does not read, and stops when it leaves', async () => {
    // A write before and one during the read: a checkpoint cannot pass frames a live read snapshot may need.
    const touch = () => feed.db.prepare("UPDATE workspaces SET name = name || '.' WHERE slug = 'acme'").run();
    const checkpoint = () => (feed.db.pragma('wal_checkpoint(PASSIVE)', { simple: false }) as { log: number; checkpointed: number }[])[0];
    touch();
    let whileOpen = { log: 0, checkpointed: 0 };
    const received = await readPartly('/acme/exactonline/TransactionLines', 2, () => {
      touch();
      whileOpen = checkpoint();
    });
    expect(received).toBeLessThan(4 * 1024 * 1024); // far less than the page: the server waited for the reader
    expect(whileOpen.checkpointed).toBeLessThan(whileOpen.log); // the page's read snapshot was open then
    let after = checkpoint();
    for (let i = 0; i < 100 && after.checkpointed < after.log; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = checkpoint();
    }
    expect(after.checkpointed).toBe(after.log); // and was released once the client had gone
  });

  it('keeps serving after many clients left mid-page', async () => {
    for (let i = 0; i < 12; i++) await readPartly('/acme/exactonline/TransactionLines', 1, () => undefined);
    const response = await feed.get('/acme/exactonline/TransactionLines?$count=true&$top=1');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { '@odata.count': number })['@odata.count']).toBe(feed.rows.TransactionLines.length + EXTRA_ROWS);
  });
});
