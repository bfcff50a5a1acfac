import { MailerLiteClient } from '../../src/providers';
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
