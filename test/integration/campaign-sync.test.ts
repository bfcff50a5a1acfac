import { WorkflowFailedError } from '@temporalio/client';
import { localTime } from '../../src/shared/when';
import { ApplicationFailure, ActivityFailure } from '@temporalio/common';
import { expectedSync } from '../../dev/expected-sync';
import { DEFAULT_TIERS, fieldKey, purchaseFieldName, tierGroupName } from '../../src/shared/campaign';
import { InvalidInputError } from '../../src/shared/errors';
import { mailerliteTaskQueue, syncWorkflowId } from '../../src/shared/names';
import { SYNC_STATUS } from '../../src/shared/search-attributes';
import type { SyncInput, SyncProgress, SyncSummary } from '../../src/shared/sync-types';
import { SyncAlreadyRunningError, startSync } from '../../src/client';
import { waitForProgress, withWorker } from '../helpers/temporal';
import { forgedResume } from '../reliability/support/invalid-inputs';
import {
  albums,
  expectEveryRecordCounted,
  mailerliteGet,
  mailerliteSubscribers,
  slowSource,
  startStack,
  uniqueCampaign,
  type Stack,
} from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

/** The worker's configuration for the tests of one write path (see `describe.each` below). */
let stackEnv: Record<string, string> = {};

const { temporal, stack, album } = useIntegrationStack({ customers: 2000, env: () => stackEnv, per: 'test' });

async function runSync(taskQueue: string, input: SyncInput): Promise<SyncSummary> {
  const handle = await startSync(temporal.client, taskQueue, input);
  return handle.result();
}

