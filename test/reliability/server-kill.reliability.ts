import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startLocalServer, type LocalServer } from '../../dev/temporal/local-server';
import { startSync, type SyncHandle } from '../../src/client';
import type { SyncSummary } from '../../src/shared/sync-types';
import { setFaults, startStack, type Stack } from '../helpers/stack';
import { uniqueTaskQueue } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { faultCounts, recordCounts } from './support/counts';
import { compareMailerLiteState, seededCase } from './support/state';
import {
  expectCompleteSummary,
  processAlive,
  sleep,
  waitForExit,
  waitForProgress,
  workerEnv,
} from './support/sync';
import { freePort } from '../helpers/ports';

/**
 * This case needs a server of its own, with SQLite persistence, to kill and restart: the suite's
 * shared dev server serves the other cases.
 */
let dir: string;
let server: LocalServer | undefined;
let connection: Connection | undefined;
let stack: Stack;
const workers: WorkerProcess[] = [];

/** The PID of the `temporal server start-dev` process using this SQLite file (found through /proc). */
function serverPid(dbFilename: string): number {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const found = pids.filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.includes('start-dev') && args.includes(dbFilename);
    } catch {
      return false; // gone meanwhile
    }
  });
  if (found.length !== 1) throw new Error(`expected one dev server on ${dbFilename}, found ${found.length}`);
  return Number(found[0]);
}

/** The run's result, asked again while the restarted server comes back (the call fails meanwhile). */
async function resultOf(handle: SyncHandle, timeoutMs: number): Promise<SyncSummary> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.result();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (Date.now() > until || !/UNAVAILABLE|connect|ECONNREFUSED|transport|Deadline/i.test(message))
        throw err;
      await sleep(500);
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'campaign-sync-server-kill-'));
  stack = await startStack({ customers: 2000 });
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await connection?.close();
  await server?.env.teardown().catch(() => undefined);
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reliability 2: the Temporal dev server (SQLite) is killed mid-sync', () => {
  it('completes the sync once the server is restarted on the same port and file', async () => {
    const started = Date.now();
    const dbFilename = join(dir, 'temporal.sqlite');
    const port = await freePort();
    server = await startLocalServer({ dbFilename, port });
    const address = server.address;
    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });

    const { campaign, product, truth, expected, seeded } = await seededCase(stack);
    await setFaults(stack.mailerlite, { latencyMs: { min: 30, max: 120 }, seed: 202 });
    const taskQueue = uniqueTaskQueue('rel-server-kill');
    const worker = await startWorkerProcess(address, taskQueue, stack, 0, workerEnv());
    workers.push(worker);

    // The per-buyer path, whose writes advance page by page, so the kill lands a third of the way.
    const handle = await startSync(client, taskQueue, {
      campaign,
      productId: product.id,
      pageSize: 50,
      destinationRead: 'per-buyer',
    });
    const before = await waitForProgress(handle, (p) => p.created + p.updated >= expected.size / 3);
    expect(before.created + before.updated).toBeLessThan(expected.size);

    const pid = serverPid(dbFilename);
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
    const killedAt = Date.now();
    // The old environment's connection and process handle are dead; let it go.
    await server.env.teardown().catch(() => undefined);
    server = undefined;
    // Down for a few seconds, while the worker's polls and the writes in flight fail.
    await sleep(5_000);
    server = await startLocalServer({ dbFilename, port });
    const downMs = Date.now() - killedAt;

    // The worker process rides out the outage (its polls are retried) and goes on by itself.
    const summary = await resultOf(handle, 540_000);
    const recoveryMs = Date.now() - killedAt;
    expect(processAlive(worker.pid)).toBe(true);
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    await setFaults(stack.mailerlite, {});
    expectCompleteSummary(summary, truth, expected, seeded);
    const compared = await compareMailerLiteState({ stack, campaign, expected, seeded, summary });
    expect(compared).toBe(expected.size + seeded.untouched.length);
    const faults = await faultCounts(stack.edd, stack.mailerlite);
    process.stderr.write(
      `reliability 2: killed at ${before.created + before.updated}/${expected.size} written; ` +
        `server down ${Math.round(downMs / 1000)} s; completed ${Math.round(recoveryMs / 1000)} s after the kill\n`,
    );
    recordCounts({
      name: '2 server SIGKILL',
      recordsCompared: compared,
      faultsInjected: faults.total,
      requestsDelayed: faults.delayed,
      processesKilled: 1,
      durationMs: Date.now() - started,
    });
  });
});
