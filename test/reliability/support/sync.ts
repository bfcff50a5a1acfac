import { existsSync, readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { ExpectedSync } from '../../../dev/expected-sync';
import type { SyncProgress, SyncSummary } from '../../../src/shared/sync-types';
import { expectEveryRecordCounted } from '../../helpers/stack';
import type { ExpectedState, Seeded } from './state';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Environment for the worker processes of the suite: the workflow bundle the global setup built
 * (no bundling at start), and no health schedule (its stuck-sync recovery would act on the runs
 * these cases interrupt on purpose; here Temporal alone must bring them to completion).
 */
export function workerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    WORKFLOW_BUNDLE_PATH: process.env.CAMPAIGN_SYNC_TEST_BUNDLE!,
    HEALTH_SCHEDULE: 'off',
    SHUTDOWN_GRACE_SECONDS: '2',
    ...extra,
  };
}

/** Polls the sync's `progress` query until `done` holds (queries fail while no worker is up). */
export async function waitForProgress(
  handle: WorkflowHandle,
  done: (p: SyncProgress) => boolean,
  timeoutMs = 120_000,
): Promise<SyncProgress> {
  const until = Date.now() + timeoutMs;
  let last: SyncProgress | undefined;
  while (Date.now() < until) {
    last = (await handle.query<SyncProgress>('progress').catch(() => undefined)) ?? last;
    if (last && done(last)) return last;
    await sleep(100);
  }
  throw new Error(`the sync did not get there in ${timeoutMs} ms; last progress: ${JSON.stringify(last)}`);
}

/** Waits for an OS process to be gone (a killed process's exit is seen through /proc). */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!processAlive(pid)) return;
    await sleep(50);
  }
  throw new Error(`process ${pid} is still alive after ${timeoutMs} ms`);
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    // The state is the field after the command name in parentheses: Z is a zombie.
    const text = readFileSync(stat, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The summary of a completed sync accounts for every order of the album: the counts match the
 * demo data's ground truth and the seeded state. A batch retried after its writes were applied
 * (a killed worker, a fault after the write) finds those subscribers there already, so `created`,
 * `updated` and `unchanged` are checked as a sum, not one by one.
 */
export function expectCompleteSummary(
  summary: SyncSummary,
  truth: ExpectedSync,
  expected: ExpectedState,
  seeded: Seeded,
): void {
  const consent = seeded.untouched.filter((s) => s.role === 'consent').length;
  expect(summary).toMatchObject({
    status: 'completed',
    fetched: truth.orders,
    invalid: truth.invalidOrders,
    valid: truth.orders - truth.invalidOrders,
    failed: 0,
  });
  // A consent-kept buyer's older orders are skipped too, rather than superseded.
  expect(summary.skipped).toBeGreaterThanOrEqual(consent);
  expect(summary.skipped + summary.superseded).toBe(consent + truth.supersededOrders);
  expect(summary.created + summary.updated + summary.unchanged).toBe(expected.size);
  expect(summary.updated + summary.unchanged).toBeGreaterThanOrEqual(seeded.stale.length);
  expectEveryRecordCounted(summary);
}
