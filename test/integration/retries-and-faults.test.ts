import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { expectedSync } from '../../dev/expected-sync';
import { startSync } from '../../src/client';
import { fieldKey, purchaseFieldName } from '../../src/shared/campaign';
import type { SyncSummary } from '../../src/shared/sync-types';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startWorkerProcess } from '../helpers/worker-process';
import { albums, mailerliteSubscribers, setFaults, uniqueCampaign, type Stack } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

const { temporal, stack, startStack } = useIntegrationStack({ customers: 600, per: 'test' });

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause;
  if (cause instanceof ActivityFailure) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('retries and faults', () => {
  it('completes with the exact destination state under 10% 5xx, resets and 429 bursts on both providers', async () => {
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    await setFaults(stack.mailerlite, {
      errorRate: 0.1,
      resetRate: 0.03,
      rateLimitBursts: { every: 15, length: 2, retryAfterSeconds: 1 },
      seed: 11,
    });
    await setFaults(stack.edd, { errorRate: 0.1, resetRate: 0.03, seed: 12 });
    const campaign = uniqueCampaign();

    const summary: SyncSummary = await withWorker(temporal, stack.activities, async (tq) =>
      (await startSync(temporal.client, tq, { campaign, productId: product.id, pageSize: 50 })).result(),
    );

    expect(summary).toMatchObject({
      fetched: expected.orders,
      invalid: expected.invalidOrders,
      created: expected.subscribers.size,
      superseded: expected.supersededOrders,
      failed: 0,
    });
    const key = fieldKey(purchaseFieldName(campaign));
    const subscribers = await mailerliteSubscribers(stack.mailerlite);
    expect(subscribers).toHaveLength(expected.subscribers.size);
    for (const s of subscribers) {
      const want = expected.subscribers.get(s.email.toLowerCase())!;
      expect(want).toBeDefined();
      expect(Number(s.fields[key])).toBe(want.orderId);
      expect(s.fields.name).toBe(want.firstName);
    }
    // The faults did happen: this was not a quiet run.
    for (const emulator of [stack.mailerlite, stack.edd]) {
      const stats = (await (await fetch(`${emulator.url}/_admin/stats`)).json()) as {
        faults: { byKind: Record<string, number> };
      };
      expect(stats.faults.byKind.serverError).toBeGreaterThan(0);
      expect(stats.faults.byKind.reset).toBeGreaterThan(0);
    }
    const mlStats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
      faults: { byKind: Record<string, number> };
    };
    expect(mlStats.faults.byKind.rateLimitBurst).toBeGreaterThan(0);
  });

  it("waits a 429's Retry-After before the next attempt, not the retry policy's 1 s", async () => {
    // Every 10th MailerLite request is refused with Retry-After: 3, and the client is told not to
    // wait in place, so the wait is Temporal's retry delay.
    await stack.close();
    const limited = await startStack({ customers: 600, env: { RATE_LIMIT_MAX_WAIT_MS: '0' } });
    await setFaults(limited.mailerlite, { rateLimitBursts: { every: 10, length: 1, retryAfterSeconds: 3 } });
    const campaign = uniqueCampaign();
    const gaps = await withWorker(temporal, limited.activities, async (tq) => {
      const handle = await startSync(temporal.client, tq, {
        campaign,
        productId: albums(limited.dataset)[0]!.id,
      });
      const seen: number[] = [];
      for (let i = 0; i < 300 && seen.length === 0; i++) {
        const { raw } = await handle.describe();
        for (const pending of raw.pendingActivities ?? []) {
          const failed = pending.lastFailure?.applicationFailureInfo?.type;
          const lastEnd = pending.lastAttemptCompleteTime?.seconds;
          const next = pending.nextAttemptScheduleTime?.seconds;
          if (failed === 'ProviderRateLimitError' && lastEnd != null && next != null) {
            seen.push(Number(next) - Number(lastEnd));
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await handle.result();
      return seen;
    });
    expect(gaps.length).toBeGreaterThan(0);
    // Whole seconds on both sides: 3 s asked, the policy alone would have waited 1 s.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2);
  });

  it('fails at once, without retries, when the campaign does not exist', async () => {
    const campaign = uniqueCampaign();
    const started = Date.now();
    const failure = await withWorker(temporal, stack.activities, async (tq) =>
      failureOf((await startSync(temporal.client, tq, { campaign, productId: 999_999 })).result()),
    );
    expect(failure.type).toBe('CampaignNotFoundError');
    expect(failure.message).toContain(`Campaign ${campaign} was not found`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a mistyped campaign gets "did you mean" from the codes EDD products give, and advice each command takes', async () => {
    const real = albums(stack.dataset)[0]!.campaign;
    // The last letter changed: still a well-formed code, but no product gives it.
    const typo = real.slice(0, -1) + (real.endsWith('Q') ? 'W' : 'Q');
    const failure = await withWorker(temporal, stack.activities, async (tq) =>
      failureOf((await startSync(temporal.client, tq, { campaign: typo })).result()),
    );
    expect(failure.type).toBe('CampaignNotFoundError');
    expect(failure.message).toContain(
      `Campaign ${typo} was not found: no EDD product derives this code; did you mean ${real}`,
    );
    expect(failure.message).toContain(`'campaign create --custom'`);
  });

  it('fails at once with what to change when the purchase field exists with the wrong type', async () => {
    const campaign = uniqueCampaign();
    const res = await fetch(`${stack.mailerlite.url}/api/fields`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: purchaseFieldName(campaign), type: 'text' }),
    });
    expect(res.status).toBe(201);
    const failure = await withWorker(temporal, stack.activities, async (tq) =>
      failureOf(
        (
          await startSync(temporal.client, tq, { campaign, productId: albums(stack.dataset)[0]!.id })
        ).result(),
      ),
    );
    expect(failure.type).toBe('CampaignResourceConflictError');
    expect(failure.message).toMatch(/is a text field; the purchase field must be a number field/);
  });

  it('reports a record MailerLite refuses (422) with its reason and writes the rest of the batch', async () => {
    const result = await stack.activities.mailerliteExchange({
      writes: [
        { email: 'fine@example.com', fields: { name: 'Fine' }, groups: [], status: 'active' },
        { email: 'not-an-email', fields: { name: 'Bad' }, groups: [], status: 'active' },
      ],
      reads: ['fine@example.com', 'nobody@example.com'],
      fieldKeys: ['name'],
      groupId: 'none',
    });
    expect(result.writes[0]).toEqual({ ok: true, created: true });
    expect(result.writes[1]).toMatchObject({ ok: false });
    expect((result.writes[1] as { reason: string }).reason).toMatch(/HTTP 422.*email/);
    expect(result.reads).toEqual([
      { email: 'fine@example.com', exists: true, status: 'active', fields: { name: 'Fine' }, inGroup: false },
      { email: 'nobody@example.com', exists: false, fields: {}, inGroup: false },
    ]);
  });

  it('spends at most the MailerLite budget across two worker processes polling the same task queue', async () => {
    const campaignA = uniqueCampaign();
    const campaignB = uniqueCampaign();
    const [a, b] = albums(stack.dataset);
    const taskQueue = uniqueTaskQueue();
    // A second worker in its own process, as a second host would run it; the server enforces 60/min for both.
    const other = await startWorkerProcess(temporal.address, taskQueue, stack, 60);
    try {
      const before = await batchCount(stack);
      const started = Date.now();
      await withWorker(
        temporal,
        stack.activities,
        async () => {
          const runs = await Promise.all([
            startSync(temporal.client, taskQueue, { campaign: campaignA, productId: a!.id }),
            startSync(temporal.client, taskQueue, { campaign: campaignB, productId: b!.id }),
          ]);
          await Promise.all(runs.map((r) => r.result()));
        },
        taskQueue,
        60,
      );
      const seconds = (Date.now() - started) / 1000;
      const batches = (await batchCount(stack)) - before;
      expect(batches).toBeGreaterThanOrEqual(8);
      // 1 a second, plus the limiter's initial burst; unthrottled this takes well under 2 s.
      expect(batches / seconds).toBeLessThan(1.6);
      expect(other.output()).not.toMatch(/"level":50/);
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
});

async function batchCount(s: Stack): Promise<number> {
  const stats = (await (await fetch(`${s.mailerlite.url}/_admin/stats`)).json()) as {
    requests: { byRoute: Record<string, Record<string, number>> };
  };
  return Object.values(stats.requests.byRoute['POST /api/batch'] ?? {}).reduce((n, c) => n + c, 0);
}
