import { MailerLiteClient, type ListLimitLowered } from '../../src/providers';
import { ProviderRequestError } from '../../src/shared/errors';
import { DEMO_MAILERLITE_TOKEN, startMailerLiteEmulator, type EmulatorHandle } from '../../dev/emulators';
import { createMetrics } from '../../src/observability/metrics';

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startMailerLiteEmulator({ apiToken: DEMO_MAILERLITE_TOKEN, rateLimitPerMinute: 0 });
});
afterAll(async () => {
  await emulator.close();
});

describe('MailerLite client beyond the shared contract', () => {
  it('imports into a group and reads the import, counting and timing every request by endpoint', async () => {
    const metrics = createMetrics();
    const client = new MailerLiteClient({
      credentials: { baseUrl: `${emulator.url}/api`, apiToken: DEMO_MAILERLITE_TOKEN },
      timeoutMs: 5000,
      observe: (o) => metrics.observeRequest(o),
    });
    const group = await client.createGroup('IMPORT_TEST');
    const id = await client.importToGroup(group.id, [
      { email: 'one@example.com', fields: { name: 'One' } },
      { email: 'two@example.com' },
    ]);
    const progress = await client.getImport(id);
    expect(progress).toMatchObject({ id, total: 2, imported: 2, done: true });
    const members = await client.listGroupSubscribers(group.id, { status: 'active' });
    expect(members.items.map((s) => s.email).sort()).toEqual(['one@example.com', 'two@example.com']);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /campaign_sync_provider_requests_total\{provider="mailerlite",method="POST",endpoint="\/groups\/\{id\}\/import-subscribers",status="200"\} 1/,
    );
    expect(text).toMatch(
      /campaign_sync_provider_request_duration_seconds_count\{provider="mailerlite",method="GET",endpoint="\/subscribers\/import\/\{id\}"\} 1/,
    );
    expect(text).not.toContain(DEMO_MAILERLITE_TOKEN);
  });
});

describe('MailerLite client: the page size of cursor lists (MAILERLITE_LIST_LIMIT)', () => {
  const started: EmulatorHandle[] = [];
  afterAll(async () => {
    await Promise.all(started.map((e) => e.close()));
  });

  /** An emulator whose cursor lists take at most `maxListLimit`, with a group of `members` active members. */
  async function account(maxListLimit: number, members: number) {
    const ml = await startMailerLiteEmulator({
      apiToken: DEMO_MAILERLITE_TOKEN,
      rateLimitPerMinute: 0,
      maxListLimit,
    });
    started.push(ml);
    const lowered: ListLimitLowered[] = [];
    const client = (listLimit?: number) =>
      new MailerLiteClient({
        credentials: { baseUrl: `${ml.url}/api`, apiToken: DEMO_MAILERLITE_TOKEN },
        timeoutMs: 5000,
        listLimit,
        onListLimitLowered: (e) => lowered.push(e),
      });
    const group = await client().createGroup('LIST_LIMIT');
    const requests = Array.from({ length: members }, (_, i) => ({
      method: 'POST' as const,
      path: 'api/subscribers',
      body: { email: `member${i}@example.com`, groups: [group.id] },
    }));
    for (let i = 0; i < requests.length; i += 50) await client().batch(requests.slice(i, i + 50));
    /** `GET /api/groups/{id}/subscribers` answers the emulator counted, by status code. */
    const listAnswers = async () => {
      const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as {
        requests: { byRoute: Record<string, Record<string, number>> };
      };
      return stats.requests.byRoute['GET /api/groups/{id}/subscribers'] ?? {};
    };
    return { group, client, lowered, listAnswers };
  }

  /** Every active member of the group, page by page, and the size of each page. */
  async function walk(client: MailerLiteClient, groupId: string) {
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = await client.listGroupSubscribers(
        groupId,
        {
          status: 'active',
          cursor,
        },
      );
      sizes.push(page.items.length);
      cursor = page.nextCursor;
    } while (cursor);
    return sizes;
  }

  it('steps down to 100 once when MailerLite refuses the size, tells once, and keeps it for the process', async () => {
    const { group, client, lowered, listAnswers } = await account(250, 230);

    expect(await walk(client(), group.id)).toEqual([100, 100, 30]);
    expect(lowered).toEqual([
      {
        from: 1000,
        to: 100,
        endpoint: '/groups/{id}/subscribers',
        reason: expect.stringContaining('The limit may not be greater than 250.') as string,
      },
    ]);
    // Another client of the same account in this process asks for 100 at once: no second refusal.
    const other = client();
    expect(other.currentListLimit).toBe(100);
    expect(await walk(other, group.id)).toEqual([100, 100, 30]);
    expect(lowered).toHaveLength(1);
    expect(await listAnswers()).toEqual({ '200': 6, '422': 1 });
  });

  it('asks for the configured size when MailerLite takes it, and caps a larger one a caller asks for', async () => {
    const { group, client, lowered, listAnswers } = await account(250, 230);
    const c = client(200);
    expect(await walk(c, group.id)).toEqual([200, 30]);
    const capped = await c.listGroupSubscribers(group.id, { status: 'active', limit: 500 });
    expect(capped.items).toHaveLength(200);
    expect(lowered).toEqual([]);
    expect(await listAnswers()).toEqual({ '200': 3 });
  });

  it('fails naming MAILERLITE_LIST_LIMIT when MailerLite refuses even 100, or the configured size at or below it', async () => {
    const { group, client } = await account(50, 10);
    for (const listLimit of [undefined, 80]) {
      const err: unknown = await client(listLimit)
        .listGroupSubscribers(group.id, { status: 'active' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderRequestError);
      expect((err as ProviderRequestError).message).toMatch(
        /^MailerLite refused (100|80) subscribers a page \(HTTP 422 on \/groups\/\{id\}\/subscribers: The limit may not be greater than 50\.\) Set MAILERLITE_LIST_LIMIT to a size it accepts/,
      );
    }
  });
});
