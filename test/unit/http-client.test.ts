import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderTransientError,
} from '../../src/shared/errors';
import { HttpClient, retryAfterMs, type RequestObservation } from '../../src/providers/http';

/** A real HTTP server whose answer each test sets. */
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  handler = (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

const SECRET = 's3cr3t-token-value';

function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  return new HttpClient({ provider: 'edd', baseUrl, timeoutMs: 500, query: { token: SECRET }, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the request to fail');
}

describe('HttpClient', () => {
  it('reuses a connection while it is busy, and closes it itself before the server would (idleSocketMs)', async () => {
    const ports: number[] = [];
    handler = (req, res) => {
      ports.push(req.socket.remotePort!);
      res.end('{}');
    };
    const c = client({ idleSocketMs: 150, timeoutMs: 2_000 });
    await c.request('POST', '/batch', { body: {} });
    await new Promise((r) => setTimeout(r, 50));
    await c.request('POST', '/batch', { body: {} });
    // Idle past idleSocketMs: the client closed the connection, and the next POST opens a new one
    // rather than racing the server's own close.
    await new Promise((r) => setTimeout(r, 400));
    await c.request('POST', '/batch', { body: {} });
    c.close();
    expect(ports[1]).toBe(ports[0]);
    expect(ports[2]).not.toBe(ports[1]);
  });

  it('keeps a slow answer past idleSocketMs: the idle limit is not a request timeout', async () => {
    handler = (_req, res) => setTimeout(() => res.end('{"slow":true}'), 300);
    const c = client({ idleSocketMs: 100, timeoutMs: 2_000 });
    const res = await c.request<{ slow: boolean }>('GET', '/slow');
    c.close();
    expect(res.body.slow).toBe(true);
  });

  it('sends auth query parameters and parses JSON', async () => {
    let seenUrl = '';
    handler = (req, res) => {
      seenUrl = req.url ?? '';
      res.end(JSON.stringify({ ok: true }));
    };
    const res = await client().request<{ ok: boolean }>('GET', '/customers', { query: { number: 5 } });
    expect(res.body.ok).toBe(true);
    expect(seenUrl).toBe(`/customers?number=5&token=${SECRET}`);
  });

  it.each([
    [401, ProviderAuthError],
    [403, ProviderAuthError],
    [404, ProviderNotFoundError],
    [422, ProviderRequestError],
    [400, ProviderRequestError],
    [500, ProviderTransientError],
    [503, ProviderTransientError],
  ])('maps HTTP %i to %p, without the secret in the message', async (status, type) => {
    answer(status, { message: 'nope' });
    const err = await failure(client().request('GET', '/x'));
    expect(err).toBeInstanceOf(type);
    expect(err.name).toBe(type.name);
    expect(err.message).toContain(`HTTP ${status} nope`);
    expect(err.message).not.toContain(SECRET);
  });

  it('keeps MailerLite field errors of a 422', async () => {
    answer(422, {
      message: 'The given data was invalid.',
      errors: { email: ['The email must be a valid email address.'] },
    });
    const err = (await failure(
      client().request('POST', '/subscribers', { body: {} }),
    )) as ProviderRequestError;
    expect(err.fieldErrors).toEqual({ email: ['The email must be a valid email address.'] });
  });

  it('carries Retry-After on 429, and waits it out in place when allowed', async () => {
    answer(429, { message: 'Too Many Attempts.' }, { 'Retry-After': '7' });
    const err = (await failure(client().request('GET', '/x'))) as ProviderRateLimitError;
    expect(err).toBeInstanceOf(ProviderRateLimitError);
    expect(err.retryAfterMs).toBe(7000);

    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'Retry-After': '0' });
        res.end('{"message":"Too Many Attempts."}');
      } else res.end('{"ok":true}');
    };
    const res = await client({ rateLimitMaxWaitMs: 1000 }).request<{ ok: boolean }>('GET', '/x');
    expect(res.body.ok).toBe(true);
    expect(calls).toBe(2);
  });

  it('reports timeouts, resets and malformed bodies as transient', async () => {
    handler = () => undefined; // never answers
    const timeout = await failure(client({ timeoutMs: 100 }).request('GET', '/slow'));
    expect(timeout).toBeInstanceOf(ProviderTransientError);
    expect(timeout.message).toMatch(/timed out after 100 ms/);

    handler = (req) => req.socket.destroy();
    const reset = await failure(client().request('GET', '/reset'));
    expect(reset).toBeInstanceOf(ProviderTransientError);
    expect(reset.message).not.toContain(SECRET);

    answer(200, '{"customers": [');
    const malformed = await failure(client().request('GET', '/customers'));
    expect(malformed).toBeInstanceOf(ProviderTransientError);
    expect(malformed.message).toMatch(/not JSON/);
  });

  it('observes every request with its endpoint pattern and status', async () => {
    const seen: RequestObservation[] = [];
    answer(404, { message: 'Resource not found.' });
    await failure(
      client({ observe: (o) => seen.push(o) }).request('GET', '/subscribers/a@b.c', {
        endpoint: '/subscribers/{id}',
      }),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      provider: 'edd',
      method: 'GET',
      endpoint: '/subscribers/{id}',
      status: 404,
    });
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs(new Headers({ 'Retry-After': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'Retry-After': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(new Headers())).toBe(60_000);
  });
});

describe('HttpClient GET retries', () => {
  it('tries a GET again after a transient failure, but never a POST', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200, { 'Content-Type': 'application/json' });
      res.end(calls < 3 ? '{"message":"Service Unavailable"}' : '{"ok":true}');
    };
    const res = await client({ getRetries: 2 }).request<{ ok: boolean }>('GET', '/x');
    expect(res.body.ok).toBe(true);
    expect(calls).toBe(3);

    calls = 0;
    await expect(client({ getRetries: 2 }).request('POST', '/x', { body: {} })).rejects.toBeInstanceOf(
      ProviderTransientError,
    );
    expect(calls).toBe(1);
  });
});
