// The mirror after syncs equals the upstream's books: first load, incremental changes, deletes by key and
// by entry, duplicates, reloads on an invalid cursor, probes, hash-diffed reloads and malformed pages.
import { SyncEngine } from '../../server/src/sync';
import { ACCOUNTS, FakeConnector, LINES } from './fake-connector';
import { administrationIds, createEngine, expectedRows, mirrorRows, rowCount, tempStore, type TestStore } from './helpers';

describe('sync engine: the mirror', () => {
  let store: TestStore;
  let fake: FakeConnector;
  let engine: SyncEngine;
  let ids: Map<string, number>;

  async function setUp(options: ConstructorParameters<typeof FakeConnector>[0] = {}) {
    fake = new FakeConnector({ codes: ['310101', '310102'], ...options });
    engine = createEngine(store, fake);
    await engine.refreshAdministrations(store.connectionId);
    ids = administrationIds(store.db, store.workspaceId);
  }

  function expectMirrorToMatchUpstream(code: string, table = LINES) {
    const id = ids.get(code)!;
    const expected = expectedRows(table, fake.rowsOf(code, table), code);
    expect(mirrorRows(store.db, table, id)).toEqual(expected);
    expect(rowCount(store.db, id, table.name)).toBe(expected.length);
  }

  beforeEach(() => {
    store = tempStore();
  });
  afterEach(() => {
    engine?.close();
    store.cleanup();
  });

  it('loads every line of every administration on the first sync, page by page', async () => {
    await setUp({ lines: 120, pageSize: 50 });
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    expect(summary.failed).toBe(0);
    expect(summary.results.map((r) => [r.administration.code, r.outcome, r.mode, r.added, r.pages, r.rows, r.rowCount])).toEqual([
      ['310101', 'synced', 'incremental', 120, 3, 120, 120],
      ['310102', 'synced', 'incremental', 120, 3, 120, 120],
    ]);
    expectMirrorToMatchUpstream('310101');
    expectMirrorToMatchUpstream('310102');
  });

  it('fetches only what changed on the second sync: new and changed lines, deletions by ID and by whole entry', async () => {
    await setUp({ lines: 120, pageSize: 50 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    fake.insertLines('310101', 10);
    fake.updateLines('310101', 5);
    fake.deleteLines('310101', 3); // lines 0–2, of which 0–2 were also updated
    fake.deleteEntry('310101', 1010); // lines 40–43
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    const [changed, untouched] = summary.results;
    expect([changed.mode, changed.added, changed.changed, changed.deleted, changed.rowCount]).toEqual(['incremental', 10, 2, 7, 123]);
    expect([untouched.mode, untouched.added, untouched.changed, untouched.deleted, untouched.pages]).toEqual(['incremental', 0, 0, 0, 0]);
    expectMirrorToMatchUpstream('310101');
    expectMirrorToMatchUpstream('310102');
  });

  it('keeps the last of two versions of a row delivered in the same batch, and counts it once', async () => {
    await setUp({ lines: 60, pageSize: 25, duplicateUpserts: true });
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    expect(summary.results[0].added).toBe(60);
    expectMirrorToMatchUpstream('310101');
    const descriptions = mirrorRows(store.db, LINES, ids.get('310101')!).map((r) => r.Description);
    expect(descriptions).not.toContain('stale copy');
  });

  it('reloads the table when the cursor can no longer be continued, removing rows the upstream no longer has', async () => {
    await setUp({ lines: 80, pageSize: 30 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    fake.deleteLines('310101', 5);
    fake.insertLines('310101', 2);
    fake.expireDeletionLog('310101'); // the tombstones of those 5 deletions are gone: only a reload can notice
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    const result = summary.results.find((r) => r.administration.code === '310101')!;
    expect([result.outcome, result.mode, result.added, result.deleted, result.rowCount]).toEqual(['synced', 'reload', 2, 5, 77]);
    expectMirrorToMatchUpstream('310101');
    // After the reload the new cursor works again: a further change arrives incrementally.
    fake.updateLines('310101', 1, 'again');
    const next = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    expect(next.results.find((r) => r.administration.code === '310101')!.mode).toBe('incremental');
    expectMirrorToMatchUpstream('310101');
  });

  it('skips the reload of a full table when the probe fingerprint is unchanged, and reloads when it changes', async () => {
    await setUp({ accounts: 30 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Accounts'] });
    expect(fake.calledCount('snapshot')).toBe(2);
    const again = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Accounts'] });
    expect(again.results.map((r) => [r.outcome, r.mode])).toEqual([
      ['synced', 'unchanged'],
      ['synced', 'unchanged'],
    ]);
    expect(fake.calledCount('snapshot')).toBe(2);
    expect(fake.calledCount('probe')).toBe(4);
    fake.deleteAccounts('310102', 4);
    const changed = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Accounts'] });
    expect(changed.results.map((r) => r.mode)).toEqual(['unchanged', 'reload']);
    expect(changed.results[1].deleted).toBe(4);
    expectMirrorToMatchUpstream('310101', ACCOUNTS);
    expectMirrorToMatchUpstream('310102', ACCOUNTS);
  });

  it('rewrites only the rows whose values changed when a table is reloaded', async () => {
    await setUp({ accounts: 40, lines: 50 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId });
    store.db.exec(`
      CREATE TEMP TABLE written (tbl TEXT);
      CREATE TEMP TRIGGER accounts_updated AFTER UPDATE ON main.mirror_exactonline_Accounts BEGIN INSERT INTO written VALUES ('Accounts'); END;
      CREATE TEMP TRIGGER accounts_inserted AFTER INSERT ON main.mirror_exactonline_Accounts BEGIN INSERT INTO written VALUES ('Accounts'); END;
      CREATE TEMP TRIGGER lines_updated AFTER UPDATE ON main.mirror_exactonline_Lines BEGIN INSERT INTO written VALUES ('Lines'); END;
    `);
    fake.updateAccounts('310101', 3);
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Accounts'] });
    expect(summary.results.map((r) => [r.mode, r.added, r.changed, r.deleted])).toEqual([
      ['reload', 0, 3, 0],
      ['unchanged', 0, 0, 0],
    ]);
    // Lines whose upstream version moved but whose values did not are delivered again, and not rewritten.
    fake.touchLines('310102', 15);
    const touched = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    expect(touched.results.map((r) => [r.mode, r.rows, r.changed])).toEqual([
      ['incremental', 0, 0],
      ['incremental', 15, 0],
    ]);
    // A forced reload of the incremental table re-reads every line and rewrites none.
    const forced = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'], full: true });
    expect(forced.results.map((r) => [r.mode, r.rows, r.changed])).toEqual([
      ['reload', 50, 0],
      ['reload', 50, 0],
    ]);
    const written = store.db.prepare('SELECT tbl, COUNT(*) AS n FROM written GROUP BY tbl').all();
    expect(written).toEqual([{ tbl: 'Accounts', n: 3 }]);
    expectMirrorToMatchUpstream('310101', ACCOUNTS);
  });

  it('keeps every row of a malformed page out of the mirror, and reports the administration and the bad value', async () => {
    await setUp({ lines: 60, accounts: 30, pageSize: 20 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId });
    const id = ids.get('310101')!;
    const linesBefore = mirrorRows(store.db, LINES, id);
    const accountsBefore = mirrorRows(store.db, ACCOUNTS, id);
    const cursorBefore = store.db.prepare("SELECT cursor FROM sync_state WHERE administration_id = ? AND table_name = 'Lines'").get(id);
    fake.updateLines('310101', 30);
    fake.updateAccounts('310101', 5);
    fake.malformNext('310101', 100);
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId });
    const failed = summary.results.filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => [r.table, r.administration.code, r.error?.code, r.attempts])).toEqual([
      ['Lines', '310101', 'UpstreamMalformed', 3],
      ['Accounts', '310101', 'UpstreamMalformed', 3],
    ]);
    expect(failed[0].error?.message).toMatch(/administration 310101.*Amount: not a decimal: "twelve euros"/);
    expect(mirrorRows(store.db, LINES, id)).toEqual(linesBefore);
    expect(mirrorRows(store.db, ACCOUNTS, id)).toEqual(accountsBefore);
    expect(store.db.prepare("SELECT cursor FROM sync_state WHERE administration_id = ? AND table_name = 'Lines'").get(id)).toEqual(cursorBefore);
    expectMirrorToMatchUpstream('310102');
    const status = engine.administrations(store.workspaceId).find((a) => a.code === '310101')!;
    expect(status.lastError).toMatchObject({ code: 'UpstreamMalformed' });
    expect(status.tables.find((t) => t.table === 'Lines')).toMatchObject({ failing: true, rowCount: 60 });
  });

  it('writes tens of thousands of rows a second (figures printed, not asserted)', async () => {
    await setUp({ codes: ['310101'], lines: 20_000, pageSize: 1000 });
    const started = performance.now();
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    const seconds = (performance.now() - started) / 1000;
    expect(summary.results[0].rowCount).toBe(20_000);
    process.stdout.write(`first load: 20000 lines in ${seconds.toFixed(2)} s (${Math.round(20_000 / seconds)} rows/s, including the fake's row generation)\n`);
  });
});
