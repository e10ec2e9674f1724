// Acceptance of the sync engine when an upstream misbehaves for one administration: HTTP 5xx pages, calls that never
// answer (the clients' time limit is 2 s here) and bodies that do not parse. A passing fault is retried and the mirror
// ends exact; one that keeps failing is reported through the feed as an OData error naming the administration and
// the upstream's reason — while the other administrations' syncs complete and are committed. Never silently short.
import { differences, mirrorBooks, simulatorBooks } from './books';
import { control, feed, startSandbox, type Sandbox } from './harness';

interface ODataError {
  code: string;
  message: string;
  target: string | null;
  details: { code: string; target: string; message: string }[];
}

describe('syncing while an upstream fails for one administration', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ env: { LEDGERFEED_UPSTREAM_TIMEOUT_S: '2' } });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('retries 5xx pages, unanswered calls and malformed bodies, and ends with every row', async () => {
    const faults = [
      { source: 'exactonline', administration: '310103', kind: 'status', status: 500, count: 2 },
      { source: 'exactonline', administration: '310106', kind: 'malformed', count: 1 },
      { source: 'exactonline', administration: '310107', kind: 'timeout', count: 1 },
      { source: 'twinfield', administration: 'NLA310103', kind: 'status', status: 503, count: 2 },
      { source: 'twinfield', administration: 'NLA310104', kind: 'malformed', count: 1 },
      { source: 'twinfield', administration: 'NLA310106', kind: 'timeout', count: 1 },
    ] as const;
    for (const { source, ...fault } of faults) await control(sandbox.sims, source, '/_faults', fault);

    const summary = await sandbox.server.ledgerfeed.sync.syncWorkspace({ workspaceId: sandbox.workspaceId });
    expect(summary.results.filter((r) => r.outcome !== 'synced').map((r) => `${r.table} ${r.administration.code}: ${r.error?.message}`)).toEqual([]);
    for (const { source, administration } of faults) {
      const retried = summary.results.filter((r) => r.source === source && r.administration.code === administration && r.attempts > 1);
      expect({ administration, retried: retried.length > 0 }).toEqual({ administration, retried: true });
    }
    expect(sandbox.sims.exactOnline.faults.pending()).toEqual({});
    expect(sandbox.sims.twinfield.faults.pending()).toEqual({});
    expect(differences(simulatorBooks(sandbox.sims), mirrorBooks(sandbox.dataDir))).toEqual([]);
  });

  it('reports an administration that keeps failing as an OData error naming it and the reason, and commits the others', async () => {
    // Every administration has something new; three of them keep failing.
    for (const administration of [310101, 310102, 310104, 310105]) await control(sandbox.sims, 'exactonline', '/_simulate', { administration, insert: 2, update: 2, delete: 1 });
    for (const administration of ['NLA310101', 'NLA310105']) await control(sandbox.sims, 'twinfield', '/_simulate', { administration, insert: 2, update: 2, delete: 1 });
    await control(sandbox.sims, 'exactonline', '/_faults', { administration: '310104', kind: 'status', status: 500, count: 1000 });
    await control(sandbox.sims, 'exactonline', '/_faults', { administration: '310105', kind: 'timeout', count: 1000 });
    await control(sandbox.sims, 'twinfield', '/_faults', { administration: 'NLA310105', kind: 'malformed', count: 1000 });

    const [exact, twinfield] = await Promise.all([
      feed(sandbox.server.url, 'exactonline', 'TransactionLines?$top=1'),
      feed(sandbox.server.url, 'twinfield', 'GeneralLedgerTransactions?$top=1'),
    ]);
    sandbox.sims.exactOnline.faults.clear();
    sandbox.sims.twinfield.faults.clear();

    expect(exact.status).toBe(502);
    const exactError = exact.body.error as ODataError;
    expect(exactError.code).toBe('AdministrationSyncFailed');
    expect(exactError.target).toBe('310104, 310105');
    expect(exactError.details.map((d) => [d.target, d.code])).toEqual([
      ['310104', 'UpstreamUnavailable'],
      ['310105', 'UpstreamTimeout'],
    ]);
    expect(exactError.message).toContain('Exact Online failed for division 310104');
    expect(exactError.message).toContain('(500)');
    expect(exactError.message).toContain('Exact Online did not answer within 2 s for division 310105');

    expect(twinfield.status).toBe(502);
    const twinfieldError = twinfield.body.error as ODataError;
    expect(twinfieldError.target).toBe('NLA310105');
    expect(twinfieldError.details.map((d) => [d.target, d.code])).toEqual([['NLA310105', 'UpstreamMalformed']]);
    expect(twinfieldError.message).toMatch(/NLA310105/);
    expect(twinfieldError.message).toMatch(/not well-formed/);

    // The others were committed: the mirror of the two tables differs from the books only where the sync failed.
    const requested = (d: string) => /^(exactonline\/TransactionLines|twinfield\/GeneralLedgerTransactions) /.test(d);
    const left = differences(simulatorBooks(sandbox.sims), mirrorBooks(sandbox.dataDir)).filter(requested);
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((d) => !/^exactonline\/TransactionLines (310104|310105):|^twinfield\/GeneralLedgerTransactions NLA310105:/.test(d))).toEqual([]);

    // The Administrations set says which ones failed and why.
    const administrations = await feed(sandbox.server.url, 'exactonline', 'Administrations');
    expect(administrations.status).toBe(200);
    const failing = (administrations.body.value as Record<string, unknown>[]).filter((a) => JSON.stringify(a).includes('Exact Online failed for division 310104'));
    expect(failing.length).toBeGreaterThan(0);

    // Once the upstream is well again, the same request answers and the mirror is exact.
    expect((await feed(sandbox.server.url, 'exactonline', 'TransactionLines?$top=1')).status).toBe(200);
    expect((await feed(sandbox.server.url, 'twinfield', 'GeneralLedgerTransactions?$top=1')).status).toBe(200);
    expect(differences(simulatorBooks(sandbox.sims), mirrorBooks(sandbox.dataDir)).filter(requested)).toEqual([]);
  });
});
