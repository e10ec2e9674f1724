// Contract of the sandbox controls (no auth, no latency, no limits): statistics, injected faults, the clock,
// and the added latency of API and token calls.
import { AdjustableClock, systemClock } from '../../../server/src/clock';
import { advanceClock, asmxEnvelope, control, escapeXml, type Harness, login, parseXml, postSoap, type SoapResponse, startSimulator, tokenRequest, TWINFIELD } from './harness';

const listOffices = (h: Harness, accessToken: string, companyCode?: string, signal?: AbortSignal): Promise<SoapResponse> =>
  fetch(`${h.base}/webservices/processxml.asmx`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TWINFIELD}ProcessXmlString"` },
    body: asmxEnvelope({ accessToken, companyCode }, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${escapeXml('<list><type>offices</type></list>')}</xmlRequest></ProcessXmlString>`),
    signal,
  }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));

describe('statistics and faults', () => {
  let h: Harness;
  let token: string;
  beforeAll(async () => {
    h = await startSimulator();
    token = (await login(h)).access_token;
  });
  afterAll(() => h.close());

  it('counts API calls (refused ones too) per administration, token calls apart, and resets', async () => {
    await control(h, '/_stats/reset', {});
    await listOffices(h, token, 'NLA310104');
    await listOffices(h, token, 'NLA310104');
    await listOffices(h, 'twf_at_forged', 'NLA310105');
    await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'twf_rt_nope' });
    const stats = (await control(h, '/_stats')).json;
    expect(stats).toMatchObject({ requests: 3, tokenRequests: 1, rejectedRefreshes: 1, rateLimited: 0, faults: 0, inFlight: 0, maxInFlight: 1 });
    expect(stats.administrations).toEqual({ NLA310104: { requests: 2, rateLimited: 0, faults: 0 }, NLA310105: { requests: 1, rateLimited: 0, faults: 0 } });
    const reset = await control(h, '/_stats/reset', {});
    expect(reset.json).toMatchObject({ requests: 0, tokenRequests: 0, administrations: {} });
  });

  it('fails the next calls of one administration with an injected HTTP status, then recovers', async () => {
    await control(h, '/_stats/reset', {});
    const added = await control(h, '/_faults', { administration: 'NLA310102', count: 2, kind: 'status', status: 503 });
    expect(added.json).toEqual({ administration: 'NLA310102', pending: 2 });
    expect((await control(h, '/_faults')).json.pending).toEqual({ NLA310102: 2 });

    expect((await listOffices(h, token, 'NLA310101')).status).toBe(200);
    const failed = await listOffices(h, token, 'NLA310102');
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toMatch(/text\/html/);
    expect((await listOffices(h, token, 'NLA310102')).status).toBe(503);
    expect((await listOffices(h, token, 'NLA310102')).status).toBe(200);
    const stats = (await control(h, '/_stats')).json;
    expect(stats.faults).toBe(2);
    expect(stats.administrations.NLA310102).toEqual({ requests: 3, rateLimited: 0, faults: 2 });
  });

  it('answers a malformed fault with HTTP 200 and a body that is not XML', async () => {
    await control(h, '/_faults', { administration: 'NLA310103', kind: 'malformed' });
    const response = await listOffices(h, token, 'NLA310103');
    expect(response.status).toBe(200);
    expect(() => parseXml(response.text)).toThrow();
  });

  it('never answers a timeout fault, and the next call is served', async () => {
    await control(h, '/_faults', { administration: 'NLA310106', kind: 'timeout' });
    await expect(listOffices(h, token, 'NLA310106', AbortSignal.timeout(300))).rejects.toThrow();
    expect((await listOffices(h, token, 'NLA310106')).status).toBe(200);
  });

  it('applies a fault for administration "*" to any call, even one without a company', async () => {
    await control(h, '/_faults', { administration: '*', kind: 'status', status: 502 });
    expect((await listOffices(h, token)).status).toBe(502);
    expect((await listOffices(h, token)).status).toBe(200);
  });

  it('refuses a fault request that does not fit the schema', async () => {
    expect((await control(h, '/_faults', { administration: 'NLA310101', kind: 'explode' })).status).toBe(400);
    expect((await control(h, '/_faults', { kind: 'status' })).status).toBe(400);
  });
});

describe('clock', () => {
  it('moves an adjustable clock forward, and refuses to go back', async () => {
    const h = await startSimulator({ clock: new AdjustableClock({ now: () => Date.UTC(2027, 0, 1) }) });
    try {
      const moved = await control(h, '/_clock', { advanceMs: 90_000 });
      expect(moved.json).toEqual({ now: '2027-01-01T00:01:30.000Z', offsetMs: 90_000 });
      expect((await control(h, '/_clock', { advanceMs: -1 })).status).toBe(400);
      expect((await control(h, '/_clock', {})).status).toBe(400);
    } finally {
      await h.close();
    }
  });

  it('answers 400 when the simulator runs on a clock that cannot be moved', async () => {
    const h = await startSimulator({ clock: systemClock });
    try {
      expect((await control(h, '/_clock', { advanceMs: 1000 })).status).toBe(400);
    } finally {
      await h.close();
    }
  });
});

describe('latency', () => {
  let h: Harness;
  let token: string;
  beforeAll(async () => {
    h = await startSimulator({ latencyMs: 700 });
    token = (await login(h)).access_token;
  });
  afterAll(() => h.close());

  /** Polls the statistics (a control, which has no latency) until `ready` holds. */
  async function statsUntil(ready: (stats: any) => boolean): Promise<any> {
    for (let i = 0; i < 200; i++) {
      const stats = (await control(h, '/_stats')).json;
      if (ready(stats)) return stats;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('the statistics never got there');
  }

  it('holds an API call in flight for the latency while the controls answer at once', async () => {
    await control(h, '/_stats/reset', {});
    let answered = false;
    const call = listOffices(h, token).then((r) => ((answered = true), r));
    const during = await statsUntil((s) => s.inFlight === 1);
    expect(answered).toBe(false);
    expect(during.requests).toBe(1);
    expect((await call).status).toBe(200);
    expect((await control(h, '/_stats')).json.inFlight).toBe(0);
  });

  it('holds a token call for the latency too', async () => {
    await control(h, '/_stats/reset', {});
    let answered = false;
    const call = tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'twf_rt_nope' }).then((r) => ((answered = true), r));
    await statsUntil((s) => s.tokenRequests === 1);
    expect(answered).toBe(false);
    expect((await call).status).toBe(400);
  });

  it('moves the clock without latency', async () => {
    let answered = false;
    const call = listOffices(h, token).then(() => (answered = true));
    await advanceClock(h, 1000);
    expect(answered).toBe(false);
    await call;
  });
});