// Both write paths: `budgeted` (a request per activity, on the rate-limited queue: the default) and
// `direct` (MAILERLITE_REQUESTS_PER_MINUTE=0: a page per activity) must leave the same state.
describe.each([
  ['budgeted', {}],
  ['direct', { MAILERLITE_REQUESTS_PER_MINUTE: '0' }],
] as const)('campaign sync against the emulators (%s write path)', (path, env) => {
  beforeAll(() => {
    stackEnv = env;
  });
  afterAll(() => {
    stackEnv = {};
  });
  it('leaves MailerLite holding exactly the valid purchasers, with names, purchase field and group', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const expected = expectedSync(stack.dataset, product.id);
    expect(expected.subscribers.size).toBeGreaterThan(100);

    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id, pageSize: 50 }),
    );

    expect(summary).toMatchObject({
      campaign,
      productId: product.id,
      status: 'completed',
      fetched: expected.orders,
      invalid: expected.invalidOrders,
      valid: expected.orders - expected.invalidOrders,
      created: expected.subscribers.size,
      updated: 0,
      unchanged: 0,
      superseded: expected.supersededOrders,
      failed: 0,
      writePath: path,
    });
    expect(summary.pages).toBeGreaterThan(1);
    expect(summary.durationMs).toBeGreaterThan(0);

    // Groups: one per tier, named <CAMPAIGN>_<TIER>; the field <CAMPAIGN>_PURCHASE, a number.
    const groups = await mailerliteGet<{ data: { id: string; name: string }[] }>(
      stack.mailerlite,
      `/groups?limit=100&filter[name]=${campaign}`,
    );
    expect(groups.data.map((g) => g.name).sort()).toEqual(
      DEFAULT_TIERS.map((t) => tierGroupName(campaign, t)).sort(),
    );
    const fields = await mailerliteGet<{ data: { name: string; key: string; type: string }[] }>(
      stack.mailerlite,
      '/fields?limit=100',
    );
    const key = fieldKey(purchaseFieldName(campaign));
    expect(fields.data).toContainEqual(
      expect.objectContaining({ name: purchaseFieldName(campaign), key, type: 'number' }),
    );

    // Subscribers: exactly the valid buyers, nothing else, each as it should be.
    const subscribers = await mailerliteSubscribers(stack.mailerlite);
    expect(subscribers.map((s) => s.email.toLowerCase()).sort()).toEqual(
      [...expected.subscribers.keys()].sort(),
    );
    const purchaseGroup = tierGroupName(campaign, 'Bronze Purchase');
    for (const s of subscribers) {
      const want = expected.subscribers.get(s.email.toLowerCase())!;
      expect(s.status).toBe('active');
      expect(s.fields.name).toBe(want.firstName);
      expect(s.fields.last_name ?? '').toBe(want.lastName);
      expect(Number(s.fields[key])).toBe(want.orderId);
      expect(s.groups.map((g) => g.name)).toEqual([purchaseGroup]);
    }
  });

  it('continues as new with its cursor and stats when history grows, holding the lock throughout', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const expected = expectedSync(stack.dataset, product.id);
    // Continuing as new is no failure: nobody is told of one, and no run is marked failed.
    const notified: unknown[] = [];
    const activities = {
      ...stack.activities,
      notifySync: async (n: Parameters<typeof stack.activities.notifySync>[0]) => {
        notified.push(n);
        return stack.activities.notifySync(n);
      },
    };
    const { summary, firstRunId, lastRunId, firstStatus } = await withWorker(
      temporal,
      activities,
      async (tq) => {
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: product.id,
          pageSize: 25,
          historyLimit: 300,
        });
        const result = await handle.result();
        const latest = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).describe();
        const first = await temporal.client.workflow
          .getHandle(syncWorkflowId(campaign), handle.firstExecutionRunId)
          .describe();
        return {
          summary: result,
          firstRunId: handle.firstExecutionRunId,
          lastRunId: latest.runId,
          firstStatus: first.typedSearchAttributes.get(SYNC_STATUS),
        };
      },
    );
    expect(notified).toEqual([]);
    expect(firstStatus).not.toBe('failed');
    expect(summary.runs).toBeGreaterThan(2);
    expect(lastRunId).not.toBe(firstRunId);
    expect(summary).toMatchObject({
      status: 'completed',
      fetched: expected.orders,
      invalid: expected.invalidOrders,
      created: expected.subscribers.size,
      superseded: expected.supersededOrders,
      failed: 0,
    });
    expect(summary.invalidRecords).toHaveLength(Math.min(100, expected.invalidOrders));
    const subscribers = await mailerliteSubscribers(stack.mailerlite);
    expect(subscribers).toHaveLength(expected.subscribers.size);
  });

  it('never writes to a buyer who unsubscribed, and reports the record with the reason', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const expected = expectedSync(stack.dataset, product.id);
    const buyer = [...expected.subscribers.values()][3]!;
    const res = await fetch(`${stack.mailerlite.url}/api/subscribers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: buyer.email, status: 'unsubscribed', fields: { name: 'Before' } }),
    });
    expect(res.status).toBe(201);

    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id }),
    );
    expect(summary.skipped).toBe(1);
    expect(summary.created).toBe(expected.subscribers.size - 1);
    expect(summary.skippedRecords).toEqual([
      {
        orderId: buyer.orderId,
        customerId: buyer.customerId,
        email: buyer.email,
        reason: 'subscriber is unsubscribed in MailerLite: not rewritten (consent)',
      },
    ]);
    const after = (await mailerliteSubscribers(stack.mailerlite)).find(
      (s) => s.email === buyer.email.toLowerCase(),
    )!;
    expect(after.status).toBe('unsubscribed');
    expect(after.fields.name).toBe('Before');
    expect(after.groups).toEqual([]);
  });

  it('in a dry run computes what it would do, with samples, and leaves MailerLite untouched', async () => {
    const campaign = uniqueCampaign();
    const product = album(1);
    const expected = expectedSync(stack.dataset, product.id);
    const before = await mailerliteGet<{ data: unknown[] }>(stack.mailerlite, '/fields?limit=100');
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id, dryRun: true, sampleSize: 5 }),
    );
    expect(summary).toMatchObject({
      dryRun: true,
      status: 'completed',
      created: expected.subscribers.size,
      updated: 0,
      invalid: expected.invalidOrders,
    });
    expect(summary.resourcesToCreate).toHaveLength(9);
    expect(summary.resourcesToCreate).toContain(purchaseFieldName(campaign));
    expect(summary.samples.created).toHaveLength(5);
    for (const sample of summary.samples.created) {
      const want = expected.subscribers.get(sample.email.toLowerCase())!;
      expect(sample.orderId).toBe(want.orderId);
      expect(sample.fields).toMatchObject({ name: want.firstName });
    }
    expect(await mailerliteWrites(stack)).toBe(0);
    expect(await mailerliteSubscribers(stack.mailerlite)).toEqual([]);
    const groups = await mailerliteGet<{ data: unknown[] }>(
      stack.mailerlite,
      `/groups?filter[name]=${campaign}`,
    );
    expect(groups.data).toEqual([]);
    expect(await mailerliteGet<{ data: unknown[] }>(stack.mailerlite, '/fields?limit=100')).toEqual(before);
  });

  it('in update-only mode updates the buyers MailerLite has and creates no one', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const expected = expectedSync(stack.dataset, product.id);
    const known = [...expected.subscribers.values()].slice(0, 2);
    for (const buyer of known) {
      const res = await fetch(`${stack.mailerlite.url}/api/subscribers`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: buyer.email, fields: { name: 'Old name' } }),
      });
      expect(res.status).toBe(201);
    }
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id, mode: 'update-only', reportLimit: 1000 }),
    );
    expect(summary).toMatchObject({
      created: 0,
      updated: 2,
      failed: 0,
    });
    // Every other valid order is skipped (an absent buyer's older orders too): none is lost.
    expect(summary.skipped).toBeGreaterThanOrEqual(expected.subscribers.size - 2);
    expect(summary.updated + summary.superseded + summary.skipped).toBe(summary.valid);
    expect(summary.skippedRecords[0]!.reason).toBe(
      'not in MailerLite, and the sync is update-only: not created',
    );
    const subscribers = await mailerliteSubscribers(stack.mailerlite);
    expect(subscribers.map((s) => s.email).sort()).toEqual(known.map((b) => b.email.toLowerCase()).sort());
    for (const s of subscribers) {
      const buyer = known.find((b) => b.email.toLowerCase() === s.email)!;
      expect(s.fields.name).toBe(buyer.firstName);
    }
  });

  it('reports every invalid record with all its reasons and loses nothing else', async () => {
    const campaign = uniqueCampaign();
    const product = album(1);
    const customers = new Map(stack.dataset.customers.map((c) => [c.id, c]));
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id, reportLimit: 1000 }),
    );
    expect(summary.invalid).toBeGreaterThan(0);
    expect(summary.invalidRecords).toHaveLength(summary.invalid);
    expect(summary.invalidRecordsOmitted).toBe(0);
    for (const record of summary.invalidRecords) {
      const customer = customers.get(record.customerId)!;
      expect(customer.defects.length).toBeGreaterThan(0);
      if (customer.defects.includes('bad_email')) expect(record.reasons.join(' ')).toMatch(/email/);
      if (customer.defects.includes('missing_first_name'))
        expect(record.reasons).toContain('first name is missing');
      expect(record.reasons.length).toBeGreaterThanOrEqual(customer.defects.length);
    }
    // Every fetched record is accounted for.
    expectEveryRecordCounted(summary);
  });

  it('bounds the invalid records listed in the summary, and counts the rest', async () => {
    const campaign = uniqueCampaign();
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: album(0).id, reportLimit: 2 }),
    );
    expect(summary.invalid).toBeGreaterThan(2);
    expect(summary.invalidRecords).toHaveLength(2);
    expect(summary.invalidRecordsOmitted).toBe(summary.invalid - 2);
  });

  it('refuses a second start while the campaign syncs, naming the run, and runs again once it ended', async () => {
    const campaign = uniqueCampaign();
    const input = { campaign, productId: album(0).id, maxPages: 2 };
    // No worker yet: the first run stays open, holding the lock.
    const first = await startSync(temporal.client, 'no-worker-yet-' + campaign, input);
    let refusal: unknown;
    try {
      await startSync(temporal.client, 'no-worker-yet-' + campaign, input);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(SyncAlreadyRunningError);
    const refused = refusal as SyncAlreadyRunningError;
    expect(refused.workflowId).toBe(syncWorkflowId(campaign));
    expect(refused.runId).toBe(first.firstExecutionRunId);
    expect(refused.startedAt).toBeInstanceOf(Date);
    expect(refused.message).toContain(first.firstExecutionRunId);
    // A person reads the start in local time, with its age (issue 18).
    expect(refused.message).toContain(`started ${localTime(refused.startedAt!)} (`);

    await first.terminate('test: release the lock');
    const second = await withWorker(temporal, stack.activities, (tq) => runSync(tq, input));
    expect(second.status).toBe('completed');
  });

  it('runs again after a completed sync, writing nothing when nothing changed', async () => {
    const campaign = uniqueCampaign();
    const input = { campaign, productId: album(2).id };
    const { first, second, writesDuringSecond } = await withWorker(temporal, stack.activities, async (tq) => {
      const a = await runSync(tq, input);
      const before = await mailerliteWrites(stack);
      const b = await runSync(tq, input);
      return { first: a, second: b, writesDuringSecond: (await mailerliteWrites(stack)) - before };
    });
    expect(first.created).toBeGreaterThan(0);
    expect(second).toMatchObject({ created: 0, updated: 0, failed: 0, fetched: first.fetched });
    expect(second.unchanged).toBe(first.created);
    // Not one write call reached MailerLite on the second run (the first run's are counted).
    expect(await mailerliteWrites(stack)).toBeGreaterThanOrEqual(first.created);
    expect(writesDuringSecond).toBe(0);
  });

  it('answers the progress query while it runs', async () => {
    const campaign = uniqueCampaign();
    const slow = slowSource(stack);
    const seen: SyncProgress[] = await withWorker(temporal, slow, async (tq) => {
      const handle = await startSync(temporal.client, tq, {
        campaign,
        productId: album(0).id,
        pageSize: 40,
        maxPages: 4,
      });
      const progress: SyncProgress[] = [];
      for (let i = 0; i < 100; i++) {
        const p = await handle.query<SyncProgress>('progress');
        progress.push(p);
        if (p.phase === 'syncing' && p.pages >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.result();
      progress.push(await handle.query<SyncProgress>('progress'));
      return progress;
    });
    const syncing = seen.find((p) => p.phase === 'syncing' && p.pages >= 2);
    expect(syncing).toBeDefined();
    expect(syncing!.campaign).toBe(campaign);
    expect(syncing!.fetched).toBeGreaterThan(0);
    expect(seen[seen.length - 1]!.phase).toBe('completed');
  });

  it('cancels within a page, keeps what was written, reports partial stats and frees the lock', async () => {
    const campaign = uniqueCampaign();
    // Until the cancellation is sent, each write takes 300 ms longer, so the run is still writing
    // when it arrives, however busy the machine (in CI it once finished first).
    let cancelSent = false;
    const slow: Stack['activities'] = {
      ...slowSource(stack),
      writeListBatches: async (...args: Parameters<Stack['activities']['writeListBatches']>) => {
        if (!cancelSent) await new Promise((r) => setTimeout(r, 300));
        return stack.activities.writeListBatches(...args);
      },
    };
    const input = { campaign, productId: album(0).id, pageSize: 40 };
    await withWorker(temporal, slow, async (tq) => {
      const handle = await startSync(temporal.client, tq, input);
      await waitForProgress(handle, (p) => p.created > 0);
      await handle.cancel();
      cancelSent = true;
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      const description = await handle.describe();
      expect(description.status.name).toBe('CANCELLED');
    });
    const written = await mailerliteSubscribers(stack.mailerlite);
    expect(written.length).toBeGreaterThan(0);
    // The lock is free: a new run starts and finishes the campaign.
    const rerun = await withWorker(temporal, stack.activities, (tq) => runSync(tq, input));
    expect(rerun.status).toBe('completed');
    expect(rerun.unchanged).toBeGreaterThanOrEqual(written.length);
  });
});

describe('the MailerLite request budget', () => {
  it('covers every request a sync makes: each is an activity on the rate-limited queue, or one of its turns', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    // Counted from a fresh emulator: the campaign's first sync, which creates its 8 groups and field.
    const requestsNow = async () =>
      (
        (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
          requests: { total: number };
        }
      ).requests.total;
    expect(await requestsNow()).toBe(0);
    const { summary, queued } = await withWorker(temporal, stack.activities, async (tq) => {
      // The per-buyer way (the list path's budget is tested in list-path.test.ts).
      const summary = await runSync(tq, {
        campaign,
        productId: product.id,
        pageSize: 200,
        destinationRead: 'per-buyer',
      });
      const history = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).fetchHistory();
      const byType = new Map<string, number>();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.taskQueue?.name !== mailerliteTaskQueue(tq)) continue;
        const type = scheduled.activityType?.name ?? '';
        byType.set(type, (byType.get(type) ?? 0) + 1);
      }
      return { summary, queued: byType };
    });
    expect(summary.runs).toBe(1);
    expect(summary.created).toBeGreaterThan(100);
    // Two look-ups (the first is the MailerLite check), then the 9 creations and the look-ups again.
    expect(queued.get('mailerliteTurn')).toBe(2 + DEFAULT_TIERS.length + 1 + 2);
    expect(queued.get('checkMailerLiteConnection')).toBeUndefined();
    const onQueue = [...queued.values()].reduce((a, b) => a + b, 0);
    // Nothing was retried (no faults), so each activity on the queue stands for exactly one request.
    expect(await requestsNow()).toBe(onQueue);
  });
});

describe('bad input and bad credentials fail fast', () => {
  it('refuses bad input in the client, naming the field, before anything reaches the server', async () => {
    await expect(startSync(temporal.client, 'unused', { campaign: 'not a code' })).rejects.toThrow(
      InvalidInputError,
    );
    await expect(
      startSync(temporal.client, 'unused', { campaign: '2024_ETB_NBL', pageSize: -5 }),
    ).rejects.toThrow(/pageSize: /);
  });

  it('fails a workflow started with bad input at once, with the field named (as from the Temporal UI)', async () => {
    const campaign = uniqueCampaign();
    const failure = await withWorker(temporal, stack.activities, async (tq) => {
      const handle = await temporal.client.workflow.start('campaignSync', {
        taskQueue: tq,
        workflowId: syncWorkflowId(campaign),
        args: [{ campaign, pageSize: 0, apiToken: 'should-not-be-here' }],
      });
      return handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('InvalidInputError');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/pageSize: /);
    expect(cause.message).toMatch(/apiToken/);
  });

  it('refuses a start carrying a forged resume (cursor and stats), before any activity', async () => {
    const campaign = uniqueCampaign();
    const { failure, history } = await withWorker(temporal, stack.activities, async (tq) => {
      const handle = await temporal.client.workflow.start('campaignSync', {
        taskQueue: tq,
        workflowId: syncWorkflowId(campaign),
        args: [{ campaign, productId: album(0).id, resume: forgedResume() }],
      });
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      return { failure, history: await handle.fetchHistory() };
    });
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('InvalidInputError');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/resume: is set by the sync itself when it continues as new/);
    expect((history.events ?? []).some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  });

  it('fails without retrying when MailerLite refuses the token', async () => {
    const badStack = await startStack({ customers: 50, mailerliteToken: 'wrong-token' });
    try {
      const campaign = uniqueCampaign();
      const started = Date.now();
      const failure = await withWorker(temporal, badStack.activities, async (tq) => {
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: albums(badStack.dataset)[0]!.id,
        });
        return handle.result().then(
          () => undefined,
          (err: unknown) => err,
        );
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      const activityFailure = (failure as WorkflowFailedError).cause as ActivityFailure;
      expect(activityFailure).toBeInstanceOf(ActivityFailure);
      const cause = activityFailure.cause as ApplicationFailure;
      expect(cause.type).toBe('ProviderAuthError');
      expect(cause.message).toContain('HTTP 401 Unauthenticated.');
      expect(cause.message).not.toContain('wrong-token');
    } finally {
      await badStack.close();
    }
  });
});

/** Successful write calls MailerLite has taken so far (the emulator's own count, batch items included). */
async function mailerliteWrites(s: Stack): Promise<number> {
  const stats = (await (await fetch(`${s.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { total: number };
  };
  return stats.writes.total;
}
