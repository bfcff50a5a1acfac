import { startSync } from '../../src/client';
import { setFaults, startStack, type Stack } from '../helpers/stack';
import { connectTestTemporal, uniqueTaskQueue, type TemporalTestContext } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { faultCounts, recordCounts } from './support/counts';
import { compareMailerLiteState, seededCase } from './support/state';
import { expectCompleteSummary, waitForExit, waitForProgress, workerEnv } from './support/sync';

/** Pending activity states (temporal.api.enums.v1.PendingActivityState). */
const STATES: Record<number, string> = { 1: 'scheduled', 2: 'started', 3: 'cancel requested' };

let temporal: TemporalTestContext;
let stack: Stack;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  temporal = await connectTestTemporal();
});
afterAll(async () => {
  await temporal.close();
});

// Both write paths: a worker with a MailerLite budget (here 6,000 a minute, more than this sync
// needs) takes the budgeted path; with none (0), the direct path.
describe.each([
  ['budgeted', 6000],
  ['direct', 0],
] as const)('reliability 1: the worker is killed (SIGKILL) mid-sync (%s write path)', (path, budget) => {
  beforeAll(async () => {
    stack = await startStack({ customers: 2000 });
  });
  afterAll(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await stack.close();
  });

  it('completes the sync on a restarted worker, nothing lost, nothing wrong, consent kept', async () => {
    const started = Date.now();
    const { campaign, product, truth, expected, seeded } = await seededCase(stack);
    // MailerLite answers a little slowly, so the kill surely lands with batches in flight.
    await setFaults(stack.mailerlite, { latencyMs: { min: 30, max: 120 }, seed: 101 });
    const taskQueue = uniqueTaskQueue('rel-sigkill');

    const first = await startWorkerProcess(temporal.address, taskQueue, stack, budget, workerEnv());
    workers.push(first);
    const handle = await startSync(temporal.client, taskQueue, {
      campaign,
      productId: product.id,
      pageSize: 50,
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
