// Partial batches: a unit a source streams in pieces (a Twinfield book year) reaches the mirror whole, with the batch
// that completes it, or not at all — an answer that breaks off half-way leaves nothing of it behind.
import type { ChangeBatch, DiscoveredAdministration, FetchContext, SourceConnector, UpstreamRow } from '../../server/src/sources/connector';
import { UpstreamMalformed } from '../../server/src/sources/errors';
import { SyncEngine } from '../../server/src/sync';
import { LINES } from './fake-connector';
import { administrationIds, FAST, mirrorRows, rowCount, tempStore, type TestStore } from './helpers';

const line = (n: number, description = `line ${n}`): UpstreamRow => ({
  ID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  EntryNumber: n,
  Amount: `${n}.50`,
  Date: '2026-01-31',
  Description: description,
  Modified: Date.UTC(2026, 0, 31),
});

/** Streams lines 1–30 as three partial batches and a closing one; `breakAfter` partial batches, then fails instead. */
class StreamingConnector implements SourceConnector {
  readonly source = 'exactonline' as const;
  readonly tables = [LINES];
  breakAfter: number | null = null;
  description = 'line';
  /** Deliver lines 1–30 again whatever the cursor says (as a source does that re-reads a unit). */
  fromStart = false;

  async discoverAdministrations(): Promise<DiscoveredAdministration[]> {
    return [{ code: '310101', name: 'Demo' }];
  }

  async *snapshot(): AsyncIterable<UpstreamRow[]> {
    yield [];
  }

  async *changes(_table: unknown, _ctx: FetchContext, cursor: string | null): AsyncIterable<ChangeBatch> {
    const start = cursor === null || this.fromStart ? 0 : Number(cursor);
    for (let piece = 0; piece < 3; piece++) {
      if (this.breakAfter === piece) throw new UpstreamMalformed('the answer broke off half-way', { administration: '310101' });
      const rows = Array.from({ length: 10 }, (_, i) => line(start + piece * 10 + i + 1, `${this.description} ${start + piece * 10 + i + 1}`));
      yield { deletes: [], upserts: rows, cursor: String(start), partial: true };
    }
    yield { deletes: [], upserts: [], cursor: String(start + 30) };
  }
}

describe('partial batches', () => {
  let store: TestStore;
  let connector: StreamingConnector;
  let engine: SyncEngine;
  let administrationId: number;
  beforeEach(async () => {
    store = tempStore();
    connector = new StreamingConnector();
    engine = new SyncEngine({ db: store.db, config: { maxParallel: 2, maxStalenessSeconds: 0, serveStaleOnError: false }, connectors: [connector], ...FAST, retry: { ...FAST.retry, attempts: 1 } });
    await engine.refreshAdministrations(store.connectionId);
    administrationId = administrationIds(store.db, store.workspaceId).get('310101')!;
  });
  afterEach(() => {
    engine.close();
    store.cleanup();
  });

  it('commits the pieces of a unit together with the batch that completes it', async () => {
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId });
    expect(summary.failed).toBe(0);
    expect(summary.results[0]).toMatchObject({ added: 30, changed: 0, rowCount: 30 });
    expect(mirrorRows(store.db, LINES, administrationId)).toHaveLength(30);
    expect(rowCount(store.db, administrationId, 'Lines')).toBe(30);
  });

  it('leaves nothing of a unit whose stream fails half-way, and keeps the cursor where it was', async () => {
    connector.breakAfter = 2;
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId });
    expect(summary.results[0]).toMatchObject({ outcome: 'failed', error: { code: 'UpstreamMalformed' } });
    expect(mirrorRows(store.db, LINES, administrationId)).toHaveLength(0);
    expect(rowCount(store.db, administrationId, 'Lines')).toBe(0);

    connector.breakAfter = null;
    expect((await engine.syncWorkspace({ workspaceId: store.workspaceId })).failed).toBe(0);
    expect(mirrorRows(store.db, LINES, administrationId)).toHaveLength(30);
  });

  it('counts the rows of a unit delivered again as changed when they changed, and not at all when not', async () => {
    await engine.syncWorkspace({ workspaceId: store.workspaceId });
    connector.fromStart = true;
    expect((await engine.syncWorkspace({ workspaceId: store.workspaceId })).results[0]).toMatchObject({ outcome: 'synced', changed: 0, added: 0, rowCount: 30 });
    connector.description = 'changed';
    expect((await engine.syncWorkspace({ workspaceId: store.workspaceId })).results[0]).toMatchObject({ outcome: 'synced', changed: 30, added: 0, rowCount: 30 });
    expect(mirrorRows(store.db, LINES, administrationId).every((row) => String(row.Description).startsWith('changed'))).toBe(true);
  });
});
