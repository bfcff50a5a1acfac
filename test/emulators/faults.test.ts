import {
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  FaultSettingsError,
  generateDemoData,
  startEddEmulator,
  startMailerLiteEmulator,
} from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';

/** What a client saw: a status, `malformed` (200 that is not JSON) or `reset` (no answer at all). */
type Outcome = { kind: 'answered'; status: number; body: string; headers: Headers } | { kind: 'reset' };

interface FaultStatsJson {
  total: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  delayed: number;
}

async function attempt(url: string, init?: RequestInit): Promise<Outcome> {
  try {
    const res = await fetch(url, init);
    return { kind: 'answered', status: res.status, body: await res.text(), headers: res.headers };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    expect(cause?.code).toBe('ECONNRESET');
    return { kind: 'reset' };
  }
}

/** A short label per outcome, to compare sequences. */
function label(outcome: Outcome): string {
  if (outcome.kind === 'reset') return 'reset';
  if (outcome.status !== 200) return String(outcome.status);
  try {
    JSON.parse(outcome.body);
    return 'ok';
  } catch {
    return 'malformed';
  }
}

const put = (handle: EmulatorHandle, body: unknown) =>
  fetch(`${handle.url}/_admin/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function faultStats(handle: EmulatorHandle): Promise<FaultStatsJson> {
  const stats = (await (await fetch(`${handle.url}/_admin/stats`)).json()) as { faults: FaultStatsJson };
  return stats.faults;
}

describe('fault injection', () => {
  let ml: EmulatorHandle;
  let edd: EmulatorHandle & { token: string };
  const mlAuth = { Authorization: 'Bearer t', 'Content-Type': 'application/json' };
  const mlGet = () => attempt(`${ml.url}/api/groups`, { headers: mlAuth });
  const mlPost = (path: string, body: unknown) =>
    attempt(`${ml.url}${path}`, { method: 'POST', headers: mlAuth, body: JSON.stringify(body) });
  const eddGet = () =>
    attempt(`${edd.url}/edd-api/v2/customers?key=${DEMO_EDD_PUBLIC_KEY}&token=${edd.token}&number=1`);
  const sequence = async (n: number, get: () => Promise<Outcome>): Promise<string[]> => {
    const labels: string[] = [];
    for (let i = 0; i < n; i++) labels.push(label(await get()));
    return labels;
  };

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 't', rateLimitPerMinute: 0, importLimitPerMinute: 0 });
    edd = await startEddEmulator({
      dataset: generateDemoData({ seed: 5, customers: 30 }),
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
    });
  });
  afterAll(async () => {
    await ml.close();
    await edd.close();
  });
  beforeEach(async () => {
    for (const handle of [ml, edd]) {
      await fetch(`${handle.url}/_admin/faults`, { method: 'DELETE' });
      await fetch(`${handle.url}/_admin/reset`, { method: 'POST' });
    }
  });

  it('answers about errorRate of requests with 500/502/503, shaped like MailerLite, and counts them', async () => {
    expect((await put(ml, { errorRate: 0.2, seed: 42 })).status).toBe(200);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 400; i++) outcomes.push(await mlGet());
    const errors = outcomes.filter(
      (o): o is Extract<Outcome, { kind: 'answered' }> => o.kind === 'answered' && o.status >= 500,
    );
    expect(errors.length).toBeGreaterThanOrEqual(60);
    expect(errors.length).toBeLessThanOrEqual(100);
    expect(outcomes.filter((o) => label(o) === 'ok')).toHaveLength(400 - errors.length);
    const byStatus = (status: number) => errors.filter((e) => e.status === status);
    for (const status of [500, 502, 503]) expect(byStatus(status).length).toBeGreaterThan(0);
    expect(JSON.parse(byStatus(500)[0]!.body)).toEqual({ message: 'Server Error' });
    expect(JSON.parse(byStatus(503)[0]!.body)).toEqual({ message: 'Service Unavailable' });
    expect(byStatus(502)[0]!.headers.get('content-type')).toBe('text/html');
    expect(byStatus(502)[0]!.body).toContain('502 Bad Gateway');
    // A faulted request never reached the API: no auth, no throttle headers.
    expect(byStatus(500)[0]!.headers.get('x-ratelimit-limit')).toBeNull();

    const stats = await faultStats(ml);
    expect(stats.total).toBe(errors.length);
    expect(stats.byKind.serverError).toBe(errors.length);
    expect(stats.byStatus).toEqual({
      '500': byStatus(500).length,
      '502': byStatus(502).length,
      '503': byStatus(503).length,
    });
  });

  it('is deterministic: same seed, same sequence, on both emulators; another seed, another sequence', async () => {
    const settings = { errorRate: 0.2, malformedRate: 0.1, resetRate: 0.05, seed: 7 };
    await put(ml, settings);
    const first = await sequence(60, mlGet);
    expect(new Set(first)).toEqual(new Set(['ok', '500', '502', '503', 'malformed', 'reset']));

    await put(ml, settings); // a PUT restarts the sequence
    expect(await sequence(60, mlGet)).toEqual(first);

    await put(ml, settings);
    await sequence(10, mlGet);
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' }); // so does a reset, keeping the settings
    expect(await sequence(60, mlGet)).toEqual(first);

    // The same module and seed put the same faults at the same positions on EDD.
    await put(edd, settings);
    expect(await sequence(60, eddGet)).toEqual(first);

    await put(ml, { ...settings, seed: 8 });
    expect(await sequence(60, mlGet)).not.toEqual(first);
  });

  it('answers MailerLite 429 bursts at the configured positions, with Retry-After and the rate-limit headers', async () => {
    const res = await put(ml, { rateLimitBursts: { every: 5, length: 2, retryAfterSeconds: 3 } });
    expect(await res.json()).toMatchObject({
      rateLimitBursts: { every: 5, length: 2, retryAfterSeconds: 3 },
    });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 15; i++) outcomes.push(await mlGet());
    const limited = outcomes.flatMap((o, i) => (label(o) === '429' ? [i + 1] : []));
    expect(limited).toEqual([4, 5, 9, 10, 14, 15]);
    const burst = outcomes[3] as Extract<Outcome, { kind: 'answered' }>;
    expect(JSON.parse(burst.body)).toEqual({ message: 'Too Many Attempts.' });
    expect(burst.headers.get('retry-after')).toBe('3');
    // Unlimited emulator: the header shows the real limit.
    expect(burst.headers.get('x-ratelimit-limit')).toBe('120');
    expect(burst.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(burst.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect((await faultStats(ml)).byKind.rateLimitBurst).toBe(6);
  });

  it('answers EDD 429 bursts with a firewall HTML page, EDD core having no rate limit', async () => {
    await put(edd, { rateLimitBursts: { every: 3, length: 1 } });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await eddGet());
    expect(outcomes.map(label)).toEqual(['ok', 'ok', '429', 'ok', 'ok', '429']);
    const burst = outcomes[2] as Extract<Outcome, { kind: 'answered' }>;
    expect(burst.headers.get('content-type')).toMatch(/^text\/html/);
    expect(burst.headers.get('retry-after')).toBe('1');
    expect(burst.body).toContain('rate limited');
  });

  it('answers EDD server errors with WordPress and nginx HTML pages', async () => {
    await put(edd, { errorRate: 1, seed: 3 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 30; i++) outcomes.push(await eddGet());
    const bodies = new Map<number, string>();
    for (const o of outcomes) if (o.kind === 'answered') bodies.set(o.status, o.body);
    expect([...bodies.keys()].sort()).toEqual([500, 502, 503]);
    expect(bodies.get(500)).toContain('critical error');
    expect(bodies.get(502)).toContain('nginx');
    expect(bodies.get(503)).toContain('Briefly unavailable for scheduled maintenance');
  });

  it('delays API answers by the configured latency, and never admin answers', async () => {
    await put(ml, { latencyMs: { min: 40, max: 60 } });
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      expect(label(await mlGet())).toBe('ok');
      // Timers may fire a millisecond early.
      expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    }
    await put(edd, { latencyMs: 300 });
    let started = performance.now();
    expect(label(await eddGet())).toBe('ok');
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    started = performance.now();
    await fetch(`${edd.url}/_admin/stats`);
    expect(performance.now() - started).toBeLessThan(150);
    expect((await faultStats(ml)).delayed).toBe(4);
    expect((await faultStats(ml)).total).toBe(0);
  });

  it('resets connections without an answer (ECONNRESET)', async () => {
    await put(ml, { resetRate: 1 });
    await put(edd, { resetRate: 1 });
    expect(await mlGet()).toEqual({ kind: 'reset' });
    expect(await mlPost('/api/subscribers', { email: 'r@example.com' })).toEqual({ kind: 'reset' });
    expect(await eddGet()).toEqual({ kind: 'reset' });
    expect((await faultStats(ml)).byKind.reset).toBe(2);
    expect((await faultStats(edd)).byKind.reset).toBe(1);
  });

  it('answers 200 with a JSON body cut short', async () => {
    await put(ml, { malformedRate: 1 });
    await put(edd, { malformedRate: 1 });
    for (const get of [mlGet, eddGet]) {
      const outcome = (await get()) as Extract<Outcome, { kind: 'answered' }>;
      expect(outcome.status).toBe(200);
      expect(outcome.headers.get('content-type')).toBe('application/json');
      expect(() => JSON.parse(outcome.body) as unknown).toThrow(SyntaxError);
    }
    expect((await faultStats(ml)).byKind.malformed).toBe(1);
  });

  it.each([
    ['a server error', { errorRate: 1 }, /^50[023]$/],
    ['a reset', { resetRate: 1 }, /^reset$/],
    ['a malformed answer', { malformedRate: 1 }, /^malformed$/],
    ['a 429 burst', { rateLimitBursts: { every: 1, length: 1 } }, /^429$/],
  ])('does not apply a write answered with %s', async (_name, settings, expected) => {
    await put(ml, settings);
    expect(label(await mlPost('/api/subscribers', { email: 'w@example.com' }))).toMatch(expected);
    expect(label(await mlPost('/api/groups', { name: 'G' }))).toMatch(expected);
    expect(
      label(
        await mlPost('/api/batch', {
          requests: [{ method: 'POST', path: 'api/subscribers', body: { email: 'b@example.com' } }],
        }),
      ),
    ).toMatch(expected);
    const state = (await (await fetch(`${ml.url}/_admin/state`)).json()) as {
      subscribers: unknown[];
      groups: unknown[];
    };
    expect(state.subscribers).toEqual([]);
    expect(state.groups).toEqual([]);
    const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as {
      requests: { total: number };
      writes: { total: number };
      imports: number;
      faults: FaultStatsJson;
    };
    expect(stats).toMatchObject({ requests: { total: 0 }, writes: { total: 0 }, imports: 0 });
    expect(stats.faults.total).toBe(3);
  });

  it('applyBeforeFailRate applies the write, then answers 500', async () => {
    await put(ml, { applyBeforeFailRate: 1 });
    const outcome = await mlPost('/api/subscribers', { email: 'applied@example.com' });
    expect(label(outcome)).toBe('500');
    const state = (await (await fetch(`${ml.url}/_admin/state`)).json()) as {
      subscribers: { email: string }[];
    };
    expect(state.subscribers.map((s) => s.email)).toEqual(['applied@example.com']);
    const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as {
      writes: { total: number };
      faults: FaultStatsJson;
    };
    expect(stats.writes.total).toBe(1);
    expect(stats.faults.byKind.appliedThenFailed).toBe(1);
  });

  it('faults a batch as one request', async () => {
    await put(ml, { rateLimitBursts: { every: 2, length: 1 } });
    const batch = {
      requests: Array.from({ length: 10 }, () => ({ method: 'GET', path: 'api/groups' })),
    };
    expect(label(await mlPost('/api/batch', batch))).toBe('ok'); // position 1, ten inner requests
    expect(label(await mlGet())).toBe('429'); // position 2
    expect(label(await mlPost('/api/batch', batch))).toBe('ok'); // position 3
    expect(label(await mlPost('/api/batch', batch))).toBe('429'); // position 4
  });

  it('never faults admin endpoints', async () => {
    for (const handle of [ml, edd]) {
      await put(handle, { resetRate: 0.5, errorRate: 0.5, latencyMs: 500 });
      for (const path of ['/_admin/faults', '/_admin/stats']) {
        const res = await fetch(`${handle.url}${path}`);
        expect(res.status).toBe(200);
        expect(await res.json()).toBeDefined();
      }
      expect((await fetch(`${handle.url}/_admin/reset`, { method: 'POST' })).status).toBe(204);
    }
    expect((await fetch(`${ml.url}/_admin/state`)).status).toBe(200);
  });

  it('clears faults with DELETE, restoring normal answers', async () => {
    await put(ml, { errorRate: 1, seed: 9 });
    expect(label(await mlGet())).toMatch(/^50[023]$/);
    expect((await fetch(`${ml.url}/_admin/faults`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${ml.url}/_admin/faults`)).json()).toEqual({
      errorRate: 0,
      rateLimitBursts: null,
      latencyMs: 0,
      resetRate: 0,
      malformedRate: 0,
      applyBeforeFailRate: 0,
      seed: 1,
      routeFaults: [],
    });
    expect(await sequence(5, mlGet)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it.each([
    ['an unknown key', { errorRat: 0.1 }, ['errorRat']],
    ['a rate above 1', { errorRate: 1.5 }, ['errorRate']],
    ['a rate given as a string', { resetRate: '0.1' }, ['resetRate']],
    ['rates summing above 1', { errorRate: 0.6, malformedRate: 0.5 }, ['malformedRate']],
    [
      'a burst longer than its cycle',
      { rateLimitBursts: { every: 2, length: 3 } },
      ['rateLimitBursts.length'],
    ],
    [
      'a burst with an unknown key',
      { rateLimitBursts: { every: 2, length: 1, size: 1 } },
      ['rateLimitBursts.size'],
    ],
    ['an inverted latency range', { latencyMs: { min: 50, max: 10 } }, ['latencyMs.max']],
    ['a negative latency', { latencyMs: -1 }, ['latencyMs']],
    ['a fractional seed', { seed: 1.5 }, ['seed']],
    ['an array', [], ['body']],
    ['text that is not JSON', 'errorRate=1', ['body']],
    ['route faults that are not a list', { routeFaults: { path: '/api/groups' } }, ['routeFaults']],
    [
      'a route fault with a success status',
      { routeFaults: [{ path: '/api/groups', status: 200 }] },
      ['routeFaults[0].status'],
    ],
    [
      'a route fault without a path, with an unknown method and key',
      { routeFaults: [{ method: 'FETCH', status: 500, limit: 1 }] },
      ['routeFaults[0].limit', 'routeFaults[0].method', 'routeFaults[0].path'],
    ],
    [
      'a route fault with a relative path and zero times',
      {
        routeFaults: [
          { path: '/api/groups', status: 500 },
          { path: 'api/groups', status: 500, times: 0 },
        ],
      },
      ['routeFaults[1].path', 'routeFaults[1].times'],
    ],
    [
      'a route fault with a negative after',
      { routeFaults: [{ path: '/api/groups', status: 500, after: -1 }] },
      ['routeFaults[0].after'],
    ],
  ])('refuses %s with 422 naming the field, keeping the active faults', async (_name, body, fields) => {
    await put(ml, { errorRate: 0.25, seed: 4 });
    const res = await put(ml, body);
    expect(res.status).toBe(422);
    const json = (await res.json()) as { message: string; errors: Record<string, string[]> };
    expect(json.message).toBe('Invalid fault settings.');
    expect(Object.keys(json.errors)).toEqual(fields);
    expect(await (await fetch(`${ml.url}/_admin/faults`)).json()).toMatchObject({ errorRate: 0.25, seed: 4 });
  });

  it('route faults fail matching requests after `after`, `times` times, before any other fault', async () => {
    await put(ml, {
      routeFaults: [{ method: 'post', path: '/api/groups/', status: 500, after: 2, times: 2 }],
      rateLimitBursts: { every: 100, length: 1 },
    });
    const create = (name: string) => mlPost('/api/groups', { name });
    // Only POST /api/groups matches: reads go through and take no part in the count.
    expect(label(await create('A'))).toBe('201');
    expect(label(await mlGet())).toBe('ok');
    expect(label(await create('B'))).toBe('201');
    const failed = (await create('C')) as Extract<Outcome, { kind: 'answered' }>;
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ message: 'Server Error' }); // shaped like MailerLite's 500
    expect(label(await create('C'))).toBe('500');
    expect(label(await create('C'))).toBe('201');
    expect(label(await mlGet())).toBe('ok');
    const state = (await (await fetch(`${ml.url}/_admin/state`)).json()) as { groups: { name: string }[] };
    expect(state.groups.map((g) => g.name)).toEqual(['A', 'B', 'C']);
    const stats = await faultStats(ml);
    expect(stats.byKind.route).toBe(2);
    expect(stats.byKind.rateLimitBurst).toBe(0); // route-faulted requests take no position in the sequence
    expect(stats.byStatus['500']).toBe(2);
    // A reset restarts the counts: the next two creates are let through again.
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
    let n = 0;
    expect(await sequence(4, () => create(`R${n++}`))).toEqual(['201', '201', '500', '500']);
  });

  it('route faults match {name} segments, any method when none is given, and answer other statuses as JSON', async () => {
    await put(ml, {
      routeFaults: [
        { path: '/api/groups/{id}', status: 422, message: 'The given data was invalid.' },
        { method: 'GET', path: '/api/groups', status: 429 },
      ],
    });
    for (const method of ['DELETE', 'PUT']) {
      const res = await fetch(`${ml.url}/api/groups/123`, { method, headers: mlAuth });
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ message: 'The given data was invalid.' });
    }
    const limited = (await mlGet()) as Extract<Outcome, { kind: 'answered' }>;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    // Neither matches a path with a different number of segments.
    expect(label(await attempt(`${ml.url}/api/groups/123/subscribers`, { headers: mlAuth }))).toBe('404');
    expect(await (await fetch(`${ml.url}/_admin/faults`)).json()).toMatchObject({
      routeFaults: [
        {
          method: null,
          path: '/api/groups/{id}',
          status: 422,
          after: 0,
          times: null,
          message: 'The given data was invalid.',
        },
        { method: 'GET', path: '/api/groups', status: 429, after: 0, times: null, message: null },
      ],
    });
    // EDD's emulator shares the injector.
    await put(edd, { routeFaults: [{ path: '/edd-api/v2/customers', status: 503, times: 1 }] });
    expect(await sequence(2, eddGet)).toEqual(['503', 'ok']);
  });

  it('answers 405 for other methods on /_admin/faults', async () => {
    const res = await fetch(`${edd.url}/_admin/faults`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT, DELETE');
  });
});

