// Contract of the simulated Exact Online's limits and sandbox controls: minutely and daily rate limits with their
// headers, injected faults, served-call statistics, added latency and the clock control.
import { DAY, sleep, systemClock } from '../../../server/src/clock';
import { apiGet, control, login, startSandbox, tokenRequest, type Sandbox } from './harness';

const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-minutely-limit', 'x-ratelimit-minutely-remaining', 'x-ratelimit-minutely-reset'];
const header = (r: Response, name: string) => Number(r.headers.get(name));

interface Stats {
  requests: number;
  tokenRequests: number;
  rateLimited: number;
  faults: number;
  inFlight: number;
  maxInFlight: number;
  administrations: Record<string, { requests: number; rateLimited: number; faults: number }>;
}
const stats = async (sb: Sandbox) => (await (await fetch(`${sb.base}/_stats`)).json()) as Stats;

/** Moves the sandbox clock to just after the start of a rate-limit window. */
function alignToWindow(sb: Sandbox, minuteMs: number): void {
  sb.clock.advance(minuteMs - (sb.clock.now() % minuteMs) + 1);
}

describe('the minutely limit', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ administrations: 2, rows: 20 });
    token = (await login(sb.base)).access_token;
  });
  afterAll(() => sb.close());
  const journals = (division = 310101) => apiGet(`${sb.api}/${division}/financial/Journals`, token);

  it('allows 60 calls per app per division in a minute, then answers 429 with only the minutely headers', async () => {
    alignToWindow(sb, 60_000);
    for (let i = 1; i <= 60; i++) {
      const response = await journals();
      expect(response.status).toBe(200);
      expect(header(response, 'x-ratelimit-minutely-remaining')).toBe(60 - i);
    }
    const refused = await journals();
    expect(refused.status).toBe(429);
    expect(await refused.text()).toBe('');
    expect(refused.headers.get('x-ratelimit-minutely-limit')).toBe('60');
    expect(refused.headers.get('x-ratelimit-minutely-remaining')).toBe('0');
    expect(header(refused, 'x-ratelimit-minutely-reset') % 60_000).toBe(0);
    expect(refused.headers.get('x-ratelimit-limit')).toBeNull();
    expect(refused.headers.get('x-ratelimit-remaining')).toBeNull();
    expect(refused.headers.get('x-ratelimit-reset')).toBeNull();

    expect((await journals(310102)).status).toBe(200);
    const s = await stats(sb);
    expect(s.rateLimited).toBe(1);
    expect(s.administrations['310101'].rateLimited).toBe(1);
  });

  it('opens again at the next whole minute', async () => {
    const refused = await journals();
    expect(refused.status).toBe(429);
    sb.clock.advance(header(refused, 'x-ratelimit-minutely-reset') - sb.clock.now());
    const response = await journals();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-minutely-remaining')).toBe('59');
  });

  it('does not count token calls against the division', async () => {
    const before = await journals();
    const tokens = await login(sb.base);
    await tokenRequest(sb.base, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    const after = await journals();
    expect(header(after, 'x-ratelimit-remaining')).toBe(header(before, 'x-ratelimit-remaining') - 1);
  });
});

