import { MockActivityEnvironment } from '@temporalio/testing';
import type { WritePageInput, WritePageResult } from '../../src/activities';
import { keepValid, type SourceRecord } from '../../src/shared/sync-types';
import { albums, setFaults, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

// The direct write path's activity (`writeRecordsPage`), run in the SDK's activity context against
// the MailerLite emulator (a real HTTP server): a page's writes, and what a retried attempt counts.

const { stack } = useIntegrationStack({
  connect: false,
  customers: 600,
  env: { MAILERLITE_REQUESTS_PER_MINUTE: '0' },
});

/** Runs an activity function in the SDK's mock activity context, typed. */
function inActivity<A, R>(env: MockActivityEnvironment, fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return env.run<[A], R, (arg: A) => Promise<R>>(fn, arg);
}

async function writesSoFar(): Promise<number> {
  const stats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { total: number };
  };
  return stats.writes.total;
}

/** A campaign's groups and field, and the valid records of the album's first page of sales. */
async function preparePage(): Promise<{ input: WritePageInput; records: SourceRecord[] }> {
  const campaign = uniqueCampaign();
  const album = albums(stack.dataset)[0]!;
  const env = new MockActivityEnvironment();
  const resources = await inActivity(env, stack.activities.ensureCampaignResources, {
    campaign,
    tiers: ['Bronze Purchase'],
    purchaseTier: 'Bronze Purchase',
    dryRun: false,
  });
  const page = await inActivity(env, stack.activities.fetchPurchasersPage, {
    productId: album.id,
    page: 1,
    pageSize: 1000,
  });
  const { invalidAt } = await inActivity(env, stack.activities.validateRecords, {
    campaign,
    records: page.records,
  });
  const valid = keepValid(page.records, invalidAt);
  return {
    records: valid,
    input: {
      campaign,
      productId: album.id,
      records: valid,
      groupId: resources.purchaseGroupId,
      purchaseFieldKey: resources.purchaseFieldKey,
      fieldKeys: ['name', 'last_name', resources.purchaseFieldKey],
      mode: 'upsert',
      lanes: 4,
      batchSize: 50,
      reportLimit: 100,
    },
  };
}

/** Runs the activity as attempt `attempt`, with the heartbeat details a previous attempt left. */
async function attempt(
  input: WritePageInput,
  heartbeatDetails?: unknown,
): Promise<{ result: WritePageResult; lastHeartbeat: unknown }> {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  let lastHeartbeat: unknown;
  env.on('heartbeat', (details: unknown) => (lastHeartbeat = details));
  const result = await inActivity(env, stack.activities.writeRecordsPage, input);
  return { result, lastHeartbeat };
}

describe('writing a page in one activity (the direct path)', () => {
  it('reports that a worker with no MailerLite budget takes the direct path', async () => {
    const env = new MockActivityEnvironment();
    await expect(env.run(stack.activities.describeWritePath)).resolves.toEqual({
      path: 'direct',
      requestsPerMinute: 0,
    });
  });

  it("creates the page's buyers, and a retry with the last heartbeat counts them as created, writing nothing", async () => {
    const { input, records } = await preparePage();
    const buyers = new Set(records.map((r) => r.email.toLowerCase())).size;
    expect(buyers).toBeGreaterThan(50);

    const before = await writesSoFar();
    const first = await attempt(input);
    expect(first.result.counts).toMatchObject({ created: buyers, updated: 0, unchanged: 0, failed: 0 });
    expect(first.result.counts.superseded).toBe(records.length - buyers);
    expect(await writesSoFar()).toBe(before + buyers);
    // The heartbeat carries the orders written so far, by order ID.
    const details = first.lastHeartbeat as { created: number[]; updated: number[] };
    expect(details.created).toHaveLength(buyers);

    // A retried attempt (the first one's answer was lost) reads everyone as written: it writes
    // nothing, and still counts the buyers the earlier attempt created.
    const retried = await attempt(input, details);
    expect(await writesSoFar()).toBe(before + buyers);
    expect(retried.result.counts).toMatchObject({ created: buyers, unchanged: 0, failed: 0 });

    // Without that heartbeat (a separate, later run), the same page is all unchanged.
    const later = await attempt(input);
    expect(later.result.counts).toMatchObject({ created: 0, updated: 0, unchanged: buyers });
  });

  it('rides out failing batches by trying them again in place', async () => {
    const { input, records } = await preparePage();
    const buyers = new Set(records.map((r) => r.email.toLowerCase())).size;
    // A fifth of MailerLite's answers are 5xx, and a tenth more are 500 after the writes applied.
    await setFaults(stack.mailerlite, { errorRate: 0.2, applyBeforeFailRate: 0.1, seed: 7 });
    try {
      const { result } = await attempt(input);
      // The buyers exist from the test before (another campaign): each is written, none fails.
      expect(result.counts.created + result.counts.updated).toBe(buyers);
      expect(result.counts).toMatchObject({ unchanged: 0, failed: 0 });
      expect(result.requests).toBeGreaterThan(Math.ceil((2 * buyers) / 50));
    } finally {
      await fetch(`${stack.mailerlite.url}/_admin/faults`, { method: 'DELETE' });
    }
  });
});
