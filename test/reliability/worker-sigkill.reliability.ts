import { startSync } from '../../src/client';
import { expectedSync } from '../../dev/expected-sync';
import { albums, setFaults, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { addOrder, purchaseGroup } from '../helpers/store-admin';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { faultCounts, recordCounts } from './support/counts';
import { compareMailerLiteState, seededCase } from './support/state';
import { expectCompleteSummary, waitForExit, waitForProgress, workerEnv } from './support/sync';

/** Pending activity states (temporal.api.enums.v1.PendingActivityState). */
const STATES: Record<number, string> = { 1: 'scheduled', 2: 'started', 3: 'cancel requested' };

const { temporal, useStack } = useIntegrationStack({ stack: false });
const workers: WorkerProcess[] = [];

/** In a describe block: its worker processes stopped after its tests, then its stack closed. */
function useStackAndWorkers(customers: number) {
  afterAll(async () => {
    for (const w of workers.splice(0)) await w.stop();
  });
  return useStack({ customers });
}

// Both write paths: a worker with a MailerLite budget (here 6,000 a minute, more than this sync
// needs) takes the budgeted path; with none (0), the direct path.
describe.each([
  ['budgeted', 6000],
  ['direct', 0],
] as const)('reliability 1: the worker is killed (SIGKILL) mid-sync (%s write path)', (path, budget) => {
  const stack = useStackAndWorkers(2000);

  it('completes the sync on a restarted worker, nothing lost, nothing wrong, consent kept', async () => {
    const started = Date.now();
    const { campaign, product, truth, expected, seeded } = await seededCase(stack);
    // MailerLite answers a little slowly, so the kill surely lands with batches in flight.
    await setFaults(stack.mailerlite, { latencyMs: { min: 30, max: 120 }, seed: 101 });
    const taskQueue = uniqueTaskQueue('rel-sigkill');

    const first = await startWorkerProcess(temporal.address, taskQueue, stack, budget, workerEnv());
    workers.push(first);
    // The two per-buyer write paths (the list path's worker kill is in list-path.test.ts).
    const handle = await startSync(temporal.client, taskQueue, {
      campaign,
      productId: product.id,
      pageSize: 50,
      destinationRead: 'per-buyer',
    });
    const before = await waitForProgress(handle, (p) => p.created + p.updated >= expected.size / 3);
    expect(before.created + before.updated).toBeLessThan(expected.size);

    const inFlight = (await handle.describe()).raw.pendingActivities ?? [];
    process.kill(first.pid, 'SIGKILL');
    await waitForExit(first.pid);
    expect(await first.stop()).toBeNull(); // killed by a signal: no exit code
    expect(first.output()).not.toMatch(/"msg":"worker stopped"/);
    const killedAt = Date.now();
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const second = await startWorkerProcess(temporal.address, taskQueue, stack, budget, workerEnv());
    workers.push(second);
    const summary = await handle.result();
    const recoveryMs = Date.now() - killedAt;

    await setFaults(stack.mailerlite, {});
    expectCompleteSummary(summary, truth, expected, seeded);
    expect(summary.writePath).toBe(path);
    const compared = await compareMailerLiteState({ stack, campaign, expected, seeded, summary });
    expect(compared).toBe(expected.size + seeded.untouched.length);
    // One run, continued on the new worker: not restarted from scratch.
    expect(summary.runs).toBe(1);
    const faults = await faultCounts(stack.edd, stack.mailerlite);
    process.stderr.write(
      `reliability 1 (${path}): killed at ${before.created + before.updated}/${expected.size} written; ` +
        `${inFlight.length} activities pending at the kill (${inFlight.map((a) => `${a.activityType?.name} ${STATES[a.state ?? 0] ?? a.state}`).join(', ')}); ` +
        `completed ${Math.round(recoveryMs / 1000)} s after the kill\n`,
    );
    recordCounts({
      name: `1 worker SIGKILL, ${path}`,
      recordsCompared: compared,
      faultsInjected: faults.total,
      requestsDelayed: faults.delayed,
      processesKilled: 1,
      durationMs: Date.now() - started,
    });
  });
});

describe('reliability 1: the worker is killed (SIGKILL) mid-way through an incremental run', () => {
  const stack = useStackAndWorkers(3000);

  it('completes it on a restarted worker: every new buyer written, the watermark moved once', async () => {
    const started = Date.now();
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const taskQueue = uniqueTaskQueue('rel-sigkill-incremental');
    const first = await startWorkerProcess(temporal.address, taskQueue, stack, 6000, workerEnv());
    workers.push(first);
    const input = { campaign, productId: product!.id, pageSize: 50 };
    const full = await (await startSync(temporal.client, taskQueue, input)).result();
    expect(full.watermark).toBeDefined();

    // 300 orders of new buyers since, and MailerLite answering slowly enough to be killed mid-way.
    const ordered = new Set(
      stack.dataset.sales
        .filter((s) => s.products.some((p) => p.id === product!.id))
        .map((s) => s.customerId),
    );
    const buyers = stack.dataset.customers
      .filter((c) => c.defects.length === 0 && !ordered.has(c.id))
      .slice(0, 300);
    expect(buyers).toHaveLength(300);
    for (const c of buyers) await addOrder(stack, c.id, [product!.id]);
    await setFaults(stack.mailerlite, { latencyMs: { min: 200, max: 400 }, seed: 102 });
    const handle = await startSync(temporal.client, taskQueue, { ...input, incremental: true });
    const before = await waitForProgress(handle, (p) => p.created >= 60);
    expect(before.created).toBeLessThan(300);
    process.kill(first.pid, 'SIGKILL');
    await waitForExit(first.pid);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const second = await startWorkerProcess(temporal.address, taskQueue, stack, 6000, workerEnv());
    workers.push(second);
    const summary = await handle.result();
    await setFaults(stack.mailerlite, {});
    expect(summary).toMatchObject({ status: 'completed', failed: 0, skipped: 0, runs: 1 });
    expect(summary.incremental!.from).toMatchObject({ order: full.watermark!.order });
    // A batch the killed worker sent and the new one sent again answers "updated" the second time.
    expect(summary.created + summary.updated).toBe(300);
    const group = await purchaseGroup(stack, campaign);
    const expected = expectedSync(stack.dataset, product!.id);
    expect([...group.keys()].sort()).toEqual([...expected.subscribers.keys()].sort());
    for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(buyer.orderId);

    // The watermark moved once, to the newest of the new orders: the next run has nothing to do.
    const idle = await (
      await startSync(temporal.client, taskQueue, { ...input, incremental: true })
    ).result();
    expect(idle.incremental!.from).toEqual(summary.watermark);
    expect(idle).toMatchObject({ created: 0, updated: 0, failed: 0 });
    recordCounts({
      name: '1 worker SIGKILL, incremental run',
      recordsCompared: expected.subscribers.size,
      faultsInjected: 0,
      requestsDelayed: 0,
      processesKilled: 1,
      durationMs: Date.now() - started,
    });
  });
});