describe('a short minute in real time', () => {
  it('resets the window after minuteMs', async () => {
    const sb = await startSandbox({ administrations: 1, rows: 20, minuteMs: 800, minutelyLimit: 5 });
    try {
      const token = (await login(sb.base)).access_token;
      alignToWindow(sb, 800);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 6; i++) {
        last = await apiGet(`${sb.api}/310101/financial/Journals`, token);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      await sleep(Math.max(0, header(last!, 'x-ratelimit-minutely-reset') - sb.clock.now()) + 20);
      expect((await apiGet(`${sb.api}/310101/financial/Journals`, token)).status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});

describe('the daily limit', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ administrations: 2, rows: 20, dailyLimit: 5 });
    token = (await login(sb.base)).access_token;
  });
  afterAll(() => sb.close());

  it('answers 429 with a non-JSON body and all six headers once the day is used up, until midnight UTC', async () => {
    alignToWindow(sb, 60_000);
    for (let i = 1; i <= 5; i++) {
      const response = await apiGet(`${sb.api}/310101/financial/Journals`, token);
      expect(response.status).toBe(200);
      expect(header(response, 'x-ratelimit-remaining')).toBe(5 - i);
      expect(header(response, 'x-ratelimit-limit')).toBe(5);
    }
    const refused = await apiGet(`${sb.api}/310101/financial/Journals`, token);
    expect(refused.status).toBe(429);
    for (const name of RATE_HEADERS) expect(refused.headers.get(name)).not.toBeNull();
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    const midnight = (Math.floor(sb.clock.now() / DAY) + 1) * DAY;
    expect(header(refused, 'x-ratelimit-reset')).toBe(midnight);
    const text = await refused.text();
    expect(() => JSON.parse(text)).toThrow();

    sb.clock.advance(midnight - sb.clock.now() + 1);
    token = (await login(sb.base)).access_token;
    const next = await apiGet(`${sb.api}/310101/financial/Journals`, token);
    expect(next.status).toBe(200);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('4');
  });
});

describe('rate-limit headers', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ administrations: 1, rows: 20 });
    token = (await login(sb.base)).access_token;
  });
  afterAll(() => sb.close());

  it('announce 5,000 calls a day and 60 a minute under the default configuration', async () => {
    const first = await apiGet(`${sb.api}/310101/financial/Journals`, token);
    expect(first.status).toBe(200);
    expect(first.headers.get('X-RateLimit-Limit')).toBe('5000');
    expect(first.headers.get('X-RateLimit-Remaining')).toBe('4999');
    expect(first.headers.get('X-RateLimit-Minutely-Limit')).toBe('60');
    expect(first.headers.get('X-RateLimit-Minutely-Remaining')).toBe('59');
  });

  it('come with every API answer: success, errors and refusals', async () => {
    const answers = [
      await apiGet(`${sb.api}/current/Me`, token),
      await apiGet(`${sb.api}/310101/financial/Journals?$filter=Nope eq 1`, token),
      await apiGet(`${sb.api}/310101/financial/Nothing`, token),
      await apiGet(`${sb.api}/777777/financial/Journals`, token),
      await apiGet(`${sb.api}/310101/financial/Journals`, undefined),
      await apiGet(`${sb.api}/310101/financial/Journals%E0%A4%A`, token),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 404, 403, 401, 400]);
    for (const answer of answers) for (const name of RATE_HEADERS) expect(answer.headers.get(name)).toMatch(/^\d+$/);
    const now = sb.clock.now();
    expect(header(answers[0], 'x-ratelimit-reset')).toBe((Math.floor(now / DAY) + 1) * DAY);
    expect(header(answers[0], 'x-ratelimit-minutely-reset')).toBe((Math.floor(now / 60_000) + 1) * 60_000);
  });
});

