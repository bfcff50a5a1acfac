import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import { mailerLiteClient } from './http-helpers';
import type { MailerLiteCall, MlValidationError } from './http-helpers';

interface BatchBody {
  total: number;
  successful: number;
  failed: number;
  responses: { code: number; body: unknown }[];
}

const upsertRequest = (i: number) => ({
  method: 'POST',
  path: 'api/subscribers',
  body: { email: `b${i}@example.com` },
});

describe('MailerLite emulator: batch', () => {
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 't', rateLimitPerMinute: 0, importLimitPerMinute: 0 });
    call = mailerLiteClient(ml, 't');
  });
  afterAll(() => ml.close());

  it('runs the requests in order and reports each code, with an outer 200', async () => {
    const res = await call<BatchBody>('POST', '/api/batch', {
      requests: [
        upsertRequest(1),
        { method: 'POST', path: 'api/subscribers', body: { email: 'not-an-email' } },
        { method: 'GET', path: 'api/subscribers/b1@example.com' },
        { method: 'GET', path: 'api/campaigns/list' },
        { method: 'GET', path: 'api/subscribers?limit=0' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.responses.map((r) => r.code)).toEqual([201, 422, 200, 404, 200]);
    expect(res.body).toMatchObject({ total: 5, successful: 3, failed: 2 });
    expect(res.body.responses[3]!.body).toEqual({
      message: 'The route api/campaigns/list could not be found.',
    });
    expect(res.body.responses[4]!.body).toEqual({ total: 1 });
  });

  it('refuses more than 50 requests and malformed items with 422', async () => {
    const tooMany = await call<MlValidationError>('POST', '/api/batch', {
      requests: Array.from({ length: 51 }, (_, i) => upsertRequest(i)),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors.requests).toEqual(['The requests may not have more than 50 items.']);
    const badItem = await call<MlValidationError>('POST', '/api/batch', {
      requests: [{ method: 'FETCH', path: '/api/subscribers' }],
    });
    expect(Object.keys(badItem.body.errors).sort()).toEqual(['requests.0.method', 'requests.0.path']);
    const fifty = await call<BatchBody>('POST', '/api/batch', {
      requests: Array.from({ length: 50 }, (_, i) => upsertRequest(100 + i)),
    });
    expect(fifty.body.successful).toBe(50);
  });
});

describe('MailerLite emulator: rate limits', () => {
  let clock = Date.UTC(2025, 0, 1);
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({
      apiToken: 't',
      rateLimitPerMinute: 5,
      importLimitPerMinute: 2,
      now: () => clock,
    });
    call = mailerLiteClient(ml, 't');
  });
  afterAll(() => ml.close());
  beforeEach(async () => {
    clock += 120_000;
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
  });

  it('sends the limit headers, then 429 with Retry-After, and recovers in the next window', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('GET', '/api/groups');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    clock += 15_000;
    const limited = await call('GET', '/api/groups');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'Too Many Attempts.' });
    expect(limited.headers.get('retry-after')).toBe('45');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    clock += 45_000;
    expect((await call('GET', '/api/groups')).status).toBe(200);
  });

  it('counts a whole batch as one request', async () => {
    const res = await call('POST', '/api/batch', {
      requests: Array.from({ length: 10 }, () => ({ method: 'GET', path: 'api/groups' })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('limits subscriber-only batches as imports, but not mixed batches', async () => {
    const importBatch = { requests: [upsertRequest(1), upsertRequest(2)] };
    expect((await call('POST', '/api/batch', importBatch)).status).toBe(200);
    expect((await call('POST', '/api/batch', importBatch)).status).toBe(200);
    const limited = await call('POST', '/api/batch', importBatch);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: "You're being rate limited on import creation." });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const mixed = await call('POST', '/api/batch', {
      requests: [upsertRequest(3), { method: 'GET', path: 'api/groups' }],
    });
    expect(mixed.status).toBe(200);
    const stats = await (await fetch(`${ml.url}/_admin/stats`)).json();
    expect(stats).toMatchObject({ imports: 2, importRateLimited: 1 });
  });

  it('reports writes by route in /_admin/stats and empties everything on reset', async () => {
    await call('POST', '/api/subscribers', { email: 'w@example.com' });
    await call('POST', '/api/subscribers', { email: 'w@example.com' });
    await call('POST', '/api/subscribers', { email: 'bad' });
    const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as {
      writes: { total: number; byRoute: Record<string, number> };
      requests: { byRoute: Record<string, Record<string, number>> };
    };
    expect(stats.writes).toEqual({ total: 2, byRoute: { 'POST /api/subscribers': 2 } });
    expect(stats.requests.byRoute['POST /api/subscribers']).toEqual({ '200': 1, '201': 1, '422': 1 });
    const state = (await (await fetch(`${ml.url}/_admin/state`)).json()) as {
      subscribers: { email: string }[];
    };
    expect(state.subscribers.map((s) => s.email)).toEqual(['w@example.com']);
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
    const empty = (await (await fetch(`${ml.url}/_admin/state`)).json()) as {
      subscribers: unknown[];
      fields: unknown[];
    };
    expect(empty.subscribers).toEqual([]);
    expect(empty.fields).toHaveLength(8);
  });
});
