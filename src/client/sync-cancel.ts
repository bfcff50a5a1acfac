import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { syncWorkflowId } from '../shared/names';
import { SyncNotFoundError } from '../temporal/errors';
import { workerPolls } from './worker-presence';

export interface CancelOptions {
  /** Who asks (recorded in the run's history with the request). */
  by: string;
  /** Why (recorded likewise). */
  reason?: string;
  /**
   * Terminate instead of asking the run to cancel: the lock is freed at once, but the run records
   * no partial stats or report entries. For a run no worker can act on (no worker polls its queue).
   */
  force?: boolean;
}

export interface CancelOutcome {
  workflowId: string;
  runId: string;
  taskQueue: string;
  /** `cancel-requested`: the run stops once a worker acts on it; `terminated`: it is closed now. */
  outcome: 'cancel-requested' | 'terminated';
  /** A cancellation had been requested before this one (and had not taken effect). */
  alreadyRequested: boolean;
  /** Whether a worker polls the run's task queue (workflow tasks), so a cancellation takes effect. */
  workerPolling: boolean;
}

/**
 * Asks a campaign's running sync to cancel, recording who asked and why: the run stops after the
 * activities in flight, records its partial stats and ends as cancelled, which frees the lock. That
 * needs a worker: when none polls the run's task queue the outcome says so, and `force` terminates
 * the run instead (the lock is freed at once, its partial stats are not recorded).
 */
export async function cancelSync(
  client: Client,
  campaign: string,
  opts: CancelOptions,
): Promise<CancelOutcome> {
  const workflowId = syncWorkflowId(campaign);
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new SyncNotFoundError(campaign);
    throw err;
  }
  if (description.status.name !== 'RUNNING') throw new SyncNotRunningError(campaign, description.status.name);
  const runId = description.runId;
  const taskQueue = description.taskQueue;
  const alreadyRequested = Boolean(description.raw.workflowExtendedInfo?.cancelRequested);
  const workerPolling = await workerPolls(client, taskQueue);
  const reason = opts.reason?.trim();
  if (opts.force) {
    await client.workflow
      .getHandle(workflowId, runId)
      .terminate(
        `Stopped with 'campaign-sync sync cancel ${campaign} --force' by ${opts.by}${reason ? `: ${reason}` : ''}` +
          (alreadyRequested ? ' (after a cancellation that had not taken effect)' : ''),
      );
    return { workflowId, runId, taskQueue, outcome: 'terminated', alreadyRequested, workerPolling };
  }
  // The SDK's handle.cancel() takes no reason; the service call records one with the request.
  await client.workflowService.requestCancelWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    identity: opts.by,
    requestId: randomUUID(),
    reason: reason ?? `cancelled with 'campaign-sync sync cancel ${campaign}'`,
  });
  return { workflowId, runId, taskQueue, outcome: 'cancel-requested', alreadyRequested, workerPolling };
}

export class SyncNotRunningError extends Error {
  constructor(
    readonly campaign: string,
    readonly status: string,
  ) {
    super(`Campaign ${campaign} has no running sync to cancel (its latest run is ${status}).`);
    this.name = 'SyncNotRunningError';
  }
}
