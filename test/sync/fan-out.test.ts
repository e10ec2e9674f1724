// Fan-out over administrations: the parallelism cap, retries and failures per administration, cancellation,
// single-flight, staleness, serve-stale mode, the cross-process lease, events, status and discovery.
import { AdjustableClock, SECOND } from '../../server/src/clock';
import { UpstreamRateLimited, UpstreamRefused, UpstreamUnavailable } from '../../server/src/sources/errors';
import { LoginNeedsReauthorization } from '../../server/src/sources/tokens';
import { openDatabase } from '../../server/src/store/database';
import { AdministrationSyncFailed, SyncEngine, type SyncEvent } from '../../server/src/sync';
import { ADMINISTRATION_CODES, FakeConnector, LINES } from './fake-connector';
import { administrationIds, createEngine, expectedRows, mirrorRows, rowCount, tempStore, type TestStore } from './helpers';

describe('sync engine: fan-out over administrations', () => {
  let store: TestStore;
  let fake: FakeConnector;
  let engine: SyncEngine;
  let ids: Map<string, number>;
  let clock: AdjustableClock;
  const engines: SyncEngine[] = [];

  async function setUp(options: ConstructorParameters<typeof FakeConnector>[0] = {}, overrides: Parameters<typeof createEngine>[2] = {}) {
    fake = new FakeConnector({ lines: 40, pageSize: 10, ...options });
    engine = createEngine(store, fake, { clock, ...overrides });
    engines.push(engine);
    await engine.refreshAdministrations(store.connectionId);
    ids = administrationIds(store.db, store.workspaceId);
  }

  const all = () => [...ids.values()];
  const one = (code: string) => [ids.get(code)!];
  const fresh = (administrationIds: number[], signal?: AbortSignal) => engine.ensureFresh({ workspaceId: store.workspaceId, table: LINES, administrationIds, signal });

  function expectMirrorToMatchUpstream(code: string) {
    const id = ids.get(code)!;
    const expected = expectedRows(LINES, fake.rowsOf(code, LINES), code);
    expect(mirrorRows(store.db, LINES, id)).toEqual(expected);
    expect(rowCount(store.db, id, LINES.name)).toBe(expected.length);
  }

  /** Resolves with the first event matching `predicate`. */
  function nextEvent(target: SyncEngine, predicate: (e: SyncEvent) => boolean): Promise<SyncEvent> {
    return new Promise((resolve) => {
      const stop = target.subscribe((e) => {
        if (!predicate(e)) return;
        stop();
        resolve(e);
      });
    });
  }

  beforeEach(() => {
    store = tempStore();
    // A clock that stands still unless a test moves it, so "last synced at" can be compared exactly.
    clock = new AdjustableClock({ now: () => Date.UTC(2025, 0, 6, 9, 0, 0) });
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
    store.cleanup();
  });

  it('never runs more than maxParallel administration syncs at once', async () => {
    await setUp({ delayMs: 2 }, { config: { maxParallel: 3, maxStalenessSeconds: 60, serveStaleOnError: false } });
    const report = await fresh(all());
    expect(report.administrations.map((a) => a.state)).toEqual(Array(8).fill('synced'));
    expect(fake.maxInFlight).toBe(3);
  });

  it('syncs eight administrations all at once with maxParallel 8', async () => {
    await setUp();
    let release!: () => void;
    const everyoneIn = new Promise<void>((resolve) => (release = resolve));
    const fallback = setTimeout(release, 5_000); // a wrong cap shows as a failed assertion, not a hung test
    fake.beforeFetch = async () => {
      if (fake.inFlight >= 8) release();
      await everyoneIn;
    };
    await fresh(all());
    clearTimeout(fallback);
    expect(fake.maxInFlight).toBe(8);
    for (const code of ADMINISTRATION_CODES) expectMirrorToMatchUpstream(code);
  });

  it('retries a server error and resumes from the last committed batch, without duplicates', async () => {
    await setUp();
    fake.failNext('310103', () => new UpstreamUnavailable('Exact Online answered 503 Service Unavailable', { upstreamStatus: 503 }), { method: 'changes', afterPages: 1 });
    const events: SyncEvent[] = [];
    engine.subscribe((e) => events.push(e));
    await fresh(all());
    expect(fake.calledCount('changes', '310103')).toBe(2);
    const finished = events.find((e) => e.type === 'finished' && e.administration.code === '310103');
    // 4 pages in all: 1 before the fault, the remaining 3 after resuming from its cursor.
    expect(finished).toMatchObject({ pages: 4, rows: 40, added: 40, attempts: 2 });
    expect(events.filter((e) => e.type === 'retrying').map((e) => e.administration.code)).toEqual(['310103']);
    for (const code of ADMINISTRATION_CODES) expectMirrorToMatchUpstream(code);
  });

  it('waits as long as a rate limit asks before trying again', async () => {
    await setUp();
    fake.failNext('310105', () => new UpstreamRateLimited('429 Too Many Requests', 40, { administration: '310105' }));
    const retrying = nextEvent(engine, (e) => e.type === 'retrying');
    await fresh(one('310105'));
    expect(await retrying).toMatchObject({ administration: { code: '310105' }, error: { code: 'UpstreamRateLimited' } });
    expect(((await retrying) as Extract<SyncEvent, { type: 'retrying' }>).delayMs).toBeGreaterThanOrEqual(40);
    expectMirrorToMatchUpstream('310105');
  });

  it('reports an administration that keeps failing by name and reason, while the others complete and stay committed', async () => {
    await setUp();
    fake.failNext('310104', () => new UpstreamUnavailable('Exact Online answered 500 Internal Server Error'), { times: 100 });
    const failure = await fresh(all()).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AdministrationSyncFailed);
    const error = failure as AdministrationSyncFailed;
    expect(error.status).toBe(502);
    expect(error.target).toBe('310104');
    expect(error.message).toBe('Administration "Company 310104" (310104) could not be synced (Lines): Exact Online answered 500 Internal Server Error');
    expect(error.details).toEqual([{ code: 'UpstreamUnavailable', target: '310104', message: 'Company 310104 (310104), Lines: Exact Online answered 500 Internal Server Error' }]);
    expect(fake.calledCount('changes', '310104')).toBe(3);
    for (const code of ADMINISTRATION_CODES.filter((c) => c !== '310104')) expectMirrorToMatchUpstream(code);
    const status = engine.administrations(store.workspaceId);
    expect(status.find((a) => a.code === '310104')!.lastError).toMatchObject({ table: 'Lines', code: 'UpstreamUnavailable' });
    expect(status.filter((a) => a.tables.find((t) => t.table === 'Lines')!.lastSuccessAt !== null)).toHaveLength(7);
  });

  it('fails fast, without retrying, when a login needs re-authorization (503) or the upstream refuses (502)', async () => {
    await setUp();
    fake.failNext('310101', () => new LoginNeedsReauthorization(store.connectionId, 'Exact (Acme)', 'The refresh token expired', clock.now()));
    fake.failNext('310102', () => new UpstreamRefused('U hebt geen toegang tot deze administratie.', { administration: '310102' }));
    const events: SyncEvent[] = [];
    engine.subscribe((e) => events.push(e));
    const reauth = (await fresh(one('310101')).catch((err: unknown) => err)) as AdministrationSyncFailed;
    expect(reauth.status).toBe(503);
    expect(reauth.message).toMatch(/Exact \(Acme\)" needs re-authorization/);
    const refused = (await fresh(one('310102')).catch((err: unknown) => err)) as AdministrationSyncFailed;
    expect(refused.status).toBe(502);
    expect(refused.details[0].message).toContain('U hebt geen toegang tot deze administratie.');
    expect([fake.calledCount('changes', '310101'), fake.calledCount('changes', '310102')]).toEqual([1, 1]);
    expect(events.some((e) => e.type === 'retrying')).toBe(false);
  });

  it('cancels a sync when its only requester goes away, keeping the batches it committed', async () => {
    await setUp({ delayMs: 15 });
    const id = ids.get('310106')!;
    const controller = new AbortController();
    const progressed = nextEvent(engine, (e) => e.type === 'progress' && e.pages === 2);
    const cancelled = nextEvent(engine, (e) => e.type === 'cancelled');
    const request = fresh([id], controller.signal);
    await progressed;
    controller.abort(new Error('client went away'));
    await expect(request).rejects.toThrow('client went away');
    await cancelled;
    expect(fake.inFlight).toBe(0);
    const committed = rowCount(store.db, id, 'Lines');
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(40);
    expect(mirrorRows(store.db, LINES, id)).toHaveLength(committed);
    // The next request continues from the committed cursor.
    fake.delayMs = 0;
    await fresh([id]);
    expectMirrorToMatchUpstream('310106');
    expect(fake.calledCount('changes', '310106')).toBe(2);
  });

  it('keeps a shared sync running when one of its requesters goes away', async () => {
    await setUp({ delayMs: 10 });
    const impatient = new AbortController();
    const events: SyncEvent[] = [];
    engine.subscribe((e) => events.push(e));
    const first = fresh(one('310107'), impatient.signal);
    const second = fresh(one('310107'));
    await nextEvent(engine, (e) => e.type === 'progress');
    impatient.abort(new Error('first client went away'));
    await expect(first).rejects.toThrow('first client went away');
    const report = await second;
    expect(report.administrations[0].state).toBe('synced');
    expect(events.some((e) => e.type === 'cancelled')).toBe(false);
    expect(fake.calledCount('changes', '310107')).toBe(1);
    expectMirrorToMatchUpstream('310107');
  });

  it('shares one sync among concurrent requests for the same table and administrations', async () => {
    await setUp({ delayMs: 2 });
    const events: SyncEvent[] = [];
    engine.subscribe((e) => events.push(e));
    const reports = await Promise.all(Array.from({ length: 5 }, () => fresh([ids.get('310101')!, ids.get('310102')!])));
    expect(reports.flatMap((r) => r.administrations.map((a) => a.state))).toEqual(Array(10).fill('synced'));
    expect(fake.calledCount('changes')).toBe(2);
    expect(events.filter((e) => e.type === 'finished').map((e) => e.administration.code).sort()).toEqual(['310101', '310102']);
    expectMirrorToMatchUpstream('310101');
  });

  it('serves a mirror younger than the allowed staleness without asking the upstream', async () => {
    await setUp();
    await fresh(all());
    expect(fake.calledCount('changes')).toBe(8);
    clock.advance(59 * SECOND);
    const report = await fresh(all());
    expect(report.administrations.map((a) => a.state)).toEqual(Array(8).fill('fresh'));
    expect(fake.calledCount('changes')).toBe(8);
    clock.advance(2 * SECOND);
    fake.insertLines('310102', 3);
    const later = await fresh(all());
    expect(later.administrations.map((a) => a.state)).toEqual(Array(8).fill('synced'));
    expect(later.asOf).toBe(clock.now());
    expect(fake.calledCount('changes')).toBe(16);
    expectMirrorToMatchUpstream('310102');
  });

  it('syncs on every request when the allowed staleness is 0', async () => {
    await setUp({}, { config: { maxParallel: 8, maxStalenessSeconds: 0, serveStaleOnError: false } });
    await fresh(one('310101'));
    await fresh(one('310101'));
    await fresh(one('310101'));
    expect(fake.calledCount('changes', '310101')).toBe(3);
  });

  it('serves the last good mirror of a failing administration in serve-stale mode, but never invents one', async () => {
    await setUp({}, { config: { maxParallel: 8, maxStalenessSeconds: 60, serveStaleOnError: true } });
    await fresh(one('310101'));
    const syncedAt = clock.now();
    clock.advance(120 * SECOND);
    fake.insertLines('310101', 5);
    fake.failNext('310101', () => new UpstreamUnavailable('Exact Online answered 502 Bad Gateway'), { times: 100 });
    fake.failNext('310102', () => new UpstreamUnavailable('Exact Online answered 502 Bad Gateway'), { times: 100 });
    const report = await fresh(one('310101'));
    expect(report.administrations[0]).toMatchObject({ state: 'stale', lastSuccessAt: syncedAt, error: { code: 'UpstreamUnavailable' } });
    expect(report.asOf).toBe(syncedAt);
    expect(rowCount(store.db, ids.get('310101')!, 'Lines')).toBe(40);
    expect(engine.administrations(store.workspaceId).find((a) => a.code === '310101')!.lastError).toMatchObject({ message: 'Exact Online answered 502 Bad Gateway' });
    // 310102 never synced: there is no good mirror to serve, so the request fails naming it.
    await expect(fresh([ids.get('310101')!, ids.get('310102')!])).rejects.toMatchObject({ code: 'AdministrationSyncFailed', target: '310102' });
  });

  it('takes serve-stale mode from the workspace setting when it has one', async () => {
    store.db.prepare('UPDATE workspaces SET settings_json = ? WHERE id = ?').run(JSON.stringify({ serveStaleOnError: true }), store.workspaceId);
    await setUp();
    await fresh(one('310103'));
    clock.advance(120 * SECOND);
    fake.failNext('310103', () => new UpstreamUnavailable('timeout'), { times: 100 });
    expect((await fresh(one('310103'))).administrations[0].state).toBe('stale');
  });

  it('lets a second process on the same data dir wait for the first one\'s sync and then see it fresh', async () => {
    await setUp({ delayMs: 10 });
    const otherDb = openDatabase(store.dir);
    const otherFake = new FakeConnector({ lines: 40, pageSize: 10 });
    const other = createEngine({ db: otherDb }, otherFake, { clock });
    engines.push(other);
    try {
      const order: string[] = [];
      const first = fresh(one('310108')).then(() => order.push('first process'));
      await nextEvent(engine, (e) => e.type === 'progress');
      const second = other.ensureFresh({ workspaceId: store.workspaceId, table: LINES, administrationIds: one('310108') }).then((report) => {
        order.push('second process');
        return report;
      });
      const [, report] = await Promise.all([first, second]);
      expect(order).toEqual(['first process', 'second process']);
      expect(report.administrations[0].state).toBe('synced');
      expect(otherFake.calledCount('changes')).toBe(0);
      expectMirrorToMatchUpstream('310108');
    } finally {
      other.close();
      otherDb.close();
    }
  });

  it('reports started, progress and finished per administration with pages, rows and elapsed time', async () => {
    await setUp({ codes: ['310101', '310102'] });
    fake.failNext('310102', () => new UpstreamRefused('no access'));
    const events: SyncEvent[] = [];
    const summary = await engine.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'], observer: (e) => events.push(e) });
    const of = (code: string) => events.filter((e) => e.administration.code === code).map((e) => e.type);
    expect(of('310101')).toEqual(['started', 'progress', 'progress', 'progress', 'progress', 'finished']);
    expect(of('310102')).toEqual(['started', 'failed']);
    expect(events.at(-1)).toMatchObject({ workspaceId: store.workspaceId, source: 'exactonline', table: 'Lines' });
    expect(events.find((e) => e.type === 'finished')).toMatchObject({ pages: 4, rows: 40, added: 40, mode: 'incremental', rowCount: 40 });
    expect(events.every((e) => typeof e.elapsedMs === 'number')).toBe(true);
    expect(summary.failed).toBe(1);
    expect(summary.results.find((r) => r.administration.code === '310102')).toMatchObject({ outcome: 'failed', error: { code: 'UpstreamRefused', message: 'no access' } });
  });

  it('shows per administration its code, name, selection, last sync and exact row count per table, and its last error', async () => {
    await setUp({ codes: ['310101', '310102'], lines: 40, accounts: 12 });
    await engine.syncWorkspace({ workspaceId: store.workspaceId });
    fake.deleteLines('310101', 4);
    clock.advance(90 * SECOND);
    fake.failNext('310102', () => new UpstreamUnavailable('Exact Online answered 500'), { times: 100, method: 'changes' });
    await engine.syncWorkspace({ workspaceId: store.workspaceId });
    const [first, second] = engine.administrations(store.workspaceId);
    expect(first).toMatchObject({ code: '310101', name: 'Company 310101', selected: true, missingSince: null, lastError: null });
    expect(first.tables.map((t) => [t.table, t.rowCount, t.lastSuccessAt === clock.now(), t.failing])).toEqual([
      ['Accounts', 12, true, false],
      ['Lines', 36, true, false],
    ]);
    expect(second.lastError).toMatchObject({ table: 'Lines', code: 'UpstreamUnavailable', message: 'Exact Online answered 500', at: clock.now() });
    expect(second.tables.find((t) => t.table === 'Lines')).toMatchObject({ rowCount: 40, failing: true, lastSuccessAt: clock.now() - 90 * SECOND });
  });

  it('selects newly discovered administrations, keeps vanished ones marked and does not sync them', async () => {
    await setUp({ codes: ['310101', '310102', '310103'] });
    await fresh(all());
    const fewer = new FakeConnector({ codes: ['310101', '310102'], lines: 40, pageSize: 10 });
    const later = createEngine(store, fewer, { clock });
    engines.push(later);
    const discovery = await later.refreshAdministrations(store.connectionId);
    expect(discovery.missing.map((a) => a.code)).toEqual(['310103']);
    expect(discovery.updated.map((a) => a.code)).toEqual(['310101', '310102']);
    const gone = later.administrations(store.workspaceId).find((a) => a.code === '310103')!;
    expect(gone).toMatchObject({ selected: true, missingSince: clock.now() });
    expect(gone.tables.find((t) => t.table === 'Lines')!.rowCount).toBe(40);
    clock.advance(120 * SECOND);
    await expect(later.ensureFresh({ workspaceId: store.workspaceId, table: LINES, administrationIds: [gone.id] })).rejects.toMatchObject({
      details: [expect.objectContaining({ code: 'AdministrationUnavailable', target: '310103' })],
    });
    const summary = await later.syncWorkspace({ workspaceId: store.workspaceId, tables: ['Lines'] });
    expect(summary.results.map((r) => [r.administration.code, r.outcome])).toEqual([
      ['310101', 'synced'],
      ['310102', 'synced'],
      ['310103', 'failed'],
    ]);
    expect(fewer.calledCount('changes', '310103')).toBe(0);
    const back = await engine.refreshAdministrations(store.connectionId);
    expect([back.added, back.reappeared.map((a) => a.code)]).toEqual([[], ['310103']]);
  });
});
