// Contract of Twinfield's fair use: at most 10 calls in flight per app + organisation and 20 per app (a call
// is in flight from arrival until its response ends, added latency included); credits per minute — 500 per
// app + organisation, 1,000 per app, 1,000 per IP — with 429 (not a SOAP envelope), Retry-After and the
// X-RateLimit headers.
import { asmxEnvelope, control, escapeXml, type Harness, login, postSoap, type SoapResponse, startSimulator, TWINFIELD } from './harness';

const LIST_OFFICES = `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${escapeXml('<list><type>offices</type></list>')}</xmlRequest></ProcessXmlString>`;

function listOffices(h: Harness, accessToken: string, companyCode = 'NLA310101'): Promise<SoapResponse> {
  return postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}ProcessXmlString`, asmxEnvelope({ accessToken, companyCode }, LIST_OFFICES));
}

function expectRefusal(response: SoapResponse, limit: number): number {
  expect(response.status).toBe(429);
  expect(response.text.startsWith('<')).toBe(false);
  expect(JSON.parse(response.text)).toMatchObject({ statusCode: 429 });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.headers.get('x-ratelimit-limit')).toBe(String(limit));
  expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
  return retryAfter;
}

async function waitForInFlight(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await control(h, '/_stats')).json.inFlight >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never ${count} calls in flight`);
}

describe('concurrency', () => {
  let h: Harness;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    // The latency holds calls in flight long enough to stack them up.
    h = await startSimulator({ latencyMs: 800 });
    for (const organisation of ['SANDBOX', 'SANDBOX2', 'OAUTHONLY']) tokens[organisation] = (await login(h, {}, organisation)).access_token;
  });
  afterAll(() => h.close());

  it('refuses the 11th call in flight of one app and organisation, and admits again once one ends', async () => {
    await control(h, '/_stats/reset', {});
    const ten = Array.from({ length: 10 }, () => listOffices(h, tokens.SANDBOX));
    await waitForInFlight(h, 10);
    const eleventh = await listOffices(h, tokens.SANDBOX, 'NLA310103');
    expectRefusal(eleventh, 10);
    const admitted = await Promise.all(ten);
    expect(admitted.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(admitted[0].headers.get('x-ratelimit-limit')).toBe('500');

    const stats = (await control(h, '/_stats')).json;
    expect(stats).toMatchObject({ maxInFlight: 10, rateLimited: 1, inFlight: 0, requests: 11 });
    expect(stats.administrations.NLA310103).toMatchObject({ requests: 1, rateLimited: 1 });
    expect((await listOffices(h, tokens.SANDBOX)).status).toBe(200);
  });

  it('refuses the 21st call in flight of one app across organisations', async () => {
    await control(h, '/_stats/reset', {});
    const twenty = [...Array.from({ length: 10 }, () => listOffices(h, tokens.SANDBOX)), ...Array.from({ length: 10 }, () => listOffices(h, tokens.SANDBOX2))];
    await waitForInFlight(h, 20);
    expectRefusal(await listOffices(h, tokens.OAUTHONLY), 20);
    expect((await Promise.all(twenty)).every((r) => r.status === 200)).toBe(true);
    expect((await control(h, '/_stats')).json.maxInFlight).toBe(20);
  });
});

describe('credits per minute', () => {
  let h: Harness;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    // A five-second "minute" on a clock that moves only when told.
    h = await startSimulator({ minuteMs: 5000 });
    for (const organisation of ['SANDBOX', 'SANDBOX2', 'OAUTHONLY']) tokens[organisation] = (await login(h, {}, organisation)).access_token;
  });
  afterAll(() => h.close());

  /** Spends `n` one-credit reads, ten at a time (the concurrency limit). */
  async function spend(n: number, accessToken: string): Promise<SoapResponse> {
    let last: SoapResponse | undefined;
    for (let done = 0; done < n; done += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, n - done) }, () => listOffices(h, accessToken)));
      expect(batch.map((r) => r.status)).toEqual(Array(batch.length).fill(200));
      last = batch[batch.length - 1];
    }
    return last!;
  }

  async function nextWindow(): Promise<void> {
    await control(h, '/_clock', { advanceMs: 5000 });
  }

  it('counts down X-RateLimit-Remaining, a read costing 1 and anything else 3', async () => {
    const first = await listOffices(h, tokens.SANDBOX);
    expect(first.headers.get('x-ratelimit-limit')).toBe('500');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('499');
    const write = await postSoap(h, '/webservices/processxml.asmx', `${TWINFIELD}ProcessXmlString`, asmxEnvelope({ accessToken: tokens.SANDBOX, companyCode: 'NLA310101' }, `<ProcessXmlString xmlns="${TWINFIELD}"><xmlRequest>${escapeXml('<transaction destiny="temporary"><header><office>NLA310101</office></header></transaction>')}</xmlRequest></ProcessXmlString>`));
    expect(write.headers.get('x-ratelimit-remaining')).toBe('496');
    await nextWindow();
    expect((await listOffices(h, tokens.SANDBOX)).headers.get('x-ratelimit-remaining')).toBe('499');
  });

  it('refuses an app + organisation past 500 credits with Retry-After until the next minute', async () => {
    await nextWindow();
    const last = await spend(500, tokens.SANDBOX);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    const retryAfter = expectRefusal(await listOffices(h, tokens.SANDBOX), 500);
    expect(retryAfter).toBeLessThanOrEqual(5);
    // Another organisation of the same app has its own 500.
    expect((await listOffices(h, tokens.SANDBOX2)).status).toBe(200);

    await control(h, '/_clock', { advanceMs: retryAfter * 1000 });
    expect((await listOffices(h, tokens.SANDBOX)).status).toBe(200);
  });

  it('refuses an app past 1,000 credits across organisations, and the IP past 1,000 whatever it calls with', async () => {
    await nextWindow();
    await spend(500, tokens.SANDBOX);
    await spend(500, tokens.SANDBOX2);
    // OAUTHONLY has spent nothing itself: the app's budget is what refuses it.
    expectRefusal(await listOffices(h, tokens.OAUTHONLY), 1000);
    // A password logon has no app: the IP's 1,000 credits are spent too.
    const logon = await postSoap(h, '/webservices/session.asmx', `${TWINFIELD}Logon`, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Logon xmlns="${TWINFIELD}"><user>demo</user><password>demo</password><organisation>SANDBOX</organisation></Logon></soap:Body></soap:Envelope>`);
    expectRefusal(logon, 1000);
    const stats = (await control(h, '/_stats')).json;
    expect(stats.rateLimited).toBeGreaterThanOrEqual(3);

    await nextWindow();
    expect((await listOffices(h, tokens.OAUTHONLY)).status).toBe(200);
  });
});
