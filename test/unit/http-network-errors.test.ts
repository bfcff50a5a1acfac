import { HttpClient } from '../../src/providers/http';
import { ProviderTransientError } from '../../src/shared/errors';
import { freePort as closedPort } from '../helpers/ports';

const SECRET = 'tok-5fa38b93e1d26ddcf2e29677aaf73009';

/** A port nothing listens on (a real one, just closed). */

type Failure = Error & { cause?: Error & { code?: string } };

async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (err) {
    return err as Failure;
  }
  throw new Error('expected the request to fail');
}

describe('a provider that cannot be reached', () => {
  it('fails with what was asked, the cause code and the address, and no credential', async () => {
    const port = await closedPort();
    const client = new HttpClient({
      provider: 'edd',
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 2_000,
      query: { key: 'demo-edd-public-key', token: SECRET },
    });
    const err = await failure(
      client.request('GET', '/edd-api/v2/customers', { endpoint: '/customers', query: { number: 5 } }),
    );
    expect(err).toBeInstanceOf(ProviderTransientError);
    expect(err.message).toBe(`edd GET /customers: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(err.cause!.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(err.cause!.code).toBe('ECONNREFUSED');
    expect(JSON.stringify([err.message, err.stack, err.cause!.message, err.cause!.stack])).not.toMatch(
      /demo-edd-public-key|tok-5fa38b93|number=5/,
    );
  });

  it('names every address a host name tried when all refused', async () => {
    const port = await closedPort();
    const client = new HttpClient({
      provider: 'mailerlite',
      baseUrl: `http://localhost:${port}/api`,
      timeoutMs: 2_000,
      headers: { Authorization: `Bearer ${SECRET}` },
    });
    const err = await failure(client.request('GET', '/groups'));
    expect(err).toBeInstanceOf(ProviderTransientError);
    // One address or several (::1 and 127.0.0.1), each named; never an empty reason.
    expect(err.message).toMatch(
      new RegExp(
        `^mailerlite GET /groups: (ECONNREFUSED: )?connect ECONNREFUSED \\S+:${port}(, connect ECONNREFUSED \\S+:${port})*$`,
      ),
    );
    expect(err.message).not.toContain(SECRET);
  });
});