describe('faults', () => {
  let sb: Sandbox;
  let token: string;
  beforeAll(async () => {
    sb = await startSandbox({ administrations: 2, rows: 20 });
    token = (await login(sb.base)).access_token;
  });
  afterAll(() => sb.close());
  const call = (division = 310101, signal?: AbortSignal) => apiGet(`${sb.api}/${division}/financial/Journals`, token, {}, signal);

  it('fails the next n calls of a division with the given status, then serves again', async () => {
    const queued = await control(sb.base, '_faults', { administration: 310101, count: 2, kind: 'status', status: 503 });
    expect(await queued.json()).toEqual({ administration: '310101', pending: 2 });
    expect((await call(310102)).status).toBe(200);
    const first = await call();
    expect(first.status).toBe(503);
    expect(first.headers.get('x-ratelimit-remaining')).not.toBeNull();
    expect((await call()).status).toBe(503);
    expect((await call()).status).toBe(200);
  });

  it('answers a malformed body', async () => {
    await control(sb.base, '_faults', { administration: '310101', kind: 'malformed' });
    const response = await call();
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('hangs without answering on a timeout fault', async () => {
    await control(sb.base, '_faults', { administration: 310101, kind: 'timeout' });
    await expect(call(310101, AbortSignal.timeout(300))).rejects.toThrow();
    expect((await call()).status).toBe(200);
  });

  it('refuses a malformed fault request', async () => {
    expect((await control(sb.base, '_faults', { administration: 310101, kind: 'explode' })).status).toBe(400);
  });

  it('counts faults in _stats', async () => {
    const s = await stats(sb);
    expect(s.faults).toBe(4);
    expect(s.administrations['310101'].faults).toBe(4);
  });
});

describe('statistics', () => {
  it('count every API call, rejected ones included, per administration, and reset on request', async () => {
    const sb = await startSandbox({ administrations: 2, rows: 20, minutelyLimit: 2 });
    try {
      const token = (await login(sb.base)).access_token;
      await control(sb.base, '_stats/reset');
      alignToWindow(sb, 60_000);
      await apiGet(`${sb.api}/310101/financial/Journals`, undefined); // 401
      await apiGet(`${sb.api}/310101/financial/Journals`, token);
      await apiGet(`${sb.api}/310101/financial/Journals`, token);
      await apiGet(`${sb.api}/310101/financial/Journals`, token); // 429
      await apiGet(`${sb.api}/310102/financial/Journals`, token);
      const me = await apiGet(`${sb.api}/current/Me`, token); // counted for the current division, 310101
      expect(me.status).toBe(429);
      const s = await stats(sb);
      expect(s.requests).toBe(6);
      expect(s.tokenRequests).toBe(0);
      expect(s.rateLimited).toBe(2);
      expect(s.administrations['310101']).toEqual({ requests: 5, rateLimited: 2, faults: 0 });
      expect(s.administrations['310102']).toEqual({ requests: 1, rateLimited: 0, faults: 0 });
      expect((await control(sb.base, '_stats/reset')).status).toBe(200);
      const cleared = await stats(sb);
      expect(cleared.requests).toBe(0);
      expect(cleared.administrations).toEqual({});
    } finally {
      await sb.close();
    }
  });
});

describe('latency', () => {
  it('delays API and token calls but not the sandbox controls', async () => {
    const sb = await startSandbox({ administrations: 1, rows: 20, latencyMs: 600 });
    try {
      const token = (await login(sb.base)).access_token;
      await control(sb.base, '_stats/reset');
      let answered = 0;
      const calls = [1, 2, 3].map(() => apiGet(`${sb.api}/310101/financial/Journals`, token).then((r) => (answered++, r)));
      const tokenCall = tokenRequest(sb.base, { grant_type: 'password' });
      await sleep(50);
      const during = await stats(sb);
      expect(answered).toBe(0);
      expect(during.inFlight).toBe(3);
      expect(during.tokenRequests).toBe(0);
      expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200]);
      await tokenCall;
      const after = await stats(sb);
      expect(after.maxInFlight).toBe(3);
      expect(after.tokenRequests).toBe(1);
    } finally {
      await sb.close();
    }
  });
});

describe('the clock control', () => {
  it('moves an adjustable clock forward', async () => {
    const sb = await startSandbox({ administrations: 1, rows: 20 });
    try {
      const before = sb.clock.now();
      const response = await control(sb.base, '_clock', { advanceMs: DAY });
      expect(response.status).toBe(200);
      expect(sb.clock.now() - before).toBeGreaterThanOrEqual(DAY);
      expect((await control(sb.base, '_clock', { advanceMs: -1 })).status).toBe(400);
    } finally {
      await sb.close();
    }
  });

  it('refuses to move the system clock', async () => {
    const sb = await startSandbox({ administrations: 1, rows: 20, clock: systemClock });
    try {
      const response = await control(sb.base, '_clock', { advanceMs: 1000 });
      expect(response.status).toBe(400);
    } finally {
      await sb.close();
    }
  });
});
