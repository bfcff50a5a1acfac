import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import type { Activities } from '../../src/activities';
import type { SyncProgress } from '../../src/shared/sync-types';
import { SyncWorkers } from '../../src/workers/create-worker';

let runtimeInstalled = false;

/**
 * Keeps the SDK's own logs to errors: tests provoke failures on purpose (bad tokens, bad input,
 * cancellations), and the worker's warnings about them would bury the test report.
 */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
}

export interface TemporalTestContext {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Connects to the dev server the global setup started (a real server, not a fake). */
export async function connectTestTemporal(): Promise<TemporalTestContext> {
  quietRuntime();
  const address = process.env.CAMPAIGN_SYNC_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error(
      'CAMPAIGN_SYNC_TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (global setup).',
    );
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** A task queue nobody else polls, so tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

let bundleCode: string | undefined;

/** Runs `fn` while a worker with the given activities polls a task queue (a fresh one by default), then shuts it down. */
export async function withWorker<T>(
  ctx: TemporalTestContext,
  activities: Activities,
  fn: (taskQueue: string) => Promise<T>,
  taskQueue: string = uniqueTaskQueue(),
  mailerliteRequestsPerMinute = 0,
): Promise<T> {
  bundleCode ??= readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8');
  const workers = await SyncWorkers.create({
    connection: ctx.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities,
    mailerliteRequestsPerMinute,
    workflowBundle: { code: bundleCode },
    shutdownGraceTime: '2s',
  });
  return workers.runUntil(fn(taskQueue));
}

/** Polls a sync's `progress` query until `predicate` holds (up to 30 s), and returns that progress. */
export async function waitForProgress(
  handle: WorkflowHandle,
  predicate: (p: SyncProgress) => boolean,
): Promise<SyncProgress> {
  for (let i = 0; i < 300; i++) {
    const p = await handle.query<SyncProgress>('progress').catch(() => undefined);
    if (p && predicate(p)) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('progress never reached the expected state');
}

/**
 * The text of every payload (inputs, results) in a workflow's histories, its run and each run it
 * continued as, lower-cased: what a person reading the history in the Web UI sees.
 */
export async function historyPayloadText(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<string> {
  let text = '';
  for (let runId: string | undefined = firstRunId; runId;) {
    const events: temporal.api.history.v1.IHistoryEvent[] =
      (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    for (const e of events) {
      const payloads = [
        e.activityTaskScheduledEventAttributes?.input,
        e.activityTaskCompletedEventAttributes?.result,
        e.workflowExecutionStartedEventAttributes?.input,
        e.workflowExecutionCompletedEventAttributes?.result,
        e.workflowExecutionContinuedAsNewEventAttributes?.input,
      ];
      for (const p of payloads)
        for (const one of p?.payloads ?? []) text += Buffer.from(one.data ?? []).toString();
    }
    runId =
      events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
        ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return text.toLowerCase();
}
