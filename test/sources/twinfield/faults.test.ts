// What a Twinfield failure becomes: 5xx, a call that never answers and a body that does not parse are retryable
// typed errors; an office the login cannot reach is refused with Twinfield's own words. Every error names the office.
import { isRetryable, UpstreamMalformed, UpstreamRefused, UpstreamTimeout, UpstreamUnavailable, type UpstreamError } from '../../../server/src/sources/errors';
import { twinfieldTable } from '../../../server/src/sources/twinfield';
import type { Connection, Administration } from '../../../server/src/store/connections';
import { administration, collect, connect, control, fetchContext, startHarness, type Harness } from './harness';

const table = (name: string) => twinfieldTable(name)!;

describe('Twinfield failures', () => {
  let h: Harness;
  let connection: Connection;
  let admin: Administration;
  beforeAll(async () => {
    h = await startHarness({ source: { requestTimeoutMs: 1500 } });
    connection = await connect(h);
    admin = h.connections.administrations(h.workspaceId, { connectionId: connection.id })[2];
  });
  afterAll(async () => {
    await h.close();
  });

  async function failure(run: () => Promise<unknown>): Promise<UpstreamError> {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!error) throw new Error('expected the call to fail');
    return error as UpstreamError;
  }

  it.each([
    ['an HTTP 500 page', 'UpstreamUnavailable', { kind: 'status', status: 500 }, UpstreamUnavailable],
    ['an HTTP 503 page', 'UpstreamUnavailable', { kind: 'status', status: 503 }, UpstreamUnavailable],
    ['a call that never answers', 'UpstreamTimeout', { kind: 'timeout' }, UpstreamTimeout],
    ['a body that is not well-formed XML', 'UpstreamMalformed', { kind: 'malformed' }, UpstreamMalformed],
  ])('turns %s into a retryable %s naming the office', async (_what, _name, fault, type) => {
    await control(h, '/_faults', { administration: admin.code, count: 1, ...fault });
    const error = await failure(() => collect(h.source.connector.snapshot(table('Projects'), fetchContext(admin))));
    expect(error).toBeInstanceOf(type);
    expect(isRetryable(error)).toBe(true);
    expect(error.administration).toBe(admin.code);
    expect(error.message).toContain(admin.code);
    // The next call is fine again.
    await expect(collect(h.source.connector.snapshot(table('Projects'), fetchContext(admin)))).resolves.toHaveLength(1);
  });

  it.each([
    ['a browse (ProcessXml)', 'AnnualReportTotals'],
    ['a Finder search', 'CostCenters'],
  ])('refuses an office the login cannot reach in %s, naming it with Twinfield\'s message', async (_what, name) => {
    const error = await failure(() => collect(h.source.connector.snapshot(table(name), fetchContext(administration(connection, 'NLA999999')))));
    expect(error).toBeInstanceOf(UpstreamRefused);
    expect(isRetryable(error)).toBe(false);
    expect(error.administration).toBe('NLA999999');
    expect(error.message).toContain('NLA999999');
    expect(error.message).toContain(name === 'CostCenters' ? 'NoAccessToOffice' : 'U hebt geen toegang tot deze administratie.');
  });

  it('refuses the deleted transactions of an office the login cannot reach (fault 102), naming it', async () => {
    const ctx = fetchContext(administration(connection, 'NLA999999'));
    const error = await failure(() => collect(h.source.connector.changes(table('GeneralLedgerTransactions'), ctx, JSON.stringify({ v: 1, since: h.clock.now() - 60_000 }))));
    expect(error).toBeInstanceOf(UpstreamRefused);
    expect(error.administration).toBe('NLA999999');
    expect(error.message).toContain('NLA999999');
    expect(error.message).toContain('102');
  });

  it('reads an office the login no longer lists as refused, not as an empty table', async () => {
    const error = await failure(() => collect(h.source.connector.snapshot(table('Offices'), fetchContext(administration(connection, 'NLA999999')))));
    expect(error).toBeInstanceOf(UpstreamRefused);
    expect(error.message).toContain('NLA999999');
  });
});