describe('fault injection and the MailerLite rate limit', () => {
  it('does not spend the rate-limit budget on faulted requests', async () => {
    const ml = await startMailerLiteEmulator({ apiToken: 't', rateLimitPerMinute: 5 });
    try {
      await put(ml, { errorRate: 1 });
      const get = () => fetch(`${ml.url}/api/groups`, { headers: { Authorization: 'Bearer t' } });
      for (let i = 0; i < 10; i++) expect((await get()).status).toBeGreaterThanOrEqual(500);
      await fetch(`${ml.url}/_admin/faults`, { method: 'DELETE' });
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 5; i++) remaining.push((await get()).headers.get('x-ratelimit-remaining'));
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      expect((await get()).status).toBe(429);
    } finally {
      await ml.close();
    }
  });
});

describe('faults given at start-up', () => {
  it('are active from the first request and reported by GET /_admin/faults', async () => {
    const ml = await startMailerLiteEmulator({
      apiToken: 't',
      faults: { errorRate: 1, latencyMs: { min: 1, max: 2 }, seed: 11 },
    });
    try {
      const res = await fetch(`${ml.url}/api/groups`, { headers: { Authorization: 'Bearer t' } });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(await (await fetch(`${ml.url}/_admin/faults`)).json()).toMatchObject({
        errorRate: 1,
        latencyMs: { min: 1, max: 2 },
        seed: 11,
      });
    } finally {
      await ml.close();
    }
  });

  it('are checked: a bad setting rejects the start, naming the field', async () => {
    const start = startEddEmulator({
      dataset: generateDemoData({ seed: 5, customers: 5 }),
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
      faults: { errorRate: 2 },
    });
    await expect(start).rejects.toThrow(FaultSettingsError);
    await expect(start).rejects.toMatchObject({ errors: { errorRate: ['must be a number from 0 to 1.'] } });
  });
});
