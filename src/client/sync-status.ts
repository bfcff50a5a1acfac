import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { syncWorkflowId } from '../shared/names';
import type { SyncProgress, SyncSummary } from '../shared/sync-types';
import { SyncNotFoundError } from './errors';

export interface SyncStatus {
  campaign: string;
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, ... */
  status: string;
  startedAt: Date;
  closedAt?: Date;
  /** Live progress of a running sync. */
  progress?: SyncProgress;
  /** Summary of a completed sync. */
  summary?: SyncSummary;
  /** Failure message of a failed sync. */
  failure?: string;
}

/** The latest run of a campaign's sync: its state, live progress, and its summary or failure. */
export async function syncStatus(client: Client, campaign: string): Promise<SyncStatus> {
  const workflowId = syncWorkflowId(campaign);
  const handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new SyncNotFoundError(campaign);
    throw err;
  }
  const status: SyncStatus = {
    campaign,
    workflowId,
    runId: description.runId,
    status: description.status.name,
    startedAt: description.startTime,
    closedAt: description.closeTime,
  };
  const run = client.workflow.getHandle(workflowId, description.runId);
  if (description.status.name === 'RUNNING') {
    status.progress = await run.query<SyncProgress>('progress').catch(() => undefined);
  } else if (description.status.name === 'COMPLETED') {
    status.summary = (await run.result()) as SyncSummary;
  } else if (description.status.name === 'FAILED') {
    status.failure = await run.result().then(
      () => undefined,
      (err: unknown) => failureMessage(err),
    );
  }
  return status;
}

/** The innermost message of a workflow failure (the one that says what went wrong). */
export function failureMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error && current.cause) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}
